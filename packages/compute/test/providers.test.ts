/**
 * The two CPU kernel providers agree: every primitive of the backend and of the host linear
 * algebra, on the same inputs, to 1e-12 relative (relative to the largest entry). Skipped,
 * with the reason in the title, when the native addon is not built.
 */
import { afterAll, describe, expect, it } from "vitest"
import {
  cholesky,
  choleskySolve,
  cpuBackend,
  cpuKernels,
  extremeEigenvalues,
  pinvSolveSymmetric,
  symmetricEigen,
  symmetricMatvec,
  useCpuKernels,
  type ActivationId,
  type CpuKernelsChoice
} from "../src/index.js"
import { randomGram, randomVector, withSpectrum } from "./linalg/fixtures.js"
import { providers } from "./providers.js"

const native = providers.find((p) => p.choice === "native")!
const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1

/** max |a − b| / max |b| */
function relErr(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length)
  let err = 0
  let scale = 0
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
  }
  return scale === 0 ? err : err / scale
}

/** Run fn under a provider. */
function under<T>(choice: CpuKernelsChoice, fn: () => T): T {
  useCpuKernels(choice)
  try {
    return fn()
  } finally {
    useCpuKernels("auto")
  }
}

interface Outputs {
  readonly phiMul: Float64Array
  readonly phiTMul: Float64Array
  readonly psiTXMul: Float64Array
  readonly psiXMul: Float64Array
  readonly gram: Float64Array
  readonly gramLastLayer: Float64Array
  readonly gramConstantA: Float64Array
  readonly featureMatVec: Float64Array
}

function evaluate(activation: ActivationId, n: number, m: number, dim: number): Outputs {
  const r = lcg(n + m)
  const x = Float64Array.from({ length: n * dim }, r)
  const u = Float64Array.from({ length: m * dim }, () => 1.5 * r())
  const c = Float64Array.from({ length: m }, r)
  const z = Float64Array.from({ length: n }, r)
  const du = Float64Array.from({ length: m * dim }, r)
  const a = Float64Array.from({ length: m }, () => Math.abs(r()) / (m * m))
  const b = Float64Array.from({ length: m }, () => Math.abs(r()) / (m * m))
  const k = cpuBackend.bind(x, n, dim, activation)
  try {
    k.setHidden(u)
    return {
      phiMul: k.phiMul(c),
      phiTMul: k.phiTMul(z),
      psiTXMul: k.psiTXMul(z),
      psiXMul: k.psiXMul(c, du),
      gram: k.gram(a, b),
      gramLastLayer: k.gram(a, new Float64Array(m)),
      // the finite-width network's a = 1/M² (the native kernel's no-copy path)
      gramConstantA: k.gram(new Float64Array(m).fill(1 / (m * m)), b),
      featureMatVec: cpuBackend.featureMatVec(x, n, dim, u, m, c, activation)
    }
  } finally {
    k.dispose()
  }
}

