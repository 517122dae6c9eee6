/**
 * The float32 device kernels against the float64 CPU backend, on the tfjs wasm and cpu
 * backends, for every activation.
 *
 * Tolerance: every entry is a sum of at most max(M, N·D) products of float32-rounded factors
 * (inputs, weights and σ, σ′ each rounded once, u = 2⁻²⁴ ≈ 6e-8), so its error is at most
 * ~(k + 3)·u·Σ|terms| with k the accumulation depth; tfjs accumulates in blocks, and the
 * measured max-norm error is ≤ 3e-7 of the largest entry. 1e-5 leaves room for unlucky
 * cancellation while any wrong index, transpose or derivative gives errors of order 1.
 */
import { activationIds, cpuBackend } from "@gnlab/compute"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { inProcessBackend, type TfjsComputeBackend } from "../src/backend.js"
import { FEATURE_ROW_BLOCK } from "../src/device.js"
import { initEngine } from "../src/engines.js"
import { loadTf } from "../src/tf.js"
import { allPrimitives, relMaxError, uniform } from "./helpers.js"

const TOL = 1e-5
const n = 40
const m = 70
const dim = 11

const backends: Record<"wasm" | "cpu", TfjsComputeBackend> = {} as never

beforeAll(async () => {
  const tf = await loadTf()
  for (const variant of ["wasm", "cpu"] as const) {
    const engine = await initEngine(tf, variant)
    backends[variant] = inProcessBackend(tf, variant, engine.engineName, engine.details)
  }
})

afterAll(() => {
  for (const b of Object.values(backends)) expect(b.numTensors()).toBe(0)
})

describe.each(["wasm", "cpu"] as const)("tfjs:%s feature kernels", (variant) => {
  it.each(activationIds)("agree with the float64 CPU backend (%s)", (activation) => {
    const b = backends[variant]
    const x = uniform(n * dim, 11)
    const u = uniform(m * dim, 12).map((v) => 1.5 * v)
    const ref = cpuBackend.bind(x, n, dim, activation)
    const dev = b.bind(x, n, dim, activation)
    try {
      ref.setHidden(u)
      dev.setHidden(u)
      expect(dev.m).toBe(m)
      const want = allPrimitives(ref, m, dim, 20)
      const got = allPrimitives(dev, m, dim, 20)
      for (const key of Object.keys(want) as (keyof typeof want)[])
        expect(relMaxError(want[key], got[key]), key).toBeLessThan(TOL)
      const y = cpuBackend.featureMatVec(x, n, dim, u, m, uniform(m, 5), activation)
      expect(relMaxError(y, b.featureMatVec(x, n, dim, u, m, uniform(m, 5), activation))).toBeLessThan(TOL)
    } finally {
      dev.dispose()
    }
  })

  it("returns an exactly symmetric Gram matrix", () => {
    const dev = backends[variant].bind(uniform(n * dim, 3), n, dim, "silu")
    dev.setHidden(uniform(m * dim, 4))
    const g = dev.gram(uniform(m, 5).map(Math.abs), uniform(m, 6).map(Math.abs))
    for (let p = 0; p < n; p++) for (let q = 0; q < p; q++) expect(g[p * n + q]).toBe(g[q * n + p])
    dev.dispose()
  })

  it("evaluates inputs longer than one row block", () => {
    const big = FEATURE_ROW_BLOCK + 37
    const x = uniform(big * dim, 7)
    const u = uniform(5 * dim, 8)
    const c = uniform(5, 9)
    const want = cpuBackend.featureMatVec(x, big, dim, u, 5, c, "tanh")
    const got = backends[variant].featureMatVec(x, big, dim, u, 5, c, "tanh")
    expect(got.length).toBe(big)
    expect(relMaxError(want, got)).toBeLessThan(TOL)
  })

  it("follows setHidden to new weights and widths", () => {
    const x = uniform(n * dim, 1)
    const ref = cpuBackend.bind(x, n, dim, "gelu")
    const dev = backends[variant].bind(x, n, dim, "gelu")
    for (const [width, seed] of [
      [m, 2],
      [m, 3],
      [13, 4]
    ]) {
      const u = uniform(width * dim, seed)
      ref.setHidden(u)
      dev.setHidden(u)
      const c = uniform(width, seed + 10)
      expect(dev.m).toBe(width)
      expect(relMaxError(ref.phiMul(c), dev.phiMul(c))).toBeLessThan(TOL)
    }
    dev.dispose()
  })

  it("refuses features before setHidden and any use after dispose", () => {
    const dev = backends[variant].bind(uniform(n * dim, 1), n, dim, "relu")
    expect(() => dev.phiMul(new Float64Array(m))).toThrow(/setHidden/)
    dev.setHidden(uniform(m * dim, 2))
    dev.dispose()
    dev.dispose()
    expect(() => dev.setHidden(uniform(m * dim, 2))).toThrow(/dispose/)
  })
})
