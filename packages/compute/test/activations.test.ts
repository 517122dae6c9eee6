import { describe, expect, it } from "vitest"
import { activationIds, activations } from "../src/index.js"

describe("activations", () => {
  it("σ′ matches central differences of σ for every activation", () => {
    for (const id of activationIds) {
      const a = activations[id]
      for (let z = -6.05; z <= 6; z += 0.1) {
        const h = 1e-6
        const fd = (a.value(z + h) - a.value(z - h)) / (2 * h)
        expect(Math.abs(a.derivative(z) - fd)).toBeLessThan(1e-8)
      }
    }
  })

  it("known values", () => {
    expect(activations.silu.value(1)).toBeCloseTo(1 / (1 + Math.exp(-1)), 15)
    expect(activations.relu.value(-2)).toBe(0)
    expect(activations.gelu.value(1)).toBeCloseTo(0.8413447460685429, 15) // 1 · Φ(1)
    expect(activations.tanh.derivative(0)).toBe(1)
  })

  it("no overflow at extreme pre-activations", () => {
    for (const id of activationIds)
      for (const z of [-800, 800]) {
        expect(Number.isFinite(activations[id].value(z))).toBe(true)
        expect(Number.isFinite(activations[id].derivative(z))).toBe(true)
      }
    expect(activations.silu.value(-800)).toBe(-0)
  })
})
