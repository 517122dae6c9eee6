/**
 * The lifecycle of a cell, in one vocabulary for the runner, `gnlab status`, `plan` and the
 * report:
 *
 *   pending      nothing computed yet
 *   running      partial (rows or a checkpoint, no summary) and changed within the running window
 *   interrupted  partial and unchanged for longer: its process is gone; the next run resumes it
 *   done         intact by the shared rule (digest.ts)
 *   failed       error.json: the cell threw (the next run retries it)
 *   corrupt      a summary or digest that does not hold up: the next run recomputes it
 *
 * A finished cell whose method failed numerically is `done` (its stop reason says `failed`):
 * that is a result, not a failure of the run.
 */
import { join } from "node:path"
import { checkDone, type DoneCheck } from "./digest.js"
import type { StoreFiles } from "./files.js"
import { CHECKPOINT_FILES, ERROR_FILE, TRAJECTORY_FILE } from "./layout.js"

/** Where a cell stands. */
export type CellStatus = "pending" | "running" | "interrupted" | "done" | "failed" | "corrupt"

/** Every status, in the order `gnlab status` counts them. */
export const cellStatuses: ReadonlyArray<CellStatus> = [
  "done",
  "running",
  "interrupted",
  "pending",
  "failed",
  "corrupt"
]

/** Minutes without a change after which a partial cell counts as interrupted (twice the default checkpoint interval). */
export const DEFAULT_RUNNING_MINUTES = 10

/** What the files of a cell folder say, before the running window is applied. */
export interface CellFacts {
  readonly done: DoneCheck
  /** error.json's message (undefined: none) */
  readonly error: string | undefined
  /** rows or a checkpoint were written */
  readonly partial: boolean
  /** newest modification time of the trajectory and checkpoint (ms), when partial */
  readonly changedMs: number | undefined
}

/** A cell's status and what goes with it. */
export interface CellInfo {
  readonly status: CellStatus
  /** why a corrupt cell is corrupt, or a failed cell's error */
  readonly reason?: string
  /** newest change of a partial cell's progress files (ms since the epoch) */
  readonly changedMs?: number
  /** the done cell's summary, config and rows (status "done") */
  readonly done?: Extract<DoneCheck, { status: "done" }>
}

/**
 * The status of a cell from its facts, at time `nowMs` with a running window of
 * `runningMinutes` (pure).
 */
export function classifyCell(facts: CellFacts, nowMs: number, runningMinutes: number): CellInfo {
  if (facts.done.status === "done") return { status: "done", done: facts.done }
  if (facts.done.status === "corrupt") return { status: "corrupt", reason: facts.done.reason }
  if (facts.error !== undefined) return { status: "failed", reason: facts.error }
  if (!facts.partial) return { status: "pending" }
  const changedMs = facts.changedMs
  const running = changedMs !== undefined && nowMs - changedMs <= runningMinutes * 60_000
  return { status: running ? "running" : "interrupted", ...(changedMs === undefined ? {} : { changedMs }) }
}

const errorMessage = (fs: StoreFiles, path: string): string | undefined => {
  const bytes = fs.read(path)
  if (bytes === undefined) return undefined
  try {
    const e = JSON.parse(new TextDecoder().decode(bytes)) as { message?: unknown }
    return typeof e?.message === "string" ? e.message : "see error.json"
  } catch {
    return "error.json unreadable"
  }
}

/** The facts of the cell folder `dir` (cell `id`). */
export function cellFacts(fs: StoreFiles, dir: string, id: string): CellFacts {
  if (!fs.exists(dir))
    return { done: { status: "unfinished" }, error: undefined, partial: false, changedMs: undefined }
  const done = checkDone(fs, dir, id)
  const progress = [TRAJECTORY_FILE, ...CHECKPOINT_FILES].map((f) => join(dir, f)).filter((p) => fs.exists(p))
  const times = progress.map((p) => fs.mtimeMs(p)).filter((t): t is number => t !== undefined)
  return {
    done,
    error: errorMessage(fs, join(dir, ERROR_FILE)),
    partial: progress.length > 0,
    changedMs: times.length > 0 ? Math.max(...times) : undefined
  }
}

/** The status of cell `id` in folder `dir` now. */
export const cellInfo = (
  fs: StoreFiles,
  dir: string,
  id: string,
  nowMs: number = Date.now(),
  runningMinutes: number = DEFAULT_RUNNING_MINUTES
): CellInfo => classifyCell(cellFacts(fs, dir, id), nowMs, runningMinutes)
