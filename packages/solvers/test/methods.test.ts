import { cholesky, choleskySolve, pinvSolveSymmetric } from "@gnlab/compute"
import { forward, lastLayerGram } from "@gnlab/models"
import { describe, expect, it } from "vitest"
import {
  dampingMaxSigmaMin,
  dampingTheory,
  dampingValue,
  defaultDamping,
  gn,
  rf,
  trainSteps,
  type Problem
} from "../src/index.js"
import { methods, problemOf, runAll, seededSetup } from "./helpers.js"

const bits = (x: Float64Array): string => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("hex")

describe("GN on a model linear in its trainable weights", () => {
  it("with λ = N and ε → 0 reaches the least-squares solution in one step", () => {
    // v = 0 makes the hidden block of J vanish, so J = [0, Φ/M]: the model is linear in v
    // along this step; the GN step is v1 = v0 − λ J*(A + εI)⁻¹ (f − y)/N = J* A⁻¹ y for λ = N.
    const { data, net, params0 } = seededSetup(11, 20, 60, 1, 10)
    const problem = problemOf(net, data)
    const n = data.nTrain
    const method = gn({ lr: n, damping: { rule: "fixed", eps: 1e-14 } })
    const s0 = method.init(problem, params0)
    const { state } = method.step(problem, s0)
    // least squares in v with U frozen: min-norm interpolant (M > N), residual 0
    expect(state.loss).toBeLessThan(1e-18 * s0.loss + 1e-24)
    const k = lastLayerGram(problem.kernels, net)
    const sol = pinvSolveSymmetric(k, n, data.yTrain, 1e-14)
    const vStar = problem.kernels.phiTMul(sol.x).map((x) => x / net.spec.width)
    let err = 0
    for (let i = 0; i < vStar.length; i++) err = Math.max(err, Math.abs(state.params.v[i] - vStar[i]))
    expect(err / Math.max(...vStar.map(Math.abs))).toBeLessThan(1e-8)
    // U does not move: its Jacobian block is zero at v = 0
    expect(bits(state.params.u)).toBe(bits(params0.u))
  })
})

describe("GN least squares, overdetermined (N > M)", () => {
  it("with λ = N and ε → 0 one step gives the least-squares v of min ‖Φv/M − y‖", () => {
    const { data, net, params0 } = seededSetup(12, 60, 15, 1, 10)
    const problem = problemOf(net, data)
    const n = data.nTrain
    const m = net.spec.width
    // "ε → 0" in floating point: A has rank M < N, so the solve error is about u‖A‖/ε in the
    // null space plus the bias ε/σ₊; ε = 1e-9 balances the two here (≈ 1e-7 relative)
    const method = gn({ lr: n, damping: { rule: "fixed", eps: 1e-9 } })
    const { state } = method.step(problem, method.init(problem, params0))
    // normal equations (ΦᵀΦ/M²) v = Φᵀy/M, solved with the Cholesky of the compute package
    const phiCols: Float64Array[] = []
    for (let i = 0; i < m; i++) {
      const e = new Float64Array(m)
      e[i] = 1
      phiCols.push(problem.kernels.phiMul(e))
    }
    const g = new Float64Array(m * m)
    const rhs = new Float64Array(m)
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++)
        g[i * m + j] = phiCols[i].reduce((s, x, a) => s + x * phiCols[j][a], 0) / (m * m)
      rhs[i] = phiCols[i].reduce((s, x, a) => s + x * data.yTrain[a], 0) / m
    }
    const vLs = choleskySolve(cholesky(g, m)!, m, rhs)
    let err = 0
    for (let i = 0; i < m; i++) err = Math.max(err, Math.abs(state.params.v[i] - vLs[i]))
    expect(err / Math.max(...vLs.map(Math.abs))).toBeLessThan(1e-6)
  })
})

describe("RF", () => {
  it("interpolates its training set and its last layer is the pseudo-inverse's minimum-norm solution", () => {
    const { data, net, params0 } = seededSetup(5, 40, 200, 1, 10)
    const problem = problemOf(net, data)
    const { events, final } = runAll(methods.rf(), problem, params0, {
      tol: 1e-10,
      maxIter: 100,
      divergenceFactor: 1e6
    })
    expect(final.stop).toBe("converged")
    expect(final.state.loss).toBeLessThanOrEqual(1e-10 * events[0].state.loss)
    // hidden layer frozen
    expect(bits(final.state.params.u)).toBe(bits(params0.u))
    // min-norm: v lies in the row space of Φ (v = Φᵀ c for some c), equivalently v ⟂ null(Φ)
    const k = lastLayerGram(problem.kernels, net)
    const sol = pinvSolveSymmetric(k, data.nTrain, data.yTrain, 1e-10)
    const vMin = problem.kernels.phiTMul(sol.x).map((x) => x / net.spec.width)
    let err = 0
    for (let i = 0; i < vMin.length; i++) err = Math.max(err, Math.abs(final.state.params.v[i] - vMin[i]))
    expect(err / Math.max(...vMin.map(Math.abs))).toBeLessThan(1e-6)
    const f = forward(problem.kernels, net, final.state.params)
    expect(Math.max(...f.map((x, a) => Math.abs(x - data.yTrain[a])))).toBeLessThan(
      1e-4 * Math.max(...data.yTrain.map(Math.abs))
    )
  })

  it("the pinv interpolant alone is the row 1 and refinement steps only lower the loss", () => {
    const { data, net, params0 } = seededSetup(6, 30, 100, 1, 10)
    const problem = problemOf(net, data)
    const m = rf({ lr: 100, damping: defaultDamping, relCutoff: 1e-10 })
    const s0 = m.init(problem, params0)
    const s1 = m.step(problem, s0).state
    expect(s1.loss).toBeLessThan(s0.loss)
    expect(s1.factor).toBeDefined()
  })
})

