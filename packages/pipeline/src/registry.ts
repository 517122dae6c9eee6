/**
 * The plugin registry. Packages export their plugins (dataset, model, method, metrics,
 * plot…) as objects carrying at least this descriptor — a kind, an id, a description and a
 * JSON Schema of the parameters; the runner gathers them into a registry. The DSL and the
 * runner never list plugins themselves: a new plugin is a new object in its package's list.
 * A plugin declares its parameters once (`params`, see params.ts); `schema` is derived from it.
 */
import type { ParamDecls } from "./params.js"

/** A JSON Schema object (draft 2020-12). */
export type JsonSchema = { readonly [k: string]: unknown }

/** The stage kinds of a pipeline, in the order cells use them. */
export const stageKinds = ["dataset", "model", "method", "metrics", "plot"] as const
export type StageKind = (typeof stageKinds)[number]

/** What the DSL needs to know of a plugin. */
export interface PluginDescriptor {
  readonly kind: StageKind
  readonly id: string
  readonly description: string
  /** JSON Schema of `params` (an object schema; `default`s are applied when cells are resolved) */
  readonly schema: JsonSchema
  /** the declaration `schema` comes from (docs, `gnlab train` flags); see params.ts */
  readonly params?: ParamDecls
  /**
   * SHA-256 of the file a plugin was loaded from (plugins from outside the repository): it
   * enters the id of every cell using the plugin, so an edited plugin is recomputed.
   */
  readonly source?: string
  /** other names `gnlab train` accepts for it (e.g. `--model finite`, the flag's former value) */
  readonly aliases?: ReadonlyArray<string>
  /**
   * Params that name input files (e.g. a data file): `validate` checks that they exist, and
   * the SHA-256 of their bytes enters the cell id, so an edited file is recomputed.
   */
  readonly files?: ReadonlyArray<string>
  /**
   * Checks of valid params (defaults filled in) beyond the schema, e.g. the contents of an
   * input file; `validate` reports each problem at `params/<param>`.
   */
  readonly check?: (params: Readonly<Record<string, unknown>>) => ReadonlyArray<ParamProblem>
}

/** A problem a plugin's `check` finds in one of its params. */
export interface ParamProblem {
  readonly param: string
  readonly expected: string
  readonly found: string
}

/** Registered plugins by kind and id. */
export interface Registry {
  readonly plugins: ReadonlyArray<PluginDescriptor>
  get(kind: StageKind, id: string): PluginDescriptor | undefined
  ids(kind: StageKind): ReadonlyArray<string>
}

/** Build a registry; a duplicate (kind, id) is a programming error. */
export function makeRegistry(plugins: ReadonlyArray<PluginDescriptor>): Registry {
  const byKey = new Map<string, PluginDescriptor>()
  for (const p of plugins) {
    const key = `${p.kind}/${p.id}`
    if (byKey.has(key)) throw new Error(`plugin ${key} is registered twice`)
    byKey.set(key, p)
  }
  return {
    plugins,
    get: (kind, id) => byKey.get(`${kind}/${id}`),
    ids: (kind) => plugins.filter((p) => p.kind === kind).map((p) => p.id)
  }
}

/** The property names a plugin's schema declares (for "did you mean" and sweep paths). */
export function schemaProperties(schema: JsonSchema): ReadonlyArray<string> {
  const props = schema.properties
  return typeof props === "object" && props !== null ? Object.keys(props) : []
}

/** The sub-schema of one parameter, if declared. */
export function propertySchema(schema: JsonSchema, name: string): JsonSchema | undefined {
  const props = schema.properties as Record<string, JsonSchema> | undefined
  return props?.[name]
}
