import { describe, expect, it } from "vitest"
import { trajectoryDistance } from "../src/index.js"

const rows = (f: (k: number) => number, ks: number[]) => ks.map((iter) => ({ iter, value: f(iter) }))
const ks = [0, 1, 2, 5, 10, 20, 50, 100]

describe("trajectoryDistance", () => {
  it("is 0 for identical trajectories and the log10 of a constant ratio", () => {
    const r = rows((k) => Math.exp(-k / 10), ks)
    expect(trajectoryDistance(r, r)).toBe(0)
    expect(
      trajectoryDistance(
        rows((k) => 10 * Math.exp(-k / 10), ks),
        r
      )
    ).toBeCloseTo(1, 12)
    expect(
      trajectoryDistance(
        rows((k) => 1.5 * Math.exp(-k / 10), ks),
        r,
        "max-rel"
      )
    ).toBeCloseTo(0.5, 12)
  })

  it("compares up to the shorter run and interpolates what one skipped", () => {
    // a power law is a line in log–log, where the gaps are interpolated: exact
    const power = rows((k) => k ** -2, ks.slice(1))
    // the same curve on fewer points, stopped at k = 20 (what follows is not compared)
    const y = rows((k) => (k <= 20 ? k ** -2 : 1), [1, 10, 20])
    expect(trajectoryDistance(y, power)).toBeLessThan(1e-12)
    const ref = rows((k) => Math.exp(-k / 10), ks)
    // a factor 2 between k = 2 and 5 only, measured on the points of both
    const z = rows((k) => (k >= 2 && k <= 5 ? 2 : 1) * Math.exp(-k / 10), ks)
    const expected = Math.sqrt((2 * Math.log10(2) ** 2) / 7)
    expect(trajectoryDistance(z, ref)).toBeCloseTo(expected, 12)
    expect(trajectoryDistance(z, ref, "max-rel")).toBeCloseTo(1, 12)
  })

  it("is NaN with nothing in common", () => {
    expect(
      trajectoryDistance(
        [],
        rows((k) => k + 1, ks)
      )
    ).toBeNaN()
    expect(
      trajectoryDistance(
        rows((k) => k + 1, [1, 2]),
        rows((k) => k + 1, [5, 6])
      )
    ).toBeNaN()
  })
})
