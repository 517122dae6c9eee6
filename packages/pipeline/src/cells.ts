/**
 * From a validated pipeline to its cells: one cell per (seed, sweep point, method), each a
 * fully resolved configuration (plugin defaults filled in) with a content hash. Identical
 * cells — in one pipeline or across pipelines — have the same id, so they are computed once.
 */
import { Ajv2020 } from "ajv/dist/2020.js"
import canonicalizeModule from "canonicalize"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import type { Pipeline } from "./pipeline.generated.js"
import { cellNames } from "./labels.js"
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
  /**
   * SHA-256 of the bytes of every input file the stages name (by `stage.param`, e.g.
   * "dataset.file"): an edited file changes the id. Absent when no stage names a file.
   */
  readonly inputs?: Readonly<Record<string, string>>
}

/** A cell of a pipeline: its config, id (content hash) and the labels used in tables. */
export interface Cell {
  readonly id: string
  readonly config: CellConfig
  /** the method stage's label (default: plugin id) */
  readonly label: string
  /**
   * the cell's name for people (plan, progress, events, status): the label, the swept values
   * that tell it from the pipeline's other cells, the seed — `GN N=40 activation=relu seed=1`
   */
  readonly name: string
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

// validateSchema: false — see validate.ts (the schemas are checked in test/schemas.test.ts)
const defaultsAjv = new Ajv2020({
  strict: false,
  useDefaults: true,
  validateSchema: false,
  code: { optimize: false }
})
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

/** The canonical JSON (RFC 8785) of a value: equal values, whatever their key order, give equal text. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value)
  if (text === undefined) throw new Error("canonicalJson: value has no JSON form")
  return text
}

/** SHA-256 of the canonical JSON (RFC 8785) of a value. */
export function contentHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex")
}

/** SHA-256 (hex) of a file's bytes; throws the fs error of an unreadable file. */
export function fileDigest(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex")
}

/**
 * The digests of the input files a cell's stages name (the params each plugin lists in
 * `files`), by `stage.param`, and of the file of each stage's plugin loaded from outside the
 * repository (`stage.plugin`); undefined when there are none, so the ids of cells without
 * files do not change. `digest` defaults to reading the file; callers cache it.
 */
export function inputDigests(
  config: Pick<CellConfig, "dataset" | "model" | "method" | "metrics">,
  registry: Registry,
  digest: (path: string) => string = fileDigest
): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (const kind of ["dataset", "model", "method", "metrics"] as const) {
    const stage = config[kind]
    // a plugin loaded from a file: its code is part of what determines the result
    const source = registry.get(kind, stage.plugin)?.source
    if (source !== undefined) out[`${kind}.plugin`] = source
    for (const param of registry.get(kind, stage.plugin)?.files ?? []) {
      const path = stage.params[param]
      if (typeof path === "string") out[`${kind}.${param}`] = digest(path)
    }
  }
  return Object.keys(out).length > 0 ? out : undefined
}

/** The id of a cell config: hash of the config and the engine version (24 hex digits). */
export const cellId = (config: CellConfig): string =>
  contentHash({ engine: ENGINE_VERSION, config }).slice(0, 24)

/**
 * The number of cells of a pipeline, counted without expanding them (seeds × grid product ×
 * zip rows × methods), so a huge sweep can be refused before it is materialized.
 */
export function countCells(pipeline: Pick<Pipeline, "seeds" | "methods" | "sweep">): number {
  let points = 1
  for (const values of Object.values(pipeline.sweep?.grid ?? {})) points *= (values as unknown[]).length
  const zip = Object.values(pipeline.sweep?.zip ?? {})
  if (zip.length > 0) points *= (zip[0] as unknown[]).length
  return pipeline.seeds.length * points * pipeline.methods.length
}

const dataFiles = (inputs: Readonly<Record<string, string>> | undefined) => {
  const own = Object.entries(inputs ?? {}).filter(([k]) => k.startsWith("dataset."))
  return own.length > 0 ? Object.fromEntries(own) : undefined
}

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

/**
 * Resolve every cell of a validated pipeline. `backendOverride` (the CLI's --backend) wins over
 * the file. Input files (plugins' `files` params) are hashed into the ids, each file once.
 * Cells that resolve to the same id (a swept parameter that one method does not have, e.g.
 * `method.lr` with a flow) are kept once, at their first sweep point: `validate` refuses the
 * other duplicates (repeated sweep values, identical methods), and a cell is never listed twice.
 */
export function expandCells(
  pipeline: Pipeline,
  registry: Registry,
  backendOverride?: string,
  digest: (path: string) => string = fileDigest
): Cell[] {
  const digests = new Map<string, string>()
  const cachedDigest = (path: string): string => {
    let d = digests.get(path)
    if (d === undefined) {
      d = digest(path)
      digests.set(path, d)
    }
    return d
  }
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
  const cells: Array<Omit<Cell, "name">> = []
  const seen = new Set<string>()
  for (const seed of pipeline.seeds)
    for (const point of sweepPoints(pipeline.sweep))
      for (const m of pipeline.methods) {
        const schemaOf = (kind: "dataset" | "model" | "method" | "metrics", id: string) =>
          registry.get(kind, id)?.schema ?? {}
        const dataset = resolve("dataset", pipeline.dataset.plugin, {
          ...pipeline.dataset.params,
          ...overrides(point, "dataset", schemaOf("dataset", pipeline.dataset.plugin))
        })
        const stages = {
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
        const inputs = inputDigests(stages, registry, cachedDigest)
        const config: CellConfig = inputs === undefined ? stages : { ...stages, inputs }
        const id = cellId(config)
        if (seen.has(id)) continue
        seen.add(id)
        cells.push({
          id,
          config,
          label: m.label ?? m.plugin,
          point,
          // the data's own files are part of the data's identity (an edited file is other data)
          dataKey: contentHash(
            dataFiles(inputs) === undefined ? { dataset, seed } : { dataset, seed, files: dataFiles(inputs) }
          ).slice(0, 24)
        })
      }
  // named once every cell is known: a name says what varies across them
  const names = cellNames(
    cells.map((c) => ({
      label: c.label,
      point: c.point,
      seed: c.config.seed,
      id: c.id,
      has: (path) => {
        const [stage, param] = path.split(".")
        const s = c.config[stage as "dataset" | "model" | "method" | "metrics"] as ResolvedStage | undefined
        return s === undefined || param in s.params
      }
    }))
  )
  return cells.map((c, i) => ({ ...c, name: names[i] }))
}
