import { describe, expect, it } from "vitest"
import { fitRate, type RatePoint } from "../src/index.js"
import { normals } from "./random.js"

const sizes = [100, 200, 400, 800, 1600]

/** log10 L = c_s − α_s log10 N + noise: seeds differ in level and (a little) in slope. */
function draw(z: () => number, alpha: number, seeds: number, noise: number, slopeSd: number): RatePoint[] {
  const out: RatePoint[] = []
  for (let s = 1; s <= seeds; s++) {
    const c = 1 + 0.3 * z()
    const a = alpha + slopeSd * z()
    for (const n of sizes) out.push({ n, seed: s, loss: 10 ** (c - a * Math.log10(n) + noise * z()) })
  }
  return out
}

describe("the statistical rate α", () => {
  it("recovers a known slope from noisy synthetic losses", () => {
    const z = normals(7)
    for (const alpha of [0.46, 1.76, 2]) {
      const fit = fitRate(draw(z, alpha, 5, 0.05, 0))!
      expect(fit.seeds).toBe(5)
      expect(fit.sizes).toEqual(sizes)
      expect(Math.abs(fit.alpha - alpha)).toBeLessThan(0.05)
      expect(fit.lo!).toBeLessThan(alpha)
      expect(fit.hi!).toBeGreaterThan(alpha)
    }
  })

  it("equals the pooled least-squares slope when every seed has the same N's", () => {
    const pts = draw(normals(3), 1.5, 4, 0.1, 0.1)
    const x = pts.map((p) => Math.log10(p.n))
    const y = pts.map((p) => Math.log10(p.loss))
    const mx = x.reduce((s, v) => s + v, 0) / x.length
    const my = y.reduce((s, v) => s + v, 0) / y.length
    let sxy = 0
    let sxx = 0
    for (let i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my)
      sxx += (x[i] - mx) ** 2
    }
    expect(fitRate(pts)!.alpha).toBeCloseTo(-sxy / sxx, 12)
  })

  it("its 95% interval covers the true α at about 95% over many simulated draws", () => {
    const z = normals(2024)
    const draws = 3000
    for (const seeds of [3, 5]) {
      let covered = 0
      for (let k = 0; k < draws; k++) {
        const fit = fitRate(draw(z, 1.76, seeds, 0.15, 0.1))!
        if (fit.lo! <= 1.76 && 1.76 <= fit.hi!) covered++
      }
      // binomial sd of the rate: √(0.95·0.05/3000) ≈ 0.004; a 90% or 99% interval would fail
      expect(covered / draws).toBeGreaterThan(0.935)
      expect(covered / draws).toBeLessThan(0.965)
    }
  })

  it("leaves out diverged runs and needs two sizes per seed", () => {
    const pts: RatePoint[] = [
      { n: 100, seed: 1, loss: 1e-2 },
      { n: 1000, seed: 1, loss: 1e-4 },
      { n: 100, seed: 2, loss: NaN },
      { n: 1000, seed: 2, loss: 1e-4 }
    ]
    const fit = fitRate(pts)!
    expect(fit.alpha).toBeCloseTo(2, 12)
    expect(fit.seeds).toBe(1)
    expect(fit.lo).toBeNull()
    expect(fitRate([{ n: 100, seed: 1, loss: 1 }])).toBeUndefined()
  })
})
