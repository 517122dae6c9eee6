/**
 * The validators compile schemas without checking them against JSON Schema's meta-schema
 * (validateSchema: false saves ≈ 0.2 s of every gnlab start); the check is here instead.
 */
import { Ajv2020 } from "ajv/dist/2020.js"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import baseSchema from "../schema/pipeline.base.schema.json" with { type: "json" }
import { composeSchema } from "../src/index.js"
import { registry } from "./registry-fixture.js"

const meta = new Ajv2020({ strict: false })

describe("the DSL's schemas are valid JSON Schema (draft 2020-12)", () => {
  it("the base schema", () => {
    expect(meta.validateSchema(baseSchema), meta.errorsText()).toBe(true)
  })
  it("the composed editor schema and every plugin's params schema", () => {
    expect(meta.validateSchema(composeSchema(registry)), meta.errorsText()).toBe(true)
    for (const p of registry.plugins) expect(meta.validateSchema(p.schema), `${p.kind}/${p.id}`).toBe(true)
  })
  it("the editor schema of all of gnlab's plugins (pipelines/pipeline.schema.json, kept current by the runner's tests)", () => {
    const all = JSON.parse(
      readFileSync(new URL("../../../pipelines/pipeline.schema.json", import.meta.url), "utf8")
    )
    expect(meta.validateSchema(all), meta.errorsText()).toBe(true)
  })
  it("a schema that is not one is caught", () => {
    expect(meta.validateSchema({ type: "integr" })).toBe(false)
  })
})
