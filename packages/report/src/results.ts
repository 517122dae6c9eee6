/**
 * Reading a results folder (docs/pipelines.md, "Cells and the result store"):
 *
 *   pipeline.json  cells.json  events.jsonl  cells/<id>/{cell.json, trajectory.jsonl, summary.json, error.json, checkpoint.json}
 *
 * Read-only and tolerant of a folder being written: whether a cell is done and intact is the
 * runner's rule, `checkDoneCell` of `@gnlab/metrics/cell-files` (its digest matches its files,
 * its summary names it and counts its rows, every row parses); a half-written last trajectory
 * line of a running cell is skipped. A folder that is not a results folder
 * at all fails with `ResultsInvalid`, which names the problem and the fix.
 */
import type { RunSummary, TrajectoryRow } from "@gnlab/metrics"
import { checkDoneCell } from "@gnlab/metrics/cell-files"
import { Data, Effect } from "effect"
import { existsSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"

/** A results folder the report cannot read: what is wrong and how to fix it (one line). */
export class ResultsInvalid extends Data.TaggedError("ResultsInvalid")<{
  readonly dir: string
  readonly problem: string
  readonly fix: string
}> {
  override get message(): string {
    return `${this.dir}: ${this.problem} — ${this.fix}`
  }
}

/** A plot the pipeline declares (`report.plots[i]`). */
export interface PlotDeclaration {
  readonly id: string
  readonly plugin: string
  readonly title?: string
  readonly params?: Readonly<Record<string, unknown>>
}

/** The parts of pipeline.json the report uses. */
export interface PipelineInfo {
  readonly name: string
  readonly description?: string
  readonly methods: ReadonlyArray<{ readonly plugin: string; readonly label?: string }>
  readonly seeds: ReadonlyArray<number>
  readonly report?: { readonly title?: string; readonly plots?: ReadonlyArray<PlotDeclaration> }
}

/** A row of cells.json. */
export interface CellEntry {
  readonly id: string
  readonly label: string
  readonly point: Readonly<Record<string, unknown>>
  readonly seed: number
  readonly method: string
}

/** Where a cell stands: done (with its stop reason), or not. */
export type CellState = "converged" | "maxIter" | "diverged" | "failed" | "partial" | "pending" | "corrupt"

/** The summary of a done cell (summary.json: RunSummary plus the store's fields). */
export type CellSummary = RunSummary & {
  readonly cellId: string
  readonly rows: number
  readonly engine?: string
}

/** One cell of the pipeline and what the folder holds for it. */
export interface CellResult {
  readonly entry: CellEntry
  readonly state: CellState
  /** resolved config (cell.json), when the cell was started */
  readonly config?: Readonly<Record<string, unknown>>
  readonly summary?: CellSummary
  /** trajectory rows (done and partial cells) */
  readonly rows: ReadonlyArray<TrajectoryRow>
  /** error.json's message of a failed cell */
  readonly error?: string
}

/** A `gnlab run` in events.jsonl. */
export interface RunRecord {
  readonly start: string
  readonly end: string | null
  /** seconds from run-start to run-end (null: interrupted or still running) */
  readonly seconds: number | null
  readonly computed: number | null
  readonly failed: number | null
}

/** Everything the report needs from a results folder. */
export interface ResultsFolder {
  readonly dir: string
  readonly pipeline: PipelineInfo
  readonly cells: ReadonlyArray<CellResult>
  readonly runs: ReadonlyArray<RunRecord>
}

/** Parse one JSON file, or undefined when absent or unreadable. */
function tryJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"))
  } catch {
    return undefined
  }
}

/** JSON lines that parse (a line being written is skipped). */
function jsonLines(path: string): unknown[] {
  if (!existsSync(path)) return []
  const out: unknown[] = []
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.length === 0) continue
    try {
      out.push(JSON.parse(line))
    } catch {
      // a partial line at the end of a running cell's trajectory
    }
  }
  return out
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x)

