/**
 * `gnlab status RESULTS_DIR [--json] [--running-minutes M]`: where the cells of a results
 * folder stand, read from the result store alone (cells.json lists every cell, each cell folder
 * says the rest), so it answers the same on a laptop, for sharded runs on several machines, and
 * for a Slurm job array — whatever the scheduler knows or has forgotten.
 *
 * The statuses are the store's one vocabulary (@gnlab/store, lifecycle.ts): done (intact by
 * the shared rule), failed (error.json), corrupt (a summary or digest that does not hold up: it
 * will be recomputed), pending (nothing computed yet), and, for a cell with rows or a
 * checkpoint but no summary, **running** when its trajectory or checkpoint changed in the last
 * M minutes (default 10: twice `gnlab run`'s default --checkpoint-minutes, and a running cell
 * rewrites its checkpoint at least that often), else **interrupted**: its process is gone
 * (killed, cancelled, timed out) and the next run resumes it from its checkpoint.
 */
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { cellNames } from "@gnlab/pipeline"
import { cellDir, cellInfo, cellStatuses, nodeFiles, type CellStatus } from "@gnlab/store"
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from "node:fs"
import { join } from "node:path"
import { InvalidArgument } from "../errors.js"
import { slurmDir } from "../slurm.js"

/** Where a cell stands, for `gnlab status`: the store's vocabulary (@gnlab/store, lifecycle.ts). */
export type StatusKind = CellStatus

/** Every status, in the order the summary line counts them. */
export const statusKinds: ReadonlyArray<StatusKind> = cellStatuses

/** One cell's line of the status. */
export interface CellLine {
  readonly id: string
  readonly label: string
  readonly status: StatusKind
  /** seconds since its trajectory or checkpoint last changed (partial cells) */
  readonly changedSecondsAgo: number | null
  /** the last recorded row's iteration and train loss (partial cells) */
  readonly iter: number | null
  readonly trainLoss: number | null
  /** why it failed (failed cells) or why it is corrupt (corrupt cells) */
  readonly error: string | null
}

/** The status of a results folder. */
export interface ResultsStatus {
  readonly results: string
  readonly pipeline: string | null
  readonly runningMinutes: number
  readonly counts: Readonly<Record<StatusKind, number>> & { readonly total: number }
  readonly cells: ReadonlyArray<CellLine>
  /** the last `gnlab submit` into this folder (DIR/slurm/jobs.jsonl), if any */
  readonly lastSubmission: Readonly<Record<string, unknown>> | null
}

