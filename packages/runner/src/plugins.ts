/**
 * Every plugin gnlab knows, gathered from the packages that define them. Adding a plugin to
 * a package's list makes it available to pipelines, `gnlab plugins` and the composed schema;
 * nothing here or in the DSL changes.
 */
import { datasetPlugins, type DatasetPlugin } from "@gnlab/data-gen"
import { metricsPlugins, plotPlugins, type MetricsPlugin } from "@gnlab/metrics"
import { modelPlugins, type ModelPlugin } from "@gnlab/models"
import { makeRegistry, type Registry } from "@gnlab/pipeline"
import { methodPlugins, type MethodPlugin } from "@gnlab/solvers"

/** The registry of all plugins. */
export const registry: Registry = makeRegistry([
  ...datasetPlugins,
  ...modelPlugins,
  ...methodPlugins,
  ...metricsPlugins,
  ...plotPlugins
])

const find = <P extends { readonly id: string }>(list: ReadonlyArray<P>, kind: string, id: string): P => {
  const p = list.find((x) => x.id === id)
  if (p === undefined) throw new Error(`no ${kind} plugin "${id}"`)
  return p
}

/** Typed lookups for executing a cell. */
export const datasetPlugin = (id: string): DatasetPlugin => find(datasetPlugins, "dataset", id)
export const modelPlugin = (id: string): ModelPlugin => find(modelPlugins, "model", id)
export const methodPlugin = (id: string): MethodPlugin => find(methodPlugins, "method", id)
export const metricsPlugin = (id: string): MetricsPlugin => find(metricsPlugins, "metrics", id)
