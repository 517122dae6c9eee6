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

// the ids of the fixture pipeline before composition (extends, overrides) and labels were added
const PINNED_FIRST_IDS = ["4f021366e79630129a75190a", "fec98a418b1be3a90a2b22fb", "056836315f13c88a47c0a3f0"]
const PINNED_ALL_IDS = "b2ced045f90b211612f5d4b985776e6c512ee62b18ea9eb0e9af9b1a364f0486"

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

  it("ids are pinned: a change to expansion or hashing must not move existing result folders", () => {
    const ids = expandCells(pipeline, registry).map((c) => c.id)
    expect(ids.slice(0, 3)).toEqual(PINNED_FIRST_IDS)
    expect(contentHash(ids)).toBe(PINNED_ALL_IDS)
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
