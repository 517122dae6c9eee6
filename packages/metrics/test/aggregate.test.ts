import { describe, expect, it } from "vitest"
import { aggregateTrajectories, interpolateAt, logScheduleUpTo } from "../src/index.js"

describe("trajectories over seeds", () => {
  it("interpolates in log-iteration and log-value between recorded rows", () => {
    const s = [
      { iter: 10, value: 1 },
      { iter: 1000, value: 1e-4 }
    ]
    // halfway in log10(iter) → halfway in log10(value)
    expect(interpolateAt(s, 100, true)).toBeCloseTo(1e-2, 14)
    expect(interpolateAt(s, 100, false)).toBeCloseTo(0.5 * (1 + 1e-4), 14)
    expect(interpolateAt(s, 10, true)).toBe(1)
    expect(interpolateAt(s, 5, true)).toBeUndefined()
    expect(interpolateAt(s, 1001, true)).toBeUndefined()
  })

  it("aligns seeds recorded on the shared log grid and stops each at its last row", () => {
    // loss_s(k) = c_s / (k + 1), recorded on the grid up to different last iterations
    const seed = (c: number, last: number) =>
      [...logScheduleUpTo(last), last].map((iter) => ({ iter, value: c / (iter + 1) }))
    const band = aggregateTrajectories([seed(1, 500), seed(4, 730)], true, { carryForward: false })
    const at = (k: number) => band.find((p) => p.iter === k)!
    // on the grid: the geometric mean of c/(k+1) is 2/(k+1)
    expect(at(100).n).toBe(2)
    expect(at(100).center).toBeCloseTo(2 / 101, 14)
    expect(at(100).lo!).toBeLessThan(at(100).center)
    // 500 is seed 1's last row and not on the grid: seed 2 is interpolated there
    expect(at(500).n).toBe(2)
    expect(at(500).center).toBeGreaterThan(0)
    // after seed 1 stops only seed 2 remains: no band
    expect(at(730).n).toBe(1)
    expect(at(730).center).toBeCloseTo(4 / 731, 14)
    expect(at(730).lo).toBeNull()
  })

  it("holds a stopped run at its last value by default, so the mean does not jump", () => {
    const a = [
      { iter: 1, value: 1 },
      { iter: 10, value: 1e-2 }
    ]
    const b = [
      { iter: 1, value: 1 },
      { iter: 20, value: 1e-4 }
    ]
    const held = aggregateTrajectories([a, b], true)
    const at = (k: number) => held.find((p) => p.iter === k)!
    expect(at(20).n).toBe(2)
    expect(at(20).center).toBeCloseTo(Math.sqrt(1e-2 * 1e-4), 14)
    const dropped = aggregateTrajectories([a, b], true, { carryForward: false })
    expect(dropped.find((p) => p.iter === 20)!.n).toBe(1)
  })

  it("skips nulls (test loss off its schedule, σ* of GD) and non-finite values", () => {
    const band = aggregateTrajectories(
      [
        [
          { iter: 0, value: null },
          { iter: 1, value: 2 },
          { iter: 2, value: NaN },
          { iter: 3, value: 8 }
        ]
      ],
      true
    )
    expect(band.map((p) => p.iter)).toEqual([1, 3])
    expect(aggregateTrajectories([[{ iter: 0, value: null }]], true)).toEqual([])
  })
})
