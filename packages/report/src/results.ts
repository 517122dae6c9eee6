/**
 * Reading a results folder (docs/pipelines.md, "Cells and the result store"):
 *
 *   pipeline.json  cells.json  events.jsonl  cells/<id>/{cell.json, trajectory.jsonl, summary.json, error.json, checkpoint.json}
 *
 * or the folder of one `gnlab train --out DIR` run (cell.json, trajectory.jsonl, summary.json
 * in DIR itself), read as a pipeline of one cell.
 *
 * Read-only and tolerant of a folder being written: where a cell stands is the store's rule
 * (`@gnlab/store`: the done rule — its digest matches its files, its summary names it and
 * counts its rows, every row parses — and the lifecycle's one vocabulary); a half-written last
 * trajectory line of a running cell is skipped. A folder that is not a results folder at all
 * fails with `ResultsInvalid`, which names the problem and the fix.
 */
import type { RunSummary, TrajectoryRow } from "@gnlab/metrics"
import { curvesPlot } from "./builtin-plots.js"
import {
  cellFacts,
  classifyCell,
  CONFIG_FILE,
  DEFAULT_RUNNING_MINUTES,
  nodeFiles,
  SUMMARY_FILE,
  type CellStatus
} from "@gnlab/store"
import { Data, Effect } from "effect"
import { existsSync, readFileSync, statSync } from "node:fs"
import { basename, join, resolve } from "node:path"

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

/**
 * What the report makes of a cell: done, with its stop reason, or not done — `partial` being
 * the store's running or interrupted. Where the cell stands in the store's own vocabulary is
 * `CellResult.status`.
 */
export type CellOutcome = "converged" | "maxIter" | "diverged" | "failed" | "partial" | "pending" | "corrupt"

/** @deprecated the report's outcome of a cell: `CellOutcome` (the store's status is `CellStatus`). */
export type CellState = CellOutcome

/** The summary of a done cell (summary.json: RunSummary plus the store's fields). */
export type CellSummary = RunSummary & {
  readonly cellId: string
  readonly rows: number
  readonly engine?: string
}

/** One cell of the pipeline and what the folder holds for it. */
export interface CellResult {
  readonly entry: CellEntry
  readonly state: CellOutcome
  /** where the cell stands in the store (pending, running, interrupted, done, failed, corrupt) */
  readonly status: CellStatus
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
  /**
   * seconds from run-start to run-end; for a run interrupted or still running (end null), to its
   * last recorded event (a lower bound), null when it recorded none after its start
   */
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
  return readCellAt(join(dir, "cells", entry.id), entry)
}

/** Read the cell folder `cellDir` of `entry` (the store's status, its files as far as they go). */
export function readCellAt(cellDir: string, entry: CellEntry, nowMs: number = Date.now()): CellResult {
  const facts = cellFacts(nodeFiles, cellDir, entry.id)
  const { status } = classifyCell(facts, nowMs, DEFAULT_RUNNING_MINUTES)
  const check = facts.done
  if (check.status === "done") {
    const summary = check.summary as unknown as CellSummary
    const rows = check.rows as unknown as TrajectoryRow[]
    // a numerical failure of the method is a finished cell whose summary says why
    const failure = (summary as { failure?: unknown }).failure
    return {
      entry,
      status,
      config: check.config,
      state: summary.stopReason,
      summary,
      rows,
      ...(typeof failure === "string" ? { error: failure } : {})
    }
  }
  if (status === "corrupt") return { entry, status, state: "corrupt", rows: [] }
  if (status === "pending" && !existsSync(cellDir)) return { entry, status, state: "pending", rows: [] }
  const config = tryJson(join(cellDir, CONFIG_FILE))
  const base = { entry, status, ...(isObject(config) ? { config } : {}) }
  const trajectory = join(cellDir, "trajectory.jsonl")
  if (status === "failed")
    return { ...base, state: "failed", rows: jsonLines(trajectory) as TrajectoryRow[], error: facts.error }
  if (status === "running" || status === "interrupted")
    return { ...base, state: "partial", rows: jsonLines(trajectory) as TrajectoryRow[] }
  return { ...base, state: "pending", rows: [] }
}

/** The runs recorded in events.jsonl. */
export function readRuns(dir: string): RunRecord[] {
  const runs: Array<{
    start: string
    end: string | null
    last: string | null
    computed: number | null
    failed: number | null
  }> = []
  for (const e of jsonLines(join(dir, "events.jsonl"))) {
    if (!isObject(e) || typeof e.time !== "string") continue
    const r = runs.at(-1)
    if (e.event === "run-start")
      runs.push({ start: e.time, end: null, last: null, computed: null, failed: null })
    else if (r === undefined || r.end !== null) continue
    else if (e.event === "run-end") {
      r.end = e.time
      r.computed = typeof e.computed === "number" ? e.computed : null
      r.failed = typeof e.failed === "number" ? e.failed : null
    } else r.last = e.time
  }
  return runs.map(({ last, ...r }) => {
    const until = r.end ?? last
    return { ...r, seconds: until === null ? null : (Date.parse(until) - Date.parse(r.start)) / 1000 }
  })
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
    if (!existsSync(join(dir, "pipeline.json")) && isTrainFolder(dir)) return yield* readTrainFolder(dir)
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

/** Whether `dir` is the folder of one `gnlab train --out DIR` run (its cell's files in DIR itself). */
export const isTrainFolder = (dir: string): boolean =>
  existsSync(join(dir, CONFIG_FILE)) &&
  (existsSync(join(dir, SUMMARY_FILE)) || existsSync(join(dir, "trajectory.jsonl")))

/**
 * A `gnlab train --out DIR` folder as a results folder of one cell: the pipeline is named after
 * the folder, has the run's method, and draws the losses (train and test loss vs iteration).
 */
function readTrainFolder(dir: string): Effect.Effect<ResultsFolder, ResultsInvalid> {
  const config = tryJson(join(dir, CONFIG_FILE))
  const method = isObject(config) && isObject(config.method) ? config.method.plugin : undefined
  if (!isObject(config) || typeof config.cellId !== "string" || typeof method !== "string")
    return Effect.fail(
      new ResultsInvalid({
        dir,
        problem: "cell.json of this gnlab train folder is unreadable or has no cellId and method",
        fix: "rerun `gnlab train … --out DIR` to rewrite it"
      })
    )
  const seed = typeof config.seed === "number" ? config.seed : 0
  const label = method.toUpperCase()
  const entry: CellEntry = { id: config.cellId, label, point: {}, seed, method }
  const pipeline: PipelineInfo = {
    name: basename(resolve(dir)),
    description: "one `gnlab train` run",
    methods: [{ plugin: method, label }],
    seeds: [seed],
    report: {
      title: `gnlab train: ${basename(resolve(dir))}`,
      plots: [{ id: "losses", plugin: curvesPlot.id }]
    }
  }
  return Effect.succeed({ dir, pipeline, cells: [readCellAt(dir, entry)], runs: [] })
}
