/**
 * The figures a pipeline declares (`report.plots`), as Vega-Lite specs built from a results
 * folder: pure functions from the folder's cells to a spec, its caption and notes (or a
 * message saying why there is nothing to draw yet). Rendering is render.ts.
 *
 * Each plot plugin carries how it is drawn (builtin-plots.ts, or a plugin file).
 *
 * Only finished cells (converged or capped) enter a figure; diverged ones are left out and
 * counted in the figure's notes, and pending/partial/failed ones are counted too.
 */
import { withDefaults } from "@gnlab/pipeline"
import { builtinPlots } from "./builtin-plots.js"
import { registeredPlots, type PlotPlugin } from "./plugins.js"
import type { Figure, Figures, RateRow } from "./plots/shared.js"
import type { PlotDeclaration, ResultsFolder } from "./results.js"

export type { Figure, Figures, RateRow } from "./plots/shared.js"
export { figureConfig, logLabelExpr, paramValue, sweptParams } from "./plots/shared.js"

/** Every plot plugin the report knows: the built-in ones, then those registered from files. */
export const plotPlugins = (): ReadonlyArray<PlotPlugin> => [...builtinPlots, ...registeredPlots()]

/** A plot's parameters with its plugin's defaults filled in (undefined: no such plot plugin). */
export function plotParams(plot: PlotDeclaration): Record<string, unknown> | undefined {
  const plugin = plotPlugins().find((p) => p.id === plot.plugin)
  return plugin === undefined ? undefined : withDefaults(plugin.schema, plot.params ?? {})
}

/** Build every figure the pipeline declares, in order, and the α rows of its rate plots. */
export function buildFigures(folder: ResultsFolder): Figures {
  const figures: Figure[] = []
  const rates: RateRow[] = []
  for (const plot of folder.pipeline.report?.plots ?? []) {
    const plugin = plotPlugins().find((p) => p.id === plot.plugin)
    if (plugin === undefined) {
      figures.push({
        id: plot.id,
        plugin: plot.plugin,
        title: plot.title ?? plot.id,
        caption: "",
        missing: `Unknown plot plugin "${plot.plugin}" (known: ${plotPlugins()
          .map((x) => x.id)
          .join(", ")}).`,
        notes: []
      })
      continue
    }
    const drawn = plugin.draw(plot, withDefaults(plugin.schema, plot.params ?? {}), folder)
    figures.push(drawn.figure)
    rates.push(...(drawn.rates ?? []))
  }
  return { figures, rates }
}
