import { describe, expect, it } from "vitest"
import {
  fitLine,
  incompleteBeta,
  meanInterval,
  seedBand,
  studentTCdf,
  studentTQuantile
} from "../src/index.js"
import { normals } from "./random.js"

describe("Student t", () => {
  it("quantiles match the tables", () => {
    // t_{0.975, df} from standard tables
    const table: Array<[number, number]> = [
      [1, 12.7062047],
      [2, 4.30265273],
      [3, 3.18244631],
      [4, 2.77644511],
      [9, 2.26215716],
      [30, 2.04227246]
    ]
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 6)
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 4)
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.77644511, 6)
    expect(studentTQuantile(0.5, 3)).toBe(0)
  })

  it("the CDF inverts the quantile and I_x(a, b) has its closed forms", () => {
    for (const df of [1, 2.5, 7, 40])
      for (const p of [0.6, 0.9, 0.995]) expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 12)
    // I_x(1, b) = 1 − (1 − x)^b, I_x(a, 1) = x^a
    expect(incompleteBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 13)
    expect(incompleteBeta(0.8, 3, 1)).toBeCloseTo(0.8 ** 3, 13)
  })
})

describe("mean and confidence interval over seeds", () => {
  it("computes x̄ ± t·s/√n", () => {
    const m = meanInterval([1, 2, 3, 4, 5])
    expect(m.mean).toBe(3)
    expect(m.sd).toBeCloseTo(Math.sqrt(2.5), 14)
    expect(m.hi! - m.mean).toBeCloseTo((2.77644511 * Math.sqrt(2.5)) / Math.sqrt(5), 6)
    expect(meanInterval([7]).lo).toBeNull()
  })

  it("covers the true mean at about 95% over many draws of 3 seeds", () => {
    const z = normals(42)
    const draws = 4000
    let covered = 0
    for (let k = 0; k < draws; k++) {
      const m = meanInterval([z(), z(), z()].map((x) => 5 + 2 * x))
      if (m.lo! <= 5 && 5 <= m.hi!) covered++
    }
    // binomial sd of the rate: √(0.95·0.05/4000) ≈ 0.0034
    expect(covered / draws).toBeGreaterThan(0.94)
    expect(covered / draws).toBeLessThan(0.96)
  })

  it("log bands are geometric and stay positive", () => {
    const b = seedBand([1e-3, 1e-5], true)
    expect(b.center).toBeCloseTo(1e-4, 18)
    expect(b.lo!).toBeGreaterThan(0)
    expect(Math.log10(b.hi!) + Math.log10(b.lo!)).toBeCloseTo(2 * -4, 10)
    expect(seedBand([1e-3, NaN, -1], true).n).toBe(1)
    expect(seedBand([1, -1], false).center).toBe(0)
  })

  it("fits a line", () => {
    const f = fitLine([0, 1, 2, 3], [1, 3, 5, 7])
    expect(f.slope).toBeCloseTo(2, 14)
    expect(f.intercept).toBeCloseTo(1, 14)
  })
})
