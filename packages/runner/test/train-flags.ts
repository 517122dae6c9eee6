/** Test helpers for `resolveTrainConfig`: the CLI's flag defaults and the refusal it gives. */
import { InvalidArgument } from "../src/errors.js"
import { resolveTrainConfig, type TrainFlags } from "../src/train-config.js"

/** The flags as the CLI passes them by default (N = 20, M = 40, 100 test points). */
export const defaultTrainFlags: TrainFlags = {
  method: "gn",
  nTrain: 20,
  width: 40,
  initStd: 1,
  seed: 1,
  d: 10,
  nTest: 100,
  activation: "silu",
  noBias: false,
  tol: 1e-8,
  eps0: 1e-7,
  rfCutoff: 1e-10,
  recordPerDecade: 20,
  testPerDecade: 20
}

/** The message of the InvalidArgument the flags get, or "no error". */
export function trainFlagProblem(f: Partial<TrainFlags>, files = {}): string {
  try {
    resolveTrainConfig({ ...defaultTrainFlags, ...f }, files)
  } catch (e) {
    if (e instanceof InvalidArgument) return e.message
    throw e
  }
  return "no error"
}
