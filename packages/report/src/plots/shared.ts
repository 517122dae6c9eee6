/**
 * What the plot plugins share: the figure types, cells' parameters and grouping into
 * panels, log axes and their labels, panel layout, and the figures' look.
 */
import type { RateFit } from "@gnlab/metrics"
import type { TopLevelSpec } from "vega-lite"
import { fontFamily } from "../font.js"
import { palette, paramText, valueText } from "../labels.js"
import { reportMethod } from "../plugins.js"
import type { CellResult, ResultsFolder } from "../results.js"

/** A declared figure: a spec to render, or the reason there is none. */
export interface Figure {
  readonly id: string
  readonly plugin: string
  readonly title: string
  /** the Vega-Lite spec (absent when there is nothing to draw) */
  readonly spec?: TopLevelSpec
  /** why there is no spec */
  readonly missing?: string
  /** what is drawn (bands, fits) */
  readonly caption: string
  /** cells left out and why */
  readonly notes: ReadonlyArray<string>
}

/** One row of the α table (Table 1). */
export interface RateRow {
  readonly figure: string
  /** other swept parameters of this fit ("" when none) */
  readonly panel: string
  readonly method: string
  readonly plugin: string
  readonly fit: RateFit
  /** the paper's α for this method (Table 1), when it reports one */
  readonly paper?: number
}

/** Everything built from the declared plots. */
export interface Figures {
  readonly figures: ReadonlyArray<Figure>
  readonly rates: ReadonlyArray<RateRow>
}

// ---------------------------------------------------------------- cells, params, groups

/** Upper-case a leading ASCII letter (never a symbol: σ* must stay σ*). */
export const capitalize = (s: string): string =>
  /^[a-z]/.test(s) ? s.charAt(0).toUpperCase() + s.slice(1) : s

export const finished = (c: CellResult) => c.state === "converged" || c.state === "maxIter"

/** A cell's value of a parameter path: its sweep point, else its resolved config. */
export function paramValue(cell: CellResult, path: string): unknown {
  if (path in cell.entry.point) return cell.entry.point[path]
  const [stage, name] = path.split(".")
  const config = (cell.summary?.config ?? cell.config) as Record<string, unknown> | undefined
  const s = config?.[stage] as { params?: Record<string, unknown> } | undefined
  return s?.params?.[name]
}

/** The swept parameter paths, in the order of the sweep. */
export const sweptParams = (folder: ResultsFolder): string[] => [
  ...new Set(folder.cells.flatMap((c) => Object.keys(c.entry.point)))
]

/** Sort values: numbers ascending, then the rest by their text. */
export const compareValues = (a: unknown, b: unknown): number =>
  typeof a === "number" && typeof b === "number" ? a - b : valueText(a).localeCompare(valueText(b))

/** Method labels in the pipeline's order. */
export function methodOrder(folder: ResultsFolder): Array<{ label: string; plugin: string }> {
  const out = new Map<string, string>()
  for (const m of folder.pipeline.methods) out.set(m.label ?? m.plugin, m.plugin)
  for (const c of folder.cells) if (!out.has(c.entry.label)) out.set(c.entry.label, c.entry.method)
  return [...out.entries()].map(([label, plugin]) => ({ label, plugin }))
}

/**
 * Colour scale of method labels: the paper's method colours, then the palette. Several labels
 * of one plugin (GN flows with different η) get shades of its colour, light to dark in order.
 */
export function methodScale(methods: ReadonlyArray<{ label: string; plugin: string }>) {
  let k = 0
  const count = (plugin: string) => methods.filter((m) => m.plugin === plugin).length
  return {
    domain: methods.map((m) => m.label),
    range: methods.map((m) => {
      const base = reportMethod(m.plugin)?.color
      if (base === undefined) return palette[k++ % palette.length]
      const n = count(m.plugin)
      if (n === 1) return base
      const i = methods.filter((x) => x.plugin === m.plugin).findIndex((x) => x.label === m.label)
      return shade(base, -0.5 + i / (n - 1))
    })
  }
}

