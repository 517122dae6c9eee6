/**
 * The two tables of a results folder, built from its done cells:
 *
 * - `summaries`: one row per cell — the key columns (below), then every summary field;
 * - `trajectories`: one row per trajectory row — the same key columns, then the row's fields.
 *
 * Key columns: `cellId`, `label` (the method's label in the pipeline), `method` (its plugin),
 * `seed`, `backend`, `engine`, then each stage of the resolved config (cell.json) flattened into
 * dotted columns: the stage's plugin as `dataset`, `model`, `metrics` and its parameters as
 * `dataset.nTrain`, `model.width`, `model.initStd`, `method.lr`, …, with every default filled in
 * (what a cell ran, swept or not), and the input files' hashes as `inputs.<stage.param>`.
 *
 * Column types are inferred from the values: BOOLEAN, BIGINT (integers only), DOUBLE, VARCHAR
 * (strings, or text of mixed values; arrays and objects as JSON); losses, wall seconds and the
 * other real-valued row fields are DOUBLE always. A value a cell does not have is
 * NULL (JSON has no Infinity/NaN: the files already write those as null).
 */
import { trajectoryFields } from "@gnlab/metrics"
import type { DoneCell } from "./folder.js"

/** A table cell value. */
export type Scalar = string | number | boolean | null

export type ColumnType = "BOOLEAN" | "BIGINT" | "DOUBLE" | "VARCHAR"

export interface Column {
  readonly name: string
  readonly type: ColumnType
}

/** A table: typed columns and rows of values in column order. */
export interface Table {
  readonly name: string
  readonly columns: ReadonlyArray<Column>
  readonly rows: ReadonlyArray<ReadonlyArray<Scalar>>
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x)

/** Flatten `value` under `prefix` into `out` (objects into dotted keys, arrays as JSON text). */
function flattenInto(out: Map<string, unknown>, prefix: string, value: unknown): void {
  if (isObject(value) && Object.keys(value).length > 0)
    for (const [k, v] of Object.entries(value)) flattenInto(out, `${prefix}.${k}`, v)
  else out.set(prefix, value)
}

/** The key columns of a cell: who it is and every parameter it ran with. */
export function keyColumns(cell: DoneCell): Map<string, unknown> {
  const out = new Map<string, unknown>()
  const config = cell.config
  const method = isObject(config.method) ? config.method.plugin : undefined
  out.set("cellId", cell.id)
  out.set("label", cell.label)
  out.set("method", method ?? null)
  out.set("seed", config.seed ?? null)
  out.set("backend", config.backend ?? cell.summary.backend ?? null)
  out.set("engine", config.engine ?? cell.summary.engine ?? null)
  for (const [stage, value] of Object.entries(config)) {
    if (stage === "cellId" || stage === "seed" || stage === "backend" || stage === "engine") continue
    if (isObject(value) && typeof value.plugin === "string") {
      // a stage: its plugin under its own name (the method's is `method`), its params dotted
      if (stage !== "method") out.set(stage, value.plugin)
      for (const [k, v] of Object.entries(isObject(value.params) ? value.params : {}))
        flattenInto(out, `${stage}.${k}`, v)
    } else flattenInto(out, stage, value)
  }
  return out
}

/** Summary fields that repeat the key columns (the config, the id, the backend and engine). */
const summarySkipped = new Set(["cellId", "config", "trainConfig", "backend", "engine"])

/** The summary fields first in this order (the rest follow as first seen). */
const summaryOrder = [
  "stopReason",
  "iterations",
  "initialTrainLoss",
  "finalTrainLoss",
  "initialTestLoss",
  "finalTestLoss",
  "wallSeconds",
  "rows"
]

function summaryColumns(cell: DoneCell, keys: ReadonlySet<string>): Map<string, unknown> {
  const out = new Map<string, unknown>()
  for (const [k, v] of Object.entries(cell.summary)) {
    if (summarySkipped.has(k)) continue
    const flat = new Map<string, unknown>()
    flattenInto(flat, k, v)
    for (const [name, x] of flat) out.set(keys.has(name) ? `summary.${name}` : name, x)
  }
  return out
}

