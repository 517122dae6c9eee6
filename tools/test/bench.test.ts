import { openVariant } from "@gnlab/compute-tfjs"
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
    expect(r.backend).toBe("cpu")
  })

  it("measures a tfjs backend and releases its tensors", async () => {
    const b = await openVariant("wasm")
    const base = b.numTensors()
    const r = timeSize(40, 60, 1, b)
    expect(r.backend).toBe("tfjs:wasm")
    expect(r.gnStepSeconds).toBeGreaterThan(0)
    expect(b.numTensors()).toBe(base)
    await b.close()
  })
})
