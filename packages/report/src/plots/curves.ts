/**
 * `curves` (paper Fig. 1, Fig. 4 right): a trajectory field vs iteration (or the time t of a
 * flow, or `gdIter`: updates, a gradient flow standing in for GD with step λ placed at t/λ — the
 * GD update that reaches its t — beside the other methods' own iterations), a line per method
 * (or per value of `color`, methods then dashed), mean and 95% band over seeds; a column of panels per `facet` value and a row per field. With `bound`, the
 * GN flow's Prop. 3 bound L(0)·e^{−2ηt} is drawn dashed beside each theory-damped gn-flow line.
 */
import { aggregateTrajectories, seedBand, type TrajectoryRow } from "@gnlab/metrics"
import { fieldLabel, num, paramSymbol, sequentialColors, valueText } from "../labels.js"
import { reportMethod } from "../plugins.js"
import type { CellResult, PlotDeclaration, ResultsFolder } from "../results.js"
import {
  axisFor,
  capitalize,
  compareValues,
  exclusionNotes,
  finished,
  meanDomain,
  methodOrder,
  methodScale,
  nothingYet,
  panelled,
  panelOf,
  paramValue,
  strokeLegend,
  toleranceFloor,
  atFloor,
  floorNote,
  minSeedsForBand,
  type Figure
} from "./shared.js"

