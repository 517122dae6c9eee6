/**
 * The gradient flow by ROS2 with the GN W: the numpy reference's numbers on shared data, the
 * limit of GD as λ → 0, convergence to the Dormand–Prince trajectory as rtol → 0, and its
 * bookkeeping (clipped output times, tol stop, Gram reuse on rejection).
 */
import { paramDistance, type Params } from "@gnlab/models"
import { describe, expect, it } from "vitest"
import {
  gd,
  gdTimeGrid,
  gradientFlow,
  gradientFlowPlugin,
  gradientFlowRosenbrock,
  trainSteps,
  type FlowState,
  type Method,
  type Problem,
  type TrainState
} from "../src/index.js"
import { authorsFixture, problemOf, seededSetup, testLossOf } from "./helpers.js"

/** Run to the end (one event per output time); the last event. */
function finalOf<S extends TrainState>(
  m: Method<S>,
  problem: Problem,
  params0: Params,
  tol: number,
  n: number
) {
  const s0 = m.init(problem, params0)
  const events = [...trainSteps(m, problem, s0, s0.loss, { tol, maxIter: n, divergenceFactor: 1e6 })]
  return { events, last: events[events.length - 1], loss0: s0.loss }
}

const ros2 = (rtol: number, times: ReadonlyArray<number>, tol = 0) =>
  gradientFlowRosenbrock({ times, rtol, atol: rtol, tol, gdLr: 10 })

describe("against ../shared/reference/gradient_flow.py (authors' data and init, N = 100, M = 1 000)", () => {
  it("takes the reference's steps and reaches its endpoint (rtol = atol = 1e-4, stop at L ≤ 1e-8 L0)", () => {
    // OPENBLAS_NUM_THREADS=1 /usr/bin/python3 ../shared/reference/gradient_flow.py ros2 \
    //   --data test/fixtures/authors-n100-m1000-tau1/data.json --init …/init.json --rtol 1e-4
    const reference = {
      accepted: 278,
      rejected: 0,
      tFinal: 1387864.059606373,
      finalTrainLoss: 3.3447069307654575e-9,
      testLoss: 0.006478346199160376
    }
    const { data, net, params0 } = authorsFixture()
    const problem = problemOf(net, data)
    const m = gradientFlowRosenbrock({ times: [1e12], rtol: 1e-4, atol: 1e-4, tol: 1e-8 })
    const { last } = finalOf(m, problem, params0, 1e-8, 1)
    const s = last.state as FlowState
    expect(last.stop).toBe("converged")
    const o = m.summarize!(s)
    expect(o.integratorSteps).toBe(reference.accepted)
    expect(o.rejectedSteps).toBe(reference.rejected)
    // one Gram per accepted step plus the one observed at t = 0 and at the end
    expect(o.gramAssemblies).toBe(reference.accepted + 1)
    expect(Math.abs(s.t - reference.tFinal) / reference.tFinal).toBeLessThan(1e-9)
    expect(Math.abs(s.loss - reference.finalTrainLoss) / reference.finalTrainLoss).toBeLessThan(1e-7)
    const test = testLossOf(net, data, s.params)
    expect(Math.abs(test - reference.testLoss) / reference.testLoss).toBeLessThan(1e-9)
  })
})

