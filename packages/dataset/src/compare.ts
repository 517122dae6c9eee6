/**
 * What changed between two results folders: cells added and removed, and for the cells both
 * have, the relative differences of their outcomes.
 *
 * Cells pair up by cell id first, then by their parameters: the resolved config without its id
 * and engine version, so a rerun of the same pipeline by another engine version (new cell
 * ids) still pairs cell for cell. Only done cells are compared; the others are counted.
 */
import { describeLeftOut, type DoneCell, type ResultsFolder } from "./folder.js"
import { keyColumns } from "./tables.js"

/** The outcomes compared, and which threshold flags each. */
export const comparedMetrics = ["finalTrainLoss", "finalTestLoss", "iterations", "wallSeconds"] as const
export type ComparedMetric = (typeof comparedMetrics)[number]

export interface CompareOptions {
  /** relative difference above which a loss or iteration count is flagged */
  readonly rtol: number
  /**
   * absolute difference below which a loss is never flagged (default 0): a loss at rounding
   * level, 1e-29 against 3e-29, differs by a large relative amount that means nothing
   */
  readonly atol?: number
  /** the same as rtol for wall seconds (timings vary from run to run) */
  readonly timeRtol: number
}

export interface MetricDiff {
  readonly metric: ComparedMetric | "stopReason"
  readonly a: number | string | null
  readonly b: number | string | null
  /** (b − a)/|a|; 0 when equal; null when one side is missing or not a number */
  readonly rel: number | null
  readonly flagged: boolean
}

/** A cell of both folders. */
export interface CellPair {
  readonly a: string
  readonly b: string
  readonly by: "id" | "parameters"
  /** label, the parameters that vary between cells, seed */
  readonly key: string
  readonly diffs: ReadonlyArray<MetricDiff>
  readonly flagged: boolean
}

export interface CellRef {
  readonly id: string
  readonly key: string
}

export interface FolderSide {
  readonly folder: string
  readonly done: number
  readonly total: number
  /** "2 of 12 cells not done and left out (…)", if any */
  readonly leftOut: string | null
}

export interface Comparison {
  readonly a: FolderSide
  readonly b: FolderSide
  readonly rtol: number
  readonly atol: number
  readonly timeRtol: number
  readonly pairs: ReadonlyArray<CellPair>
  /** cells of B only */
  readonly added: ReadonlyArray<CellRef>
  /** cells of A only */
  readonly removed: ReadonlyArray<CellRef>
}

/** JSON with sorted keys (the identity of a config regardless of key order). */
const canonical = (x: unknown): string =>
  Array.isArray(x)
    ? `[${x.map(canonical).join(",")}]`
    : x !== null && typeof x === "object"
      ? `{${Object.keys(x)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
          .join(",")}}`
      : JSON.stringify(x)

/** A cell's parameters: its config without its id and engine version. */
const parametersOf = (cell: DoneCell): string => {
  const { cellId: _id, engine: _engine, ...rest } = cell.config
  return canonical(rest)
}

/** Key columns that are not the cell's identity or provenance. */
const notParameters = new Set(["cellId", "label", "method", "seed", "engine"])

/**
 * A readable key per cell: label, the parameters that differ between cells of the same label
 * (a parameter only one method has, or that methods set differently, is not news), seed.
 */
function describeCells(cells: ReadonlyArray<DoneCell>): Map<DoneCell, string> {
  const keys = cells.map((c) => keyColumns(c))
  const names = new Set(keys.flatMap((k) => [...k.keys()]))
  const labels = new Set(cells.map((c) => c.label))
  const varying = [...names].filter(
    (n) =>
      !notParameters.has(n) &&
      [...labels].some(
        (l) =>
          new Set(keys.filter((_, i) => cells[i].label === l).map((k) => canonical(k.get(n) ?? null))).size >
          1
      )
  )
  return new Map(
    cells.map((c, i) => [
      c,
      [
        c.label,
        ...varying.filter((n) => keys[i].has(n)).map((n) => `${n}=${String(keys[i].get(n))}`),
        `seed=${String(c.config.seed ?? "?")}`
      ].join(" ")
    ])
  )
}

const relDiff = (a: unknown, b: unknown): number | null => {
  if (typeof a !== "number" || typeof b !== "number") return a === b ? 0 : null
  if (a === b) return 0
  return a === 0 ? (b > 0 ? Infinity : -Infinity) : (b - a) / Math.abs(a)
}

function diffCells(a: DoneCell, b: DoneCell, opts: CompareOptions): MetricDiff[] {
  const num = (x: unknown): number | null => (typeof x === "number" ? x : null)
  const diffs: MetricDiff[] = comparedMetrics.map((metric) => {
    const va = num(a.summary[metric])
    const vb = num(b.summary[metric])
    const rel = relDiff(va, vb)
    const rtol = metric === "wallSeconds" ? opts.timeRtol : opts.rtol
    const atol = metric === "wallSeconds" ? 0 : (opts.atol ?? 0)
    const beyond = rel === null || (Math.abs(rel) > rtol && Math.abs((vb as number) - (va as number)) > atol)
    return { metric, a: va, b: vb, rel, flagged: beyond }
  })
  const sa = typeof a.summary.stopReason === "string" ? a.summary.stopReason : null
  const sb = typeof b.summary.stopReason === "string" ? b.summary.stopReason : null
  diffs.push({ metric: "stopReason", a: sa, b: sb, rel: null, flagged: sa !== sb })
  return diffs
}

