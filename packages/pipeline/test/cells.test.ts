import { describe, expect, it } from "vitest"
import {
  cellId,
  composeSchema,
  contentHash,
  expandCells,
  sweepPoints,
  validatePipeline,
  type Pipeline
} from "../src/index.js"
import { good, registry } from "./registry-fixture.js"

const pipeline = good as unknown as Pipeline

describe("cells", () => {
  it("grid × zip × seeds × methods", () => {
    expect(sweepPoints(pipeline.sweep)).toHaveLength(8) // 2 × 2 grid, × 2 zipped rows
    const cells = expandCells(pipeline, registry)
    expect(cells).toHaveLength(2 * 8 * 2)
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length)
  })

  it("fills plugin defaults, so an explicit default gives the same id", () => {
    const [a] = expandCells(pipeline, registry)
    expect(a.config.dataset.params).toEqual({ nTrain: 50, nTest: 10000 })
    const explicit = structuredClone(good) as unknown as Pipeline
    explicit.dataset.params = { nTrain: 50, nTest: 10000 }
    expect(expandCells(explicit, registry)[0].id).toBe(a.id)
  })

  it("ids do not depend on key order and change with any parameter", () => {
    const [a] = expandCells(pipeline, registry)
    const reordered = Object.fromEntries(Object.entries(a.config).reverse()) as typeof a.config
    expect(cellId(reordered)).toBe(a.id)
    expect(cellId({ ...a.config, seed: 99 })).not.toBe(a.id)
    expect(cellId({ ...a.config, backend: "tfjs" })).not.toBe(a.id)
    expect(contentHash({ b: 1, a: [1, 2] })).toBe(contentHash({ a: [1, 2], b: 1 }))
  })

  it("cells sharing dataset and seed share a data key; the test set is per seed", () => {
    const cells = expandCells(pipeline, registry)
    const gn = cells.filter(
      (c) => c.config.method.plugin === "gn" && c.config.seed === 1 && c.point["dataset.nTrain"] === 50
    )
    const gd = cells.filter(
      (c) => c.config.method.plugin === "gd" && c.config.seed === 1 && c.point["dataset.nTrain"] === 50
    )
    expect(new Set([...gn, ...gd].map((c) => c.dataKey)).size).toBe(1)
    expect(cells.find((c) => c.config.seed === 2)!.dataKey).not.toBe(gn[0].dataKey)
  })

  it("adding a seed keeps the ids of the existing cells", () => {
    const more = { ...pipeline, seeds: [1, 2, 3] } as Pipeline
    const before = new Set(expandCells(pipeline, registry).map((c) => c.id))
    const after = expandCells(more, registry).map((c) => c.id)
    expect(after.filter((id) => !before.has(id))).toHaveLength(16)
  })

  it("the backend override enters the cell identity", () => {
    const a = expandCells(pipeline, registry)[0]
    const b = expandCells(pipeline, registry, "tfjs:wasm")[0]
    expect(b.config.backend).toBe("tfjs:wasm")
    expect(b.id).not.toBe(a.id)
  })
})

describe("composeSchema", () => {
  it("restricts plugin ids and checks params per plugin, and is itself a valid pipeline schema", async () => {
    const { Ajv2020 } = await import("ajv/dist/2020.js")
    const schema = composeSchema(registry)
    const validate = new Ajv2020({ strict: false }).compile(schema)
    expect(validate(good)).toBe(true)
    expect(validate({ ...good, model: { plugin: "finite-width", params: { width: "x" } } })).toBe(false)
    expect(validate({ ...good, model: { plugin: "nope" } })).toBe(false)
    expect(validatePipeline(JSON.stringify(good), registry).ok).toBe(true)
  })
})
