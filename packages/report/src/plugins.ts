/**
 * The report's plugins: plot plugins (what a pipeline's `report.plots` may name: params
 * declared once, and how the plot is drawn from a results folder), and what the report needs
 * to know of method plugins (colour, Gram assemblies, a proved decay bound). The runner
 * registers the method plugins (and any plugins loaded from files) here before a report is
 * built; the report itself names no method.
 */
import { param, paramsSchema, type Infer, type JsonSchema, type ParamDecls } from "@gnlab/pipeline"
import type { PlotDeclaration, ResultsFolder } from "./results.js"
import type { Figure, RateRow } from "./plots/shared.js"

/** What a plot's `draw` returns: its figure and, for rate plots, the fitted rates (Table 1). */
export interface Drawn {
  readonly figure: Figure
  readonly rates?: ReadonlyArray<RateRow>
}

/** A plot plugin: a declaration and how it is drawn (params validated, defaults filled in). */
export interface PlotPlugin {
  readonly kind: "plot"
  readonly id: string
  readonly description: string
  readonly params: ParamDecls
  readonly schema: JsonSchema
  draw(plot: PlotDeclaration, params: Readonly<Record<string, unknown>>, folder: ResultsFolder): Drawn
}

/** A plot plugin as written: `draw` gets the params typed from the declaration. */
export interface PlotDefinition<P extends ParamDecls> {
  readonly id: string
  readonly description: string
  readonly params: P
  readonly rules?: JsonSchema
  draw(plot: PlotDeclaration, params: Infer<P>, folder: ResultsFolder): Drawn
}

/** Declare a plot plugin: its schema is derived from `params`. */
export const definePlot = <const P extends ParamDecls>(d: PlotDefinition<P>): PlotPlugin => ({
  kind: "plot",
  ...d,
  schema: paramsSchema(d.params, d.rules)
})

/** What the report uses of a method plugin (every field optional). */
export interface ReportMethod {
  readonly id: string
  /** its colour in every figure (default: the palette) */
  readonly color?: string
  /** Gram assemblies of a cell whose summary does not record them, from its iterations */
  gramAssemblies?(iterations: number): number | undefined
  /** η of a proved bound L(t) ≤ L(0)·e^{−2ηt} for these params (the curves plot draws it) */
  decayRate?(params: Readonly<Record<string, unknown>>): number | undefined
}

// The row fields a plot may put on its y axis: the metrics' trajectory fields less the
// bookkeeping ones (iter, wallSeconds, t, gdIter, gdStability are x axes or diagnostics). Kept as a
// literal list because it is the enum of the plots' JSON Schema (test/plugins.test.ts checks it
// stays a subset of @gnlab/metrics' trajectoryFields).
const trajectoryFields = [
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
] as const
const finalFields = ["finalTrainLoss", "finalTestLoss", "iterations", "wallSeconds"] as const
const field = param.literal(trajectoryFields, {})
const pathPattern = "^(dataset|model|method|metrics)\\.[A-Za-z][A-Za-z0-9]*$"
/** A parameter naming a stage parameter, e.g. "model.initStd". */
export const paramPath = <const O extends { description?: string; default?: string; required?: boolean }>(
  o: O
) => param.string({ pattern: pathPattern, ...o })

let methods = new Map<string, ReportMethod>()
let plots: ReadonlyArray<PlotPlugin> = []

/** Register what the report should know of the method plugins (replaces the previous list). */
export function registerReportMethods(list: ReadonlyArray<ReportMethod>): void {
  methods = new Map(list.map((m) => [m.id, m]))
}
/** The report's view of a method plugin (undefined: not registered). */
export const reportMethod = (id: string): ReportMethod | undefined => methods.get(id)

/** Register plot plugins beyond the built-in ones (e.g. from a pipeline's `plugins` files). */
export function registerPlots(list: ReadonlyArray<PlotPlugin>): void {
  plots = list
}
/** The registered plot plugins (the built-in ones are builtinPlots, figures.ts joins them). */
export const registeredPlots = (): ReadonlyArray<PlotPlugin> => plots

export { field as trajectoryField, finalFields, trajectoryFields }