describe("GN vs GD at N = 100, M = 500, τ0 = 1", () => {
  const { data, net, params0 } = seededSetup(1, 100, 500, 1, 10)
  it("GN reaches relative loss 1e-8 within 2 000 updates", () => {
    const { events, final } = runAll(methods.gn(), problemOf(net, data), params0, {
      tol: 1e-8,
      maxIter: 2000,
      divergenceFactor: 1e6
    })
    expect(final.stop).toBe("converged")
    expect(final.state.loss).toBeLessThanOrEqual(1e-8 * events[0].state.loss)
    expect(final.state.iter).toBeLessThan(2000)
  })
  it("GD does not within 2 000", () => {
    const { events, final } = runAll(methods.gd(), problemOf(net, data), params0, {
      tol: 1e-8,
      maxIter: 2000,
      divergenceFactor: 1e6
    })
    expect(final.stop).toBe("maxIter")
    expect(final.state.iter).toBe(2000)
    expect(final.state.loss).toBeGreaterThan(1e-8 * events[0].state.loss)
  })
})

describe("reproducibility", () => {
  const losses = (seed: number, width: number) => {
    const { data, net, params0 } = seededSetup(seed, 30, width, 1, 10)
    return runAll(methods.gn(), problemOf(net, data), params0, {
      tol: 0,
      maxIter: 15,
      divergenceFactor: 1e6
    }).events.map((e) => e.state.loss)
  }
  it("the same seed gives bit-identical trajectories; another seed differs", () => {
    const a = Float64Array.from(losses(1, 50))
    expect(bits(a)).toBe(bits(Float64Array.from(losses(1, 50))))
    expect(bits(a)).not.toBe(bits(Float64Array.from(losses(2, 50))))
  })
  it("the data of a seed are the same for two widths", () => {
    const a = seededSetup(1, 30, 50, 1, 10)
    const b = seededSetup(1, 30, 80, 5, 10)
    expect(bits(a.data.xTrain) + bits(a.data.yTrain) + bits(a.data.yTest)).toBe(
      bits(b.data.xTrain) + bits(b.data.yTrain) + bits(b.data.yTest)
    )
  })
})

describe("stopping and divergence", () => {
  it("a diverging GD run ends with status diverged and keeps its trajectory", () => {
    const { data, net, params0 } = seededSetup(1, 30, 50, 1, 10)
    const { events, final } = runAll(methods.gd(1e6), problemOf(net, data), params0, {
      tol: 1e-8,
      maxIter: 100,
      divergenceFactor: 1e6
    })
    expect(final.stop).toBe("diverged")
    expect(events.length).toBe(final.state.iter + 1)
    expect(events.length).toBeGreaterThan(1)
  })
  it("maxIter 0 applies no update; resuming from a state continues the same trajectory", () => {
    const { data, net, params0 } = seededSetup(1, 30, 50, 1, 10)
    const problem: Problem = problemOf(net, data)
    const m = methods.gd()
    const s0 = m.init(problem, params0)
    expect(
      [...trainSteps(m, problem, s0, s0.loss, { tol: 0, maxIter: 0, divergenceFactor: 1e6 })].length
    ).toBe(1)
    const straight = runAll(m, problem, params0, { tol: 0, maxIter: 20, divergenceFactor: 1e6 }).final.state
    const half = runAll(m, problem, params0, { tol: 0, maxIter: 10, divergenceFactor: 1e6 }).final.state
    problem.kernels.setHidden(half.params.u)
    const resumed = [
      ...trainSteps(m, problem, half, s0.loss, { tol: 0, maxIter: 20, divergenceFactor: 1e6 })
    ].pop()!.state
    expect(bits(resumed.params.v)).toBe(bits(straight.params.v))
  })
})

describe("damping rules", () => {
  it("compute the documented formulas", () => {
    expect(dampingMaxSigmaMin(1e-9, 1e-7)).toBe(1e-7)
    expect(dampingMaxSigmaMin(1e-3, 1e-7)).toBe(1e-3)
    expect(dampingTheory(2, 0.5, 0.1)).toBeCloseTo(0.2, 15)
    expect(dampingTheory(2, 0.8, 1)).toBeCloseTo(0.5, 15)
    expect(dampingValue({ rule: "fixed", eps: 3 }, 100)).toBe(3)
  })
  it("GN with the theory's damping converges on a small problem", () => {
    const { data, net, params0 } = seededSetup(3, 20, 80, 1, 10)
    const m = gn({ lr: 1, damping: { rule: "theory", eta: 0.5, muH: 1 } })
    const { events, final } = runAll(m, problemOf(net, data), params0, {
      tol: 1e-6,
      maxIter: 500,
      divergenceFactor: 1e6
    })
    expect(final.stop).toBe("converged")
    expect(final.state.loss).toBeLessThan(1e-6 * events[0].state.loss)
  })
})