/** Read one cell's folder: done (with its stop reason) or corrupt by the runner's rule, `checkDoneCell`. */
export function readCell(dir: string, entry: CellEntry): CellResult {
  const cellDir = join(dir, "cells", entry.id)
  if (!existsSync(cellDir)) return { entry, state: "pending", rows: [] }
  const check = checkDoneCell(cellDir, entry.id)
  if (check.status === "done") {
    const summary = check.summary as unknown as CellSummary
    const rows = check.rows as unknown as TrajectoryRow[]
    // a numerical failure of the method is a finished cell whose summary says why
    const failure = (summary as { failure?: unknown }).failure
    return {
      entry,
      config: check.config,
      state: summary.stopReason,
      summary,
      rows,
      ...(typeof failure === "string" ? { error: failure } : {})
    }
  }
  if (check.status === "corrupt") return { entry, state: "corrupt", rows: [] }
  const config = tryJson(join(cellDir, "cell.json"))
  const base = { entry, ...(isObject(config) ? { config } : {}) }
  const trajectory = join(cellDir, "trajectory.jsonl")
  if (existsSync(join(cellDir, "error.json"))) {
    const e = tryJson(join(cellDir, "error.json"))
    const message = isObject(e) && typeof e.message === "string" ? e.message : "error.json unreadable"
    return { ...base, state: "failed", rows: jsonLines(trajectory) as TrajectoryRow[], error: message }
  }
  if (existsSync(join(cellDir, "checkpoint.json")) || existsSync(trajectory))
    return { ...base, state: "partial", rows: jsonLines(trajectory) as TrajectoryRow[] }
  return { ...base, state: "pending", rows: [] }
}

/** The runs recorded in events.jsonl. */
export function readRuns(dir: string): RunRecord[] {
  const runs: Array<{ start: string; end: string | null; computed: number | null; failed: number | null }> =
    []
  for (const e of jsonLines(join(dir, "events.jsonl"))) {
    if (!isObject(e) || typeof e.time !== "string") continue
    if (e.event === "run-start") runs.push({ start: e.time, end: null, computed: null, failed: null })
    else if (e.event === "run-end" && runs.length > 0 && runs[runs.length - 1].end === null) {
      const r = runs[runs.length - 1]
      r.end = e.time
      r.computed = typeof e.computed === "number" ? e.computed : null
      r.failed = typeof e.failed === "number" ? e.failed : null
    }
  }
  return runs.map((r) => ({
    ...r,
    seconds: r.end === null ? null : (Date.parse(r.end) - Date.parse(r.start)) / 1000
  }))
}

/** Check the shape of pipeline.json's fields the report relies on; a problem or undefined. */
function pipelineProblem(p: unknown): string | undefined {
  if (!isObject(p)) return "pipeline.json is not a JSON object"
  if (typeof p.name !== "string") return "pipeline.json has no name"
  if (!Array.isArray(p.methods)) return "pipeline.json has no methods"
  if (p.report !== undefined) {
    if (!isObject(p.report)) return "pipeline.json: report is not an object"
    const plots = p.report.plots
    if (plots !== undefined) {
      if (!Array.isArray(plots)) return "pipeline.json: report.plots is not a list"
      for (const [i, x] of plots.entries())
        if (!isObject(x) || typeof x.id !== "string" || typeof x.plugin !== "string")
          return `pipeline.json: report.plots[${i}] needs an id and a plugin`
    }
  }
  return undefined
}

function cellsProblem(c: unknown): string | undefined {
  if (!Array.isArray(c)) return "cells.json is not a list"
  for (const [i, x] of c.entries())
    if (
      !isObject(x) ||
      typeof x.id !== "string" ||
      typeof x.label !== "string" ||
      !isObject(x.point) ||
      typeof x.seed !== "number"
    )
      return `cells.json[${i}] lacks id, label, point or seed`
  return undefined
}

/** Read a results folder written by `gnlab run`. */
export const readResults = (dir: string): Effect.Effect<ResultsFolder, ResultsInvalid> =>
  Effect.gen(function* () {
    const fail = (problem: string, fix: string) => Effect.fail(new ResultsInvalid({ dir, problem, fix }))
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      return yield* fail(
        "no such folder",
        "pass the results folder of a pipeline run (results/<pipeline name>)"
      )
    const runIt =
      "run `gnlab run PIPELINE.json` first (it writes results/<name>), or pass the folder that holds pipeline.json"
    if (!existsSync(join(dir, "pipeline.json")))
      return yield* fail("not a gnlab results folder (no pipeline.json)", runIt)
    const pipeline = tryJson(join(dir, "pipeline.json"))
    const pp = pipeline === undefined ? "pipeline.json is not valid JSON" : pipelineProblem(pipeline)
    if (pp !== undefined) return yield* fail(pp, "rerun `gnlab run PIPELINE.json` to rewrite it")
    if (!existsSync(join(dir, "cells.json")))
      return yield* fail(
        "no cells.json next to pipeline.json",
        "rerun `gnlab run PIPELINE.json` to rewrite it"
      )
    const cells = tryJson(join(dir, "cells.json"))
    const cp = cells === undefined ? "cells.json is not valid JSON" : cellsProblem(cells)
    if (cp !== undefined) return yield* fail(cp, "rerun `gnlab run PIPELINE.json` to rewrite it")
    return {
      dir,
      pipeline: pipeline as PipelineInfo,
      cells: (cells as CellEntry[]).map((e) => readCell(dir, e)),
      runs: readRuns(dir)
    }
  })
