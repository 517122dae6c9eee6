/**
 * `frontier` (issue 12, item 5: the GN↔GD frontier): what a method pays (Gram assemblies or
 * wall seconds) against how far its final test loss lands from a reference method's — the
 * gradient flow at a tight tolerance, GD's implicit bias without GD's cost. Each cell is
 * compared with the reference's cell of the same seed and the same values of every swept
 * parameter; one point per method label and panel (geometric means and 95% intervals over
 * seeds), log–log, and the Pareto frontier (the points no other point of the panel beats in
 * both cost and error) drawn as a dashed line through ringed points and listed in the notes.
 */
import { seedBand } from "@gnlab/metrics"
import type { TopLevelSpec } from "vega-lite"
import { num, paramText, valueText } from "../labels.js"
import { reportMethod } from "../plugins.js"
import type { CellResult, PlotDeclaration, ResultsFolder } from "../results.js"
import {
  axisFor,
  exclusionNotes,
  figureConfig,
  finished,
  logLabelExpr,
  meanDomain,
  methodOrder,
  methodScale,
  nothingYet,
  panelOf,
  paramValue,
  schemaUrl,
  strokeLegend,
  type Figure
} from "./shared.js"

/** What a frontier figure measures a cell's cost in (the `cost` param). */
export type FrontierCost = "gramAssemblies" | "wallSeconds"

/**
 * Gram assemblies of a cell. Rule: the summary's `gramAssemblies` when it records one (the
 * flows do), else the method plugin's `gramAssemblies` of its `iterations` (GN one per
 * update, GD none, RF one). Undefined for a plugin without either (left out, with a note).
 */
export function gramAssembliesOf(cell: CellResult): number | undefined {
  const s = cell.summary as unknown as Record<string, unknown> | undefined
  if (s === undefined) return undefined
  if (typeof s.gramAssemblies === "number") return s.gramAssemblies
  const fromPlugin = reportMethod(cell.entry.method)?.gramAssemblies
  return fromPlugin !== undefined && typeof s.iterations === "number" ? fromPlugin(s.iterations) : undefined
}

/** A cell's cost: its Gram assemblies (see `gramAssembliesOf`) or its summary's wall seconds. */
export function costOf(cell: CellResult, cost: FrontierCost): number | undefined {
  if (cost === "gramAssemblies") return gramAssembliesOf(cell)
  const w = (cell.summary as unknown as Record<string, unknown> | undefined)?.wallSeconds
  return typeof w === "number" && Number.isFinite(w) ? w : undefined
}

/** A point of a frontier panel: a method's cost and error. */
export interface FrontierPoint {
  readonly cost: number
  readonly error: number
}

/**
 * The indices of the Pareto-optimal points: those no other point beats in both coordinates
 * (q dominates p when q.cost ≤ p.cost and q.error ≤ p.error, one of them strictly). Two
 * identical points are both kept. Ordered by cost, then error.
 */
export function paretoFrontier(points: ReadonlyArray<FrontierPoint>): number[] {
  const dominated = (p: FrontierPoint) =>
    points.some((q) => q.cost <= p.cost && q.error <= p.error && (q.cost < p.cost || q.error < p.error))
  return points
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => !dominated(p))
    .sort((a, b) => a.p.cost - b.p.cost || a.p.error - b.p.error)
    .map(({ i }) => i)
}

/** The seed and every swept parameter's value: a cell and its reference share this key. */
const matchKey = (c: CellResult): string =>
  JSON.stringify([
    c.entry.seed,
    Object.keys(c.entry.point)
      .sort()
      .map((k) => [k, c.entry.point[k]])
  ])

const costText = (cost: FrontierCost, x: number): string =>
  cost === "wallSeconds" ? `${num(x)} s` : `${num(x)} Gram assemblies`

const errorTitle = "|T/T_ref − 1| (final test loss T)"