interface IndexEntry {
  readonly id: string
  readonly label?: string
  readonly point?: Readonly<Record<string, unknown>>
  readonly seed?: number
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"))

/** The last complete line of a file (its last 64 KiB are enough for a trajectory row). */
function lastLine(path: string): string | undefined {
  const fd = openSync(path, "r")
  try {
    const size = fstatSync(fd).size
    const length = Math.min(size, 65536)
    const buf = Buffer.alloc(length)
    readSync(fd, buf, 0, length, size - length)
    const lines = buf
      .toString("utf8")
      .split("\n")
      .filter((l) => l.length > 0)
    return lines[lines.length - 1]
  } finally {
    closeSync(fd)
  }
}

/** Read the status of every cell of `results` at time `nowMs`. */
export function resultsStatus(
  results: string,
  nowMs: number,
  runningMinutes: number
): ResultsStatus | InvalidArgument {
  const index = join(results, "cells.json")
  if (!existsSync(index))
    return new InvalidArgument({
      field: results,
      problem: existsSync(results)
        ? "not a results folder (no cells.json): give the folder gnlab run or gnlab submit writes into, e.g. results/<pipeline name>"
        : "no such folder: give the folder gnlab run or gnlab submit writes into, e.g. results/<pipeline name>"
    })
  let entries: ReadonlyArray<IndexEntry>
  try {
    entries = readJson(index) as ReadonlyArray<IndexEntry>
    if (!Array.isArray(entries) || entries.some((e) => typeof e?.id !== "string"))
      throw new Error("not a list of cells")
  } catch (e) {
    return new InvalidArgument({
      field: index,
      problem: `unreadable (${(e as Error).message}): rerun gnlab run or gnlab submit to rewrite it`
    })
  }
  let pipeline: string | null = null
  try {
    pipeline = String((readJson(join(results, "pipeline.json")) as { name?: unknown }).name ?? "") || null
  } catch {
    pipeline = null
  }
  // the names plan and the progress lines give (method, the swept values that vary, seed)
  const names = cellNames(
    entries.map((c) => ({
      label: c.label ?? "?",
      point: c.point ?? {},
      seed: c.seed ?? Number.NaN,
      id: c.id
    }))
  )
  const cells = entries.map((c, i): CellLine => {
    const dir = cellDir(results, c.id)
    // one rule for every reader: the store's lifecycle with this window for running
    const info = cellInfo(nodeFiles, dir, c.id, nowMs, runningMinutes)
    const base = {
      id: c.id,
      label: names[i],
      status: info.status,
      changedSecondsAgo: null,
      iter: null,
      trainLoss: null,
      error: null
    }
    // a failed cell says its error, a corrupt cell why (the shared rule's reason)
    if (info.status === "failed" || info.status === "corrupt") return { ...base, error: info.reason ?? null }
    if (info.status !== "running" && info.status !== "interrupted") return base
    const ago = info.changedMs === undefined ? null : Math.max(0, (nowMs - info.changedMs) / 1000)
    let iter: number | null = null
    let trainLoss: number | null = null
    try {
      const row = JSON.parse(lastLine(join(dir, "trajectory.jsonl")) ?? "null") as {
        iter?: number
        trainLoss?: number
      } | null
      iter = typeof row?.iter === "number" ? row.iter : null
      trainLoss = typeof row?.trainLoss === "number" ? row.trainLoss : null
    } catch {
      // a row being written, or no trajectory yet
    }
    return { ...base, changedSecondsAgo: ago, iter, trainLoss }
  })
  const counts = Object.fromEntries(
    statusKinds.map((k) => [k, cells.filter((c) => c.status === k).length])
  ) as Record<StatusKind, number>
  let lastSubmission: Record<string, unknown> | null = null
  try {
    const lines = readFileSync(join(slurmDir(results), "jobs.jsonl"), "utf8")
      .trim()
      .split("\n")
    lastSubmission = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>
  } catch {
    lastSubmission = null
  }
  return {
    results,
    pipeline,
    runningMinutes,
    counts: { ...counts, total: cells.length },
    cells,
    lastSubmission
  }
}

const ago = (s: number | null): string =>
  s === null
    ? "?"
    : s < 90
      ? `${s.toFixed(0)} s`
      : s < 5400
        ? `${(s / 60).toFixed(0)} min`
        : `${(s / 3600).toFixed(1)} h`

/** The plain-text status: one summary line, then a line per cell that is not done or pending. */
export function formatStatus(s: ResultsStatus): string {
  const c = s.counts
  const lines = [
    `${s.results}${s.pipeline !== null ? ` (pipeline "${s.pipeline}")` : ""}: ${c.total} cells — ` +
      statusKinds.map((k) => `${c[k]} ${k}`).join(", ")
  ]
  const width = Math.max(0, ...s.cells.map((x) => x.label.length))
  for (const x of s.cells) {
    if (x.status === "done" || x.status === "pending") continue
    const detail =
      x.status === "failed"
        ? x.error!
        : x.status === "corrupt"
          ? `${x.error ?? "its files do not hold up"}: the next run recomputes it`
          : `iter ${x.iter ?? "?"}, loss ${x.trainLoss?.toExponential(3) ?? "?"}, changed ${ago(x.changedSecondsAgo)} ago` +
            (x.status === "interrupted" ? " — the next run resumes it" : "")
    lines.push(`${x.status.padEnd(11)} ${x.id.slice(0, 12)}  ${x.label.padEnd(width)}  ${detail}`)
  }
  if (s.lastSubmission !== null)
    lines.push(
      `last submitted ${String(s.lastSubmission.time ?? "?")}: array job ${String(s.lastSubmission.arrayJob)}` +
        `, report job ${String(s.lastSubmission.reportJob ?? "none")}`
    )
  if (c.running === 0 && c.done < c.total)
    lines.push(
      `${c.total - c.done} not done and none running now: unless a job of this folder is still queued, gnlab run or gnlab submit again computes only those`
    )
  return lines.join("\n")
}

/** `gnlab status RESULTS_DIR` */
export const status = Command.make(
  "status",
  {
    results: Argument.String("results").pipe(
      Argument.withDescription("results folder of a pipeline (holding cells.json)")
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription(
        "print {results, pipeline, runningMinutes, counts, cells, lastSubmission} as JSON"
      ),
      Flag.withDefault(false)
    ),
    runningMinutes: Flag.Finite("running-minutes").pipe(
      Flag.withDescription(
        "a partial cell is running if its trajectory or checkpoint changed within this many minutes (default 10)"
      ),
      Flag.withDefault(10)
    )
  },
  (f) =>
    Effect.gen(function* () {
      if (!(f.runningMinutes > 0))
        return yield* new InvalidArgument({
          field: "--running-minutes",
          problem: `must be > 0, got ${f.runningMinutes}`
        })
      const s = resultsStatus(f.results, Date.now(), f.runningMinutes)
      if (s instanceof InvalidArgument) return yield* s
      yield* Console.log(f.json ? JSON.stringify(s, null, 2) : formatStatus(s))
    })
).pipe(
  Command.withDescription(
    "Cells done / running / interrupted / pending / failed in a results folder (from the result store, not the scheduler)"
  )
)
