/**
 * Which dense routines the solves use is decided in one place: the binding's `linalg` (the
 * engine its backend Layer opened). Every method hands them to the host linear algebra; none
 * falls back to the thread's engine behind the binding's back.
 */
import { cpuBackend, type LinalgRoutines } from "@gnlab/compute"
import { teacherStudent } from "@gnlab/data-gen"
import { finiteWidth, initParams } from "@gnlab/models"
import { Rng } from "@gnlab/data-gen"
import { describe, expect, it } from "vitest"
import {
  gn,
  gnFlow,
  gradientFlowRosenbrock,
  rf,
  trainSteps,
  type Method,
  type TrainState
} from "../src/index.js"
import { problemOf } from "./helpers.js"

/** The thread's routines, counting the calls that go through this object. */
function counting(): { routines: LinalgRoutines; calls: Record<keyof LinalgRoutines, number> } {
  const base = cpuBackend.linalg!
  const calls = { factor: 0, solve: 0, symv: 0, eigen: 0 }
  return {
    calls,
    routines: {
      factor: (a, n, l) => (calls.factor++, base.factor(a, n, l)),
      solve: (l, n, x) => (calls.solve++, base.solve(l, n, x)),
      symv: (a, n, x, y) => (calls.symv++, base.symv(a, n, x, y)),
      eigen: (a, n) => (calls.eigen++, base.eigen(a, n))
    }
  }
}

const setup = () => {
  const data = teacherStudent({ seed: 3, nTrain: 12, nTest: 10 })
  const net = finiteWidth({ width: 30, inputDim: data.d, bias: true, activation: "silu" })
  const rng = Rng.stream(3, "init")
  const params0 = initParams(net, 1, (k) => rng.normals(k))
  const plain = problemOf(net, data)
  const { routines, calls } = counting()
  // the same binding with other routines attached: what a backend Layer with its own engine gives
  const kernels = Object.create(plain.kernels, { linalg: { value: routines } })
  return { problem: { ...plain, kernels }, plain, params0, calls }
}

const run = (m: Method<TrainState>, steps: number) => {
  const { problem, plain, params0, calls } = setup()
  const s0 = m.init(problem, params0)
  const out = [...trainSteps(m, problem, s0, s0.loss, { tol: 0, maxIter: steps, divergenceFactor: 1e6 })]
  // the same steps without the wrapper: the routines are the same arithmetic, so the same bits
  const s0p = m.init(plain, params0)
  const ref = [...trainSteps(m, plain, s0p, s0p.loss, { tol: 0, maxIter: steps, divergenceFactor: 1e6 })]
  return { calls, loss: out.at(-1)!.state.loss, refLoss: ref.at(-1)!.state.loss }
}

describe("solves go through the binding's linalg routines", () => {
  it("GN: Lanczos products, the σ* factorization and the damped solve", () => {
    const { calls, loss, refLoss } = run(
      gn({ lr: 1, damping: { rule: "max-sigma-min", eps0: 1e-7 } }) as Method<TrainState>,
      3
    )
    expect(calls.factor).toBeGreaterThanOrEqual(6)
    expect(calls.solve).toBeGreaterThan(0)
    expect(calls.symv).toBeGreaterThan(0)
    expect(loss).toBe(refLoss)
  })
  it("RF: the eigendecomposition of the last-layer Gram and the damped factor", () => {
    const { calls, loss, refLoss } = run(
      rf({ lr: 100, damping: { rule: "max-sigma-min", eps0: 1e-7 }, relCutoff: 1e-10 }) as Method<TrainState>,
      2
    )
    expect(calls.eigen).toBe(1)
    expect(calls.factor).toBeGreaterThan(0)
    expect(calls.solve).toBeGreaterThan(0)
    expect(loss).toBe(refLoss)
  })
  it("the Rosenbrock gradient flow: its stage factorizations, solves and σmax products", () => {
    const { calls, loss, refLoss } = run(
      gradientFlowRosenbrock({
        times: [1, 10, 100],
        rtol: 1e-3,
        atol: 1e-12,
        tol: 0
      }) as unknown as Method<TrainState>,
      3
    )
    expect(calls.factor).toBeGreaterThan(0)
    expect(calls.solve).toBeGreaterThan(0)
    expect(calls.symv).toBeGreaterThan(0)
    expect(loss).toBe(refLoss)
  })
  it("the GN flow: σ*, the damped solves and ‖J†‖", () => {
    const { calls } = run(
      gnFlow({
        times: [0.5, 1],
        damping: { rule: "theory", eta: 0.5, muH: 1 },
        hessian: "identity"
      }) as unknown as Method<TrainState>,
      2
    )
    expect(calls.factor).toBeGreaterThan(0)
    expect(calls.solve).toBeGreaterThan(0)
    expect(calls.symv).toBeGreaterThan(0)
  })
})
