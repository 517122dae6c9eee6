/**
 * `final` (paper Fig. 2 vs τ0, Fig. 4 left vs M): a value at the end of training vs a swept
 * parameter, a line per method, geometric mean and 95% interval bars over seeds.
 */
import { seedBand } from "@gnlab/metrics"
import { finalLabel, paramAxis, paramSymbol, valueText } from "../labels.js"
import type { CellResult, PlotDeclaration, ResultsFolder } from "../results.js"
import {
  axisFor,
  capitalize,
  compareValues,
  decadesOf,
  exclusionNotes,
  finished,
  methodOrder,
  methodScale,
  nothingYet,
  panelled,
  panelOf,
  paramValue,
  strokeLegend,
  atFloor,
  floorNote,
  minSeedsForBand,
  toleranceFloor,
  type Figure
} from "./shared.js"

export function finalFigure(
  plot: PlotDeclaration,
  p: Record<string, unknown>,
  folder: ResultsFolder
): Figure {
  const xPath = p.x as string | undefined
  const yField = p.y as string
  const facet = p.facet as string | undefined
  const [logX, logY] = [p.logX as boolean, p.logY as boolean]
  const methods = methodOrder(folder)
  const title =
    plot.title ?? capitalize(`${finalLabel(yField)} vs ${xPath === undefined ? "?" : paramSymbol(xPath)}`)
  const caption =
    `Value at the end of training (converged, or at the iteration cap: see the cell table), per method:` +
    ` geometric mean over seeds (dots) with the 95% Student-t interval over seeds (bars; on log values for a log axis).` +
    ` The methods' bars are drawn side by side around each value.`
  const base = { id: plot.id, plugin: plot.plugin, title, caption }
  if (xPath === undefined)
    return { ...base, missing: "The final plot needs params.x (a swept parameter).", notes: [] }
  const done = folder.cells.filter(finished)
  if (done.length === 0) return { ...base, missing: nothingYet(folder.cells), notes: [] }
  const panels = panelOf(folder, [xPath], facet)
  const groups = new Map<
    string,
    { panel: string; series: string; x: unknown; values: number[]; cells: CellResult[] }
  >()
  for (const c of done) {
    const xv = paramValue(c, xPath)
    const key = JSON.stringify([panels.label(c), c.entry.label, xv])
    const g = groups.get(key) ?? {
      panel: panels.label(c),
      series: c.entry.label,
      x: xv,
      values: [],
      cells: []
    }
    const v = (c.summary as unknown as Record<string, unknown>)[yField]
    if (typeof v === "number") {
      g.values.push(v)
      g.cells.push(c)
    }
    groups.set(key, g)
  }
  // a train-loss axis stops at the tolerance level: lower values are held at its edge (▼)
  const floor = logY && yField === "finalTrainLoss" ? toleranceFloor(done) : undefined
  let belowFloor = 0
  const held = (v: number) => {
    const f = atFloor(v, floor)
    if (f.below) belowFloor++
    return { center: f.shown, value: v, below: f.below }
  }
  const numeric = [...groups.values()].every((g) => typeof g.x === "number")
  const values = [...groups.values()]
    .map((g) => {
      const b = seedBand(g.values, logY)
      const x = numeric ? g.x : valueText(g.x)
      return { panel: g.panel, series: g.series, x, ...b, seeds: b.n, kind: "mean", ...held(b.center) }
    })
    .filter((v) => Number.isFinite(v.value))
  // too few seeds for an interval that says anything (t = 12.7 for 2): each seed's own value
  const seedValues = [...groups.values()].flatMap((g) =>
    g.cells.length >= minSeedsForBand
      ? []
      : g.cells.flatMap((c, i) =>
          Number.isFinite(g.values[i]) && (!logY || g.values[i] > 0)
            ? [
                {
                  panel: g.panel,
                  series: g.series,
                  x: numeric ? g.x : valueText(g.x),
                  kind: "seed",
                  cell: c.entry.id,
                  seed: c.entry.seed,
                  ...held(g.values[i])
                }
              ]
            : []
        )
  )
  if (values.length === 0)
    return {
      ...base,
      missing: `No finished cell has a finite ${yField}.`,
      notes: exclusionNotes(folder.cells)
    }
  const seriesOrder = methods.map((m) => m.label).filter((l) => values.some((v) => v.series === l))
  const colorEnc = {
    field: "series",
    type: "nominal",
    title: "method",
    scale: methodScale(methods.filter((m) => seriesOrder.includes(m.label))),
    sort: seriesOrder,
    legend: strokeLegend
  }
  const xValues = [...new Set(values.map((v) => v.x))].sort(compareValues)
  const logScaleX = numeric && logX && xValues.every((v) => (v as number) > 0)
  // error bars of the methods side by side: each method's x shifted by a few pixels' worth
  const spread = numeric
    ? logScaleX
      ? Math.max(decadesOf(xValues as number[]), 0.5)
      : Math.max(...(xValues as number[])) - Math.min(...(xValues as number[])) || 1
    : 0
  const shift = (series: string) =>
    0.015 * spread * (seriesOrder.indexOf(series) - (seriesOrder.length - 1) / 2)
  const dodged = [...values, ...seedValues].map((v) => ({
    ...v,
    bandLo: "lo" in v ? (v.lo ?? v.center) : v.center,
    bandHi: "hi" in v ? (v.hi ?? v.center) : v.center,
    xd: !numeric
      ? v.x
      : logScaleX
        ? (v.x as number) * 10 ** shift(v.series)
        : (v.x as number) + shift(v.series)
  }))
  const x = numeric
    ? {
        field: "xd",
        type: "quantitative",
        ...axisFor(paramAxis(xPath), logScaleX, xValues as number[], xValues as number[])
      }
    : { field: "x", type: "ordinal", sort: xValues, axis: { title: paramAxis(xPath), labelAngle: 0 } }
  const xOffset = numeric ? {} : { xOffset: { field: "series", sort: seriesOrder } }
  const bars = values.filter((v) => v.seeds >= minSeedsForBand)
  const shown = [
    ...values.map((v) => v.center),
    ...bars.flatMap((v) => [v.lo, v.hi]),
    ...seedValues.map((v) => v.center)
  ]
  const yAxis = axisFor(
    finalLabel(yField),
    logY,
    floor === undefined ? shown : shown.filter((v) => v === null || v >= floor)
  )
  const y = { field: "center", type: "quantitative", ...yAxis }
  const tooltip = [
    { field: "series", title: "method" },
    { field: "x", title: paramSymbol(xPath) },
    { field: "value", title: "mean", format: ".3e" },
    { field: "lo", title: "95% low", format: ".3e" },
    { field: "hi", title: "95% high", format: ".3e" },
    { field: "seeds", title: "seeds" }
  ]
  const kind = (k: string) => ({ filter: `datum.kind === '${k}'` })
  const shape = { condition: { test: "datum.below", value: "triangle-down" }, value: "circle" }
  const layer = [
    ...(bars.length > 0
      ? [
          {
            transform: [{ filter: `datum.kind === 'mean' && datum.seeds >= ${minSeedsForBand}` }],
            mark: { type: "rule", strokeWidth: 1.8 },
            encoding: {
              x,
              ...xOffset,
              y: { field: "bandLo", type: "quantitative", scale: yAxis.scale, axis: yAxis.axis },
              y2: { field: "bandHi" },
              color: colorEnc
            }
          }
        ]
      : []),
    ...(numeric
      ? [
          {
            transform: [kind("mean")],
            mark: { type: "line", strokeWidth: 2 },
            encoding: { x, y, color: colorEnc }
          }
        ]
      : []),
    ...(seedValues.length > 0
      ? [
          {
            transform: [kind("seed")],
            mark: { type: "point", filled: false, size: 30, strokeWidth: 1.2, opacity: 0.8 },
            encoding: {
              x,
              ...xOffset,
              y,
              color: colorEnc,
              shape,
              tooltip: [
                { field: "series", title: "method" },
                { field: "x", title: paramSymbol(xPath) },
                { field: "cell", title: "cell" },
                { field: "seed", title: "seed" },
                { field: "value", title: "value", format: ".3e" }
              ]
            }
          }
        ]
      : []),
    {
      transform: [kind("mean")],
      mark: { type: "point", filled: true, size: 50, opacity: 1 },
      encoding: { x, ...xOffset, y, color: colorEnc, shape, tooltip }
    }
  ]
  const spec = panelled(
    plot.title ?? title,
    dodged,
    { field: "panel", order: panels.order(done) },
    () => layer
  )
  return {
    ...base,
    ...(seedValues.length > 0
      ? {
          caption:
            `Value at the end of training (converged, or at the iteration cap: see the cell table), per method:` +
            ` geometric mean over seeds (dots, joined) with the 95% Student-t interval over seeds (bars) where there are` +
            ` ${minSeedsForBand} seeds or more; with fewer, each seed's own value (rings) instead of an interval` +
            ` (t = 12.7 for 2 seeds). The methods are drawn side by side around each value.`
        }
      : {}),
    spec,
    notes: [
      ...(floor !== undefined && belowFloor > 0 ? [floorNote(belowFloor, floor)] : []),
      ...exclusionNotes(folder.cells)
    ]
  }
}