/** A colour mixed towards white (t < 0) or black (t > 0) by |t|. */
export function shade(hex: string, t: number): string {
  const target = t < 0 ? 255 : 0
  const mix = (j: number) => {
    const v = parseInt(hex.slice(j, j + 2), 16)
    return Math.round(v + Math.abs(t) * (target - v))
      .toString(16)
      .padStart(2, "0")
  }
  return `#${mix(1)}${mix(3)}${mix(5)}`
}

/**
 * Panels: one per combination of the facet parameter and of every swept parameter the plot
 * does not otherwise use (so cells that differ in them are never averaged together).
 */
export function panelOf(
  folder: ResultsFolder,
  used: ReadonlyArray<string | undefined>,
  facet: string | undefined
) {
  const others = sweptParams(folder).filter((p) => !used.includes(p))
  const paths = facet === undefined ? others : [facet, ...others.filter((p) => p !== facet)]
  const label = (c: CellResult) => paths.map((p) => paramText(p, paramValue(c, p))).join(", ")
  const order = (cells: ReadonlyArray<CellResult>): string[] => {
    const byLabel = new Map<string, CellResult>()
    for (const c of cells) if (!byLabel.has(label(c))) byLabel.set(label(c), c)
    return [...byLabel.entries()]
      .sort(([, a], [, b]) => {
        for (const p of paths) {
          const d = compareValues(paramValue(a, p), paramValue(b, p))
          if (d !== 0) return d
        }
        return 0
      })
      .map(([l]) => l)
  }
  return { label, order }
}

/** Notes on the cells a figure leaves out. */
export function exclusionNotes(cells: ReadonlyArray<CellResult>): string[] {
  const count = (s: string) => cells.filter((c) => c.state === s).length
  const notes: string[] = []
  if (count("diverged") > 0) notes.push(`${count("diverged")} diverged cell(s) left out (see the cell table)`)
  const waiting = cells.length - cells.filter(finished).length - count("diverged")
  if (waiting > 0)
    notes.push(
      `${waiting} of ${cells.length} cells not finished (pending, running, failed or corrupt): drawn from the ${cells.filter(finished).length} finished ones`
    )
  const unstable = gdUnstableCells(cells)
  if (unstable.count > 0)
    notes.push(
      `${unstable.count} gradient-flow cell(s) standing in for GD reach λ·σmax(A)/N = ${unstable.worst.toPrecision(3)} > 2: ` +
        "explicit GD with that λ would not follow the flow there (it overshoots before it settles), so the flow is GD's λ → 0 limit, not GD itself"
    )
  return notes
}

/**
 * Gradient-flow cells whose rows record gdStability = λσmax(A_t)/N ≥ 2 somewhere: where GD
 * with step λ is unstable on the flow's path (explicit Euler needs λσmax/N < 2).
 */
export function gdUnstableCells(cells: ReadonlyArray<CellResult>): { count: number; worst: number } {
  let count = 0
  let worst = 0
  for (const c of cells) {
    let max = 0
    for (const r of c.rows) if (typeof r.gdStability === "number") max = Math.max(max, r.gdStability)
    if (max >= 2) {
      count++
      worst = Math.max(worst, max)
    }
  }
  return { count, worst }
}

/** The message of a figure with nothing to draw because no cell has finished. */
export function nothingYet(cells: ReadonlyArray<CellResult>): string {
  const count = (s: string) => cells.filter((c) => c.state === s).length
  const parts = ["pending", "partial", "failed", "corrupt", "diverged"]
    .filter((s) => count(s) > 0)
    .map((s) => `${count(s)} ${s === "partial" ? "running or interrupted" : s}`)
  return `No finished cell to draw yet (0 of ${cells.length} done${parts.length > 0 ? `: ${parts.join(", ")}` : ""}). Run \`gnlab run\` on the pipeline; the figure appears when cells finish.`
}

// ---------------------------------------------------------------- seeds and the tolerance floor

/**
 * Below this many seeds a figure draws each seed instead of a Student-t band: with 2 seeds
 * the 95% band is ±12.7 standard errors and covers everything, so it says less than the seeds.
 */
export const minSeedsForBand = 3

/** The stopping rules' default relative tolerance (L ≤ tol·L(w0)), when a cell's config names none. */
const defaultTol = 1e-8

