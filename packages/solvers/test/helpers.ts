/** Test helpers: build problems from the fixture or from a seed. */
import { cpuBackend } from "@gnlab/compute"
import { parseDataFile, parseInitFile, Rng, teacherStudent, type Dataset } from "@gnlab/data-gen"
import {
  assembleHidden,
  augmentInputs,
  finiteWidth,
  halfMeanSquare,
  initParams,
  predict,
  type Network,
  type Params
} from "@gnlab/models"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import {
  defaultDamping,
  gd,
  gn,
  rf,
  trainSteps,
  type Method,
  type Problem,
  type StopRules,
  type TrainState
} from "../src/index.js"

const fixtureDir = fileURLToPath(new URL("./fixtures/authors-n100-m1000-tau1/", import.meta.url))

/** The authors' fixture: data, init and their trajectory. */
export function authorsFixture() {
  const data = parseDataFile(readFileSync(fixtureDir + "data.json", "utf8"), "data.json")
  const init = parseInitFile(readFileSync(fixtureDir + "init.json", "utf8"), "init.json")
  const trajectory = JSON.parse(readFileSync(fixtureDir + "authors-trajectory.json", "utf8"))
  const net = finiteWidth({ width: init.width, inputDim: data.d, bias: true, activation: "silu" })
  const params0: Params = {
    u: assembleHidden(net, init.hiddenWeights, init.hiddenBias),
    v: Float64Array.from(init.outputWeights)
  }
  return { data, net, params0, trajectory }
}

/** A seeded teacher–student problem (finite width, silu, bias). */
export function seededSetup(seed: number, nTrain: number, width: number, initStd: number, nTest = 1000) {
  const data = teacherStudent({ seed, nTrain, nTest })
  const net = finiteWidth({ width, inputDim: data.d, bias: true, activation: "silu" })
  const rng = Rng.stream(seed, "init")
  return { data, net, params0: initParams(net, initStd, (k) => rng.normals(k)) }
}

/** Bind the train set on the CPU backend. */
export function problemOf(net: Network, data: Dataset): Problem {
  const kernels = cpuBackend.bind(
    augmentInputs(net, data.xTrain, data.nTrain),
    data.nTrain,
    net.dim,
    net.spec.activation
  )
  return { net, kernels, y: data.yTrain }
}

/** Test loss of parameters. */
export function testLossOf(net: Network, data: Dataset, p: Params): number {
  const f = predict(cpuBackend, net, p, augmentInputs(net, data.xTest, data.nTest), data.nTest)
  return halfMeanSquare(f.map((x, a) => x - data.yTest[a]))
}

export const methods = {
  gn: (lr = 10) => gn({ lr, damping: defaultDamping }),
  gd: (lr = 10) => gd({ lr }),
  rf: (lr = 100) => rf({ lr, damping: defaultDamping, relCutoff: 1e-10 })
}

/** Run to the end; every event's loss and the final state. */
export function runAll(method: Method<TrainState>, problem: Problem, params0: Params, rules: StopRules) {
  const s0 = method.init(problem, params0)
  const events = [...trainSteps(method, problem, s0, s0.loss, rules)]
  return { events, final: events[events.length - 1] }
}