describe.skipIf(native.skip !== undefined)(
  `native and TypeScript kernels agree to 1e-12${native.skip !== undefined ? ` — skipped: ${native.skip}` : ""}`,
  () => {
    afterAll(() => {
      useCpuKernels("auto")
    })

    it("reports the provider in use", () => {
      expect(under("typescript", () => cpuKernels().provider)).toBe("typescript")
      expect(["openblas", "accelerate"]).toContain(under("native", () => cpuKernels().provider))
      expect(under("native", () => cpuBackend.info.details.kernels)).not.toBe("typescript")
    })

    // sizes cross the native tiles (64 rows, 128-row Gram tiles, 512-column tiles)
    for (const [activation, n, m, dim] of [
      ["silu", 300, 700, 11],
      ["tanh", 70, 130, 4],
      ["gelu", 45, 33, 3],
      ["relu", 129, 515, 5]
    ] as const) {
      it(`features, products and Gram (${activation}, N = ${n}, M = ${m}, D = ${dim})`, () => {
        const ts = under("typescript", () => evaluate(activation, n, m, dim))
        const nat = under("native", () => evaluate(activation, n, m, dim))
        for (const key of Object.keys(ts) as (keyof Outputs)[])
          expect(relErr(nat[key], ts[key]), key).toBeLessThanOrEqual(1e-12)
        // the Gram is exactly symmetric with both providers
        for (const out of [ts.gram, nat.gram])
          for (let p = 0; p < n; p++) for (let q = 0; q < p; q++) expect(out[p * n + q]).toBe(out[q * n + p])
      })
    }

    it("a binding keeps the provider it was created with", () => {
      const r = lcg(9)
      const n = 20,
        m = 30,
        dim = 3
      const x = Float64Array.from({ length: n * dim }, r)
      const u = Float64Array.from({ length: m * dim }, r)
      const c = Float64Array.from({ length: m }, r)
      const k = under("typescript", () => cpuBackend.bind(x, n, dim, "silu"))
      const kn = under("native", () => cpuBackend.bind(x, n, dim, "silu"))
      for (const choice of ["typescript", "native"] as const) {
        const [a, b] = under(choice, () => {
          k.setHidden(u)
          kn.setHidden(u)
          return [k.phiMul(c), kn.phiMul(c)]
        })
        const [a2, b2] = under(choice === "native" ? "typescript" : "native", () => [
          k.phiMul(c),
          kn.phiMul(c)
        ])
        expect(a2).toEqual(a)
        expect(b2).toEqual(b)
      }
      k.dispose()
      kn.dispose()
    })

    it("Cholesky factor and solve, symmetric matvec", () => {
      for (const n of [1, 7, 191, 193, 450]) {
        const a = randomGram(n, 2 * n, 5 + n)
        const rhs = randomVector(n, 6 + n)
        const [lt, xt, yt] = under("typescript", () => {
          const l = cholesky(a, n)!
          return [l, choleskySolve(l, n, rhs), symmetricMatvec(a, n, rhs)]
        })
        const [ln, xn, yn] = under("native", () => {
          const l = cholesky(a, n)!
          return [l, choleskySolve(l, n, rhs), symmetricMatvec(a, n, rhs)]
        })
        expect(relErr(ln, lt)).toBeLessThanOrEqual(1e-12)
        expect(relErr(yn, yt)).toBeLessThanOrEqual(1e-12)
        // the solve amplifies rounding by cond(A) (≈ 1e2 here)
        expect(relErr(xn, xt)).toBeLessThanOrEqual(1e-12 * 1e3)
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(ln[i * n + j]).toBe(0)
      }
      // both reject an indefinite matrix and non-finite input
      const bad = withSpectrum(
        Float64Array.from({ length: 30 }, (_, i) => (i === 4 ? -1 : 1 + i)),
        3
      )
      expect(under("native", () => cholesky(bad, 30))).toBeUndefined()
      const nan = randomGram(5, 10, 1)
      nan[12] = NaN
      expect(under("native", () => cholesky(nan, 5))).toBeUndefined()
    })

    it("eigenvalues, extreme eigenvalues and the pseudo-inverse solve", () => {
      const n = 120
      const lambda = Float64Array.from({ length: n }, (_, i) => 10 ** (-3 + (6 * i) / (n - 1)))
      const a = withSpectrum(lambda, 17)
      const y = randomVector(n, 3)
      const [et, st, pt] = under("typescript", () => [
        symmetricEigen(a, n),
        extremeEigenvalues(a, n),
        pinvSolveSymmetric(a, n, y, 1e-10)
      ])
      const [en, sn, pn] = under("native", () => [
        symmetricEigen(a, n),
        extremeEigenvalues(a, n),
        pinvSolveSymmetric(a, n, y, 1e-10)
      ])
      expect(relErr(en.values, et.values)).toBeLessThanOrEqual(1e-12)
      expect(Math.abs(sn.sigmaMax - st.sigmaMax) / st.sigmaMax).toBeLessThanOrEqual(1e-12)
      // σmin = 1e-3 of σmax = 1e3: relative to σmax, as any backward-stable method
      expect(Math.abs(sn.sigmaMin - st.sigmaMin) / st.sigmaMax).toBeLessThanOrEqual(1e-12)
      expect(relErr(pn.x, pt.x)).toBeLessThanOrEqual(1e-12 * 1e6)
      // eigenvectors: A q = λ q for the native ones
      for (const j of [0, n - 1]) {
        const q = Float64Array.from({ length: n }, (_, i) => en.vectors[i * n + j])
        const aq = symmetricMatvec(a, n, q)
        for (let i = 0; i < n; i++) expect(Math.abs(aq[i] - en.values[j] * q[i])).toBeLessThan(1e-10)
      }
    })
  }
)
