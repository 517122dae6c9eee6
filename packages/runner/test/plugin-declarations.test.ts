/**
 * Plugins declare their params once (issue 13): the JSON Schemas derived from the declarations
 * are those the DSL validated with before (fixture captured before the change), and every
 * pipeline of pipelines/ keeps its cell ids (results folders computed before stay valid).
 */
import { expandCells, loadPipeline } from "@gnlab/pipeline"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { builtinPlugins, registry } from "../src/plugins.js"

const root = join(import.meta.dirname, "../../..")
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8")) as Record<string, unknown>

describe("plugin declarations", () => {
  it("give the same JSON Schemas as before", () => {
    const schemas = fixture("plugin-schemas.json")
    expect(Object.keys(schemas).sort()).toEqual(builtinPlugins.map((p) => `${p.kind}/${p.id}`).sort())
    for (const p of builtinPlugins)
      expect(p.schema, `${p.kind}/${p.id}`).toEqual(schemas[`${p.kind}/${p.id}`])
  })

  it("keep the cell ids of every pipeline in pipelines/", () => {
    const ids = fixture("pipeline-cell-ids.json") as Record<string, string[]>
    const cwd = process.cwd()
    // data files are named relative to the repository root, where the fixture was computed
    process.chdir(root)
    try {
      for (const [file, expected] of Object.entries(ids)) {
        // as every command reads it: JSONC and the files it extends (pipelines/cpu/*)
        const v = loadPipeline(file, registry)
        if (!v.ok) throw new Error(`${file}: ${JSON.stringify(v.issues[0])}`)
        expect(
          expandCells(v.pipeline, registry).map((c) => c.id),
          file
        ).toEqual(expected)
      }
    } finally {
      process.chdir(cwd)
    }
  })
})
