/**
 * Metrics plugins for pipelines: the metrics stage says what a cell records. (Plot plugins,
 * which say what the report draws, live in the report package with their drawing.)
 */
import { param, paramsSchema, type Infer, type JsonSchema, type ParamDecls } from "@gnlab/pipeline"

/** What a cell records and when. */
export interface Recording {
  readonly recordPerDecade: number
  readonly testPerDecade: number
}

/** A metrics plugin: the recording schedule of a cell (params validated, defaults filled in). */
export interface MetricsPlugin {
  readonly kind: "metrics"
  readonly id: string
  readonly description: string
  readonly params: ParamDecls
  readonly schema: JsonSchema
  recording(params: Readonly<Record<string, unknown>>): Recording
}

/** A metrics plugin as written: `recording` gets the params typed from the declaration. */
export interface MetricsDeclaration<P extends ParamDecls> {
  readonly id: string
  readonly description: string
  readonly params: P
  readonly rules?: JsonSchema
  recording(params: Infer<P>): Recording
}

/** Declare a metrics plugin: its schema is derived from `params`. */
export const defineMetrics = <const P extends ParamDecls>(d: MetricsDeclaration<P>): MetricsPlugin => ({
  kind: "metrics",
  ...d,
  schema: paramsSchema(d.params, d.rules)
})

/** The per-step trajectory of SPEC.md with a log-spaced schedule. */
export const trajectoryPlugin = defineMetrics({
  id: "trajectory",
  description:
    "per-step diagnostics: every step up to 10, then about recordPerDecade per decade, and the last",
  params: {
    recordPerDecade: param.number({
      exclusiveMinimum: 0,
      maximum: 1000,
      default: 20,
      unit: "rows per decade",
      description: "rows per decade after iteration 10"
    }),
    testPerDecade: param.number({
      minimum: 0,
      maximum: 1000,
      default: 20,
      unit: "evaluations per decade",
      description: "test-loss evaluations per decade (0: first 10 and last)"
    })
  },
  recording: (p) => ({ recordPerDecade: p.recordPerDecade, testPerDecade: p.testPerDecade })
})

/** The metrics plugins of this package. */
export const metricsPlugins: ReadonlyArray<MetricsPlugin> = [trajectoryPlugin]
