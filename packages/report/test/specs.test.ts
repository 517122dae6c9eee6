/** The Vega-Lite specs the report builds: valid against Vega-Lite's schema and compiled without warnings. */
import { Ajv } from "ajv"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { describe, expect, it } from "vitest"
import { buildFigures, compileSpec, interactiveSpec, logLabelExpr, readResults } from "../src/index.js"
import { flowFixture, mixedFixture, particleFixture, quickstartFixture, rateFixture } from "./fixture.js"

const require = createRequire(import.meta.url)
const schema = JSON.parse(readFileSync(require.resolve("vega-lite/vega-lite-schema.json"), "utf8"))

describe("Vega-Lite specs", () => {
  it("of every plot plugin are valid and compile without warnings", async () => {
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema)
    const seen = new Set<string>()
    for (const dir of [
      rateFixture(),
      mixedFixture(),
      particleFixture(),
      flowFixture(),
      quickstartFixture()
    ]) {
      const { figures } = buildFigures(await Effect.runPromise(readResults(dir)))
      for (const f of figures) {
        if (f.spec === undefined) continue
        seen.add(f.plugin)
        const ok = validate(f.spec)
        expect(
          ok ? [] : validate.errors!.slice(0, 3).map((e) => `${f.id}: ${e.instancePath} ${e.message}`)
        ).toEqual([])
        expect(compileSpec(f.spec).warnings).toEqual([])
        // the page's version: legend toggling, zoom and hover tooltips added, still valid
        const live = interactiveSpec(f.spec)
        expect(
          validate(live)
            ? []
            : validate.errors!.slice(0, 3).map((e) => `${f.id} (interactive): ${e.instancePath} ${e.message}`)
        ).toEqual([])
        expect(compileSpec(live).warnings).toEqual([])
        expect(JSON.stringify(live)).toContain('"bind":"legend"')
        expect(JSON.stringify(live)).toContain('"bind":"scales"')
      }
    }
    expect([...seen].sort()).toEqual(["convergence", "curves", "final", "rate"])
  })

  it("a spec Vega-Lite warns about is caught", () => {
    // the check above can fail: an encoding on a field type that makes no sense is reported
    const bad = {
      data: { values: [{ a: 1 }] },
      mark: "line",
      encoding: {
        x: { field: "a", type: "quantitative", scale: { type: "log" } },
        size: { field: "a", type: "nominal" }
      }
    }
    expect(compileSpec(bad as never).warnings.length).toBeGreaterThan(0)
  })

  it("labels log axes with powers of ten beyond 2.5 decades and 1-2-5 ticks below", () => {
    expect(logLabelExpr(8)).toContain("'10' + ")
    expect(logLabelExpr(2)).toContain("indexof([1, 2, 5]")
    expect(logLabelExpr(0.5)).not.toContain("indexof")
  })
})
