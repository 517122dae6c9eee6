/**
 * A results folder as a list of done cells. Two layouts are read:
 *
 *   gnlab run:            DIR/{pipeline.json, cells.json, cells/<id>/{cell.json, trajectory.jsonl, summary.json, digest.json}}
 *   gnlab train --out:    DIR/{cell.json, trajectory.jsonl, summary.json, digest.json}  (one cell)
 *
 * Whether a cell is done is the store's one rule, `checkDoneCell` (@gnlab/metrics/cell-files):
 * only done cells enter the tables; the others are counted (failed, corrupt, not finished) so
 * the commands can say how many were left out. Read-only: nothing in the folder is written.
 */
import { checkDoneCell } from "@gnlab/metrics/cell-files"
import { Effect } from "effect"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { NotResultsFolder } from "./errors.js"

/** A done cell: its resolved config, summary and trajectory rows. */
export interface DoneCell {
  readonly id: string
  /** the method's label in the pipeline (cells.json), else the method plugin's id */
  readonly label: string
  /** cell.json: the resolved config */
  readonly config: Readonly<Record<string, unknown>>
  readonly summary: Readonly<Record<string, unknown>>
  readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>
}

/** Cells of the folder that are not done, by why. */
export interface LeftOut {
  /** error.json: the cell threw */
  readonly failed: number
  /** a summary or digest that does not hold up */
  readonly corrupt: number
  /** running, interrupted or pending */
  readonly unfinished: number
}

/** What a results folder holds. */
export interface ResultsFolder {
  readonly folder: string
  readonly layout: "pipeline" | "train"
  /** the pipeline's name (pipeline.json), if any */
  readonly pipeline: string | null
  /** cells of the folder (cells.json, else the cell folders), done or not */
  readonly total: number
  readonly cells: ReadonlyArray<DoneCell>
  readonly leftOut: LeftOut
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x)

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"))

const isDir = (path: string): boolean => {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

const methodOf = (config: Readonly<Record<string, unknown>>): string => {
  const m = config.method
  return isObject(m) && typeof m.plugin === "string" ? m.plugin : "?"
}

interface RosterEntry {
  readonly id: string
  readonly label?: string
}

/** The cells of a pipeline folder: cells.json (the pipeline last run into it), else the cell folders. */
function roster(folder: string): ReadonlyArray<RosterEntry> {
  const index = join(folder, "cells.json")
  if (existsSync(index)) {
    try {
      const entries = readJson(index)
      if (Array.isArray(entries) && entries.every((e) => isObject(e) && typeof e.id === "string"))
        return entries.map((e) => ({
          id: e.id as string,
          label: typeof e.label === "string" ? e.label : undefined
        }))
    } catch {
      // an unreadable index: the cell folders say which cells there are
    }
  }
  const cells = join(folder, "cells")
  return isDir(cells)
    ? readdirSync(cells)
        .filter((id) => isDir(join(cells, id)))
        .sort()
        .map((id) => ({ id }))
    : []
}

/** The id a single-run folder's files name (digest, summary, cell.json, in that order). */
function trainCellId(folder: string): string | undefined {
  for (const f of ["digest.json", "summary.json", "cell.json"]) {
    try {
      const x = readJson(join(folder, f))
      if (isObject(x) && typeof x.cellId === "string") return x.cellId
    } catch {
      // missing or being written: try the next file
    }
  }
  return undefined
}

/** Read a results folder (sync; `readResults` is the Effect). */
export function readResultsFolder(folder: string): ResultsFolder | NotResultsFolder {
  if (!existsSync(folder))
    return new NotResultsFolder({
      folder,
      problem: "no such folder: give a folder gnlab run (results/<pipeline name>) or gnlab train --out wrote"
    })
  if (!isDir(folder)) return new NotResultsFolder({ folder, problem: "is a file, not a results folder" })
  const isPipeline =
    ["pipeline.json", "cells.json"].some((f) => existsSync(join(folder, f))) || isDir(join(folder, "cells"))
  const isTrain =
    !isPipeline && ["cell.json", "summary.json", "digest.json"].some((f) => existsSync(join(folder, f)))
  if (!isPipeline && !isTrain)
    return new NotResultsFolder({
      folder,
      problem:
        "not a results folder (no pipeline.json, cells.json or cells/, nor a cell.json of gnlab train --out): give the folder gnlab run or gnlab train --out wrote"
    })
  let pipeline: string | null = null
  try {
    const p = readJson(join(folder, "pipeline.json"))
    pipeline = isObject(p) && typeof p.name === "string" ? p.name : null
  } catch {
    pipeline = null
  }
  const entries: ReadonlyArray<RosterEntry & { readonly dir: string | undefined }> = isPipeline
    ? roster(folder).map((e) => ({ ...e, dir: join(folder, "cells", e.id) }))
    : [{ id: trainCellId(folder) ?? "", dir: trainCellId(folder) === undefined ? undefined : folder }]
  const cells: DoneCell[] = []
  let failed = 0
  let corrupt = 0
  let unfinished = 0
  for (const e of entries) {
    const check = e.dir === undefined ? ({ status: "unfinished" } as const) : checkDoneCell(e.dir, e.id)
    if (check.status === "done")
      cells.push({
        id: e.id,
        label: e.label ?? methodOf(check.config),
        config: check.config,
        summary: check.summary,
        rows: check.rows
      })
    else if (check.status === "corrupt") corrupt++
    else if (e.dir !== undefined && existsSync(join(e.dir, "error.json"))) failed++
    else unfinished++
  }
  return {
    folder,
    layout: isPipeline ? "pipeline" : "train",
    pipeline,
    total: entries.length,
    cells,
    leftOut: { failed, corrupt, unfinished }
  }
}

/** Read a results folder: its done cells, and how many were left out and why. */
export const readResults = (folder: string): Effect.Effect<ResultsFolder, NotResultsFolder> =>
  Effect.suspend(() => {
    const r = readResultsFolder(folder)
    return r instanceof NotResultsFolder ? Effect.fail(r) : Effect.succeed(r)
  })

/** "2 cells left out (1 failed, 1 not finished)", or undefined when every cell is done. */
export function describeLeftOut(r: ResultsFolder): string | undefined {
  const { failed, corrupt, unfinished } = r.leftOut
  const n = failed + corrupt + unfinished
  if (n === 0) return undefined
  const parts = [
    failed > 0 ? `${failed} failed` : undefined,
    corrupt > 0 ? `${corrupt} corrupt` : undefined,
    unfinished > 0 ? `${unfinished} not finished` : undefined
  ].filter((p) => p !== undefined)
  return `${n} of ${r.total} cell${r.total === 1 ? "" : "s"} not done and left out (${parts.join(", ")})`
}
