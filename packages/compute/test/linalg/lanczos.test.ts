import { expect, it } from "vitest"
import { lanczosLargest, symmetricEigen } from "../../src/linalg/index.js"
import { eigenResidual, logSpaced, matvec, randomGram, withSpectrum } from "./fixtures.js"
import { describeEachProvider } from "../providers.js"

const op = (a: Float64Array, n: number) => (x: Float64Array) => matvec(a, n, x)

describeEachProvider("lanczosLargest", () => {
  for (const n of [5, 50, 200]) {
    it(`matches the full EVD on a well-conditioned SPD ${n}×${n}`, () => {
      const a = randomGram(n, 2 * n, 500 + n)
      const ref = symmetricEigen(a, n).values[n - 1]
      const r = lanczosLargest(op(a, n), n)
      expect(r.converged).toBe(true)
      expect(Math.abs(r.value - ref)).toBeLessThan(1e-9 * ref)
      expect(eigenResidual(a, n, r.value, r.vector)).toBeLessThan(1e-9 * ref)
      expect(r.iterations).toBeLessThanOrEqual(n)
    })
  }

  it("matches the full EVD on an ill-conditioned matrix (λ from 1e-10 to 1)", () => {
    const n = 200
    const a = withSpectrum(logSpaced(n, 1e-10, 1), 61)
    const ref = symmetricEigen(a, n).values[n - 1]
    const r = lanczosLargest(op(a, n), n)
    expect(r.converged).toBe(true)
    expect(Math.abs(r.value - ref)).toBeLessThan(1e-9 * ref)
    expect(Math.abs(r.value - 1)).toBeLessThan(1e-9)
  })

  it("handles n = 1", () => {
    const r = lanczosLargest((x) => Float64Array.from([3.5 * x[0]]), 1)
    expect(r.value).toBe(3.5)
    expect(Math.abs(r.vector[0])).toBe(1)
    expect(r.iterations).toBe(1)
    expect(r.converged).toBe(true)
  })

  it("stops on an invariant subspace (β = 0)", () => {
    // A = 2I: the first Krylov vector is already an eigenvector
    const n = 30
    const r = lanczosLargest((x) => x.map((v) => 2 * v), n)
    expect(r.value).toBeCloseTo(2, 14)
    expect(r.iterations).toBe(1)
    expect(r.converged).toBe(true)
    // rank one u uᵀ: span{v, Av} is invariant
    const u = Float64Array.from({ length: n }, (_, i) => Math.cos(i))
    let uu = 0
    for (const v of u) uu += v * v
    const r1 = lanczosLargest((x) => {
      let s = 0
      for (let i = 0; i < n; i++) s += u[i] * x[i]
      return u.map((v) => v * s)
    }, n)
    expect(r1.converged).toBe(true)
    expect(r1.iterations).toBeLessThanOrEqual(2)
    expect(Math.abs(r1.value - uu)).toBeLessThan(1e-12 * uu)
  })

  it("does not stop at a warm start that is an eigenvector of a lower eigenvalue", () => {
    const n = 10
    const a = new Float64Array(n * n)
    for (let i = 0; i < n; i++) a[i * n + i] = i + 1
    const start = new Float64Array(n)
    start[3] = 1
    const r = lanczosLargest(op(a, n), n, { start })
    expect(r.value).toBeCloseTo(n, 10)
  })

  it("converges through thick restarts when the basis is small", () => {
    const n = 200
    const a = randomGram(n, 2 * n, 71)
    const ref = symmetricEigen(a, n).values[n - 1]
    const r = lanczosLargest(op(a, n), n, { maxIter: 8, maxRestarts: 200 })
    expect(r.converged).toBe(true)
    expect(r.iterations).toBeGreaterThan(8)
    expect(Math.abs(r.value - ref)).toBeLessThan(1e-9 * ref)
  })

  it("reports non-convergence when the budget runs out", () => {
    const n = 200
    const a = randomGram(n, 2 * n, 71)
    const r = lanczosLargest(op(a, n), n, { maxIter: 3, maxRestarts: 0 })
    expect(r.converged).toBe(false)
    expect(r.iterations).toBe(3)
  })

  it("converges in fewer iterations from a warm start", () => {
    const n = 200
    const a = randomGram(n, 2 * n, 81)
    const cold = lanczosLargest(op(a, n), n)
    // the next "GN step": a slightly different matrix
    const b = Float64Array.from(a)
    const noise = randomGram(n, 2 * n, 82)
    for (let i = 0; i < b.length; i++) b[i] += 1e-6 * noise[i]
    const coldB = lanczosLargest(op(b, n), n)
    const warmB = lanczosLargest(op(b, n), n, { start: cold.vector })
    expect(warmB.converged).toBe(true)
    expect(warmB.iterations).toBeLessThan(coldB.iterations)
    expect(Math.abs(warmB.value - coldB.value)).toBeLessThan(1e-10 * coldB.value)
    // same matrix again: nearly nothing left to do
    const again = lanczosLargest(op(a, n), n, { start: cold.vector })
    expect(again.iterations).toBeLessThan(cold.iterations)
  })

  it("is deterministic", () => {
    const n = 50
    const a = randomGram(n, 80, 91)
    const r1 = lanczosLargest(op(a, n), n)
    const r2 = lanczosLargest(op(a, n), n)
    expect(r2.value).toBe(r1.value)
    expect(Array.from(r2.vector)).toEqual(Array.from(r1.vector))
    expect(r2.iterations).toBe(r1.iterations)
  })
})
