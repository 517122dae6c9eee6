import { expect, it } from "vitest"
import { mirrorUpper, syrkUpper } from "../src/cpu/kernels.js"
import { cpuBackend } from "../src/index.js"
import { describeEachProvider } from "./providers.js"

const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1

describeEachProvider("CPU kernels", () => {
  it("syrkUpper computes P Pᵀ for sizes that are not multiples of the block", () => {
    const r = lcg(1)
    for (const [n, m] of [
      [1, 1],
      [3, 5],
      [7, 600],
      [13, 1030]
    ]) {
      const p = Float64Array.from({ length: n * m }, r)
      const c = new Float64Array(n * n)
      syrkUpper(p, n, m, c, 256)
      mirrorUpper(c, n)
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          let s = 0
          for (let i = 0; i < m; i++) s += p[a * m + i] * p[b * m + i]
          expect(Math.abs(c[a * n + b] - s)).toBeLessThan(1e-12 * m)
        }
    }
  })

  it("gram(a, b) = Φ diag(a) Φᵀ + (Ψ diag(b) Ψᵀ) ∘ X̃X̃ᵀ with Φ, Ψ from the bound data", () => {
    const r = lcg(2)
    const n = 9,
      m = 23,
      dim = 4
    const x = Float64Array.from({ length: n * dim }, r)
    const u = Float64Array.from({ length: m * dim }, r)
    const a = Float64Array.from({ length: m }, () => Math.abs(r()))
    const b = Float64Array.from({ length: m }, () => Math.abs(r()))
    const k = cpuBackend.bind(x, n, dim, "tanh")
    k.setHidden(u)
    const g = k.gram(a, b)
    for (let p = 0; p < n; p++)
      for (let q = 0; q < n; q++) {
        let s = 0
        let xx = 0
        for (let j = 0; j < dim; j++) xx += x[p * dim + j] * x[q * dim + j]
        for (let i = 0; i < m; i++) {
          let zp = 0,
            zq = 0
          for (let j = 0; j < dim; j++) {
            zp += x[p * dim + j] * u[i * dim + j]
            zq += x[q * dim + j] * u[i * dim + j]
          }
          s +=
            a[i] * Math.tanh(zp) * Math.tanh(zq) +
            b[i] * (1 - Math.tanh(zp) ** 2) * (1 - Math.tanh(zq) ** 2) * xx
        }
        expect(Math.abs(g[p * n + q] - s)).toBeLessThan(1e-13)
      }
    k.dispose()
    expect(() => k.phiMul(new Float64Array(m))).toThrow(/setHidden/)
  })
})