export function curvesFigure(
  plot: PlotDeclaration,
  p: Record<string, unknown>,
  folder: ResultsFolder
): Figure {
  const fields = p.y as string[]
  const [logX, logY] = [p.logX as boolean, p.logY as boolean]
  const facet = p.facet as string | undefined
  const color = p.color as string | undefined
  const byTime = p.x === "t"
  const byGdUpdates = p.x === "gdIter"
  const drawBound = byTime && p.bound === true && fields.includes("trainLoss")
  const methods = methodOrder(folder)
  const done = folder.cells.filter(finished)
  const title =
    plot.title ??
    capitalize(
      `${fields.map(fieldLabel).join(", ")} vs ${byTime ? "time t" : byGdUpdates ? "updates (a flow: t/λ)" : "iteration"}`
    )
  // what the caption says depends on what is drawn: bands (3 seeds or more) or each seed's line
  const captionOf = (bands: boolean, seedLines: boolean) =>
    (drawBound
      ? `Dashed: Proposition 3's bound L(0)·exp(−2ηt) (L(0) the geometric mean over seeds, or the largest where each seed is drawn) for each GN flow` +
        ` with the theory damping ε = ((1−η)/η) μ_H σ*, up to the time the first seed stopped. `
      : "") +
    (bands
      ? `Mean over seeds (geometric mean on log axes) with the 95% Student-t confidence band over seeds` +
        ` (computed on log values for log axes); a dot marks the end of training (convergence or the iteration cap) of the` +
        ` longest run, and runs that stopped earlier are held at their last value. Seeds are aligned on the recorded` +
        ` log-iteration grid, interpolating in log-iteration where one seed skipped a row. The y range follows the means;` +
        ` wider bands are cut at the panel's edges.`
      : "") +
    (seedLines
      ? `${bands ? " Methods with fewer than 3 seeds: each" : "Each"} seed's own line (with fewer than ${minSeedsForBand} seeds a 95% Student-t band` +
        ` is too wide to say anything: ±12.7 standard errors for 2 seeds); a dot marks where each run ended (convergence or the iteration cap).`
      : "") +
    (byGdUpdates
      ? ` A gradient flow standing in for GD with step λ is drawn at t/λ, the number of GD updates that reach its time t; the other methods at their own iterations.`
      : "") +
    (logX ? ` ${byTime ? "Time" : "Iteration"} 0 (the initialisation) is not on the log axis.` : "")
  const caption = captionOf(true, false)
  const base = { id: plot.id, plugin: plot.plugin, title, caption }
  if (done.length === 0) return { ...base, missing: nothingYet(folder.cells), notes: [] }
  const panels = panelOf(folder, [color], facet)
  const multiMethod = new Set(done.map((c) => c.entry.label)).size > 1
  const series = (c: CellResult) => (color === undefined ? c.entry.label : valueText(paramValue(c, color)))
  const groups = new Map<
    string,
    { field: string; panel: string; series: string; method: string; cells: CellResult[] }
  >()
  for (const field of fields)
    for (const c of done) {
      const key = JSON.stringify([field, panels.label(c), series(c), c.entry.label])
      const g = groups.get(key) ?? {
        field,
        panel: panels.label(c),
        series: series(c),
        method: c.entry.label,
        cells: []
      }
      g.cells.push(c)
      groups.set(key, g)
    }
  // gdIter: a flow standing in for GD records t/λ per row, a discrete method counts its own
  // updates; another flow (a GN flow) has no update count, and its steps are not one: left out
  const xOf = (r: TrajectoryRow): number | null => {
    const flowTime = typeof r.t === "number" ? r.t : null
    if (byTime) return flowTime
    if (!byGdUpdates) return r.iter
    if (typeof r.gdIter === "number") return r.gdIter
    return flowTime === null ? r.iter : null
  }
  const values: Array<Record<string, unknown>> = []
  const boundNotes: string[] = []
  const noUpdateCount = new Set<string>()
  // the train-loss axis stops at the tolerance level: lower points are held at its edge
  const floor = logY && fields.includes("trainLoss") ? toleranceFloor(done) : undefined
  let belowFloor = 0
  const held = (field: string, v: number) => {
    const f = atFloor(v, field === "trainLoss" ? floor : undefined)
    if (f.below) belowFloor++
    return f
  }
  let seedLines = 0
  let bands = 0
  for (const g of groups.values()) {
    const traces = g.cells.map((c) =>
      c.rows.flatMap((r) => (xOf(r) === null ? [] : [{ iter: xOf(r)!, value: fieldOf(r, g.field) }]))
    )
    if (byGdUpdates && traces.every((t) => t.length === 0)) noUpdateCount.add(g.method)
    const band = aggregateTrajectories(traces, logY).filter((b) => !logX || b.iter > 0)
    const eta = drawBound && g.field === "trainLoss" ? boundEta(g.cells) : undefined
    if (eta !== undefined) {
      // Prop. 3: L(t) ≤ L(0) e^{−2ηt}; the geometric mean of the seeds' bounds is L̄(0) e^{−2ηt}
      const l0 = g.cells.flatMap((c) => {
        const r0 = c.rows.find((r) => xOf(r) === 0)
        return r0 === undefined ? [] : [r0.trainLoss]
      })
      // drawn against each seed's line, the bound of the largest L(0) lies above them all
      const l0mean = g.cells.length < minSeedsForBand ? Math.max(...l0) : seedBand(l0, true).center
      // up to the first seed's stop: a stopped run is held at its last loss, which the bound then passes
      const stop = Math.min(...g.cells.map((c) => xOf(c.rows[c.rows.length - 1]) ?? Infinity))
      const check = boundRatios(g.cells, eta, xOf)
      if (check !== undefined)
        boundNotes.push(
          `${g.method}${g.panel === "" ? "" : ` (${g.panel})`}: L(t)/(L(0)·exp(−2ηt)) ≤ ${check.worst.toFixed(4)} over t > 0` +
            ` (${check.worst <= 1 ? "the bound holds" : "THE BOUND IS VIOLATED"}); at the end of the runs ${num(check.endLo)}–${num(check.endHi)}`
        )
      if (l0.length > 0)
        for (const b of band.filter((x) => x.iter <= stop))
          values.push({
            quantity: fieldLabel(g.field),
            panel: g.panel,
            series: g.series,
            method: g.method,
            iter: b.iter,
            center: l0mean * Math.exp(-2 * eta * b.iter),
            kind: "bound",
            bound: true,
            end: false
          })
    }
    const common = { quantity: fieldLabel(g.field), panel: g.panel, series: g.series, method: g.method }
    if (g.cells.length < minSeedsForBand) {
      // too few seeds for a meaningful band: each seed's own line, its values in the tooltips
      g.cells.forEach((c, k) => {
        const rows = traces[k].filter(
          (r) =>
            r.value !== null && Number.isFinite(r.value) && (!logY || r.value > 0) && (!logX || r.iter > 0)
        )
        if (rows.length > 0) seedLines++
        rows.forEach((r, i) => {
          const f = held(g.field, r.value!)
          values.push({
            ...common,
            cell: c.entry.id,
            seed: c.entry.seed,
            iter: r.iter,
            center: f.shown,
            value: r.value,
            below: f.below,
            kind: "seed",
            bound: false,
            end: i === rows.length - 1
          })
        })
      })
      continue
    }
    if (band.length > 0) bands++
    band.forEach((b, i) => {
      const f = held(g.field, b.center)
      values.push({
        ...common,
        iter: b.iter,
        center: f.shown,
        value: b.center,
        below: f.below,
        lo: b.lo,
        hi: b.hi,
        // the band where there are two seeds or more, else collapsed onto the mean
        bandLo: b.lo ?? b.center,
        bandHi: b.hi ?? b.center,
        seeds: b.n,
        kind: "mean",
        bound: false,
        end: i === band.length - 1
      })
    })
  }
  if (values.length === 0)
    return {
      ...base,
      missing:
        noUpdateCount.size > 0
          ? `Nothing to draw against updates: ${[...noUpdateCount].join(", ")} — a flow that does not stand in for GD has no update count; draw it against "x": "t".`
          : `The finished cells record no ${fields.join(" or ")} (${fields.includes("sigmaMin") ? "σ* is recorded by GN and RF, not GD" : "null in every row"}).`,
      notes: exclusionNotes(folder.cells)
    }
  const seriesOrder =
    color === undefined
      ? methods.map((m) => m.label).filter((l) => values.some((v) => v.series === l))
      : [...new Set(done.map((c) => paramValue(c, color)))].sort(compareValues).map(valueText)
  const colorScale =
    color === undefined
      ? methodScale(methods.filter((m) => seriesOrder.includes(m.label)))
      : { domain: seriesOrder, range: sequentialColors(seriesOrder.length) }
  const colorEnc = {
    field: "series",
    type: "nominal",
    title: color === undefined ? "method" : paramSymbol(color),
    scale: colorScale,
    sort: seriesOrder,
    legend: strokeLegend
  }
  const dash =
    color !== undefined && multiMethod
      ? {
          strokeDash: { field: "method", type: "nominal", title: "method", sort: methods.map((m) => m.label) }
        }
      : {}
  const detail = color !== undefined && multiMethod ? { detail: { field: "method" } } : {}
  const x = {
    field: "iter",
    type: "quantitative",
    ...axisFor(
      byTime ? "time t" : byGdUpdates ? "updates k (gradient flow: t/λ)" : "iteration k (updates)",
      logX,
      values.map((v) => v.iter as number)
    )
  }
  const quantities = fields.map(fieldLabel).filter((q) => values.some((v) => v.quantity === q))
  const tipSeries = { field: "series", title: color === undefined ? "method" : paramSymbol(color) }
  const tipValue = { field: "value", title: "value", format: ".3e" }
  const tipIter = { field: "iter", title: byTime ? "t" : byGdUpdates ? "updates" : "iteration" }
  // one row of panels per quantity, each with its own y axis
  const layerOf = (quantity: string | undefined) => {
    const mine = values.filter((v) => v.quantity === quantity && v.bound !== true)
    const centers = mine.map((v) => v.center as number)
    const range = meanDomain(centers, logY)
    // the train-loss axis stops at the tolerance level, just below it: room for the ▼ held there
    const floored = floor !== undefined && quantity === fieldLabel("trainLoss")
    const domain: [number, number] | undefined =
      range !== undefined && floored ? [Math.max(range[0], floor / 10 ** 0.15), range[1]] : range
    const yAxis = axisFor(quantity ?? "", logY, centers, undefined, domain)
    const y = { field: "center", type: "quantitative", ...yAxis }
    const kind = (k: string) => ({ filter: `datum.kind === '${k}'` })
    const has = (k: string) => values.some((v) => v.kind === k && v.quantity === quantity)
    return [
      ...(has("mean")
        ? [
            {
              transform: [kind("mean")],
              mark: { type: "area", opacity: 0.2, interpolate: "linear", clip: true },
              encoding: {
                x,
                y: { field: "bandLo", type: "quantitative", scale: yAxis.scale, axis: yAxis.axis },
                y2: { field: "bandHi" },
                color: colorEnc,
                ...detail
              }
            },
            {
              transform: [kind("mean")],
              mark: { type: "line", strokeWidth: 2, clip: true },
              encoding: {
                x,
                y,
                color: colorEnc,
                ...dash,
                tooltip: [
                  tipSeries,
                  { field: "method", title: "method" },
                  tipIter,
                  { field: "value", title: "mean", format: ".3e" },
                  { field: "seeds", title: "seeds" }
                ]
              }
            }
          ]
        : []),
      ...(has("seed")
        ? [
            {
              transform: [kind("seed")],
              mark: { type: "line", strokeWidth: 1.5, clip: true },
              encoding: {
                x,
                y,
                color: colorEnc,
                ...dash,
                detail: { field: "cell" },
                tooltip: [
                  tipSeries,
                  { field: "method", title: "method" },
                  { field: "cell", title: "cell" },
                  { field: "seed", title: "seed" },
                  tipIter,
                  tipValue
                ]
              }
            }
          ]
        : []),
      ...(has("bound")
        ? [
            {
              transform: [kind("bound")],
              mark: { type: "line", strokeWidth: 1.5, strokeDash: [5, 4], clip: true },
              encoding: { x, y, color: colorEnc, detail: { field: "method" } }
            }
          ]
        : []),
      {
        transform: [{ filter: "datum.end && datum.kind !== 'bound'" }],
        mark: { type: "point", filled: true, size: 36, opacity: 1 },
        encoding: {
          x,
          y,
          color: colorEnc,
          // ▼: below the tolerance level, drawn at the axis's edge
          shape: { condition: { test: "datum.below", value: "triangle-down" }, value: "circle" },
          tooltip: [
            tipSeries,
            { field: "method", title: "method" },
            { field: "cell", title: "cell" },
            { field: "seed", title: "seed" },
            { field: "iter", title: byTime ? "last t" : "last iteration" },
            tipValue,
            { field: "seeds", title: "seeds" }
          ]
        }
      }
    ]
  }
  const spec = panelled(plot.title ?? title, values, { field: "panel", order: panels.order(done) }, layerOf, {
    field: "quantity",
    order: quantities
  })
  return {
    ...base,
    caption: captionOf(bands > 0, seedLines > 0),
    spec,
    notes: [
      ...boundNotes,
      ...(floor !== undefined && belowFloor > 0 ? [floorNote(belowFloor, floor)] : []),
      ...[...noUpdateCount].map(
        (m) =>
          `${m}: not drawn — a flow that does not stand in for GD has no update count; draw it against "x": "t"`
      ),
      ...exclusionNotes(folder.cells)
    ]
  }
}

