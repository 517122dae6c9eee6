/**
 * The mean-field network with Monte Carlo weights ω = 1/M reproduces the finite-width network
 * (models/src/mean-field.ts): on the same particles A_mf = M A_fin and J*_mf = M J*_fin, so
 * GD needs λ_mf = λ_fin/M, GN ε_mf = M ε_fin (same λ), the gradient flow t_mf = t_fin/M and
 * the GN flow nothing (theory damping); distances and a_t shrink by √M, σ* and ε grow by M.
 */
import { Rng, teacherStudent } from "@gnlab/data-gen"
import { finiteWidth, meanField, monteCarlo, paramDistance, type NetworkSpec } from "@gnlab/models"
import { describe, expect, it } from "vitest"
import {
  flowTimeGrid,
  gd,
  gn,
  gnFlow,
  gradientFlow,
  gradientFlowRosenbrock,
  trainSteps,
  type Method,
  type TrainState
} from "../src/index.js"
import { problemOf } from "./helpers.js"

const m = 32 // a power of 2: the rescalings are exact in floating point
const spec: NetworkSpec = { width: m, inputDim: 10, bias: true, activation: "silu" }
const data = teacherStudent({ seed: 8, nTrain: 16, nTest: 10 })
const mf = meanField(spec, monteCarlo, 1, Rng.stream(8, "init"))
const fin = finiteWidth(spec)

/** Both runs' states; the finite one starts from the mean-field particles. */
function both<S extends TrainState>(methodMf: Method<S>, methodFin: Method<S>, steps: number) {
  const run = <T extends TrainState>(method: Method<T>, net: typeof fin) => {
    const problem = problemOf(net, data)
    const s0 = method.init(problem, mf.params0)
    return [...trainSteps(method, problem, s0, s0.loss, { tol: 0, maxIter: steps, divergenceFactor: 1e6 })]
  }
  return { a: run(methodMf, mf.net), b: run(methodFin, fin) }
}

const relDiff = (x: Float64Array, y: Float64Array): number => {
  let e = 0
  let s = 0
  for (let i = 0; i < x.length; i++) {
    e = Math.max(e, Math.abs(x[i] - y[i]))
    s = Math.max(s, Math.abs(y[i]))
  }
  return e / s
}

function expectSameTrajectory(r: ReturnType<typeof both>, tol: number, checkSystem: boolean) {
  expect(r.a.length).toBe(r.b.length)
  for (let k = 0; k < r.a.length; k++) {
    const [x, y] = [r.a[k], r.b[k]]
    expect(Math.abs(x.state.loss - y.state.loss) / y.state.loss).toBeLessThanOrEqual(tol)
    expect(relDiff(x.state.params.u, y.state.params.u)).toBeLessThanOrEqual(tol)
    if (k > 0) expect(relDiff(x.state.params.v, y.state.params.v)).toBeLessThanOrEqual(tol)
    // distances in the metric g = 1/M are the finite ones / √M
    const dMf = paramDistance(mf.net, x.state.params, x.state.params0)
    const dFin = paramDistance(fin, y.state.params, y.state.params0)
    expect(Math.abs(dMf * Math.sqrt(m) - dFin)).toBeLessThanOrEqual(tol * Math.max(dFin, 1e-300) + 1e-300)
    if (checkSystem && k > 0) {
      const [dx, dy] = [x.diagnostics!, y.diagnostics!]
      expect(Math.abs(dx.sigmaMin! / m - dy.sigmaMin!) / dy.sigmaMin!).toBeLessThanOrEqual(1e3 * tol + 1e-9)
      expect(Math.abs(dx.eps! / m - dy.eps!) / dy.eps!).toBeLessThanOrEqual(1e3 * tol + 1e-9)
    }
  }
}

describe("mean-field with Monte Carlo weights = finite width, after rescaling", () => {
  it("GN: same λ, ε0_mf = M ε0_fin (max-sigma-min)", () => {
    const r = both(
      gn({ lr: 10, damping: { rule: "max-sigma-min", eps0: m * 1e-7 } }),
      gn({ lr: 10, damping: { rule: "max-sigma-min", eps0: 1e-7 } }),
      15
    )
    expectSameTrajectory(r, 1e-12, true)
  })

  it("GN: fixed ε_mf = M ε_fin", () => {
    const r = both(
      gn({ lr: 5, damping: { rule: "fixed", eps: m * 1e-4 } }),
      gn({ lr: 5, damping: { rule: "fixed", eps: 1e-4 } }),
      10
    )
    expectSameTrajectory(r, 1e-12, false)
  })

  it("GD: λ_mf = λ_fin / M", () => {
    const r = both(gd({ lr: 10 / m }), gd({ lr: 10 }), 50)
    expectSameTrajectory(r, 1e-12, false)
    // without the rescaling the runs differ
    const wrong = both(gd({ lr: 10 }), gd({ lr: 10 }), 1)
    expect(Math.abs(wrong.a[1].state.loss - wrong.b[1].state.loss) / wrong.b[1].state.loss).toBeGreaterThan(
      1e-3
    )
  })

  it("GN flow with the theory's damping: the same trajectory at the same t; a_t is the finite one / √M", () => {
    const times = flowTimeGrid(4, 5, 2)
    const opts = { times, damping: { rule: "theory", eta: 0.5, muH: 1 / 16 }, hessian: "loss" } as const
    const r = both(gnFlow(opts), gnFlow(opts), times.length)
    expectSameTrajectory(r, 1e-9, true)
    for (let k = 0; k < r.a.length; k++) {
      expect(r.a[k].state.t).toBe(r.b[k].state.t)
      const [pa, pb] = [r.a[k].state.pinvNorm, r.b[k].state.pinvNorm]
      expect(Math.abs(pa * Math.sqrt(m) - pb) / pb).toBeLessThan(1e-9)
    }
  })

  it("gradient flow: t_mf = t_fin / M", () => {
    const times = flowTimeGrid(300, 5, 2)
    const ode = { rtol: 1e-11, atol: 1e-14 }
    const r = both(
      gradientFlow({ times: times.map((t) => t / m), ode }),
      gradientFlow({ times, ode }),
      times.length
    )
    // the initial-step heuristic is not time-scale invariant in general (then the runs would agree
    // to the integration tolerance only); here both take the same steps, up to rounding
    expectSameTrajectory(r, 1e-10, false)
  })

  it("gradient flow by Rosenbrock–W: t_mf = t_fin / M with the first step h0 / M takes the same steps", () => {
    const times = flowTimeGrid(300, 5, 2)
    const ros2 = (scale: number) =>
      gradientFlowRosenbrock({
        times: times.map((t) => t / scale),
        rtol: 1e-6,
        atol: 1e-6,
        tol: 0,
        h0: 1 / scale
      })
    // F_mf = M F_fin and G_mf = M G_fin: (I + γ h G) and h F are the same for h_mf = h_fin / M
    const r = both(ros2(m), ros2(1), times.length)
    expectSameTrajectory(r, 1e-10, false)
  })
})
