/**
 * What keeping one Gram as W over several Rosenbrock steps (`gramReuse`) buys: steps, Gram
 * assemblies, CPU seconds and the endpoint test loss for gramReuse = 1, 2, 4, 8 on one teacher
 * problem, rows at 10 per decade of GD's schedule, to L ≤ 1e-8·L0 — the table of docs/flows.md.
 *
 *   GNLAB_THREADS=1 OPENBLAS_NUM_THREADS=1 npx tsx --conditions gnlab-source tools/src/gram-reuse.ts --n 500 --m 5000
 */
import { cpuBackend } from "@gnlab/compute"
import { Rng, teacherStudent } from "@gnlab/data-gen"
import { augmentInputs, finiteWidth, halfMeanSquare, initParams, predict } from "@gnlab/models"
import { gdTimeGrid, gradientFlowRosenbrock, trainSteps } from "@gnlab/solvers"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "500" },
    m: { type: "string", default: "5000" },
    tau0: { type: "string", default: "1" },
    seed: { type: "string", default: "1" },
    rtol: { type: "string", default: "1e-3" },
    "n-test": { type: "string", default: "5000" }
  }
})
const [n, m, tau0, seed, rtol, nTest] = [
  values.n,
  values.m,
  values.tau0,
  values.seed,
  values.rtol,
  values["n-test"]
].map(Number)
const data = teacherStudent({ seed, nTrain: n, nTest })
const net = finiteWidth({ width: m, inputDim: data.d, bias: true, activation: "silu" })
const rng = Rng.stream(seed, "init")
const params0 = initParams(net, tau0, (c) => rng.normals(c))
const kernels = cpuBackend.bind(augmentInputs(net, data.xTrain, n), n, net.dim, "silu")
const problem = { net, kernels, y: data.yTrain }
const xtTest = augmentInputs(net, data.xTest, nTest)
const times = gdTimeGrid(10, 1e11, 10)
for (const gramReuse of [1, 2, 4, 8]) {
  const cpu0 = process.cpuUsage()
  const method = gradientFlowRosenbrock({ times, rtol, atol: rtol, tol: 1e-8, gramReuse })
  const s0 = method.init(problem, params0)
  let last = s0
  for (const e of trainSteps(method, problem, s0, s0.loss, {
    tol: 1e-8,
    maxIter: times.length,
    divergenceFactor: 1e6
  }))
    last = e.state
  const cpu = process.cpuUsage(cpu0)
  const f = predict(cpuBackend, net, last.params, xtTest, nTest)
  console.log(
    JSON.stringify({
      gramReuse,
      ...method.summarize?.(last),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      testLoss: halfMeanSquare(f.map((x, a) => x - data.yTest[a]))
    })
  )
}
kernels.dispose()
