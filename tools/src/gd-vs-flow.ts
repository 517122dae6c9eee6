/**
 * GD against the gradient flow on one teacher problem: the Rosenbrock flow (rtol 1e-5 by
 * default) with rows at t = λk, and explicit GD at λ = 10, 5, 2.5 compared with it at matched t —
 * the numbers of docs/flows.md ("Checked against GD", "Where GD does not follow the flow").
 *
 *   npx tsx --conditions gnlab-source tools/src/gd-vs-flow.ts --n 100 --m 1000 --tau0 10 --seed 1 --k 20000 --n-test 2000
 *   npx tsx --conditions gnlab-source tools/src/gd-vs-flow.ts --n 20 --m 100 --tau0 0.5 --seed 2 --converge --rtol 1e-6
 *
 * `--k K`: GD at λ = 10 runs K updates (λ = 5: 2K, …), the flow to t = 10K, tol off; the output
 * says how far GD rose above L0 (a catapult) and its gaps to the flow. `--converge`: every run
 * to L ≤ 1e-8·L0 instead. `--lrs 10`: only GD at λ = 10 (default 10,5,2.5). One JSON line per
 * run on stdout, with its CPU seconds.
 */
import { cpuBackend } from "@gnlab/compute"
import { Rng, teacherStudent } from "@gnlab/data-gen"
import { augmentInputs, finiteWidth, halfMeanSquare, initParams, predict } from "@gnlab/models"
import { gd, gdTimeGrid, gradientFlowRosenbrock, trainSteps, type FlowState } from "@gnlab/solvers"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "100" },
    m: { type: "string", default: "1000" },
    tau0: { type: "string", default: "1" },
    seed: { type: "string", default: "1" },
    k: { type: "string", default: "20000" },
    rtol: { type: "string", default: "1e-5" },
    "n-test": { type: "string", default: "1000" },
    converge: { type: "boolean", default: false },
    lrs: { type: "string", default: "10,5,2.5" }
  }
})
const [n, m, tau0, seed, k, rtol] = [values.n, values.m, values.tau0, values.seed, values.k, values.rtol].map(
  Number
)
const tol = values.converge ? 1e-8 : 0

const data = teacherStudent({ seed, nTrain: n, nTest: Number(values["n-test"]) })
const net = finiteWidth({ width: m, inputDim: data.d, bias: true, activation: "silu" })
const rng = Rng.stream(seed, "init")
const params0 = initParams(net, tau0, (c) => rng.normals(c))
const kernels = cpuBackend.bind(augmentInputs(net, data.xTrain, n), n, net.dim, "silu")
const problem = { net, kernels, y: data.yTrain }
const xtTest = augmentInputs(net, data.xTest, data.nTest)
const testLoss = (p: typeof params0) =>
  halfMeanSquare(predict(cpuBackend, net, p, xtTest, data.nTest).map((f, a) => f - data.yTest[a]))

// the flow, with a row at every t = 10·j of GD's log schedule (or to tol)
const times = values.converge ? [1e15] : gdTimeGrid(10, k, 20)
/** CPU seconds of this process since `from` (user + system). */
const cpuSeconds = (from: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(from)
  return (u.user + u.system) / 1e6
}
let cpuFrom = process.cpuUsage()
const flow = gradientFlowRosenbrock({ times, rtol, atol: rtol, tol, gdLr: 10 })
const f0 = flow.init(problem, params0)
const lossAt = new Map<number, number>()
let maxStability = 0
let last: FlowState = f0
for (const e of trainSteps(flow, problem, f0, f0.loss, {
  tol,
  maxIter: times.length,
  divergenceFactor: 1e6
})) {
  last = e.state
  lossAt.set(Math.round(last.t), last.loss)
  maxStability = Math.max(maxStability, (10 * last.system.sigmaMax) / n)
}
const flowTest = testLoss(last.params)
console.log(
  JSON.stringify({
    run: "flow",
    t: last.t,
    trainLoss: last.loss,
    testLoss: flowTest,
    maxGdStability: maxStability,
    ...flow.summarize?.(last),
    cpuSeconds: cpuSeconds(cpuFrom)
  })
)
for (const lr of values.lrs.split(",").map(Number)) {
  cpuFrom = process.cpuUsage()
  const method = gd({ lr })
  const s0 = method.init(problem, params0)
  let peak = 0
  let worst = 0
  let end = s0
  let stop: string | undefined
  const rules = { tol, maxIter: values.converge ? 1e8 : Math.round((10 * k) / lr), divergenceFactor: 1e6 }
  for (const e of trainSteps(method, problem, s0, s0.loss, rules)) {
    end = e.state
    stop = e.stop
    peak = Math.max(peak, end.loss / s0.loss)
    const f = lossAt.get(Math.round(lr * end.iter))
    if (f !== undefined && end.iter > 0) worst = Math.max(worst, Math.abs(end.loss - f) / f)
  }
  const t = testLoss(end.params)
  console.log(
    JSON.stringify({
      run: `gd λ=${lr}`,
      stop,
      updates: end.iter,
      t: lr * end.iter,
      peakLossOverL0: peak,
      trainLoss: end.loss,
      testLoss: t,
      testGapToFlow: Math.abs(t - flowTest) / flowTest,
      worstTrainGapAtMatchedT: values.converge ? null : worst,
      cpuSeconds: cpuSeconds(cpuFrom)
    })
  )
}
kernels.dispose()