describe("GD with step λ is explicit Euler on this flow", () => {
  // N = 20, M = 100: GD reaches L ≤ 1e-8 L0 in a few thousand updates at λ = 10
  const cases = [
    { seed: 2, initStd: 0.5 },
    { seed: 1, initStd: 1 }
  ]
  for (const { seed, initStd } of cases)
    it(`converged GD's endpoint approaches the flow's as O(λ), at ≥ 10× fewer steps (τ0 = ${initStd}, seed ${seed})`, () => {
      const { data, net, params0 } = seededSetup(seed, 20, 100, initStd, 1000)
      const problem = problemOf(net, data)
      const flow = finalOf(ros2(1e-6, [1e12], 1e-8), problem, params0, 1e-8, 1)
      expect(flow.last.stop).toBe("converged")
      const flowTest = testLossOf(net, data, flow.last.state.params)
      const gaps: number[] = []
      for (const lr of [10, 5]) {
        const g = finalOf(gd({ lr }), problem, params0, 1e-8, 1_000_000)
        expect(g.last.stop).toBe("converged")
        gaps.push(Math.abs(testLossOf(net, data, g.last.state.params) - flowTest) / flowTest)
        if (lr === 10) {
          // the same endpoint at the rtol, far fewer implicit steps than GD updates
          const coarse = finalOf(ros2(1e-4, [1e12], 1e-8), problem, params0, 1e-8, 1)
          const steps = (coarse.last.state as FlowState).ode.stats.accepted
          expect(steps * 10).toBeLessThan(g.last.state.iter)
          const coarseTest = testLossOf(net, data, coarse.last.state.params)
          expect(Math.abs(coarseTest - flowTest) / flowTest).toBeLessThan(3e-4)
        }
      }
      // halving λ halves GD's distance to the flow (first order), so the flow is GD's λ → 0 limit
      expect(gaps[0]).toBeLessThan(5e-3)
      expect(gaps[1] / gaps[0]).toBeGreaterThan(0.35)
      expect(gaps[1] / gaps[0]).toBeLessThan(0.65)
    })

  it("the training loss at t = λk matches GD's after k updates, the closer the smaller λ", () => {
    const { data, net, params0 } = seededSetup(3, 20, 100, 1, 100)
    const problem = problemOf(net, data)
    const k = 300
    const err = (lr: number) => {
      const times = gdTimeGrid(lr, k, 10)
      const flow = finalOf(ros2(1e-7, times), problem, params0, 0, times.length)
      const descent = finalOf(gd({ lr }), problem, params0, 0, k)
      // rows land on GD's iterations exactly: t = λ·iter
      const rows = flow.events.slice(1).map((e) => e.state as FlowState)
      expect(rows[rows.length - 1].t).toBe(lr * k)
      const byIter = new Map(descent.events.map((e) => [e.state.iter, e.state.loss]))
      let worst = 0
      for (const s of rows) {
        const iter = Math.round(s.t / lr)
        const l = byIter.get(iter)!
        worst = Math.max(worst, Math.abs(l - s.loss) / s.loss)
      }
      return worst
    }
    const e10 = err(10)
    const e2 = err(2.5)
    expect(e10).toBeLessThan(0.05)
    expect(e2).toBeLessThan(e10 / 2.5)
  })
})

