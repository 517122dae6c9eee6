/**
 * `convergence` (issue #6, mean-field particles): the distance of each cell's loss trajectory
 * to a reference trajectory — the largest x (M) of the same seed, method and panel, under the
 * same `color` value or under `referenceColor` — vs x on log–log axes, geometric mean and 95%
 * interval over seeds, with the fitted order d ≈ C·x^{−β} per line (metrics/convergence.ts).
 * One panel per method (their distances differ in scale), times any other swept parameter.
 */
import { fitRate, seedBand, trajectoryDistance, type TrajectoryDistance } from "@gnlab/metrics"
import { fieldLabel, paramAxis, paramSymbol, sequentialColors, valueText } from "../labels.js"
import type { CellResult, PlotDeclaration, ResultsFolder } from "../results.js"
import {
  axisFor,
  capitalize,
  compareValues,
  exclusionNotes,
  finished,
  methodOrder,
  nothingYet,
  panelled,
  panelOf,
  paramValue,
  strokeLegend,
  type Figure
} from "./shared.js"

const distanceText: Readonly<Record<TrajectoryDistance, string>> = {
  "log-rms": "RMS of log10 ratios over the recorded points (decades)",
  "max-rel": "largest relative difference over the recorded points"
}

export function convergenceFigure(
  plot: PlotDeclaration,
  p: Record<string, unknown>,
  folder: ResultsFolder
): Figure {
  const xPath = p.x as string
  const yField = p.y as string
  const kind = p.distance as TrajectoryDistance
  const color = p.color as string | undefined
  const refColor = p.referenceColor
  const facet = p.facet as string | undefined
  const title =
    plot.title ??
    capitalize(`distance of the ${fieldLabel(yField)} trajectory to the largest ${paramSymbol(xPath)}`)
  const reference =
    refColor === undefined
      ? `the trajectory of the largest ${paramSymbol(xPath)} with the same seed${color === undefined ? "" : ` and ${paramSymbol(color)}`}`
      : `the trajectory of the largest ${paramSymbol(xPath)} with ${paramSymbol(color ?? "?")} = ${valueText(refColor)} and the same seed`
  const caption =
    `Distance (${distanceText[kind]}) of each run's ${fieldLabel(yField)} to ${reference}, up to the shorter run's end;` +
    ` geometric mean over seeds with the 95% Student-t interval (on log values). Lines: least-squares fits` +
    ` log d = c − β log ${paramSymbol(xPath)}; β is the mean of the per-seed slopes with its 95% interval.`
  const base = { id: plot.id, plugin: plot.plugin, title, caption }
  if (refColor !== undefined && color === undefined)
    return {
      ...base,
      missing: "referenceColor needs params.color (the swept parameter it is a value of).",
      notes: []
    }
  const done = folder.cells.filter(finished)
  if (done.length === 0) return { ...base, missing: nothingYet(folder.cells), notes: [] }
  const xs = [...new Set(done.map((c) => paramValue(c, xPath)))]
  if (xs.length < 2 || !xs.every((v) => typeof v === "number" && v > 0))
    return {
      ...base,
      missing: `The convergence plot needs at least two positive values of ${xPath} among the finished cells: sweep it, e.g. "sweep": {"grid": {"${xPath}": [250, 1000, 4000]}}.`,
      notes: exclusionNotes(folder.cells)
    }
  const panels = panelOf(folder, [xPath, color], facet)
  const methods = methodOrder(folder)
  const panelName = (c: CellResult) => [c.entry.label, panels.label(c)].filter((s) => s !== "").join(", ")
  const colorOf = (c: CellResult) => (color === undefined ? "" : valueText(paramValue(c, color)))
  const xOf = (c: CellResult) => paramValue(c, xPath) as number
  // the reference cell of (panel, method, seed, colour): the largest x of its own or the reference colour
  const refs = new Map<string, CellResult>()
  for (const c of done) {
    const key = JSON.stringify([panelName(c), c.entry.seed, colorOf(c)])
    const r = refs.get(key)
    if (r === undefined || xOf(c) > xOf(r)) refs.set(key, c)
  }
  const referenceOf = (c: CellResult) =>
    refs.get(
      JSON.stringify([panelName(c), c.entry.seed, refColor === undefined ? colorOf(c) : valueText(refColor)])
    )
  const rowsOf = (c: CellResult) =>
    c.rows.map((r) => {
      const v = (r as unknown as Record<string, unknown>)[yField]
      return { iter: r.iter, value: typeof v === "number" ? v : null }
    })
  const lines = new Map<
    string,
    { panel: string; colour: string; points: Array<{ n: number; loss: number; seed: number }> }
  >()
  let missingRef = 0
  for (const c of done) {
    const ref = referenceOf(c)
    if (ref === undefined) {
      missingRef++
      continue
    }
    // the reference itself (with referenceColor, the other rules' runs at the same M are compared)
    if (ref === c || xOf(c) > xOf(ref)) continue
    const key = JSON.stringify([panelName(c), colorOf(c)])
    const line = lines.get(key) ?? { panel: panelName(c), colour: colorOf(c), points: [] }
    line.points.push({
      n: xOf(c),
      loss: trajectoryDistance(rowsOf(c), rowsOf(ref), kind),
      seed: c.entry.seed
    })
    lines.set(key, line)
  }
  const rawColour = new Map(done.map((c) => [colorOf(c), color === undefined ? "" : paramValue(c, color)]))
  const colours = [...rawColour.keys()].sort((a, b) => compareValues(rawColour.get(a), rawColour.get(b)))
  const values: Array<Record<string, unknown>> = []
  const notes: string[] = []
  const legendOf = new Map<string, string>()
  for (const line of lines.values()) {
    const fit = fitRate(line.points)
    const order =
      fit === undefined
        ? "β n/a"
        : `β = ${fit.alpha.toFixed(2)}${fit.lo === null ? "" : ` [${fit.lo.toFixed(2)}, ${fit.hi!.toFixed(2)}]`}`
    const series = `${[line.panel, line.colour].filter((x) => x !== "").join(", ")}: ${order}`
    legendOf.set(JSON.stringify([line.panel, line.colour]), series)
    notes.push(
      `${line.panel}${line.colour === "" ? "" : `, ${paramSymbol(color!)} = ${line.colour}`}: order ${order}`
    )
    if (fit !== undefined) {
      const [n0, n1] = [fit.sizes[0], fit.sizes[fit.sizes.length - 1]]
      for (const n of [n0, n1])
        values.push({
          kind: "fit",
          panel: line.panel,
          colour: line.colour,
          series,
          x: n,
          center: 10 ** (fit.intercept - fit.alpha * Math.log10(n))
        })
    }
    const byX = new Map<number, number[]>()
    for (const q of line.points) byX.set(q.n, [...(byX.get(q.n) ?? []), q.loss])
    for (const [n, ds] of byX) {
      const b = seedBand(ds, true)
      if (Number.isFinite(b.center))
        values.push({
          kind: "mean",
          panel: line.panel,
          colour: line.colour,
          series,
          x: n,
          center: b.center,
          bandLo: b.lo ?? b.center,
          bandHi: b.hi ?? b.center,
          seeds: b.n
        })
    }
  }
  if (missingRef > 0)
    notes.push(`${missingRef} cell(s) have no finished reference (${reference}) and are left out`)
  if (values.length === 0)
    return {
      ...base,
      missing: `No finished cell below the largest ${paramSymbol(xPath)} has a reference to compare with yet.`,
      notes: [...notes, ...exclusionNotes(folder.cells)]
    }
  const panelOrder = methods.flatMap((m) =>
    [...new Set(done.filter((c) => c.entry.label === m.label).map(panelName))].filter((pn) =>
      values.some((v) => v.panel === pn)
    )
  )
  // one colour per `color` value, the same in every panel; the legend names the fitted order
  const colourRange = sequentialColors(Math.max(colours.length, 1))
  const seriesOrder = panelOrder.flatMap((pn) =>
    colours.map((c) => legendOf.get(JSON.stringify([pn, c]))).filter((s): s is string => s !== undefined)
  )
  const colorEnc = {
    field: "series",
    type: "nominal",
    title: `${color === undefined ? "" : `${paramSymbol(color)}: `}order β [95% CI]`,
    sort: seriesOrder,
    scale: {
      domain: seriesOrder,
      range: seriesOrder.map((s) => {
        const v = values.find((x) => x.series === s)!
        return colourRange[colours.indexOf(v.colour as string)] ?? colourRange[0]
      })
    },
    legend: { ...strokeLegend, orient: "bottom", direction: "vertical" }
  }
  const xsDrawn = [...new Set(values.map((v) => v.x as number))].sort((a, b) => a - b)
  const x = { field: "x", type: "quantitative", ...axisFor(paramAxis(xPath), true, xsDrawn, xsDrawn) }
  const yAxis = axisFor(
    `distance to the reference ${kind === "log-rms" ? "(decades)" : "(relative)"}`,
    true,
    values.flatMap((v) => [v.center as number, v.bandLo as number, v.bandHi as number])
  )
  const y = { field: "center", type: "quantitative", ...yAxis }
  const layer = [
    {
      transform: [{ filter: "datum.kind === 'fit'" }],
      mark: { type: "line", strokeWidth: 1.5, strokeDash: [5, 4] },
      encoding: { x, y, color: colorEnc }
    },
    {
      // the means' bars and line share one filter (fewer dataflow nodes for Vega-Lite's optimizer)
      transform: [{ filter: "datum.kind === 'mean'" }],
      layer: [
        {
          mark: { type: "rule", strokeWidth: 1.5 },
          encoding: {
            x,
            y: { field: "bandLo", type: "quantitative", scale: yAxis.scale },
            y2: { field: "bandHi" },
            color: colorEnc
          }
        },
        {
          mark: { type: "line", strokeWidth: 2, point: { filled: true, size: 45 } },
          encoding: {
            x,
            y,
            color: colorEnc,
            tooltip: [
              { field: "series", title: "line" },
              { field: "x", title: paramSymbol(xPath) },
              { field: "center", title: "distance", format: ".3e" },
              { field: "seeds", title: "seeds" }
            ]
          }
        }
      ]
    }
  ]
  const spec = panelled(plot.title ?? title, values, { field: "panel", order: panelOrder }, () => layer)
  return { ...base, spec, notes: [...notes, ...exclusionNotes(folder.cells)] }
}
