/** The continuous-time flows: Prop. 3's rate, discrete GN/GD → flow as λ → 0, a_t, blow-up. */
import { symmetricEigen } from "@gnlab/compute"
import { ntkGram, paramDistance, type Params } from "@gnlab/models"
import { describe, expect, it } from "vitest"
import {
  defaultFlowMuH,
  flowTimeGrid,
  gd,
  gn,
  gnFlow,
  gradientFlow,
  isFlowState,
  pseudoInverseNorm,
  trainSteps,
  type FlowState,
  type Method,
  type Problem
} from "../src/index.js"
import { problemOf, seededSetup } from "./helpers.js"

const tight = { rtol: 1e-9, atol: 1e-12 }

/** Every state of a flow run to the end of its grid (tol off). */
function runFlow(method: Method<FlowState>, problem: Problem, params0: Params, n: number) {
  const s0 = method.init(problem, params0)
  return [...trainSteps(method, problem, s0, s0.loss, { tol: 0, maxIter: n, divergenceFactor: 1e6 })]
}

describe("output grid", () => {
  it("is log-spaced below t_end, ends at t_end and scales with it", () => {
    const g = flowTimeGrid(8, 10, 3)
    expect(g.length).toBe(31)
    expect(g[30]).toBe(8)
    expect(g[0]).toBeCloseTo(8e-3, 15)
    for (let k = 1; k < g.length; k++) expect(g[k] / g[k - 1]).toBeCloseTo(10 ** 0.1, 12)
    expect(flowTimeGrid(8 / 32, 10, 3)).toEqual(g.map((t) => t / 32))
    expect(() => flowTimeGrid(0)).toThrow(RangeError)
  })
})

describe("pinvNorm a = ‖J†‖_F = sqrt(trace A⁻¹)", () => {
  it("equals sqrt(Σ 1/λ_i) of the eigenvalues, and ∞ for a singular A", () => {
    const { data, net, params0 } = seededSetup(2, 12, 30, 1, 10)
    const problem = problemOf(net, data)
    const m = gnFlow({ times: [0.5], damping: { rule: "theory", eta: 0.5, muH: 1 / 12 }, hessian: "loss" })
    const s = m.step(problem, m.init(problem, params0)).state
    // A at the state's parameters (the state leaves their features bound)
    const gram = ntkGram(problem.kernels, net, s.params)
    const { values } = symmetricEigen(gram, 12)
    const want = Math.sqrt(values.reduce((acc, l) => acc + 1 / l, 0))
    expect(Math.abs(pseudoInverseNorm(gram, 12) - want) / want).toBeLessThan(1e-10)
    expect(Math.abs(s.pinvNorm - want) / want).toBeLessThan(1e-10)
    expect(s.system.sigmaMin).toBeCloseTo(values[0], 12)
    const singular = Float64Array.of(1, 1, 1, 1)
    expect(pseudoInverseNorm(singular, 2)).toBe(Infinity)
  })
})