/**
 * The lowest train loss worth drawing: the smallest tolerance level tol·L(w0) over the cells
 * (their stopping rule), undefined when no cell stops on a tolerance. Below it a run has
 * converged and the rest is rounding (RF's one solve reaches 1e-26), which would otherwise
 * stretch a log axis over 20 decades and flatten every curve.
 */
export function toleranceFloor(cells: ReadonlyArray<CellResult>): number | undefined {
  let floor = Infinity
  for (const c of cells) {
    const tolParam = paramValue(c, "method.tol")
    const tol = typeof tolParam === "number" ? tolParam : defaultTol
    const l0 = c.summary?.initialTrainLoss ?? c.rows.find((r) => r.iter === 0)?.trainLoss
    if (tol > 0 && typeof l0 === "number" && Number.isFinite(l0) && l0 > 0) floor = Math.min(floor, tol * l0)
  }
  return Number.isFinite(floor) ? floor : undefined
}

/** A value held at the floor (and flagged) when below it; the raw value is kept for tooltips. */
export const atFloor = (v: number, floor: number | undefined): { shown: number; below: boolean } =>
  floor !== undefined && v < floor ? { shown: floor, below: true } : { shown: v, below: false }

/** The note of a figure with points held at the tolerance floor. */
export const floorNote = (count: number, floor: number): string =>
  `${count} point(s) below the tolerance level tol·L(w0) = ${floor.toExponential(1)} (the smallest over the cells) are drawn at the` +
  ` lower edge of the train-loss axis as ▼; their values are in the tooltips and tables`

// ---------------------------------------------------------------- axes and shared config

/** Shared look: the shipped font everywhere, legible sizes, light grid. */
export const figureConfig = {
  font: fontFamily,
  background: "white",
  padding: 8,
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: "normal",
    gridColor: "#e6e6e6",
    labelColor: "#222",
    titleColor: "#222"
  },
  legend: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: "normal",
    labelLimit: 420,
    symbolStrokeWidth: 2.5
  },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: "start", offset: 12 },
  view: { stroke: "#bbbbbb" }
} as const

const lg = "log(datum.value)/LN10"
/** A Vega expression writing the integer expression `e` in superscript digits (d3 writes − as U+2212). */
function superscript(e: string): string {
  const sup: Array<[string, string]> = [
    ["−", "⁻"],
    ["-", "⁻"],
    ..."0123456789".split("").map((d, i): [string, string] => [d, "⁰¹²³⁴⁵⁶⁷⁸⁹"[i]])
  ]
  let out = `format(${e}, 'd')`
  for (const [a, b] of sup) out = `replace(${out}, regexp('${a}', 'g'), '${b}')`
  return out
}
const exponent = `floor(${lg} + 1e-9)`
const mantissa = `round(datum.value / pow(10, ${exponent}))`
/** 10ⁿ, or m×10ⁿ (for ticks at m × a power of ten). */
const scientific = `(${mantissa} === 1 ? '' : format(${mantissa}, 'd') + '×') + '10' + ${superscript(exponent)}`
/** Plain numbers between 0.001 and 10 000, scientific beyond. */
const plainOrScientific = `datum.value < 1e-3 || datum.value >= 1e4 ? ${scientific} : format(datum.value, '~g')`

/** Which ticks of a log axis spanning `decades` carry a label (a Vega expression; undefined: all). */
function labeledTicks(decades: number): string | undefined {
  if (decades > 2.5) return `abs(${lg} - round(${lg})) < 1e-6`
  if (decades <= 1) return undefined
  return `indexof([1, 2, 5], ${mantissa}) >= 0`
}

/**
 * Labels of a log axis spanning `decades`: only powers of ten (as 10ⁿ) beyond 2.5 decades,
 * the 1-2-5 ticks up to that, every tick below one decade; plain numbers between 10⁻³ and
 * 10⁴ on the shorter axes.
 */
export function logLabelExpr(decades: number): string {
  const test = labeledTicks(decades)
  if (decades > 2.5) return `${test} ? ${scientific} : ''`
  return test === undefined ? plainOrScientific : `${test} ? (${plainOrScientific}) : ''`
}

/** Decades spanned by positive values (0 when none). */
export function decadesOf(values: ReadonlyArray<number | null | undefined>): number {
  const ok = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v) && v > 0)
  if (ok.length === 0) return 0
  return Math.log10(Math.max(...ok) / Math.min(...ok))
}

