import { describe, expect, it } from "vitest"
import { logScheduleUpTo, onLogSchedule } from "../src/index.js"

describe("the recording schedule", () => {
  it("records every step up to 10, then about 20 per decade", () => {
    const grid = logScheduleUpTo(100000)
    expect(grid.slice(0, 11)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    const decade = (lo: number, hi: number) => grid.filter((i) => i > lo && i <= hi).length
    expect(decade(1000, 10000)).toBe(20)
    expect(decade(10000, 100000)).toBe(20)
    expect(decade(10, 100)).toBeGreaterThanOrEqual(18) // rounding merges a few at small iterations
    expect(grid).toContain(100)
    expect(grid).toContain(1000)
  })

  it("onLogSchedule agrees with the grid", () => {
    const grid = new Set(logScheduleUpTo(5000))
    for (let i = 0; i <= 5000; i++) expect(onLogSchedule(i)).toBe(grid.has(i))
  })

  it("a sparser grid is a subset of the denser one with a multiple of its density", () => {
    const sparse = logScheduleUpTo(10000, 5)
    const dense = new Set(logScheduleUpTo(10000, 20))
    for (const i of sparse) expect(dense.has(i)).toBe(true)
    expect(logScheduleUpTo(10000, 5).filter((i) => i > 1000).length).toBe(5)
  })
})