describe("Proposition 3 along the GN flow (H = ∇²L = I/N, ε = ((1−η)/η) μ_H σ*, μ_H = 1/N)", () => {
  const n = 20
  const times = flowTimeGrid(8, 10, 3)
  const worst: string[] = []
  for (const initStd of [0.5, 1, 5])
    for (const eta of [0.25, 0.5, 0.9])
      it(`L(t) ≤ L(0) e^{−2ηt} and ‖∇L(f_t)‖ ≤ ‖∇L(f_0)‖ e^{−ηt}: τ0 = ${initStd}, η = ${eta}`, () => {
        const { data, net, params0 } = seededSetup(3, n, 40, initStd, 10)
        const problem = problemOf(net, data)
        const method = gnFlow({
          times,
          damping: { rule: "theory", eta, muH: defaultFlowMuH("loss", n) },
          hessian: "loss",
          ode: tight
        })
        const events = runFlow(method, problem, params0, times.length)
        const s0 = events[0].state
        const g0 = Math.hypot(...s0.residual) / n
        let ratio = 0
        for (const { state } of events.slice(1)) {
          ratio = Math.max(ratio, state.loss / (s0.loss * Math.exp(-2 * eta * state.t)))
          expect(Math.hypot(...state.residual) / n).toBeLessThanOrEqual(
            g0 * Math.exp(-eta * state.t) * (1 + 1e-7)
          )
          // a_t and ‖w_t − w_0‖ are recorded and finite
          expect(Number.isFinite(state.pinvNorm) && state.pinvNorm > 0).toBe(true)
        }
        worst.push(`τ0=${initStd} η=${eta}: ${ratio.toFixed(6)}`)
        expect(ratio).toBeLessThanOrEqual(1 + 1e-7)
        const last = events[events.length - 1]
        expect(last.stop).toBe("maxIter")
        expect(last.state.t).toBe(8)
        if (initStd === 5 && eta === 0.9)
          console.log(`worst L(t)/(L(0)e^{−2ηt}) per case: ${worst.join("; ")}`)
      })

  it("fails with the discrete GN's μ_H = 1 (c = N·((1−η)/η)σ*: the rate drops to 2η/(1 + N(1−η)/η))", () => {
    const { data, net, params0 } = seededSetup(3, n, 40, 1, 10)
    const problem = problemOf(net, data)
    const method = gnFlow({
      times,
      damping: { rule: "theory", eta: 0.5, muH: 1 },
      hessian: "loss",
      ode: tight
    })
    const events = runFlow(method, problem, params0, times.length)
    const s0 = events[0].state
    const ratio = Math.max(...events.slice(1).map(({ state }) => state.loss / (s0.loss * Math.exp(-state.t))))
    expect(ratio).toBeGreaterThan(10)
  })

  it("H = I with μ_H = 1 gives the rate 2η/N: L(t) ≤ L(0) e^{−2ηt/N}", () => {
    const { data, net, params0 } = seededSetup(3, n, 40, 1, 10)
    const problem = problemOf(net, data)
    const grid = flowTimeGrid(8 * n, 10, 2)
    const method = gnFlow({
      times: grid,
      damping: { rule: "theory", eta: 0.5, muH: defaultFlowMuH("identity", n) },
      hessian: "identity",
      ode: tight
    })
    const events = runFlow(method, problem, params0, grid.length)
    const s0 = events[0].state
    for (const { state } of events.slice(1))
      expect(state.loss).toBeLessThanOrEqual(s0.loss * Math.exp((-2 * 0.5 * state.t) / n) * (1 + 1e-7))
  })
})

describe("discrete methods approach the flows as the step shrinks", () => {
  it("GN with step λ and ε_d = N ε is Euler on the H = I/N flow with Δt = λ/N: error O(λ)", () => {
    const n = 20
    const eta = 0.5
    const tEnd = 1
    const { data, net, params0 } = seededSetup(4, n, 40, 1, 10)
    const problem = problemOf(net, data)
    const flow = gnFlow({
      times: [tEnd],
      damping: { rule: "theory", eta, muH: 1 / n },
      hessian: "loss",
      ode: { rtol: 1e-11, atol: 1e-14 }
    })
    const exact = flow.step(problem, flow.init(problem, params0)).state
    const errs = [0.1, 0.05, 0.025, 0.0125].map((dt) => {
      // discrete theory damping with μ_H = 1 is N × the flow's ε with μ_H = 1/N
      const m = gn({ lr: n * dt, damping: { rule: "theory", eta, muH: 1 } })
      let s = m.init(problem, params0)
      for (let k = 0; k < Math.round(tEnd / dt); k++) s = m.step(problem, s).state
      return {
        dt,
        w: paramDistance(net, s.params, exact.params),
        loss: Math.abs(s.loss - exact.loss) / exact.loss
      }
    })
    console.log(
      `GN (λ = N Δt, k = 1/Δt steps) vs GN flow at t = 1: ` +
        errs
          .map((e) => `Δt=${e.dt}: ‖w_k − w(1)‖ ${e.w.toExponential(3)}, |ΔL|/L ${e.loss.toExponential(3)}`)
          .join("; ")
    )
    for (let i = 1; i < errs.length; i++) {
      expect(errs[i].w).toBeLessThan(errs[i - 1].w)
      // first order: halving Δt halves the error
      expect(errs[i - 1].w / errs[i].w).toBeGreaterThan(1.7)
      expect(errs[i - 1].w / errs[i].w).toBeLessThan(2.3)
      expect(errs[i].loss).toBeLessThan(errs[i - 1].loss)
    }
  })

  it("GD with step λ is Euler on the gradient flow with Δt = λ: error O(λ)", () => {
    const { data, net, params0 } = seededSetup(4, 20, 40, 1, 10)
    const problem = problemOf(net, data)
    const tEnd = 400
    const flow = gradientFlow({ times: [tEnd], ode: { rtol: 1e-11, atol: 1e-14 } })
    const exact = flow.step(problem, flow.init(problem, params0)).state
    const errs = [10, 5, 2.5].map((lr) => {
      const m = gd({ lr })
      let s = m.init(problem, params0)
      for (let k = 0; k < Math.round(tEnd / lr); k++) s = m.step(problem, s).state
      return paramDistance(net, s.params, exact.params)
    })
    console.log(
      `GD (k = 400/λ steps) vs gradient flow at t = 400: ‖w_k − w(400)‖ for λ = 10, 5, 2.5: ${errs.map((e) => e.toExponential(3)).join(", ")}`
    )
    expect(errs[1]).toBeLessThan(errs[0] / 1.7)
    expect(errs[2]).toBeLessThan(errs[1] / 1.7)
  })
})