/** Build the `frontier` figure of a results folder (see the file's comment). */
export function frontierFigure(
  plot: PlotDeclaration,
  p: Record<string, unknown>,
  folder: ResultsFolder
): Figure {
  const reference = p.reference as string | undefined
  const cost = p.cost as FrontierCost
  const facet = p.facet as string | undefined
  const rowPath = p.row as string | undefined
  const costName = cost === "wallSeconds" ? "wall time" : "Gram assemblies"
  const title =
    plot.title ?? `${costName === "wall time" ? "Wall time" : costName} vs distance to the reference`
  const caption =
    `Cost (x: ${cost === "wallSeconds" ? "the cell's wall seconds, which depend on the machine and its load: compare cells of one run" : "Gram matrices A = JJᵀ assembled — the summary's count, else GN one per update, GD none, RF one"})` +
    ` against the distance of the final test loss T to that of the reference ${reference === undefined ? "method" : `"${reference}"`}` +
    ` (y: |T/T_ref − 1|, each cell against the reference cell of the same seed and sweep point; the relative gap rather than T/T_ref,` +
    ` whose log axis would squeeze every method into a sliver around 1). One point per method: geometric means over seeds with` +
    ` 95% Student-t intervals on both axes (on log values). Circles: T above the reference's, triangles: below.` +
    ` The dashed line joins the Pareto frontier (ringed, numbered by cost as in the notes): the points no other point of the panel beats in both cost and error.` +
    (cost === "gramAssemblies"
      ? " The x axis is linear below 1 (symlog) so that GD's zero can be drawn."
      : "")
  const base = { id: plot.id, plugin: plot.plugin, title, caption }
  const methods = methodOrder(folder)
  if (reference === undefined)
    return {
      ...base,
      missing: `The frontier plot needs params.reference: the label of the reference method (one of ${methods.map((m) => `"${m.label}"`).join(", ")}).`,
      notes: []
    }
  if (!methods.some((m) => m.label === reference))
    return {
      ...base,
      missing: `No method is labelled "${reference}", the frontier's reference: params.reference must be one of ${methods.map((m) => `"${m.label}"`).join(", ")}.`,
      notes: []
    }
  const done = folder.cells.filter(finished)
  if (done.length === 0) return { ...base, missing: nothingYet(folder.cells), notes: [] }
  const refs = new Map<string, CellResult>()
  for (const c of done) if (c.entry.label === reference) refs.set(matchKey(c), c)
  const testLoss = (c: CellResult): number => {
    const t = c.summary?.finalTestLoss
    return typeof t === "number" ? t : NaN
  }
  if (refs.size === 0) {
    const ofRef = folder.cells.filter((c) => c.entry.label === reference)
    return {
      ...base,
      missing: `No finished cell of the reference "${reference}" yet (0 of ${ofRef.length} done): every point is relative to it. Run \`gnlab run\` on the pipeline, or check the reference's cells in the cell table.`,
      notes: exclusionNotes(folder.cells)
    }
  }
  const used = rowPath === undefined ? [] : [rowPath]
  const panels = panelOf(folder, used, facet)
  const rowOf = (c: CellResult) => (rowPath === undefined ? "" : paramText(rowPath, paramValue(c, rowPath)))
  // left-out cells, counted per reason and listed by method
  const left = new Map<string, string[]>()
  const leave = (why: string, c: CellResult) => {
    const where = [panels.label(c), rowOf(c)].filter((s) => s !== "").join(", ")
    left.set(why, [
      ...(left.get(why) ?? []),
      `${c.entry.label} (seed ${c.entry.seed}${where === "" ? "" : `, ${where}`})`
    ])
  }
  type Group = {
    row: string
    panel: string
    series: string
    costs: number[]
    errors: number[]
    ratios: number[]
    refLosses: number[]
  }
  const groups = new Map<string, Group>()
  for (const c of done) {
    if (c.entry.label === reference) continue
    const ref = refs.get(matchKey(c))
    if (ref === undefined) {
      leave("without a finished reference cell of the same seed and sweep point", c)
      continue
    }
    const [t, tRef] = [testLoss(c), testLoss(ref)]
    const x = costOf(c, cost)
    if (!(t > 0 && tRef > 0 && Number.isFinite(t) && Number.isFinite(tRef))) {
      leave("without a positive final test loss (theirs or the reference's)", c)
      continue
    }
    if (x === undefined) {
      leave(`without a recorded ${cost} (and no rule to derive it for plugin ${c.entry.method})`, c)
      continue
    }
    const error = Math.abs(t / tRef - 1)
    if (error === 0) {
      leave("at exactly the reference's test loss (no place on a log axis)", c)
      continue
    }
    const key = JSON.stringify([rowOf(c), panels.label(c), c.entry.label])
    const g: Group = groups.get(key) ?? {
      row: rowOf(c),
      panel: panels.label(c),
      series: c.entry.label,
      costs: [],
      errors: [],
      ratios: [],
      refLosses: []
    }
    g.costs.push(x)
    g.errors.push(error)
    g.ratios.push(t / tRef)
    g.refLosses.push(tRef)
    groups.set(key, g)
  }
  // the first few named: a sweep whose reference never ran would otherwise list every cell
  const leftNotes = [...left.entries()].map(
    ([why, cells]) =>
      `${cells.length} cell(s) ${why} left out: ${cells.slice(0, 8).join("; ")}${cells.length > 8 ? `; and ${cells.length - 8} more` : ""}`
  )
  if (groups.size === 0)
    return {
      ...base,
      missing: `No cell has both a finished reference cell ("${reference}", same seed and sweep point) and a ${cost} to compare.`,
      notes: [...leftNotes, ...exclusionNotes(folder.cells)]
    }
  // a cost of 0 (GD's Gram assemblies) needs an axis that reaches 0: symlog, linear below 1
  const allCosts = [...groups.values()].flatMap((g) => g.costs)
  const symlog = allCosts.some((x) => x <= 0)
  const values: Array<Record<string, unknown>> = []
  for (const g of groups.values()) {
    // geometric means over seeds, arithmetic for a cost that has zeros
    const c = seedBand(
      g.costs,
      g.costs.every((x) => x > 0)
    )
    const e = seedBand(g.errors, true)
    const r = seedBand(g.ratios, true)
    values.push({
      row: g.row,
      panel: g.panel,
      series: g.series,
      cost: c.center,
      costLo: c.lo ?? c.center,
      costHi: c.hi ?? c.center,
      error: e.center,
      errorLo: e.lo ?? e.center,
      errorHi: e.hi ?? e.center,
      ratio: r.center,
      side: r.center >= 1 ? "above the reference" : "below the reference",
      refLoss: seedBand(g.refLosses, true).center,
      seeds: e.n,
      frontier: false
    })
  }
  // the Pareto frontier of each panel, and its notes
  const panelKeys = [...new Set(values.map((v) => JSON.stringify([v.row, v.panel])))]
  const rowOrder = rowPath === undefined ? [""] : orderOf(done, rowOf, rowPath)
  const panelOrder = panels.order(done)
  panelKeys.sort((a, b) => {
    const [ra, pa] = JSON.parse(a) as [string, string]
    const [rb, pb] = JSON.parse(b) as [string, string]
    return rowOrder.indexOf(ra) - rowOrder.indexOf(rb) || panelOrder.indexOf(pa) - panelOrder.indexOf(pb)
  })
  const frontierNotes: string[] = []
  // where a point sits on the shared log (or symlog) axes, as a fraction of their spans
  const px = (v: Record<string, unknown>) => Math.log10((symlog ? 1 : 0) + (v.cost as number))
  const py = (v: Record<string, unknown>) => Math.log10(v.error as number)
  const span = (f: (v: Record<string, unknown>) => number) =>
    Math.max(0.5, Math.max(...values.map(f)) - Math.min(...values.map(f)))
  const [spanX, spanY] = [span(px), span(py)]
  const near = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    Math.abs(px(a) - px(b)) < 0.07 * spanX && Math.abs(py(a) - py(b)) < 0.07 * spanY
  for (const key of panelKeys) {
    const [row, panel] = JSON.parse(key) as [string, string]
    const mine = values.filter((v) => v.row === row && v.panel === panel)
    const front = paretoFrontier(mine.map((v) => ({ cost: v.cost as number, error: v.error as number })))
    front.forEach((i, k) => {
      mine[i].frontier = true
      mine[i].order = k
      mine[i].rank = String(k + 1)
    })
    // frontier points drawn on top of each other share one label ("1,2"): digits side by side
    // would read as one number
    let holder: Record<string, unknown> | undefined
    for (const i of front) {
      const v = mine[i]
      if (holder !== undefined && near(holder, v)) {
        holder.rank = `${holder.rank as string},${v.rank as string}`
        v.rank = ""
      } else holder = v
    }
    const where = [panel, row].filter((s) => s !== "").join(", ")
    frontierNotes.push(
      `Pareto frontier${where === "" ? "" : ` (${where})`}, by ${costName}: ` +
        front
          .map((i, k) => {
            const v = mine[i]
            return `(${k + 1}) ${v.series} — ${costText(cost, v.cost as number)}, T/T_ref − 1 = ${(v.ratio as number) >= 1 ? "+" : "−"}${num(v.error as number)}`
          })
          .join("; ") +
        `. Reference test loss T_ref = ${num(mine[0].refLoss as number)}.`
    )
  }
  const drawn = methods.filter((m) => values.some((v) => v.series === m.label))
  const colorEnc = {
    field: "series",
    type: "nominal",
    title: "method",
    scale: methodScale(drawn),
    sort: drawn.map((m) => m.label),
    legend: strokeLegend
  }
  const costAxisTitle =
    cost === "wallSeconds" ? "wall time (s)" : "Gram assemblies (A = JJᵀ built and factored)"
  // axes fitted to the means, as the curves' are: two seeds give t = 12.7 and intervals over
  // ten decades would squeeze the points together; the bars are cut at the panel's edges
  const costs = values.map((v) => v.cost as number)
  const errors = values.map((v) => v.error as number)
  const xAxis = symlog
    ? symlogAxis(costAxisTitle, costs)
    : axisFor(costAxisTitle, true, costs, undefined, meanDomain(costs, true))
  const yAxis = axisFor(errorTitle, true, errors, undefined, meanDomain(errors, true))
  const x = { field: "cost", type: "quantitative", ...xAxis }
  const y = { field: "error", type: "quantitative", ...yAxis }
  const shape = {
    field: "side",
    type: "nominal",
    title: "T vs T_ref",
    scale: { domain: ["above the reference", "below the reference"], range: ["circle", "triangle-down"] }
  }
  const tooltip = [
    { field: "series", title: "method" },
    { field: "cost", title: cost, format: ".3~g" },
    { field: "error", title: "|T/T_ref − 1|", format: ".3e" },
    { field: "ratio", title: "T/T_ref", format: ".5f" },
    { field: "frontier", title: "on the frontier" },
    { field: "seeds", title: "seeds" }
  ]
  const layer = [
    {
      transform: [{ filter: "datum.frontier" }],
      mark: { type: "line", strokeWidth: 1.5, strokeDash: [6, 4], color: "#555555" },
      encoding: { x, y, order: { field: "order", type: "quantitative" } }
    },
    {
      mark: { type: "rule", strokeWidth: 1.5, opacity: 0.6, clip: true },
      encoding: {
        x,
        y: { field: "errorLo", type: "quantitative", scale: yAxis.scale },
        y2: { field: "errorHi" },
        color: colorEnc
      }
    },
    {
      mark: { type: "rule", strokeWidth: 1.5, opacity: 0.6, clip: true },
      encoding: {
        x: { field: "costLo", type: "quantitative", scale: xAxis.scale },
        x2: { field: "costHi" },
        y,
        color: colorEnc
      }
    },
    {
      transform: [{ filter: "datum.frontier" }],
      mark: { type: "point", filled: false, size: 260, strokeWidth: 1.5, color: "#222222", opacity: 1 },
      encoding: { x, y }
    },
    {
      mark: { type: "point", filled: true, size: 70, opacity: 1 },
      encoding: { x, y, color: colorEnc, shape, tooltip }
    },
    // the frontier's points numbered by cost (the notes name them), below and to the left:
    // no point can lie there (it would beat the frontier point), so the numbers stay legible
    {
      transform: [{ filter: "datum.frontier" }],
      mark: {
        type: "text",
        align: "right",
        baseline: "top",
        dx: -7,
        dy: 6,
        fontSize: 11,
        fontWeight: "bold",
        color: "#222222"
      },
      encoding: { x, y, text: { field: "rank" } }
    }
  ]
  const columns = panelOrder.filter((l) => values.some((v) => v.panel === l))
  const rows = rowOrder.filter((l) => values.some((v) => v.row === l))
  const inner = { width: 320, height: 240, layer }
  const header = { title: null, labelFontSize: 12 }
  const facetSpec =
    columns.length <= 1 && rows.length <= 1
      ? inner
      : {
          facet: {
            ...(columns.length > 1
              ? { column: { field: "panel", type: "nominal", sort: columns, header } }
              : {}),
            ...(rows.length > 1
              ? { row: { field: "row", type: "nominal", sort: rows, header: { ...header, labelAngle: -90 } } }
              : {})
          },
          spec: inner
        }
  const spec = {
    $schema: schemaUrl,
    title: plot.title ?? title,
    data: { values },
    ...facetSpec,
    config: figureConfig
  } as unknown as TopLevelSpec
  return { ...base, spec, notes: [...frontierNotes, ...leftNotes, ...exclusionNotes(folder.cells)] }
}

