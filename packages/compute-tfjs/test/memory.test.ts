/**
 * Device memory: every tensor a binding creates is released by `dispose`, every call
 * releases its intermediates, and a call that fails midway leaks nothing.
 */
import { beforeAll, describe, expect, it } from "vitest"
import { inProcessBackend, type TfjsComputeBackend } from "../src/backend.js"
import { initEngine } from "../src/engines.js"
import { loadTf } from "../src/tf.js"
import { allPrimitives, uniform } from "./helpers.js"

const n = 30
const m = 50
const dim = 11
let backend: TfjsComputeBackend

beforeAll(async () => {
  const tf = await loadTf()
  const engine = await initEngine(tf, "wasm")
  backend = inProcessBackend(tf, "wasm", engine.engineName, engine.details)
})

describe("tfjs device memory", () => {
  it("a binding holds X̃, Φ and Ψ, K once a Gram matrix needs it, and dispose releases them", () => {
    const base = backend.numTensors()
    const k = backend.bind(uniform(n * dim, 1), n, dim, "silu")
    k.setHidden(uniform(m * dim, 2))
    expect(backend.numTensors()).toBe(base + 3)
    // GD never assembles A, RF's last-layer Gram has b = 0: neither makes K (N × N)
    k.phiTMul(uniform(n, 5))
    k.gram(uniform(m, 6), new Float64Array(m))
    expect(backend.numTensors()).toBe(base + 3)
    k.gram(uniform(m, 6), uniform(m, 7))
    expect(backend.numTensors()).toBe(base + 4)
    // primitives and repeated setHidden leave nothing behind
    for (let i = 0; i < 3; i++) {
      allPrimitives(k, m, dim, i)
      k.setHidden(uniform(m * dim, 3 + i))
      backend.featureMatVec(uniform(n * dim, 9), n, dim, uniform(m * dim, 2), m, uniform(m, 4), "silu")
    }
    expect(backend.numTensors()).toBe(base + 4)
    k.dispose()
    expect(backend.numTensors()).toBe(base)
  })

  it("a call that fails on the device releases what it created", () => {
    const base = backend.numTensors()
    const k = backend.bind(uniform(n * dim, 1), n, dim, "tanh")
    k.setHidden(uniform(m * dim, 2))
    // inputs of the wrong length make tfjs throw halfway through each program
    expect(() => k.phiMul(new Float64Array(m + 1))).toThrow()
    expect(() => k.psiXMul(new Float64Array(m), new Float64Array(3))).toThrow()
    expect(() => k.gram(new Float64Array(m), new Float64Array(m + 2).fill(1))).toThrow()
    expect(() => k.setHidden(new Float64Array(m * dim + 1))).toThrow()
    expect(backend.numTensors()).toBe(base + 4)
    k.dispose()
    expect(backend.numTensors()).toBe(base)
  })
})
