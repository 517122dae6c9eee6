/**
 * Every plugin gnlab knows: the built-in ones, gathered from the packages that define them,
 * and those loaded from plugin files (a pipeline's `"plugins"`, `--plugin FILE`; see
 * plugin-files.ts). Adding a plugin to a package's list, or exporting it from a plugin file,
 * makes it available to pipelines, `gnlab train`, `gnlab plugins`, the composed schema and the
 * report; nothing here, in the DSL or in the report names a plugin.
 */
import { datasetPlugins, type DatasetPlugin } from "@gnlab/data-gen"
import { metricsPlugins, type MetricsPlugin } from "@gnlab/metrics"
import { modelPlugins, type ModelPlugin } from "@gnlab/models"
import { makeRegistry, type Registry, type StageKind } from "@gnlab/pipeline"
import { builtinPlots, registerPlots, registerReportMethods, type PlotPlugin } from "@gnlab/report/plugins"
import { methodPlugins, type MethodPlugin } from "@gnlab/solvers"

/** A plugin of any kind. */
export type AnyPlugin = DatasetPlugin | ModelPlugin | MethodPlugin | MetricsPlugin | PlotPlugin

/** The built-in plugins. */
export const builtinPlugins: ReadonlyArray<AnyPlugin> = [
  ...datasetPlugins,
  ...modelPlugins,
  ...methodPlugins,
  ...metricsPlugins,
  ...builtinPlots
]

let plugins: ReadonlyArray<AnyPlugin> = builtinPlugins
let current: Registry = makeRegistry(plugins)

/** Plugins loaded from files, with the SHA-256 of each one's file (set by the loader). */
export type SourcedPlugin = AnyPlugin & { readonly source?: string }

const syncReport = () => {
  registerReportMethods(plugins.filter((p): p is MethodPlugin => p.kind === "method"))
  registerPlots(plugins.filter((p): p is PlotPlugin => p.kind === "plot" && !builtinPlots.includes(p)))
}
syncReport()

/**
 * Register plugins beyond the built-in ones (replacing earlier extra ones). A (kind, id)
 * that is already taken is a programming error here: the loader refuses clashes first.
 */
export function usePlugins(extra: ReadonlyArray<SourcedPlugin>): void {
  plugins = [...builtinPlugins, ...extra]
  current = makeRegistry(plugins)
  syncReport()
}

/** The registry of every plugin in use (it follows `usePlugins`). */
export const registry: Registry = {
  get plugins() {
    return current.plugins
  },
  get: (kind, id) => current.get(kind, id),
  ids: (kind) => current.ids(kind)
}

const find = <P extends AnyPlugin>(kind: StageKind, id: string): P => {
  const p = current.get(kind, id)
  if (p === undefined) throw new Error(`no ${kind} plugin "${id}"`)
  return p as P
}

/** Typed lookups for executing a cell. */
export const datasetPlugin = (id: string): DatasetPlugin => find("dataset", id)
export const modelPlugin = (id: string): ModelPlugin => find("model", id)
export const methodPlugin = (id: string): MethodPlugin => find("method", id)
export const metricsPlugin = (id: string): MetricsPlugin => find("metrics", id)
