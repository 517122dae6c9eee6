/**
 * Metrics and plot plugins for pipelines. The metrics stage says what a cell records; plot
 * stages say what the report draws from a results folder (rendered by the report package).
 */

/** A metrics plugin: the recording schedule of a cell. */
export interface MetricsPlugin {
  readonly kind: "metrics"
  readonly id: string
  readonly description: string
  readonly schema: { readonly [k: string]: unknown }
  recording(params: Readonly<Record<string, unknown>>): {
    readonly recordPerDecade: number
    readonly testPerDecade: number
  }
}

/** A plot plugin (a declaration; the report renders it). */
export interface PlotPlugin {
  readonly kind: "plot"
  readonly id: string
  readonly description: string
  readonly schema: { readonly [k: string]: unknown }
}

/** The per-step trajectory of SPEC.md with a log-spaced schedule. */
export const trajectoryPlugin: MetricsPlugin = {
  kind: "metrics",
  id: "trajectory",
  description:
    "per-step diagnostics: every step up to 10, then about recordPerDecade per decade, and the last",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: {
      recordPerDecade: {
        type: "number",
        exclusiveMinimum: 0,
        maximum: 1000,
        default: 20,
        description: "rows per decade after iteration 10"
      },
      testPerDecade: {
        type: "number",
        minimum: 0,
        maximum: 1000,
        default: 20,
        description: "test-loss evaluations per decade (0: first 10 and last)"
      }
    }
  },
  recording: (p) => ({
    recordPerDecade: p.recordPerDecade as number,
    testPerDecade: p.testPerDecade as number
  })
}

const field = {
  enum: [
    "trainLoss",
    "testLoss",
    "sigmaMin",
    "sigmaMax",
    "cond",
    "eps",
    "gradNorm",
    "distInit",
    "stepNorm",
    "pinvNorm",
    "teacherDistance",
    "initDistance"
  ]
}
const finalField = { enum: ["finalTrainLoss", "finalTestLoss", "iterations", "wallSeconds"] }
const paramPath = { type: "string", pattern: "^(dataset|model|method|metrics)\\.[A-Za-z][A-Za-z0-9]*$" }

/** Trajectories (mean and 95% band over seeds) of one field vs iteration or time, a line per method. */
export const curvesPlot: PlotPlugin = {
  kind: "plot",
  id: "curves",
  description:
    "a trajectory field vs iteration (or flow time t), one line per method, mean and 95% band over seeds",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: {
      y: { type: "array", items: field, minItems: 1, default: ["trainLoss", "testLoss"] },
      x: {
        enum: ["iter", "t"],
        default: "iter",
        description: "iteration k, or the time t of a flow (gn-flow, gradient-flow)"
      },
      bound: {
        type: "boolean",
        default: false,
        description:
          "with x = t: draw Prop. 3's bound L(0)·e^{−2ηt} (dashed) for gn-flow cells with the theory damping"
      },
      facet: { ...paramPath, description: "one panel per value of this swept parameter" },
      color: {
        ...paramPath,
        description: "one line per value of this swept parameter (default: one per method)"
      },
      logX: { type: "boolean", default: true },
      logY: { type: "boolean", default: true }
    }
  }
}

/** A final value vs a swept parameter, a line per method. */
export const finalPlot: PlotPlugin = {
  kind: "plot",
  id: "final",
  description: "a final value (at convergence or the cap) vs a swept parameter, one line per method",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["x"],
    properties: {
      x: paramPath,
      y: { ...finalField, default: "finalTestLoss" },
      facet: paramPath,
      logX: { type: "boolean", default: true },
      logY: { type: "boolean", default: true }
    }
  }
}

/** Test loss vs N on log–log axes with the fitted statistical rate α per method (Fig. 3, Table 1). */
export const ratePlot: PlotPlugin = {
  kind: "plot",
  id: "rate",
  description: "final test loss vs N, log–log, with the least-squares rate α per method",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: {
      x: { ...paramPath, default: "dataset.nTrain" },
      y: { ...finalField, default: "finalTestLoss" }
    }
  }
}

/** Distance of each trajectory to the largest-x one vs x (particle convergence of the mean-field model). */
export const convergencePlot: PlotPlugin = {
  kind: "plot",
  id: "convergence",
  description:
    "distance of each cell's trajectory to the reference (largest x) trajectory of its seed vs x, log–log, with the fitted order",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: {
      x: { ...paramPath, default: "model.width", description: "the discretisation parameter (M)" },
      y: { ...field, default: "trainLoss", description: "the trajectory field compared" },
      distance: {
        enum: ["log-rms", "max-rel"],
        default: "log-rms",
        description: "RMS of log10 ratios over the recorded points, or the max relative difference"
      },
      color: {
        ...paramPath,
        description: "one line per value of this swept parameter (e.g. model.quadrature)"
      },
      referenceColor: {
        type: ["string", "number", "boolean"],
        description:
          "the value of `color` whose largest-x trajectory is every line's reference (default: each line its own)"
      },
      facet: paramPath
    }
  }
}

/**
 * Cost against accuracy relative to a reference method (issue 12, the GN↔GD frontier): one
 * point per method label, the Pareto frontier marked.
 */
export const frontierPlot: PlotPlugin = {
  kind: "plot",
  id: "frontier",
  description:
    "cost (Gram assemblies or wall seconds) vs the final test loss's distance |T/T_ref − 1| to a reference method's cell of the same seed and sweep point, one point per method (geometric mean and 95% intervals over seeds), log–log, the Pareto frontier marked",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["reference"],
    properties: {
      reference: {
        type: "string",
        minLength: 1,
        description:
          "the method label of the reference (e.g. the gradient flow at a tight rtol); each cell is compared with the reference's cell of the same seed and the same values of every swept parameter"
      },
      cost: {
        enum: ["gramAssemblies", "wallSeconds"],
        default: "wallSeconds",
        description:
          "x: the summary's wallSeconds, or its gramAssemblies (when a summary lacks it: GN one per update, GD 0, RF 1)"
      },
      facet: { ...paramPath, description: "one panel per value of this swept parameter" },
      row: {
        ...paramPath,
        description: "one row of panels per value of this swept parameter (axes shared with the columns)"
      }
    }
  }
}

/** The metrics plugins of this package. */
export const metricsPlugins: ReadonlyArray<MetricsPlugin> = [trajectoryPlugin]
/** The plot plugins of this package. */
export const plotPlugins: ReadonlyArray<PlotPlugin> = [
  curvesPlot,
  finalPlot,
  ratePlot,
  convergencePlot,
  frontierPlot
]
