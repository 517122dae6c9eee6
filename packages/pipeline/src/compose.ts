/**
 * The schema an editor sees: the DSL's base schema with each stage's `params` checked
 * against the schema of the plugin its `plugin` names (if/then per registered plugin), and
 * `plugin` restricted to the registered ids — so `$schema` gives autocompletion and checks.
 */
import baseSchema from "../schema/pipeline.base.schema.json" with { type: "json" }
import type { Registry, StageKind } from "./registry.js"

const stageFor = (registry: Registry, kind: StageKind, base: Record<string, unknown>) => {
  const plugins = registry.plugins.filter((p) => p.kind === kind)
  const props = base.properties as Record<string, unknown>
  return {
    ...base,
    properties: { ...props, plugin: { ...(props.plugin as object), enum: plugins.map((p) => p.id) } },
    allOf: plugins.map((p) => ({
      if: { properties: { plugin: { const: p.id } }, required: ["plugin"] },
      then: { properties: { params: { ...p.schema, description: p.description } } }
    }))
  }
}

/** The composed JSON Schema for pipeline files, given the registered plugins. */
export function composeSchema(registry: Registry): Record<string, unknown> {
  const defs = baseSchema.$defs as unknown as Record<string, Record<string, unknown>>
  return {
    ...baseSchema,
    $id: "https://gnlab.dev/schema/pipeline.schema.json",
    // a file that extends another needs only what it changes: the merged pipeline is checked in full
    required: undefined,
    if: { not: { required: ["extends"] } },
    then: { required: baseSchema.required },
    properties: {
      ...baseSchema.properties,
      dataset: stageFor(registry, "dataset", defs.stage),
      model: stageFor(registry, "model", defs.stage),
      methods: { ...baseSchema.properties.methods, items: stageFor(registry, "method", defs.methodStage) },
      metrics: stageFor(registry, "metrics", defs.stage)
    },
    $defs: { ...defs, plot: stageFor(registry, "plot", defs.plot) }
  }
}