/** Row labels ordered by the row parameter's values. */
function orderOf(cells: ReadonlyArray<CellResult>, label: (c: CellResult) => string, path: string): string[] {
  const byLabel = new Map<string, unknown>()
  for (const c of cells) if (!byLabel.has(label(c))) byLabel.set(label(c), paramValue(c, path))
  return [...byLabel.entries()]
    .sort(([, a], [, b]) =>
      typeof a === "number" && typeof b === "number" ? a - b : valueText(a).localeCompare(valueText(b))
    )
    .map(([l]) => l)
}

/**
 * A symlog axis for counts with zeros (GD's Gram assemblies): linear below 1, logarithmic
 * above, ticks at 0 and the powers of ten up to the largest count.
 */
function symlogAxis(title: string, values: ReadonlyArray<number>) {
  const max = Math.max(1, ...values.filter((v) => Number.isFinite(v)))
  const hi = max * 2
  const ticks = [0, ...Array.from({ length: Math.floor(Math.log10(hi)) + 1 }, (_, k) => 10 ** k)]
  return {
    scale: { type: "symlog" as const, constant: 1, nice: false, domain: [0, hi], padding: 14 },
    axis: {
      title,
      values: ticks,
      // 0, then powers of ten written as the log axes of the other figures write them
      labelExpr: `datum.value === 0 ? '0' : (${logLabelExpr(Math.log10(hi))})`
    }
  }
}
