/** The shared damped GN solve: one factorization rule, one failure, used by GN, RF and the flows. */
import { teacherStudent } from "@gnlab/data-gen"
import { finiteWidth, initParams } from "@gnlab/models"
import { Rng } from "@gnlab/data-gen"
import { describe, expect, it } from "vitest"
import { factorDamped, rf, SingularSystem, trainSteps } from "../src/index.js"
import { problemOf } from "./helpers.js"

describe("factorDamped", () => {
  it("solves (A + εI) z = g with the ε asked for when A + εI is positive definite", () => {
    const a = Float64Array.of(4, 1, 1, 3)
    const f = factorDamped(a, 2, 0.5, "test")
    expect(f.eps).toBe(0.5)
    const z = f.solve(Float64Array.of(1, 2))
    // (A + 0.5 I) z = g
    expect(4.5 * z[0] + z[1]).toBeCloseTo(1, 14)
    expect(z[0] + 3.5 * z[1]).toBeCloseTo(2, 14)
  })

  it("raises ε to A's rounding level for a singular A (ε = 0), never far above it", () => {
    const a = Float64Array.of(1, 1, 1, 1) // rank 1
    const f = factorDamped(a, 2, 0, "test")
    expect(f.eps).toBeGreaterThan(0)
    expect(f.eps).toBeLessThan(1e-10)
  })

  it("throws the tagged SingularSystem when no ε works, or when ε must stay exact (a flow's)", () => {
    const bad = Float64Array.of(NaN, 0, 0, 1)
    expect(() => factorDamped(bad, 2, 1e-3, "test")).toThrow(SingularSystem)
    try {
      factorDamped(Float64Array.of(1, 1, 1, 1), 2, 0, "gn-flow", { exact: true })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(SingularSystem)
      expect((e as SingularSystem).message).toMatch(/gn-flow: .*not positive definite/)
    }
  })
})

describe("random features on duplicate points with ε0 = 0", () => {
  it("interpolates instead of failing: K + εI is factored with ε raised within rounding", () => {
    const data = teacherStudent({ seed: 1, nTrain: 8, nTest: 10 })
    // every train point twice: K is singular (rank ≤ 8 < 16)
    const d = data.d
    const x = new Float64Array(16 * d)
    const y = new Float64Array(16)
    for (let i = 0; i < 16; i++) {
      x.set(data.xTrain.subarray((i % 8) * d, ((i % 8) + 1) * d), i * d)
      y[i] = data.yTrain[i % 8]
    }
    const dup = { ...data, nTrain: 16, xTrain: x, yTrain: y }
    const net = finiteWidth({ width: 50, inputDim: d, bias: true, activation: "silu" })
    const rng = Rng.stream(1, "init")
    const params0 = initParams(net, 1, (k) => rng.normals(k))
    const problem = problemOf(net, dup)
    const m = rf({ lr: 100, damping: { rule: "max-sigma-min", eps0: 0 }, relCutoff: 1e-10 })
    const s0 = m.init(problem, params0)
    const events = [...trainSteps(m, problem, s0, s0.loss, { tol: 1e-8, maxIter: 20, divergenceFactor: 1e6 })]
    const last = events[events.length - 1]
    expect(last.stop).not.toBe("failed")
    expect(last.state.loss).toBeLessThan(1e-6 * s0.loss)
  })
})
