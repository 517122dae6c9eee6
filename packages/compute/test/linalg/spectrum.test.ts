import { expect, it } from "vitest"
import { extremeEigenvalues, symmetricEigen, symmetricMatvec } from "../../src/linalg/index.js"
import {
  eigenResidual,
  logSpaced,
  matvec,
  maxAbs,
  norm,
  randomGram,
  randomVector,
  withSpectrum
} from "./fixtures.js"
import { describeEachProvider } from "../providers.js"

describeEachProvider("symmetricMatvec", () => {
  for (const n of [1, 2, 3, 50]) {
    it(`equals the dense product (n = ${n})`, () => {
      const a = randomGram(n, n + 2, 600 + n)
      const x = randomVector(n, 601 + n)
      const ref = matvec(a, n, x)
      const y = symmetricMatvec(a, n, x)
      for (let i = 0; i < n; i++) expect(Math.abs(y[i] - ref[i])).toBeLessThan(1e-13 * (maxAbs(ref) + 1))
    })
  }
})

describeEachProvider("extremeEigenvalues", () => {
  for (const n of [5, 50, 200]) {
    it(`matches the full EVD on a well-conditioned SPD ${n}×${n}`, () => {
      const a = randomGram(n, 2 * n, 700 + n)
      const { values } = symmetricEigen(a, n)
      const s = extremeEigenvalues(a, n)
      expect(s.converged).toBe(true)
      expect(s.shift).toBe(0)
      expect(Math.abs(s.sigmaMax - values[n - 1])).toBeLessThan(1e-9 * values[n - 1])
      expect(Math.abs(s.sigmaMin - values[0])).toBeLessThan(1e-9 * values[0])
      expect(s.cond).toBeCloseTo(values[n - 1] / values[0], 6)
      expect(eigenResidual(a, n, s.sigmaMax, s.maxVector)).toBeLessThan(1e-9 * s.sigmaMax)
      expect(eigenResidual(a, n, s.sigmaMin, s.minVector)).toBeLessThan(1e-9 * s.sigmaMax)
      expect(norm(s.minVector)).toBeCloseTo(1, 12)
      expect(norm(s.maxVector)).toBeCloseTo(1, 12)
    })
  }

  it("is accurate to 1e-14·σmax·n on an ill-conditioned matrix (λ from 1e-10 to 1)", () => {
    const n = 200
    const lambda = logSpaced(n, 1e-10, 1)
    const a = withSpectrum(lambda, 801)
    const { values } = symmetricEigen(a, n)
    const s = extremeEigenvalues(a, n)
    expect(s.converged).toBe(true)
    expect(s.shift).toBe(0)
    expect(Math.abs(s.sigmaMax - values[n - 1])).toBeLessThan(1e-9 * values[n - 1])
    const absTol = 1e-14 * s.sigmaMax * n
    expect(Math.abs(s.sigmaMin - values[0])).toBeLessThan(absTol)
    // in practice far better than the worst-case bound: a few ulps of ‖A‖ on σmin
    expect(Math.abs(s.sigmaMin - values[0])).toBeLessThan(1e-6 * values[0])
    // and against the prescribed spectrum (A carries only rounding of Q diag(λ) Qᵀ)
    expect(Math.abs(s.sigmaMin - 1e-10)).toBeLessThan(absTol)
    expect(s.cond).toBeGreaterThan(1e9)
  })

  for (const n of [50, 200]) {
    it(`finds σmin ≈ 0 of an exactly rank-deficient B Bᵀ (n = ${n}, rank ${n / 2}) with a shift`, () => {
      const a = randomGram(n, n / 2, 900 + n)
      const { values } = symmetricEigen(a, n)
      const s = extremeEigenvalues(a, n)
      expect(s.shift).toBeGreaterThan(0)
      expect(Math.abs(s.sigmaMin)).toBeLessThanOrEqual(1e-12 * s.sigmaMax)
      // the shift is taken back out: σmin agrees with the EVD far better than s itself
      expect(Math.abs(s.sigmaMin - values[0])).toBeLessThan(0.1 * s.shift)
      expect(Math.abs(s.sigmaMax - values[n - 1])).toBeLessThan(1e-9 * values[n - 1])
      expect(s.cond).toBeGreaterThan(1e12)
      // the σmin vector lies in the null space
      expect(norm(matvec(a, n, s.minVector))).toBeLessThan(1e-10 * s.sigmaMax)
    })
  }

  it("handles n = 1", () => {
    const s = extremeEigenvalues(Float64Array.from([2.5]), 1)
    expect(s.sigmaMin).toBeCloseTo(2.5, 14)
    expect(s.sigmaMax).toBe(2.5)
    expect(s.cond).toBeCloseTo(1, 14)
    expect(s.shift).toBe(0)
    expect(Math.abs(s.minVector[0])).toBe(1)
  })

  it("handles the zero matrix", () => {
    const s = extremeEigenvalues(new Float64Array(16), 4)
    expect(s.sigmaMax).toBe(0)
    expect(s.sigmaMin).toBe(0)
    expect(s.cond).toBe(Infinity)
  })

  it("converges in fewer iterations when warm-started from the previous step", () => {
    const n = 200
    const a = randomGram(n, 2 * n, 1001)
    const cold = extremeEigenvalues(a, n)
    // the next GN step's matrix: a small symmetric perturbation that keeps it SPD
    const b = Float64Array.from(a)
    const noise = randomGram(n, 2 * n, 1002)
    for (let i = 0; i < b.length; i++) b[i] += 1e-6 * noise[i]
    const coldB = extremeEigenvalues(b, n)
    const warmB = extremeEigenvalues(b, n, cold)
    expect(warmB.converged).toBe(true)
    expect(warmB.iterationsMax).toBeLessThan(coldB.iterationsMax)
    expect(warmB.iterationsMin).toBeLessThan(coldB.iterationsMin)
    expect(Math.abs(warmB.sigmaMax - coldB.sigmaMax)).toBeLessThan(1e-10 * coldB.sigmaMax)
    expect(Math.abs(warmB.sigmaMin - coldB.sigmaMin)).toBeLessThan(1e-9 * coldB.sigmaMin)
    // the same matrix again
    const again = extremeEigenvalues(a, n, cold)
    expect(again.iterationsMax).toBeLessThan(cold.iterationsMax)
    expect(again.iterationsMin).toBeLessThan(cold.iterationsMin)
  })

  it("throws on non-finite input", () => {
    const a = randomGram(4, 8, 3)
    a[5] = NaN
    expect(() => extremeEigenvalues(a, 4)).toThrow()
  })
})