/** Compare results folder B with A. */
export function compareResults(a: ResultsFolder, b: ResultsFolder, opts: CompareOptions): Comparison {
  const key = describeCells([...a.cells, ...b.cells])
  const unmatchedB = new Map(b.cells.map((c) => [c.id, c]))
  const pairs: CellPair[] = []
  const unmatchedA: DoneCell[] = []
  for (const ca of a.cells) {
    const cb = unmatchedB.get(ca.id)
    if (cb === undefined) unmatchedA.push(ca)
    else {
      unmatchedB.delete(ca.id)
      pairs.push(pair(ca, cb, "id"))
    }
  }
  // then by parameters (another engine version: other ids, the same cells)
  const byParams = new Map<string, DoneCell[]>()
  for (const cb of unmatchedB.values()) {
    const p = parametersOf(cb)
    byParams.set(p, [...(byParams.get(p) ?? []), cb])
  }
  const removed: DoneCell[] = []
  for (const ca of unmatchedA) {
    const candidates = byParams.get(parametersOf(ca))
    const cb = candidates?.shift()
    if (cb === undefined) removed.push(ca)
    else {
      unmatchedB.delete(cb.id)
      pairs.push(pair(ca, cb, "parameters"))
    }
  }
  function pair(ca: DoneCell, cb: DoneCell, by: CellPair["by"]): CellPair {
    const diffs = diffCells(ca, cb, opts)
    return { a: ca.id, b: cb.id, by, key: key.get(ca)!, diffs, flagged: diffs.some((d) => d.flagged) }
  }
  const ref = (c: DoneCell): CellRef => ({ id: c.id, key: key.get(c)! })
  const side = (r: ResultsFolder): FolderSide => ({
    folder: r.folder,
    done: r.cells.length,
    total: r.total,
    leftOut: describeLeftOut(r) ?? null
  })
  return {
    a: side(a),
    b: side(b),
    rtol: opts.rtol,
    atol: opts.atol ?? 0,
    timeRtol: opts.timeRtol,
    pairs,
    added: [...unmatchedB.values()].map(ref),
    removed: removed.map(ref)
  }
}

/** A threshold as given on the command line (1e-6, not 0.000001). */
const showTol = (x: number): string =>
  x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6) ? x.toExponential() : String(x)

const showRel = (d: MetricDiff): string => {
  const flag = d.flagged ? "*" : ""
  if (d.metric === "stopReason") return d.a === d.b ? String(d.a) : `${String(d.a)}→${String(d.b)}${flag}`
  if (d.rel === null) return `${d.a === null ? "none" : "?"}→${d.b === null ? "none" : "?"}${flag}`
  if (d.rel === 0) return "0"
  if (!Number.isFinite(d.rel)) return `${d.rel > 0 ? "+" : "-"}inf${flag}`
  return `${d.rel > 0 ? "+" : ""}${d.rel.toExponential(1)}${flag}`
}

/**
 * The comparison as text: the two folders, the counts, the cells whose outcomes differ beyond
 * the thresholds (every paired cell with `all`), then the cells added and removed.
 */
export function formatComparison(c: Comparison, all = false): string {
  const sideLine = (name: string, s: FolderSide) =>
    `${name}: ${s.folder} — ${s.done} done cell${s.done === 1 ? "" : "s"}${s.leftOut !== null ? `; ${s.leftOut}` : ""}`
  const byId = c.pairs.filter((p) => p.by === "id").length
  const flagged = c.pairs.filter((p) => p.flagged)
  const lines = [
    sideLine("A", c.a),
    sideLine("B", c.b),
    `${c.pairs.length} cell${c.pairs.length === 1 ? "" : "s"} in both (${byId} by cell id, ` +
      `${c.pairs.length - byId} by parameters), ${c.added.length} added, ${c.removed.length} removed; ` +
      `${flagged.length} differ${flagged.length === 1 ? "s" : ""} beyond --rtol ${showTol(c.rtol)}` +
      (c.atol > 0 ? ` and --atol ${showTol(c.atol)} ` : " ") +
      `(wall seconds: --time-rtol ${showTol(c.timeRtol)})`
  ]
  const shown = all ? c.pairs : flagged
  if (shown.length > 0) {
    const metrics = shown[0].diffs.map((d) => d.metric)
    const header = ["cell A", "cell B", "cell", ...metrics]
    const rows = shown.map((p) => [
      p.a.slice(0, 12),
      p.b === p.a ? "same" : p.b.slice(0, 12),
      p.key,
      ...p.diffs.map(showRel)
    ])
    lines.push(
      "",
      `${all ? "cells in both" : "cells that differ"}: relative difference (B − A)/|A|, * beyond the threshold`,
      ...tableLines(header, rows)
    )
  }
  for (const [title, refs] of [
    ["added (only in B)", c.added],
    ["removed (only in A)", c.removed]
  ] as const)
    if (refs.length > 0) lines.push("", `${title}:`, ...refs.map((r) => `  ${r.id.slice(0, 12)}  ${r.key}`))
  return lines.join("\n")
}

function tableLines(header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((s, j) => s.padEnd(widths[j]))
      .join("  ")
      .trimEnd()
  return [line(header), ...rows.map(line)]
}
