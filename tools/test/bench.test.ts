import { describe, expect, it } from "vitest"
import { timeSize } from "../src/index.js"

describe("the step benchmark", () => {
  it("measures every figure at a small size", () => {
    const r = timeSize(40, 60, 1)
    for (const k of ["gnStepSeconds", "gdStepSeconds", "gramSeconds", "gramGflops", "gnOverGd"] as const) {
      expect(Number.isFinite(r[k])).toBe(true)
      expect(r[k]).toBeGreaterThan(0)
    }
    expect([r.N, r.M, r.d]).toEqual([40, 60, 10])
  })
})