describe("flows in the generic loop", () => {
  it("iter counts output points, the state carries t, tol stops early, the gradient flow's loss never rises", () => {
    const { data, net, params0 } = seededSetup(5, 15, 30, 1, 10)
    const problem = problemOf(net, data)
    const times = flowTimeGrid(20, 5, 2)
    const m = gnFlow({ times, damping: { rule: "theory", eta: 0.5, muH: 1 / 15 }, hessian: "loss" })
    const s0 = m.init(problem, params0)
    const events = [
      ...trainSteps(m, problem, s0, s0.loss, { tol: 1e-4, maxIter: times.length, divergenceFactor: 1e6 })
    ]
    events.forEach((e, k) => {
      expect(e.state.iter).toBe(k)
      expect(isFlowState(e.state)).toBe(true)
      expect(e.state.t).toBe(k === 0 ? 0 : times[k - 1])
    })
    const last = events[events.length - 1]
    expect(last.stop).toBe("converged")
    expect(last.state.t).toBeLessThan(20)
    expect(last.diagnostics?.eps).toBeCloseTo(((1 - 0.5) / 0.5) * (1 / 15) * last.state.system.sigmaMin, 14)
    expect(last.diagnostics?.stepNorm).toBeCloseTo(
      paramDistance(net, last.state.params, events[events.length - 2].state.params),
      14
    )
    expect(() => m.step(problem, { ...last.state, iter: times.length })).toThrow(RangeError)

    const g = gradientFlow({ times: flowTimeGrid(500, 5, 2) })
    const ge = runFlow(g, problem, params0, 11)
    for (let k = 1; k < ge.length; k++) expect(ge[k].state.loss).toBeLessThan(ge[k - 1].state.loss)
    expect(ge[ge.length - 1].state.system.eps).toBeUndefined()
  })

  it("a flow that cannot start (A singular: N > M with v = 0) ends as failed with the reason, its loss kept", () => {
    // v = 0: A = Φ diag(ω²/g) Φᵀ has rank ≤ M < N, so ε = ((1−η)/η) μ_H σ* = 0 leaves A singular
    const { data, net, params0 } = seededSetup(6, 30, 10, 1, 10)
    const problem = problemOf(net, data)
    const m = gnFlow({ times: [1], damping: { rule: "theory", eta: 0.5, muH: 1 / 30 }, hessian: "loss" })
    const events = runFlow(m, problem, params0, 1)
    expect(events.length).toBe(1)
    // a numerical failure, not a divergence: the state is the initial one, its loss finite
    expect(events[0].stop).toBe("failed")
    expect(events[0].state.failure).toMatch(/not finite/)
    expect(Number.isFinite(events[0].state.loss)).toBe(true)
    expect(events[0].state.pinvNorm).toBe(Infinity)
  })
})