/**
 * A quantitative axis: a log scale whose labelled ticks get full grid lines and long ticks
 * (the others faint), or a linear one. `ticks`: explicit tick values (a swept parameter's
 * values), each labelled.
 */
export function axisFor(
  title: string,
  log: boolean,
  values: ReadonlyArray<number | null | undefined>,
  ticks?: ReadonlyArray<number>,
  domain?: readonly [number, number]
) {
  const titled = title === "" ? null : title
  const explicit = ticks !== undefined && ticks.length <= 12 ? { values: [...ticks] } : undefined
  const range = domain === undefined ? { padding: 8 } : { domain: [...domain] }
  if (!log)
    return {
      scale: { zero: false, nice: explicit === undefined && domain === undefined, ...range },
      axis: { title: titled, ...explicit }
    }
  const decades = decadesOf(domain ?? values)
  const test = explicit === undefined ? labeledTicks(decades) : undefined
  return {
    scale: { type: "log" as const, nice: false, ...range },
    axis: {
      title: titled,
      ...explicit,
      labelExpr: explicit === undefined ? logLabelExpr(decades) : plainOrScientific,
      labelOverlap: true as const,
      ...(test === undefined
        ? {}
        : {
            gridOpacity: { condition: { test, value: 1 }, value: 0.35 },
            tickSize: { condition: { test, value: 6 }, value: 3 }
          })
    }
  }
}

/**
 * The y range of a curves panel: the means' range with a margin (a third of a decade, or
 * 8%, at least), so that a wide band — two seeds give t = 12.7 — does not flatten the curves;
 * bands are cut at the panel's edges.
 */
export function meanDomain(centers: ReadonlyArray<number>, log: boolean): [number, number] | undefined {
  const ok = centers.filter((v) => Number.isFinite(v) && (!log || v > 0))
  if (ok.length === 0) return undefined
  const [lo, hi] = [Math.min(...ok), Math.max(...ok)]
  if (log) {
    const m = 10 ** Math.max(1 / 3, 0.08 * Math.log10(hi / lo))
    return [lo / m, hi * m]
  }
  const pad = hi > lo ? 0.08 * (hi - lo) : Math.abs(hi) * 0.1 || 1
  return [lo - pad, hi + pad]
}

/** Legend symbols as solid strokes (the bands' transparency would wash them out). */
export const strokeLegend = { symbolType: "stroke", symbolOpacity: 1, symbolStrokeWidth: 3, symbolSize: 250 }

const panelWidth = 300
const panelHeight = 210

/** Panels per line before wrapping (a figure stays printable with many sweep values). */
const maxColumns = 3

/** One panel per value of `column` (when there are several), of a layered spec, wrapped after `maxColumns`. */
function columns(layer: unknown[], column: { field: string; order: string[] }) {
  const inner = { width: panelWidth, height: panelHeight, layer }
  if (column.order.length <= 1) return inner
  return {
    facet: {
      field: column.field,
      type: "nominal",
      sort: column.order,
      header: { title: null, labelFontSize: 12 }
    },
    columns: maxColumns,
    spec: inner
  }
}

/**
 * A figure of panels: columns by `column`; with `rows`, one row of columns per row value,
 * each with its own y axis (built by `layerOf(row)`) and the x axis and legends shared.
 */
export function panelled(
  title: string,
  values: unknown[],
  column: { field: string; order: string[] },
  layerOf: (row: string | undefined) => unknown[],
  rows?: { field: string; order: string[] }
): TopLevelSpec {
  const top = { $schema: schemaUrl, title, data: { values }, config: figureConfig }
  if (rows === undefined || rows.order.length <= 1)
    return { ...top, ...columns(layerOf(rows?.order[0]), column) } as unknown as TopLevelSpec
  return {
    ...top,
    vconcat: rows.order.map((r) => ({
      transform: [{ filter: { field: rows.field, equal: r } }],
      ...columns(layerOf(r), column)
    })),
    resolve: { scale: { x: "shared", y: "independent" } }
  } as unknown as TopLevelSpec
}

export const schemaUrl = "https://vega.github.io/schema/vega-lite/v6.json"
