/**
 * `rate` (paper Fig. 3, Table 1): final test loss vs N on log–log axes, the least-squares
 * lines of each method and its rate α [95% CI] in the legend; the rows of the α table.
 */
import { fitRate, paperRates, seedBand } from "@gnlab/metrics"
import type { TopLevelSpec } from "vega-lite"
import { finalLabel, palette, paramAxis, paramSymbol, valueText } from "../labels.js"
import type { CellResult, PlotDeclaration, ResultsFolder } from "../results.js"
import {
  axisFor,
  capitalize,
  decadesOf,
  exclusionNotes,
  figureConfig,
  finished,
  methodOrder,
  methodScale,
  nothingYet,
  panelOf,
  paramValue,
  schemaUrl,
  strokeLegend,
  minSeedsForBand,
  type Figure,
  type RateRow
} from "./shared.js"

export function rateFigure(
  plot: PlotDeclaration,
  p: Record<string, unknown>,
  folder: ResultsFolder
): { figure: Figure; rates: RateRow[] } {
  const xPath = p.x as string
  const yField = p.y as string
  const methods = methodOrder(folder)
  const title = plot.title ?? capitalize(`${finalLabel(yField)} vs ${paramSymbol(xPath)} and the rate α`)
  const caption =
    `Final ${yField === "finalTestLoss" ? "test loss" : yField} vs ${paramSymbol(xPath)} on log–log axes: geometric mean over seeds with 95% intervals` +
    ` (faint dots: single seeds; intervals from ${minSeedsForBand} seeds up). Lines: least-squares fits log L = c − α log ${paramSymbol(xPath)}; α is the mean of the per-seed` +
    ` slopes with the 95% Student-t interval over seeds (Table 1).`
  const base = { id: plot.id, plugin: plot.plugin, title, caption }
  const done = folder.cells.filter(finished)
  if (done.length === 0)
    return { figure: { ...base, missing: nothingYet(folder.cells), notes: [] }, rates: [] }
  const sizes = [...new Set(done.map((c) => paramValue(c, xPath)))]
  if (sizes.length < 2 || !sizes.every((v) => typeof v === "number" && v > 0))
    return {
      figure: {
        ...base,
        missing: `The rate needs at least two positive values of ${xPath} among the finished cells (found ${sizes.map(valueText).join(", ") || "none"}): sweep it, e.g. "sweep": {"grid": {"${xPath}": [100, 200, 400, 800]}}.`,
        notes: exclusionNotes(folder.cells)
      },
      rates: []
    }
  const panels = panelOf(folder, [xPath], undefined)
  const byGroup = new Map<string, { panel: string; method: string; plugin: string; cells: CellResult[] }>()
  for (const c of done) {
    const key = JSON.stringify([panels.label(c), c.entry.label])
    const g = byGroup.get(key) ?? {
      panel: panels.label(c),
      method: c.entry.label,
      plugin: c.entry.method,
      cells: []
    }
    g.cells.push(c)
    byGroup.set(key, g)
  }
  const valueOf = (c: CellResult) => {
    const v = (c.summary as unknown as Record<string, unknown>)[yField]
    return typeof v === "number" ? v : NaN
  }
  const rates: RateRow[] = []
  const values: Array<Record<string, unknown>> = []
  const legendOf = new Map<string, string>()
  for (const g of byGroup.values()) {
    const fit = fitRate(
      g.cells.map((c) => ({ n: paramValue(c, xPath) as number, loss: valueOf(c), seed: c.entry.seed }))
    )
    const name = g.panel === "" ? g.method : `${g.method} (${g.panel})`
    const legend =
      fit === undefined
        ? `${name}: α n/a`
        : `${name}: α = ${fit.alpha.toFixed(2)}${fit.lo === null ? "" : ` [${fit.lo.toFixed(2)}, ${fit.hi!.toFixed(2)}]`}`
    legendOf.set(JSON.stringify([g.panel, g.method]), legend)
    if (fit !== undefined) {
      const paper =
        xPath === "dataset.nTrain" && yField === "finalTestLoss" ? paperRates[g.plugin] : undefined
      rates.push({
        figure: plot.id,
        panel: g.panel,
        method: g.method,
        plugin: g.plugin,
        fit,
        ...(paper === undefined ? {} : { paper })
      })
      const [n0, n1] = [fit.sizes[0], fit.sizes[fit.sizes.length - 1]]
      for (const n of [n0, n1])
        values.push({
          kind: "fit",
          series: legend,
          x: n,
          center: 10 ** (fit.intercept - fit.alpha * Math.log10(n))
        })
    }
    const byN = new Map<number, number[]>()
    for (const c of g.cells) {
      const n = paramValue(c, xPath) as number
      byN.set(n, [...(byN.get(n) ?? []), valueOf(c)])
      if (Number.isFinite(valueOf(c)) && valueOf(c) > 0)
        values.push({
          kind: "seed",
          series: legend,
          x: n,
          center: valueOf(c),
          cell: c.entry.id,
          seed: c.entry.seed
        })
    }
    for (const [n, vs] of byN) {
      const b = seedBand(vs, true)
      if (Number.isFinite(b.center))
        values.push({
          kind: "mean",
          series: legend,
          x: n,
          center: b.center,
          lo: b.lo,
          hi: b.hi,
          bandLo: b.lo ?? b.center,
          bandHi: b.hi ?? b.center,
          seeds: b.n
        })
    }
  }
  const order: Array<{ legend: string; plugin: string }> = []
  for (const { label, plugin } of methods)
    for (const panel of panels.order(done)) {
      const l = legendOf.get(JSON.stringify([panel, label]))
      if (l !== undefined) order.push({ legend: l, plugin })
    }
  let k = 0
  // one panel: the methods' colours (shades for several labels of one plugin); else a palette
  const single = methodScale(order.map((o) => ({ label: o.legend, plugin: o.plugin }))).range
  const colorEnc = {
    field: "series",
    type: "nominal",
    title: "method: rate α [95% CI]",
    sort: order.map((o) => o.legend),
    scale: {
      domain: order.map((o) => o.legend),
      range: order.map((_, i) =>
        panels.order(done).length === 1 ? single[i] : palette[k++ % palette.length]
      )
    },
    legend: { ...strokeLegend, orient: "bottom", direction: "vertical" }
  }
  const sizesDrawn = [...new Set(values.map((v) => v.x as number))].sort((a, b) => a - b)
  // points and bars of the methods side by side at each N (the fitted lines stay exact)
  const legends = order.map((o) => o.legend)
  const step = 0.012 * Math.max(decadesOf(sizesDrawn), 0.5)
  for (const v of values)
    v.xd =
      v.kind === "fit"
        ? v.x
        : (v.x as number) * 10 ** (step * (legends.indexOf(v.series as string) - (legends.length - 1) / 2))
  const xAxis = axisFor(paramAxis(xPath), true, sizesDrawn, sizesDrawn)
  const x = { field: "xd", type: "quantitative", ...xAxis }
  const yAxis = axisFor(
    finalLabel(yField),
    true,
    values.flatMap((v) =>
      (v.seeds as number) >= minSeedsForBand
        ? [v.center as number, v.lo as number | null, v.hi as number | null]
        : [v.center as number]
    )
  )
  const y = { field: "center", type: "quantitative", ...yAxis }
  const layer = [
    {
      transform: [{ filter: "datum.kind === 'seed'" }],
      mark: { type: "point", filled: true, size: 16, opacity: 0.35 },
      encoding: {
        x,
        y,
        color: colorEnc,
        tooltip: [
          { field: "series", title: "method" },
          { field: "x", title: paramSymbol(xPath) },
          { field: "cell", title: "cell" },
          { field: "seed", title: "seed" },
          { field: "center", title: "value", format: ".3e" }
        ]
      }
    },
    {
      transform: [{ filter: "datum.kind === 'fit'" }],
      mark: { type: "line", strokeWidth: 2 },
      encoding: { x, y, color: colorEnc }
    },
    {
      // intervals from 3 seeds up (with 2, t = 12.7 makes them cover everything; the seeds' dots say more)
      transform: [{ filter: `datum.kind === 'mean' && datum.seeds >= ${minSeedsForBand}` }],
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: {
        x,
        y: { field: "bandLo", type: "quantitative", scale: yAxis.scale },
        y2: { field: "bandHi" },
        color: colorEnc
      }
    },
    {
      transform: [{ filter: "datum.kind === 'mean'" }],
      mark: { type: "point", filled: true, size: 50, opacity: 1 },
      encoding: {
        x,
        y,
        color: colorEnc,
        tooltip: [
          { field: "series", title: "method" },
          { field: "x", title: paramSymbol(xPath) },
          { field: "center", title: "mean", format: ".3e" },
          { field: "seeds", title: "seeds" }
        ]
      }
    }
  ]
  const spec = {
    $schema: schemaUrl,
    title: plot.title ?? title,
    data: { values },
    width: 380,
    height: 280,
    layer,
    config: figureConfig
  } as unknown as TopLevelSpec
  return { figure: { ...base, spec, notes: exclusionNotes(folder.cells) }, rates }
}
