/**
 * The addon's primitives against plain loops, and the property the CPU backend relies on for
 * reproducibility: results are bit-for-bit the same whatever the thread count. Skipped, with the
 * reason in the title, when the addon is not built (no OpenBLAS here).
 */
import { describe, expect, it } from "vitest"
import { loadNative, type NativeAddon } from "../src/index.js"

const status = loadNative()
const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1
const rand = (len: number, seed: number) => Float64Array.from({ length: len }, lcg(seed))

/** Row-major C = A Bᵀ by plain loops. */
function abt(a: Float64Array, b: Float64Array, m: number, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n)
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let l = 0; l < k; l++) s += a[i * k + l] * b[j * k + l]
      c[i * n + j] = s
    }
  return c
}

const maxAbsDiff = (a: Float64Array, b: Float64Array) =>
  a.reduce((e, x, i) => Math.max(e, Math.abs(x - b[i])), 0)

describe.skipIf(!status.available)(
  `native kernels${status.available ? ` (${status.config})` : ` — skipped: ${status.available ? "" : status.reason}`}`,
  () => {
    const k = (status.available ? status.addon : undefined) as NativeAddon

    it("dgemm, dsyrk, dsymv, dtrsv against loops", () => {
      const [m, n, kk] = [13, 9, 21]
      const a = rand(m * kk, 1)
      const b = rand(n * kk, 2)
      const c = new Float64Array(m * n)
      k.dgemm(0, 1, m, n, kk, 1, a, kk, b, kk, 0, c, n)
      expect(maxAbsDiff(c, abt(a, b, m, n, kk))).toBeLessThan(1e-13)
      const s = new Float64Array(m * m)
      k.dsyrk(1, 0, m, kk, 1, a, kk, 0, s, m)
      const full = abt(a, a, m, m, kk)
      for (let i = 0; i < m; i++)
        for (let j = i; j < m; j++) expect(Math.abs(s[i * m + j] - full[i * m + j])).toBeLessThan(1e-13)
      const x = rand(m, 3)
      const y = new Float64Array(m)
      k.dsymv(m, full, x, y)
      for (let i = 0; i < m; i++)
        expect(
          Math.abs(y[i] - full.subarray(i * m, i * m + m).reduce((t, v, j) => t + v * x[j], 0))
        ).toBeLessThan(1e-13)
      // lower-triangular solve L y = x
      const l = new Float64Array(m * m)
      for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) l[i * m + j] = i === j ? 2 + i : 0.1 * (i - j)
      const sol = Float64Array.from(x)
      k.dtrsv(1, 0, m, l, sol)
      for (let i = 0; i < m; i++) {
        let t = 0
        for (let j = 0; j <= i; j++) t += l[i * m + j] * sol[j]
        expect(Math.abs(t - x[i])).toBeLessThan(1e-13)
      }
    })

    it("the SiLU's vectorised exp (SLEEF or the polynomial): Φ within 4 ulps, Ψ within 2e-15 of the formulas with Math.exp", () => {
      // SLEEF's exp is within 1 ulp, the polynomial within ~0.5: Ψ = s + Φ(1 − s) ∈ [−0.1, 1.1]
      // carries both through a division and three more roundings (measured ≤ 1.2e-15 with SLEEF)
      // Z = z itself (X̃ = [1], U = z): 200 001 points on [−40, 40]
      const count = 200_001
      const z = Float64Array.from({ length: count }, (_, i) => -40 + (80 * i) / (count - 1))
      const phi = new Float64Array(count)
      const psi = new Float64Array(count)
      k.features(new Float64Array([1]), 1, 1, z, count, 1, phi, psi)
      const ulp = (v: number) => (v === 0 ? Number.MIN_VALUE : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 52))
      let phiUlps = 0
      let psiAbs = 0
      for (let i = 0; i < count; i++) {
        const s = 1 / (1 + Math.exp(-z[i]))
        const f = z[i] * s
        phiUlps = Math.max(phiUlps, Math.abs(phi[i] - f) / ulp(f))
        psiAbs = Math.max(psiAbs, Math.abs(psi[i] - (s + f * (1 - s))))
      }
      expect(phiUlps).toBeLessThanOrEqual(4)
      expect(psiAbs).toBeLessThan(2e-15)
    })

    it("checks argument types and lengths", () => {
      expect(() => k.matVec(new Float64Array(3), 2, 2, new Float64Array(2), new Float64Array(2))).toThrow(
        RangeError
      )
      expect(() =>
        k.dsymv(2, [1, 2, 3, 4] as unknown as Float64Array, new Float64Array(2), new Float64Array(2))
      ).toThrow(TypeError)
    })

    it("works on subarrays in place (no copies)", () => {
      const big = rand(40, 4)
      const y = new Float64Array(10)
      // P = rows 1..3 of a 5-column view starting at offset 5
      k.matVec(big.subarray(5, 20), 3, 5, big.subarray(30, 35), y.subarray(2, 5))
      for (let r = 0; r < 3; r++) {
        let s = 0
        for (let i = 0; i < 5; i++) s += big[5 + r * 5 + i] * big[30 + i]
        expect(Math.abs(y[2 + r] - s)).toBeLessThan(1e-14)
      }
      expect(y[0]).toBe(0)
      expect(y[5]).toBe(0)
    })

    it("potrf / potrs / syevd", () => {
      const n = 400
      const p = rand(n * 2 * n, 5)
      const a = abt(p, p, n, n, 2 * n)
      const l = Float64Array.from(a)
      expect(k.potrf(l, n)).toBe(0)
      const llt = abt(l, l, n, n, n)
      expect(maxAbsDiff(llt, a) / a.reduce((t, v) => Math.max(t, Math.abs(v)), 0)).toBeLessThan(1e-13)
      const b = rand(n, 6)
      const x = Float64Array.from(b)
      expect(k.potrs(l, n, x)).toBe(0)
      const ax = new Float64Array(n)
      k.dsymv(n, a, x, ax)
      expect(maxAbsDiff(ax, b)).toBeLessThan(1e-9)
      // indefinite: the failing minor's index
      const bad = Float64Array.from([1, 2, 2, 1])
      expect(k.potrf(bad, 2)).toBe(2)
      const q = Float64Array.from([2, 1, 1, 2])
      const w = new Float64Array(2)
      expect(k.syevd(q, 2, w)).toBe(0)
      expect(Array.from(w).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([1, 3])
    })

    it("results do not depend on the thread count (bit for bit)", () => {
      const [n, m, dim] = [333, 1100, 11]
      const x = rand(n * dim, 7)
      const u = rand(m * dim, 8)
      const sa = rand(m, 9).map(Math.abs)
      const sb = rand(m, 10).map(Math.abs)
      const kx = abt(x, x, n, n, dim)
      const z = rand(n, 11)
      const run = () => {
        const phi = new Float64Array(n * m)
        const psi = new Float64Array(n * m)
        k.features(x, n, dim, u, m, 1, phi, psi)
        const g = new Float64Array(n * n)
        k.gram(phi, psi, n, m, sa, sb, kx, g, new Float64Array(n * m), new Float64Array(n * n))
        const l = Float64Array.from(g)
        for (let i = 0; i < n; i++) l[i * n + i] += 1e-3
        expect(k.potrf(l, n)).toBe(0)
        const y = new Float64Array(m)
        k.matTVec(phi, n, m, z, y)
        const gx = new Float64Array(m * dim)
        k.psiTX(psi, x, n, m, dim, z, gx)
        const f = new Float64Array(n)
        k.siluMatVec(x, n, dim, u, m, sa, f)
        return [phi, psi, g, l, y, gx, f]
      }
      const max = k.threads().max
      try {
        k.setMaxThreads(1)
        const one = run()
        for (const t of [2, 3]) {
          k.setMaxThreads(t)
          const many = run()
          for (let i = 0; i < one.length; i++) expect(many[i]).toEqual(one[i])
        }
      } finally {
        k.setMaxThreads(max)
      }
    })

    it("results do not depend on where the arrays lie in memory (alignment)", () => {
      const [n, m, dim] = [150, 333, 11]
      const x = rand(n * dim, 21)
      const u = rand(m * dim, 22)
      const c = rand(m, 23)
      const z = rand(n, 24)
      // the same values at an offset of 0 to 7 doubles in a larger buffer
      const at = (a: Float64Array, shift: number) => {
        const b = new Float64Array(a.length + 8)
        b.set(a, shift)
        return b.subarray(shift, shift + a.length)
      }
      const run = (shift: number) => {
        const phi = at(new Float64Array(n * m), shift)
        const psi = at(new Float64Array(n * m), shift)
        k.features(at(x, shift), n, dim, at(u, shift), m, 1, phi, psi)
        const y = at(new Float64Array(n), shift)
        k.matVec(phi, n, m, at(c, shift), y)
        const yt = at(new Float64Array(m), shift)
        k.matTVec(phi, n, m, at(z, shift), yt)
        const g = at(new Float64Array(m * dim), shift)
        k.psiTX(psi, at(x, shift), n, m, dim, at(z, shift), g)
        return [phi, psi, y, yt, g].map((a) => Float64Array.from(a))
      }
      const base = run(0)
      for (const shift of [1, 3, 4, 7]) {
        const other = run(shift)
        for (let i = 0; i < base.length; i++) expect(other[i]).toEqual(base[i])
      }
    })

    it("shares the threads among acquired computations", () => {
      const max = k.threads().max
      try {
        k.setMaxThreads(4)
        const before = k.threads().active
        k.acquire()
        k.acquire()
        expect(k.threads().active).toBe(before + 2)
        expect(k.threads().perCall).toBe(Math.max(1, Math.floor(4 / (before + 2))))
        k.release()
        k.release()
        // beyond what this thread acquired: ignored
        k.release()
        expect(k.threads().active).toBe(before)
      } finally {
        k.setMaxThreads(max)
      }
    })
  }
)
