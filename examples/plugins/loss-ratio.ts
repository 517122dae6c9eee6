/**
 * A plot plugin from outside the repository: one point per method, the factor by which it
 * reduced the train loss (geometric mean over seeds). The plot declares its params once and
 * says how it is drawn: `draw` gets the results folder and returns a Vega-Lite spec.
 */
import { param } from "@gnlab/pipeline"
import { definePlot } from "@gnlab/report/plugins"

export const lossRatio = definePlot({
  id: "loss-ratio",
  description:
    "final train loss over initial train loss per method (geometric mean over seeds), a point per method",
  params: {
    logY: param.boolean({ default: true, description: "logarithmic y axis" })
  },
  draw(plot, p, folder) {
    const ratios = new Map<string, number[]>()
    let left = 0
    for (const cell of folder.cells) {
      const s = cell.summary
      if (s === undefined || s.finalTrainLoss === null || !(s.initialTrainLoss > 0)) {
        left++
        continue
      }
      const list = ratios.get(cell.entry.label) ?? []
      list.push(s.finalTrainLoss / s.initialTrainLoss)
      ratios.set(cell.entry.label, list)
    }
    const values = [...ratios].map(([method, r]) => ({
      method,
      ratio: Math.exp(r.reduce((t, x) => t + Math.log(x), 0) / r.length)
    }))
    const base = { id: plot.id, plugin: plot.plugin, title: plot.title ?? plot.id }
    const notes = left > 0 ? [`${left} cells without a finished summary left out`] : []
    if (values.length === 0)
      return { figure: { ...base, caption: "", missing: "No finished cells yet.", notes } }
    return {
      figure: {
        ...base,
        caption: "L(final)/L(0) per method, geometric mean over seeds.",
        notes,
        spec: {
          $schema: "https://vega.github.io/schema/vega-lite/v6.json",
          data: { values },
          mark: { type: "point", filled: true, size: 80 },
          encoding: {
            x: { field: "method", type: "nominal", title: "method" },
            y: {
              field: "ratio",
              type: "quantitative",
              title: "L(final)/L(0)",
              scale: { type: p.logY ? "log" : "linear" }
            }
          }
        }
      }
    }
  }
})
