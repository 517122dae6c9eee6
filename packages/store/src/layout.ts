/**
 * The layout of a results folder and of the cache (docs/pipelines.md, "Cells and the result
 * store"): names and paths only, no I/O.
 *
 *   <results>/pipeline.json  cells.json  events.jsonl  run.lock
 *   <results>/cells/<id>/{cell.json, trajectory.jsonl, summary.json, digest.json,
 *                         checkpoint.json, checkpoint.bin, error.json, cell.lock}
 *   <cache>/cells/<id>/{cell.json, trajectory.jsonl, summary.json, digest.json}   done cells only
 *   <cache>/claims/<id>.lock                                                      a cell being computed
 *
 * A `gnlab train --out DIR` folder is one cell folder: its files are in DIR itself.
 */
import { join } from "node:path"

/** The file a finished cell writes last: the hashes of its other files. */
export const DIGEST_FILE = "digest.json"
/** The summary of a finished cell, written atomically before the digest. */
export const SUMMARY_FILE = "summary.json"
/** The resolved config of a cell, written first. */
export const CONFIG_FILE = "cell.json"
/** The rows of a cell, streamed as they are computed. */
export const TRAJECTORY_FILE = "trajectory.jsonl"
/** A cell that threw. */
export const ERROR_FILE = "error.json"
/** The state of an unfinished cell. */
export const CHECKPOINT_FILES = ["checkpoint.json", "checkpoint.bin"] as const
/** The pipeline of a results folder. */
export const PIPELINE_FILE = "pipeline.json"
/** The cells of a results folder's pipeline (id, label, sweep point, seed, method). */
export const INDEX_FILE = "cells.json"
/** The machine-readable log of a results folder. */
export const EVENTS_FILE = "events.jsonl"

/** Every file a cell folder may hold that the store writes (anything else in it is left alone). */
export const cellFiles: ReadonlyArray<string> = [
  CONFIG_FILE,
  TRAJECTORY_FILE,
  SUMMARY_FILE,
  DIGEST_FILE,
  ...CHECKPOINT_FILES,
  ERROR_FILE
]

/** The folder of cell `id` in a results folder. */
export const cellDir = (results: string, id: string): string => join(results, "cells", id)

/** The folder of cell `id` in the cache (done cells only). */
export const cachedCellDir = (cache: string, id: string): string => join(cache, "cells", id)

/** The claim of cell `id` in the cache: the process computing it for any results folder. */
export const cacheClaimPath = (cache: string, id: string): string => join(cache, "claims", `${id}.lock`)