/**
 * Prop. 3 checked on every seed's own rows: the largest L(t) / (L(0) e^{−2ηt}) over its
 * recorded t > 0, and the range over seeds of that ratio at each run's last row.
 */
function boundRatios(
  cells: ReadonlyArray<CellResult>,
  eta: number,
  xOf: (r: TrajectoryRow) => number | null
): { worst: number; endLo: number; endHi: number } | undefined {
  let worst = -Infinity
  const ends: number[] = []
  for (const c of cells) {
    const l0 = c.rows.find((r) => xOf(r) === 0)?.trainLoss
    if (l0 === undefined) continue
    let last: number | undefined
    for (const r of c.rows) {
      const t = xOf(r)
      if (t === null || t <= 0) continue
      last = r.trainLoss / (l0 * Math.exp(-2 * eta * t))
      worst = Math.max(worst, last)
    }
    if (last !== undefined) ends.push(last)
  }
  return ends.length === 0 ? undefined : { worst, endLo: Math.min(...ends), endHi: Math.max(...ends) }
}

/** η of the proved bound of the cells' method (its plugin's `decayRate`, e.g. Prop. 3 for a theory-damped GN flow), else undefined. */
function boundEta(cells: ReadonlyArray<CellResult>): number | undefined {
  const c = cells[0]
  const config = (c.summary?.config ?? c.config) as
    { method?: { params?: Record<string, unknown> } } | undefined
  const params = config?.method?.params
  return params === undefined ? undefined : reportMethod(c.entry.method)?.decayRate?.(params)
}

/** A trajectory field of a row (null when absent). */
function fieldOf(r: TrajectoryRow, field: string): number | null {
  const v = (r as unknown as Record<string, unknown>)[field]
  return typeof v === "number" ? v : null
}
