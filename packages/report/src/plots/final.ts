/**
 * `final` (paper Fig. 2 vs τ0, Fig. 4 left vs M): a value at the end of training vs a swept
 * parameter, a line per method, geometric mean and 95% interval bars over seeds.
 */
import { seedBand } from "@gnlab/metrics"
import { finalLabel, paramAxis, paramSymbol, valueText } from "../labels.js"
import type { PlotDeclaration, ResultsFolder } from "../results.js"
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
  const groups = new Map<string, { panel: string; series: string; x: unknown; values: number[] }>()
  for (const c of done) {
    const xv = paramValue(c, xPath)
    const key = JSON.stringify([panels.label(c), c.entry.label, xv])
    const g = groups.get(key) ?? { panel: panels.label(c), series: c.entry.label, x: xv, values: [] }
    const v = (c.summary as unknown as Record<string, unknown>)[yField]
    if (typeof v === "number") g.values.push(v)
    groups.set(key, g)
  }
  const numeric = [...groups.values()].every((g) => typeof g.x === "number")
  const values = [...groups.values()]
    .map((g) => {
      const b = seedBand(g.values, logY)
      return { panel: g.panel, series: g.series, x: numeric ? g.x : valueText(g.x), ...b, seeds: b.n }
    })
    .filter((v) => Number.isFinite(v.center))
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
  const dodged = values.map((v) => ({
    ...v,
    bandLo: v.lo ?? v.center,
    bandHi: v.hi ?? v.center,
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
  const yAxis = axisFor(
    finalLabel(yField),
    logY,
    values.flatMap((v) => [v.lo, v.hi, v.center])
  )
  const y = { field: "center", type: "quantitative", ...yAxis }
  const tooltip = [
    { field: "series", title: "method" },
    { field: "x", title: paramSymbol(xPath) },
    { field: "center", title: "mean", format: ".3e" },
    { field: "lo", title: "95% low", format: ".3e" },
    { field: "hi", title: "95% high", format: ".3e" },
    { field: "seeds", title: "seeds" }
  ]
  const layer = [
    {
      mark: { type: "rule", strokeWidth: 1.8 },
      encoding: {
        x,
        ...xOffset,
        y: { field: "bandLo", type: "quantitative", scale: yAxis.scale, axis: yAxis.axis },
        y2: { field: "bandHi" },
        color: colorEnc
      }
    },
    ...(numeric ? [{ mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color: colorEnc } }] : []),
    {
      mark: { type: "point", filled: true, size: 50, opacity: 1 },
      encoding: { x, ...xOffset, y, color: colorEnc, tooltip }
    }
  ]
  const spec = panelled(
    plot.title ?? title,
    dodged,
    { field: "panel", order: panels.order(done) },
    () => layer
  )
  return { ...base, spec, notes: exclusionNotes(folder.cells) }
}
