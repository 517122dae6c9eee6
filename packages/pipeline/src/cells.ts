/**
 * From a validated pipeline to its cells: one cell per (seed, sweep point, method), each a
 * fully resolved configuration (plugin defaults filled in) with a content hash. Identical
 * cells — in one pipeline or across pipelines — have the same id, so they are computed once.
 */
import { Ajv2020 } from "ajv/dist/2020.js"
import canonicalizeModule from "canonicalize"
import { createHash } from "node:crypto"
import type { Pipeline } from "./pipeline.generated.js"
import type { JsonSchema, Registry } from "./registry.js"

/** Bumped when a change to the numerics makes old results incomparable; part of every cell id. */
export const ENGINE_VERSION = "gnlab-engine-1"

/** A resolved stage: plugin id and complete parameters. */
export interface ResolvedStage {
  readonly plugin: string
  readonly params: Readonly<Record<string, unknown>>
}

/** Everything that determines a cell's result. */
export interface CellConfig {
  readonly dataset: ResolvedStage
  readonly model: ResolvedStage
  readonly method: ResolvedStage
  readonly metrics: ResolvedStage
  readonly seed: number
  readonly backend: string
}

/** A cell of a pipeline: its config, id (content hash) and the labels used in tables. */
export interface Cell {
  readonly id: string
  readonly config: CellConfig
  /** the method stage's label (default: plugin id) */
  readonly label: string
  /** the swept values of this cell, by path (e.g. { "model.initStd": 10 }) */
  readonly point: Readonly<Record<string, unknown>>
  /** id of the data this cell trains on: equal for every cell sharing dataset and seed */
  readonly dataKey: string
}

/** The default metrics stage when a pipeline declares none. */
export const defaultMetricsStage: { readonly plugin: string; readonly params?: Record<string, unknown> } = {
  plugin: "trajectory"
}

/** The default backend when neither the pipeline nor a stage sets one. */
export const defaultBackend = "cpu"

// canonicalize (RFC 8785 JSON canonicalization) is a CommonJS module whose typings declare an ES default export
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined

const defaultsAjv = new Ajv2020({ strict: false, useDefaults: true })
const defaulters = new WeakMap<JsonSchema, (x: unknown) => boolean>()

/** Params with the plugin schema's defaults filled in (a new object). */
export function withDefaults(
  schema: JsonSchema,
  params: Readonly<Record<string, unknown>>
): Record<string, unknown> {
  let f = defaulters.get(schema)
  if (f === undefined) {
    f = defaultsAjv.compile(schema)
    defaulters.set(schema, f)
  }
  const copy = structuredClone(params) as Record<string, unknown>
  f(copy)
  return copy
}

/** SHA-256 of the canonical JSON (RFC 8785) of a value. */
export function contentHash(value: unknown): string {
  const text = canonicalize(value)
  if (text === undefined) throw new Error("contentHash: value has no JSON form")
  return createHash("sha256").update(text).digest("hex")
}

/** The id of a cell config: hash of the config and the engine version (24 hex digits). */
export const cellId = (config: CellConfig): string =>
  contentHash({ engine: ENGINE_VERSION, config }).slice(0, 24)

/** The sweep points: grid product × zipped rows (one empty point without a sweep). */
export function sweepPoints(sweep: Pipeline["sweep"]): Array<Record<string, unknown>> {
  let points: Array<Record<string, unknown>> = [{}]
  for (const [key, values] of Object.entries(sweep?.grid ?? {}))
    points = points.flatMap((p) => (values as unknown[]).map((v) => ({ ...p, [key]: v })))
  const zip = Object.entries(sweep?.zip ?? {})
  if (zip.length > 0) {
    const rows = (zip[0][1] as unknown[]).map((_, i) =>
      Object.fromEntries(zip.map(([k, vs]) => [k, (vs as unknown[])[i]]))
    )
    points = points.flatMap((p) => rows.map((r) => ({ ...p, ...r })))
  }
  return points
}

/** Resolve every cell of a validated pipeline. `backendOverride` (the CLI's --backend) wins over the file. */
export function expandCells(pipeline: Pipeline, registry: Registry, backendOverride?: string): Cell[] {
  const resolve = (
    kind: "dataset" | "model" | "method" | "metrics",
    plugin: string,
    params: Record<string, unknown>
  ): ResolvedStage => {
    const p = registry.get(kind, plugin)
    if (p === undefined) throw new Error(`unknown ${kind} plugin ${plugin} (validate first)`)
    return { plugin, params: withDefaults(p.schema, params) }
  }
  const overrides = (
    point: Record<string, unknown>,
    stage: string,
    schema: JsonSchema
  ): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(point)
        .filter(([k]) => k.startsWith(stage + "."))
        .map(([k, v]) => [k.slice(stage.length + 1), v])
        .filter(
          ([k]) => (schema.properties as Record<string, unknown> | undefined)?.[k as string] !== undefined
        )
    )
  const metricsStage = pipeline.metrics ?? defaultMetricsStage
  const cells: Cell[] = []
  for (const seed of pipeline.seeds)
    for (const point of sweepPoints(pipeline.sweep))
      for (const m of pipeline.methods) {
        const schemaOf = (kind: "dataset" | "model" | "method" | "metrics", id: string) =>
          registry.get(kind, id)?.schema ?? {}
        const dataset = resolve("dataset", pipeline.dataset.plugin, {
          ...pipeline.dataset.params,
          ...overrides(point, "dataset", schemaOf("dataset", pipeline.dataset.plugin))
        })
        const config: CellConfig = {
          dataset,
          model: resolve("model", pipeline.model.plugin, {
            ...pipeline.model.params,
            ...overrides(point, "model", schemaOf("model", pipeline.model.plugin))
          }),
          method: resolve("method", m.plugin, {
            ...m.params,
            ...overrides(point, "method", schemaOf("method", m.plugin))
          }),
          metrics: resolve("metrics", metricsStage.plugin, {
            ...metricsStage.params,
            ...overrides(point, "metrics", schemaOf("metrics", metricsStage.plugin))
          }),
          seed,
          backend: backendOverride ?? m.backend ?? pipeline.backend ?? defaultBackend
        }
        cells.push({
          id: cellId(config),
          config,
          label: m.label ?? m.plugin,
          point,
          dataKey: contentHash({ dataset, seed }).slice(0, 24)
        })
      }
  return cells
}
