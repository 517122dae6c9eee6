/**
 * The figures a pipeline declares (`report.plots`), as Vega-Lite specs built from a results
 * folder: pure functions from the folder's cells to a spec, its caption and notes (or a
 * message saying why there is nothing to draw yet). Rendering is render.ts; each plugin is a file of plots/.
 *
 *   curves  a trajectory field vs iteration, a line per method (or per value of `color`),
 *           mean over seeds and 95% band; panels by `facet` (paper Fig. 1, Fig. 4 right)
 *   final   a value at the end of training vs a swept parameter, per method (Fig. 2, Fig. 4 left)
 *   rate    final test loss vs N on log–log axes with the fitted rates α (Fig. 3, Table 1)
 *   convergence  distance of each trajectory to the largest-M one vs M, with the fitted order
 *           (mean-field particles, MC vs RQMC)
 *   frontier  cost (Gram assemblies or wall seconds) vs |T/T_ref − 1| against a reference
 *           method's cell of the same seed and sweep point, the Pareto frontier marked (issue 12)
 *
 * Only finished cells (converged or capped) enter a figure; diverged ones are left out and
 * counted in the figure's notes, and pending/partial/failed ones are counted too.
 */
import { plotPlugins } from "@gnlab/metrics"
import { convergenceFigure } from "./plots/convergence.js"
import { curvesFigure } from "./plots/curves.js"
import { finalFigure } from "./plots/final.js"
import { frontierFigure } from "./plots/frontier.js"
import { rateFigure } from "./plots/rate.js"
import { plotParams, type Figure, type Figures, type RateRow } from "./plots/shared.js"
import type { ResultsFolder } from "./results.js"

export type { Figure, Figures, RateRow } from "./plots/shared.js"
export { figureConfig, logLabelExpr, paramValue, plotParams, sweptParams } from "./plots/shared.js"

/** Build every figure the pipeline declares, in order, and the α rows of its rate plots. */
export function buildFigures(folder: ResultsFolder): Figures {
  const figures: Figure[] = []
  const rates: RateRow[] = []
  for (const plot of folder.pipeline.report?.plots ?? []) {
    const p = plotParams(plot)
    const base = { id: plot.id, plugin: plot.plugin, title: plot.title ?? plot.id, caption: "" }
    if (p === undefined) {
      figures.push({
        ...base,
        missing: `Unknown plot plugin "${plot.plugin}" (known: ${plotPlugins.map((x) => x.id).join(", ")}).`,
        notes: []
      })
      continue
    }
    switch (plot.plugin) {
      case "curves":
        figures.push(curvesFigure(plot, p, folder))
        break
      case "convergence":
        figures.push(convergenceFigure(plot, p, folder))
        break
      case "final":
        figures.push(finalFigure(plot, p, folder))
        break
      case "frontier":
        figures.push(frontierFigure(plot, p, folder))
        break
      case "rate": {
        const r = rateFigure(plot, p, folder)
        figures.push(r.figure)
        rates.push(...r.rates)
        break
      }
      default:
        figures.push({
          ...base,
          missing: `The report cannot draw plot plugin "${plot.plugin}" yet.`,
          notes: []
        })
    }
  }
  return { figures, rates }
}
