/**
 * The one rule for "is this cell done and intact", shared by everything that reads a results
 * folder (`gnlab run`, `plan`, `status`, `submit`, the report and the cache), so they never
 * disagree. The rule lives in `@gnlab/store` (digest.ts), which owns the results layout; this
 * module keeps its node:fs entry points under their old names.
 *
 * A finished cell's folder holds `cell.json`, `trajectory.jsonl` and `summary.json`, and, written
 * last, `digest.json`: the SHA-256 of each of those three files. The cell is **done** when the
 * digest names the cell, every file still has its recorded hash, the summary names the cell,
 * gives a known stop reason and counts the trajectory's rows, and every row parses. A folder
 * with a summary or a digest that fails any of these is **corrupt** (recomputed, never reused);
 * one with neither is unfinished (pending, running, interrupted or failed: the caller decides).
 *
 * Imported as `@gnlab/metrics/cell-files` (node:fs and node:crypto), apart from the package's
 * pure index.
 */
import {
  checkDone,
  digestOf,
  nodeFiles,
  stopReasons as storeStopReasons,
  type CellDigest,
  type DoneCheck,
  type StopReason
} from "@gnlab/store"
import type { RunSummary } from "./trajectory.js"

export { DIGEST_FILE, digestedFiles, sha256, type CellDigest, type DoneCheck } from "@gnlab/store"

// the store's stop reasons are exactly RunSummary's: a reason added to one must be added to the other
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
const sameReasons: Same<StopReason, RunSummary["stopReason"]> = true
void sameReasons

/** The stop reasons of a finished cell. */
export const stopReasons: ReadonlyArray<RunSummary["stopReason"]> = storeStopReasons

/** The digest of cell `id`'s files in `dir` as they are now (what a finishing cell writes). */
export const digestCell = (dir: string, id: string): CellDigest => digestOf(nodeFiles, dir, id)

/**
 * Whether cell `id` in folder `dir` is done and intact (see the module comment): "done" with
 * its summary, config and trajectory rows, "corrupt" with the reason, or "unfinished".
 */
export const checkDoneCell = (dir: string, id: string): DoneCheck => checkDone(nodeFiles, dir, id)
