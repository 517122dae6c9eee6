/**
 * The native engine's fused gradient-descent step (issue #16) against the same step composed of
 * the binding's kernels (Φᵀz, Ψᵀ diag(z) X̃, the update, new features, Φ c): equal to rounding,
 * and bit for bit the same for any thread count. Skipped when the addon is not built.
 */
import { afterAll, describe, expect, it } from "vitest"
import { cpuBackend, useCpuEngine, useCpuThreads, type FeatureKernels } from "../src/index.js"
import { providers } from "./providers.js"

const native = providers.find((p) => p.choice === "native")!
const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1

const [n, m, dim, lr] = [301, 700, 11, 10]
const r = lcg(11)
const x = Float64Array.from({ length: n * dim }, r)
const u0 = Float64Array.from({ length: m * dim }, r)
const v0 = Float64Array.from({ length: m }, r)
const y = Float64Array.from({ length: n }, r)
// a mean-field-like network: ω and g not constant
const omega = Float64Array.from({ length: m }, () => (1 + Math.abs(r())) / m)
const metric = Float64Array.from({ length: m }, () => 0.5 + Math.abs(r()))

/** z = (f − y)/N at (u0, v0). */
function gradientAt(k: FeatureKernels): Float64Array {
  k.setHidden(u0)
  const f = k.phiMul(v0.map((v, i) => v * omega[i]))
  return f.map((fa, a) => (fa - y[a]) / n)
}

function composed(k: FeatureKernels, z: Float64Array) {
  const dv = k.phiTMul(z)
  const du = k.psiTXMul(z)
  for (let i = 0; i < m; i++) {
    dv[i] *= omega[i] / metric[i]
    const s = (omega[i] * v0[i]) / metric[i]
    for (let j = 0; j < dim; j++) du[i * dim + j] *= s
  }
  const u = u0.map((w, i) => w - lr * du[i])
  const v = v0.map((w, i) => w - lr * dv[i])
  k.setHidden(u)
  return { u, v, du, dv, f: k.phiMul(v.map((w, i) => w * omega[i])) }
}

function fused(k: FeatureKernels, z: Float64Array) {
  const step = {
    u: Float64Array.from(u0),
    v: Float64Array.from(v0),
    omega,
    metric,
    z,
    lr,
    du: new Float64Array(m * dim),
    dv: new Float64Array(m),
    f: new Float64Array(n)
  }
  k.gdStep!(step)
  return step
}

const relErr = (a: Float64Array, b: Float64Array): number => {
  let err = 0
  let scale = 0
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
  }
  return err / scale
}

describe.skipIf(native.skip !== undefined)(
  `the fused GD step [native engine]${native.skip !== undefined ? ` — skipped: ${native.skip}` : ""}`,
  () => {
    afterAll(() => {
      useCpuThreads(undefined)
      useCpuEngine("auto")
    })

    it("equals the step composed of the binding's kernels to rounding", () => {
      useCpuEngine("native")
      const k = cpuBackend.bind(x, n, dim, "silu")
      const z = gradientAt(k)
      const a = composed(k, z)
      const b = fused(k, z)
      for (const key of ["u", "v", "du", "dv", "f"] as const)
        expect(relErr(b[key], a[key])).toBeLessThan(1e-13)
      // the binding now holds the new weights: its features are those of setHidden(b.u)
      const c = Float64Array.from({ length: m }, r)
      const after = k.phiMul(c)
      k.setHidden(b.u)
      expect(Array.from(after)).toEqual(Array.from(k.phiMul(c)))
      k.dispose()
    })

    it("gives the same bits for 1, 2 and 3 threads", () => {
      useCpuEngine("native")
      const out = [1, 2, 3].map((t) => {
        useCpuThreads(t)
        const k = cpuBackend.bind(x, n, dim, "silu")
        const s = fused(k, gradientAt(k))
        k.dispose()
        return s
      })
      for (const o of out.slice(1))
        for (const key of ["u", "v", "du", "dv", "f"] as const)
          expect(Array.from(o[key])).toEqual(Array.from(out[0][key]))
    })

    it("is offered for SiLU only (other activations compose the kernels)", () => {
      useCpuEngine("native")
      const k = cpuBackend.bind(x, n, dim, "tanh")
      expect(k.gdStep).toBeUndefined()
      k.dispose()
      useCpuEngine("typescript")
      expect(cpuBackend.bind(x, n, dim, "silu").gdStep).toBeUndefined()
    })
  }
)