describe("accuracy and bookkeeping", () => {
  it("converges to the Dormand–Prince trajectory as rtol → 0 (second order: 100× tighter rtol, ≥ 10× closer)", () => {
    const { data, net, params0 } = seededSetup(4, 12, 40, 1, 10)
    const problem = problemOf(net, data)
    const times = [1, 10, 100, 1000]
    const exact = finalOf(gradientFlow({ times, ode: { rtol: 1e-11, atol: 1e-14 } }), problem, params0, 0, 4)
    const deviation = (rtol: number) => {
      const run = finalOf(ros2(rtol, times), problem, params0, 0, 4)
      let worst = 0
      for (let j = 1; j <= times.length; j++) {
        const a = run.events[j].state
        const b = exact.events[j].state
        expect((a as FlowState).t).toBe(times[j - 1])
        worst = Math.max(
          worst,
          paramDistance(net, a.params, b.params) / paramDistance(net, b.params, b.params0)
        )
      }
      return worst
    }
    const d3 = deviation(1e-3)
    const d5 = deviation(1e-5)
    const d7 = deviation(1e-7)
    expect(d5).toBeLessThan(d3 / 10)
    expect(d7).toBeLessThan(d5 / 10)
    expect(d7).toBeLessThan(1e-5)
  })

  it("rows land on the output times, stop early at tol, reuse the Gram on a rejected step", () => {
    const { data, net, params0 } = seededSetup(5, 20, 60, 1, 10)
    const problem = problemOf(net, data)
    const times = gdTimeGrid(10, 1e9, 5)
    // a large first step forces rejections: each try refactors, none reassembles the Gram
    const m = gradientFlowRosenbrock({ times, rtol: 1e-4, atol: 1e-4, tol: 1e-8, h0: 1e6, gdLr: 10 })
    const { events, last, loss0 } = finalOf(m, problem, params0, 1e-8, times.length)
    expect(last.stop).toBe("converged")
    expect(last.state.loss).toBeLessThanOrEqual(1e-8 * loss0)
    const s = last.state as FlowState
    // stopped inside an advance: before the output time it was heading for
    expect(s.t).toBeLessThan(times[s.iter - 1])
    for (const e of events.slice(1, -1)) expect((e.state as FlowState).t).toBe(times[e.state.iter - 1])
    const o = m.summarize!(s)
    expect(o.rejectedSteps as number).toBeGreaterThan(0)
    expect(o.factorizations).toBe((o.integratorSteps as number) + (o.rejectedSteps as number))
    // one Gram per base point: at t = 0 and after each accepted step (output points reuse theirs)
    expect(o.gramAssemblies).toBeLessThanOrEqual((o.integratorSteps as number) + 1)
    // rows carry λσmax(A)/N
    expect(s.gdLr).toBe(10)
    expect(s.system.sigmaMax).toBeGreaterThan(0)
  })

  it("a Gram kept over several steps (gramReuse) reaches the same endpoint with fewer assemblies", () => {
    const { data, net, params0 } = seededSetup(6, 30, 150, 1, 500)
    const problem = problemOf(net, data)
    const run = (gramReuse: number) => {
      const m = gradientFlowRosenbrock({ times: [1e12], rtol: 1e-5, atol: 1e-5, tol: 1e-8, gramReuse })
      const { last } = finalOf(m, problem, params0, 1e-8, 1)
      expect(last.stop).toBe("converged")
      return { test: testLossOf(net, data, last.state.params), o: m.summarize!(last.state as FlowState) }
    }
    const fresh = run(1)
    const kept = run(4)
    expect(fresh.o.gramAssemblies).toBe((fresh.o.integratorSteps as number) + 1)
    expect((kept.o.gramAssemblies as number) * 2).toBeLessThan(kept.o.integratorSteps as number)
    expect(Math.abs(kept.test - fresh.test) / fresh.test).toBeLessThan(1e-3)
  })

  for (const gramReuse of [1, 3])
    it(`resumes bit for bit: a new method object from a copied state (a checkpoint) follows the same steps (gramReuse ${gramReuse})`, () => {
      const { data, net, params0 } = seededSetup(7, 20, 80, 1, 10)
      const problem = problemOf(net, data)
      const times = gdTimeGrid(10, 1e9, 5)
      const make = () => gradientFlowRosenbrock({ times, rtol: 1e-4, atol: 1e-4, tol: 1e-8, gramReuse })
      const rules = { tol: 1e-8, maxIter: times.length, divergenceFactor: 1e6 }
      const a = make()
      const s0 = a.init(problem, params0)
      const straight = [...trainSteps(a, problem, s0, s0.loss, rules)]
      const final = straight[straight.length - 1].state
      // stop after 12 output points, copy the state as a checkpoint does, go on with a new object
      const b = make()
      const first = b.init(problem, params0)
      let s = first
      for (let k = 0; k < 12; k++) s = b.step(problem, s).state
      // a checkpoint writes every array on its own: the copy shares none (unlike structuredClone)
      const unshare = (x: unknown): unknown =>
        x instanceof Float64Array
          ? Float64Array.from(x)
          : Array.isArray(x)
            ? x.map(unshare)
            : x !== null && typeof x === "object"
              ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, unshare(v)]))
              : x
      const copy = unshare(s) as typeof s
      const c = make()
      problem.kernels.setHidden(copy.params.u)
      const resumed = [...trainSteps(c, problem, copy, first.loss, rules)]
      const end = resumed[resumed.length - 1].state
      expect(end.iter).toBe(final.iter)
      expect(Array.from(end.params.u)).toEqual(Array.from(final.params.u))
      expect(Array.from(end.params.v)).toEqual(Array.from(final.params.v))
    })

  it("the plugin: rosenbrock with the default horizon, gdSteps, and a refused missing horizon for dopri5", () => {
    const defaults = {
      perDecade: 20,
      odeRtol: 1e-7,
      tol: 1e-8,
      divergenceFactor: 1e6,
      integrator: "rosenbrock",
      lr: 10,
      rtol: 1e-4
    }
    const a = gradientFlowPlugin.create(defaults, { nTrain: 10 })
    expect(a.method.id).toBe("gradient-flow")
    expect(a.rules.maxIter).toBe(gdTimeGrid(10, 1e8, 20).length)
    const b = gradientFlowPlugin.create({ ...defaults, gdSteps: 1000, lr: 5 }, { nTrain: 10 })
    expect(b.rules.maxIter).toBe(gdTimeGrid(5, 1000, 20).length)
    expect(gdTimeGrid(5, 1000, 20).at(-1)).toBe(5000)
  })
})
