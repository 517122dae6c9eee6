import { describe, expect, it } from "vitest"
import { initDistance, teacherDistance, teacherUnits } from "../src/index.js"

describe("feature-learning distances", () => {
  const teacher = {
    d: 2,
    width: 2,
    weights: Float64Array.from([1, 0, 0, 1]),
    bias: Float64Array.from([0, 0]),
    output: Float64Array.from([1, 1])
  }
  const tu = teacherUnits(teacher) // rows (1, 0, 0), (0, 1, 0)

  it("lays out the teacher's units with their biases", () => {
    expect([...teacherUnits({ ...teacher, bias: Float64Array.from([5, 6]) })]).toEqual([1, 0, 5, 0, 1, 6])
    expect([...teacherUnits(teacher, false)]).toEqual([1, 0, 0, 1])
  })

  it("is 0 for units along teacher units, whatever their norm", () => {
    const u = Float64Array.from([3, 0, 0, 0, 0.5, 0])
    expect(teacherDistance(tu, u, Float64Array.from([1, -2]))).toBeCloseTo(0, 15)
  })

  it("weights each unit by |v_i| ‖u_i‖", () => {
    // unit 1 along teacher 1 (distance 0), unit 2 orthogonal to both teacher units (distance 1)
    const u = Float64Array.from([1, 0, 0, 0, 0, 2])
    expect(teacherDistance(tu, u, Float64Array.from([1, 1]))).toBeCloseTo(2 / 3, 15)
    expect(teacherDistance(tu, u, Float64Array.from([3, 0.5]))).toBeCloseTo(1 / 4, 15)
    // v = 0 (initialisation): uniform weights
    expect(teacherDistance(tu, u, new Float64Array(2))).toBeCloseTo(1 / 2, 15)
  })

  it("measures the turn away from the initial directions", () => {
    const u0 = Float64Array.from([1, 0, 0, 0, 1, 0])
    expect(initDistance(u0, u0, Float64Array.from([1, 1]))).toBe(0)
    // unit 1 scaled (no turn), unit 2 reversed (distance 2): masses 2·1 and 1·1
    const u = Float64Array.from([2, 0, 0, 0, -1, 0])
    expect(initDistance(u, u0, Float64Array.from([1, 1]))).toBeCloseTo((2 * 0 + 1 * 2) / 3, 15)
    expect(() => initDistance(u, u0.subarray(0, 3), Float64Array.from([1, 1]))).toThrow(RangeError)
  })
})