/**
 * Fields that are real numbers whatever values a folder happens to hold (a step norm of 0, a
 * loss of 1): DOUBLE always, so their type does not change from one folder to the next.
 */
const realFields = new Set<string>([
  ...trajectoryFields.filter((f) => f !== "iter"),
  "initialTrainLoss",
  "finalTrainLoss",
  "initialTestLoss",
  "finalTestLoss",
  "tFinal"
])

function inferType(name: string, values: ReadonlyArray<unknown>): ColumnType {
  const present = values.filter((v) => v !== null && v !== undefined)
  if (present.length === 0) return values.length === 0 ? "VARCHAR" : "DOUBLE"
  if (realFields.has(name) && present.every((v) => typeof v === "number")) return "DOUBLE"
  if (present.every((v) => typeof v === "boolean")) return "BOOLEAN"
  if (present.every((v) => typeof v === "number"))
    return present.every((v) => Number.isSafeInteger(v)) ? "BIGINT" : "DOUBLE"
  return "VARCHAR"
}

function toScalar(v: unknown, type: ColumnType): Scalar {
  if (v === null || v === undefined) return null
  if (type === "VARCHAR") return typeof v === "string" ? v : JSON.stringify(v)
  if (type === "DOUBLE" && typeof v === "number" && !Number.isFinite(v)) return null
  return v as Scalar
}

/**
 * Key column names with each stage's columns together (`method.relCutoff`, which only RF has,
 * next to the other `method.*`), stages in the order first seen, names within a stage too.
 */
function groupedByStage(names: ReadonlyArray<string>): string[] {
  const first = names.filter((n) => leading.includes(n))
  const rest = names.filter((n) => !leading.includes(n))
  const stage = (n: string) => (n.includes(".") ? n.slice(0, n.indexOf(".")) : n)
  const order = [...new Set(rest.map(stage))]
  return [...first, ...rest.sort((x, y) => order.indexOf(stage(x)) - order.indexOf(stage(y)))]
}

/** The key columns that come first, in keyColumns' order. */
const leading: ReadonlyArray<string> = ["cellId", "label", "method", "seed", "backend", "engine"]

/** A table from records: columns in first-seen order after `order`, types inferred. */
function tableOf(
  name: string,
  records: ReadonlyArray<Map<string, unknown>>,
  order: ReadonlyArray<string>
): Table {
  // cellId always: a folder with no done cell still gives a table (empty) to query and export
  const names = new Set<string>(["cellId", ...order.filter((n) => records.some((r) => r.has(n)))])
  for (const r of records) for (const k of r.keys()) names.add(k)
  const columns = [...names].map((n) => ({
    name: n,
    type: inferType(
      n,
      records.map((r) => r.get(n))
    )
  }))
  const rows = records.map((r) => columns.map((c) => toScalar(r.get(c.name), c.type)))
  return { name, columns, rows }
}

/** One row per cell: key columns, then the summary's fields. */
export function summariesTable(cells: ReadonlyArray<DoneCell>): Table {
  const keyNames: string[] = []
  const records = cells.map((cell) => {
    const keys = keyColumns(cell)
    for (const k of keys.keys()) if (!keyNames.includes(k)) keyNames.push(k)
    const row = new Map(keys)
    for (const [k, v] of summaryColumns(cell, new Set(keys.keys()))) row.set(k, v)
    return row
  })
  return tableOf("summaries", records, [...groupedByStage(keyNames), ...summaryOrder])
}

/** One row per trajectory row of every cell: key columns, then the row's fields. */
export function trajectoriesTable(cells: ReadonlyArray<DoneCell>): Table {
  const keyNames: string[] = []
  const records: Array<Map<string, unknown>> = []
  for (const cell of cells) {
    const keys = keyColumns(cell)
    for (const k of keys.keys()) if (!keyNames.includes(k)) keyNames.push(k)
    for (const row of cell.rows) {
      const rec = new Map(keys)
      for (const [k, v] of Object.entries(row)) {
        const flat = new Map<string, unknown>()
        flattenInto(flat, k, v)
        for (const [name, x] of flat) rec.set(keys.has(name) ? `row.${name}` : name, x)
      }
      records.push(rec)
    }
  }
  return tableOf("trajectories", records, [...groupedByStage(keyNames), ...trajectoryFields])
}
