/**
 * Test helpers for `gnlab train`'s flags without a child process: flags as the CLI passes them
 * (camelCase names of the kebab-case flags, e.g. nTrain for --n-train) to the one-cell
 * pipeline's cell, or to the refusal it gets.
 */
import type { Cell } from "@gnlab/pipeline"
import { InvalidArgument } from "../src/errors.js"
import { trainCell } from "../src/train-run.js"

/** Flags by camelCase name: method, model, dataset, metrics, seed, backend; the rest are param flags. */
export type TrainFlags = Readonly<Record<string, string | number | boolean | undefined>>

/** The flags of a small run (N = 20, M = 40, 100 test points). */
export const defaultTrainFlags: TrainFlags = { method: "gn", nTrain: 20, width: 40, nTest: 100 }

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/** The cell of the flags (throws the InvalidArgument the CLI prints). */
export function trainCellOf(f: TrainFlags): Cell {
  const { method, model, dataset, metrics, seed, backend, ...rest } = f
  const given = new Map<string, string | boolean>()
  for (const [k, v] of Object.entries(rest))
    if (v !== undefined && v !== false) given.set(kebab(k), v === true ? true : String(v))
  return trainCell({
    method: method as string | undefined,
    model: model as string | undefined,
    dataset: dataset as string | undefined,
    metrics: metrics as string | undefined,
    seed: (seed as number | undefined) ?? 1,
    backend: (backend as string | undefined) ?? "cpu",
    given
  })
}

/** The message of the InvalidArgument the flags get (over the defaults), or "no error". */
export function trainFlagProblem(f: TrainFlags): string {
  try {
    trainCellOf({ ...defaultTrainFlags, ...f })
  } catch (e) {
    if (e instanceof InvalidArgument) return e.message
    throw e
  }
  return "no error"
}
