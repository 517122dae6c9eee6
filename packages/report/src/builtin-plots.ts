/**
 * The built-in plot plugins: each declares its params once and says how it is drawn (the
 * drawing is a file of plots/).
 *
 *   curves  a trajectory field vs iteration, a line per method (or per value of `color`),
 *           mean over seeds and 95% band; panels by `facet` (paper Fig. 1, Fig. 4 right)
 *   final   a value at the end of training vs a swept parameter, per method (Fig. 2, Fig. 4 left)
 *   rate    final test loss vs N on log–log axes with the fitted rates α (Fig. 3, Table 1)
 *   convergence  distance of each trajectory to the largest-M one vs M, with the fitted order
 *           (mean-field particles, MC vs RQMC)
 *   frontier  cost (Gram assemblies or wall seconds) vs |T/T_ref − 1| against a reference
 *           method's cell of the same seed and sweep point, the Pareto frontier marked (issue 12)
 */
import { param } from "@gnlab/pipeline"
import { convergenceFigure } from "./plots/convergence.js"
import { curvesFigure } from "./plots/curves.js"
import { finalFigure } from "./plots/final.js"
import { frontierFigure } from "./plots/frontier.js"
import { rateFigure } from "./plots/rate.js"
import {
  definePlot,
  finalFields,
  paramPath,
  trajectoryField,
  trajectoryFields,
  type PlotPlugin
} from "./plugins.js"

const logAxis = param.boolean({ default: true })

/** Trajectories (mean and 95% band over seeds) of one field vs iteration or time, a line per method. */
export const curvesPlot = definePlot({
  id: "curves",
  description:
    "a trajectory field vs iteration (or flow time t, or GD-equivalent updates), one line per method, mean and 95% band over seeds",
  params: {
    y: param.array(trajectoryField, { minItems: 1, default: ["trainLoss", "testLoss"] }),
    x: param.literal(["iter", "t", "gdIter"], {
      default: "iter",
      description:
        "iteration k, the time t of a flow (gn-flow, gradient-flow), or gdIter: updates, where a gradient flow standing in for GD counts t/λ (GD's updates to reach t) and every other method its own iterations (the paper's Fig. 1 axis)"
    }),
    bound: param.boolean({
      default: false,
      description:
        "with x = t: draw Prop. 3's bound L(0)·e^{−2ηt} (dashed) for gn-flow cells with the theory damping"
    }),
    facet: paramPath({ description: "one panel per value of this swept parameter" }),
    color: paramPath({ description: "one line per value of this swept parameter (default: one per method)" }),
    logX: logAxis,
    logY: logAxis
  },
  draw: (plot, p, folder) => ({ figure: curvesFigure(plot, p, folder) })
})

/** A final value vs a swept parameter, a line per method. */
export const finalPlot = definePlot({
  id: "final",
  description: "a final value (at convergence or the cap) vs a swept parameter, one line per method",
  params: {
    x: paramPath({ required: true }),
    y: param.literal(finalFields, { default: "finalTestLoss" }),
    facet: paramPath({}),
    logX: logAxis,
    logY: logAxis
  },
  draw: (plot, p, folder) => ({ figure: finalFigure(plot, p, folder) })
})

/** Test loss vs N on log–log axes with the fitted statistical rate α per method (Fig. 3, Table 1). */
export const ratePlot = definePlot({
  id: "rate",
  description: "final test loss vs N, log–log, with the least-squares rate α per method",
  params: {
    x: paramPath({ default: "dataset.nTrain" }),
    y: param.literal(finalFields, { default: "finalTestLoss" })
  },
  draw(plot, p, folder) {
    const r = rateFigure(plot, p, folder)
    return { figure: r.figure, rates: r.rates }
  }
})

/** Distance of each trajectory to the largest-x one vs x (particle convergence of the mean-field model). */
export const convergencePlot = definePlot({
  id: "convergence",
  description:
    "distance of each cell's trajectory to the reference (largest x) trajectory of its seed vs x, log–log, with the fitted order",
  params: {
    x: paramPath({ default: "model.width", description: "the discretisation parameter (M)" }),
    y: param.literal(trajectoryFields, {
      default: "trainLoss",
      description: "the trajectory field compared"
    }),
    distance: param.literal(["log-rms", "max-rel"], {
      default: "log-rms",
      description: "RMS of log10 ratios over the recorded points, or the max relative difference"
    }),
    color: paramPath({ description: "one line per value of this swept parameter (e.g. model.quadrature)" }),
    referenceColor: param.json<string | number | boolean>(
      { type: ["string", "number", "boolean"] },
      {
        description:
          "the value of `color` whose largest-x trajectory is every line's reference (default: each line its own)"
      }
    ),
    facet: paramPath({})
  },
  draw: (plot, p, folder) => ({ figure: convergenceFigure(plot, p, folder) })
})

/**
 * Cost against accuracy relative to a reference method (issue 12, the GN↔GD frontier): one
 * point per method label, the Pareto frontier marked.
 */
export const frontierPlot = definePlot({
  id: "frontier",
  description:
    "cost (Gram assemblies or wall seconds) vs the final test loss's distance |T/T_ref − 1| to a reference method's cell of the same seed and sweep point, one point per method (geometric mean and 95% intervals over seeds), log–log, the Pareto frontier marked",
  params: {
    reference: param.string({
      minLength: 1,
      required: true,
      description:
        "the method label of the reference (e.g. the gradient flow at a tight rtol); each cell is compared with the reference's cell of the same seed and the same values of every swept parameter"
    }),
    cost: param.literal(["gramAssemblies", "wallSeconds"], {
      default: "wallSeconds",
      description:
        "x: the summary's wallSeconds, or its gramAssemblies (when a summary lacks it: GN one per update, GD 0, RF 1)"
    }),
    facet: paramPath({ description: "one panel per value of this swept parameter" }),
    row: paramPath({
      description: "one row of panels per value of this swept parameter (axes shared with the columns)"
    })
  },
  draw: (plot, p, folder) => ({ figure: frontierFigure(plot, p, folder) })
})

/** The built-in plot plugins. */
export const builtinPlots: ReadonlyArray<PlotPlugin> = [
  curvesPlot,
  finalPlot,
  ratePlot,
  convergencePlot,
  frontierPlot
]
