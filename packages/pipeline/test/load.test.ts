import { resolve } from "node:path"
import { describe, expect, it } from "vitest"
import {
  cellNames,
  expandCells,
  formatIssue,
  loadPipeline,
  mergePipelines,
  splitMultirunValues,
  type PipelineOverrides
} from "../src/index.js"
import { good, registry } from "./registry-fixture.js"

/** An in-memory folder of pipeline files (paths relative to the working directory). */
const filesOf = (files: Record<string, string>) => (path: string) => {
  for (const [name, text] of Object.entries(files)) if (resolve(name) === path) return text
  throw Object.assign(new Error("no such file"), { code: "ENOENT" })
}

const load = (files: Record<string, string>, file: string, o: PipelineOverrides = {}) =>
  loadPipeline(file, registry, o, filesOf(files))

const lines = (r: ReturnType<typeof load>): string[] =>
  r.ok ? [] : r.issues.map((i) => formatIssue("main.json", i))

const base = JSON.stringify(good, null, 2)

describe("extends", () => {
  it("merges objects key by key (the child wins), replaces lists, and drops extends", () => {
    const r = load(
      {
        "p/base.json": base,
        "c/child.json": `{
          // a CPU-sized variant
          "extends": "../p/base.json",
          "name": "child",
          "model": { "plugin": "finite-width", "params": { "width": 7 } },
          "seeds": [3],
        }`
      },
      "c/child.json"
    )
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.pipeline).toEqual({
      ...good,
      name: "child",
      model: { ...good.model, params: { width: 7 } },
      seeds: [3]
    })
    expect("extends" in r.pipeline).toBe(false)
    expect(r.files.map((f) => f.slice(-10))).toEqual(["child.json", "/base.json"])
  })

  it("gives the same cells as the copied file it replaces", () => {
    const copy = { ...good, name: "copy", seeds: [5] }
    const r = load(
      { "b.json": base, "c.json": `{"extends": "b.json", "name": "copy", "seeds": [5]}` },
      "c.json"
    )
    expect(r.ok && expandCells(r.pipeline, registry).map((c) => c.id)).toEqual(
      expandCells(copy as never, registry).map((c) => c.id)
    )
  })

  it("a stage naming another plugin replaces the parent's; null removes a key", () => {
    expect(
      mergePipelines(
        { dataset: { plugin: "a", params: { x: 1 } }, sweep: { grid: { k: [1] } } },
        { dataset: { plugin: "b", params: { y: 2 } }, sweep: null }
      )
    ).toEqual({ dataset: { plugin: "b", params: { y: 2 } } })
  })

  it("refuses a cycle, naming the chain", () => {
    const r = load({ "a.json": `{"extends": "b.json"}`, "b.json": `{"extends": "a.json"}` }, "a.json")
    expect(lines(r)).toEqual([
      `b.json:1:2: /extends: expected extends without a cycle, found a cycle: a.json → b.json → a.json`
    ])
  })

  it("refuses a missing parent at the line that names it", () => {
    const r = load({ "a.json": `{\n  "extends": "nope.json"\n}` }, "a.json")
    expect(lines(r)).toEqual([
      `a.json:2:3: /extends: expected a readable pipeline file to extend, found "nope.json" (ENOENT)`
    ])
  })

  it("locates an issue in the parent file that holds the value", () => {
    const bad = base.replace('"nTrain": 50', '"nTrain": -5')
    const r = load({ "b.json": bad, "c.json": `{"extends": "b.json", "name": "c"}` }, "c.json")
    expect(lines(r)).toEqual([
      expect.stringMatching(/^b\.json:\d+:\d+: \/dataset\/params\/nTrain: expected a number ≥ 1, found -5$/)
    ])
  })

  it("reads JSONC and still refuses a syntax error with its position", () => {
    expect(load({ "a.json": `/* c */ ${base.replace("{", "{ // hi\n")}` }, "a.json").ok).toBe(true)
    expect(lines(load({ "a.json": `{\n "name": "x" "seeds": [1]}` }, "a.json"))).toEqual([
      "a.json:2:14: (document): expected valid JSON (comments and trailing commas are allowed), found a syntax error (CommaExpected)"
    ])
  })
})

describe("overrides", () => {
  const files = { "main.json": base }
  const ok = (o: PipelineOverrides) => {
    const r = load(files, "main.json", o)
    if (!r.ok) throw new Error(lines(r).join("\n"))
    return r.pipeline
  }

  it("sets stage params with the sweep's shorthand, and whole fields", () => {
    const p = ok({ set: ["model.width=50", "dataset.params.nTest=7", "seeds=[9]", "name=other"] })
    expect(p.model.params).toEqual({ width: 50 })
    expect(p.dataset.params).toEqual({ nTrain: 50, nTest: 7 })
    expect(p.seeds).toEqual([9])
    expect(p.name).toBe("other")
  })

  it("edits one method by label, plugin or index; 1e6 is a number", () => {
    const p = ok({ set: ["methods[GD].maxIter=1e6", "methods[gn].label=Newton", "methods[1].backend=tfjs"] })
    expect(p.methods[1]).toEqual({ plugin: "gd", label: "GD", params: { maxIter: 1e6 }, backend: "tfjs" })
    expect(p.methods[0].label).toBe("Newton")
  })

  it("method.param sets it on every method that has it", () => {
    const p = ok({ set: ["method.maxIter=5"] })
    expect(p.methods.map((m) => m.params?.maxIter)).toEqual([undefined, 5])
  })

  it("a swept parameter set once pins its axis to that value (plots stay valid)", () => {
    const p = ok({ set: ["model.initStd=3", "method.lr=4"] })
    expect(p.sweep?.grid?.["model.initStd"]).toEqual([3])
    expect(p.sweep?.zip?.["method.lr"]).toEqual([4])
  })

  it("-m adds a sweep axis or replaces one; values as typed", () => {
    const p = ok({ multirun: ["model.width=10,20", "dataset.nTrain=5,6,7", "model.params.initStd=1"] })
    expect(p.sweep?.grid).toEqual({
      "model.initStd": [1],
      "dataset.nTrain": [5, 6, 7],
      "model.width": [10, 20]
    })
    expect(splitMultirunValues(`relu,"a,b",[1,2],x`)).toEqual(["relu", "a,b", [1, 2], "x"])
  })

  it("a bad value gets the validation's message, naming the override", () => {
    expect(lines(load(files, "main.json", { set: ["model.width=abc"] }))).toEqual([
      'override model.width=abc: /model/params/width: expected a value of type integer, found "abc"'
    ])
    expect(lines(load(files, "main.json", { multirun: ["model.width=5,x"] }))).toEqual([
      'override -m model.width=5,x: /sweep/grid/model.width/1: expected a value of type integer, found "x"'
    ])
  })

  it("an unknown path or method gets a did-you-mean", () => {
    expect(lines(load(files, "main.json", { set: ["model.widht=5"] }))).toEqual([
      expect.stringMatching(
        /^override model.widht=5: \/model\/params\/widht: .*unknown field "widht" \(did you mean "width"\?\)$/
      )
    ])
    expect(lines(load(files, "main.json", { set: ["modle.width=5"] }))).toEqual([
      expect.stringMatching(/^override modle.width=5: \/modle: .*\(did you mean "model"\?\)$/)
    ])
    expect(lines(load(files, "main.json", { set: ["methods[GDD].maxIter=5"] }))).toEqual([
      'override methods[GDD].maxIter=5: expected a method: [gn], [GD] or an index below 2, found [GDD] (did you mean "GD"?)'
    ])
    expect(lines(load(files, "main.json", { set: ["method.maxIterr=5"] }))).toEqual([
      expect.stringMatching(/found "method.maxIterr" \(did you mean "maxIter"\?\)$/)
    ])
  })

  it("refuses what is not key=value, a multirun on a non-parameter, and one method's swept param", () => {
    expect(lines(load(files, "main.json", { set: ["width"] }))).toEqual([
      'override width: expected key=value (e.g. model.width=50, methods[GD].maxIter=1e6), found "width"'
    ])
    expect(lines(load(files, "main.json", { set: ["extends=x.json"] }))[0]).toMatch(
      /extends belongs in the file/
    )
    expect(lines(load(files, "main.json", { multirun: ["name=a,b"] }))[0]).toMatch(
      /^override -m name=a,b: expected a parameter to sweep, stage.param/
    )
    expect(lines(load(files, "main.json", { set: ["methods[GD].lr=3"] }))[0]).toMatch(
      /^override methods\[GD\].lr=3: \/sweep\/zip\/method.lr: expected method.lr=… \(it is swept for every method/
    )
  })
})

describe("cell names", () => {
  it("name the swept values that vary, the method and the seed — never two alike", () => {
    const cells = expandCells(good as never, registry)
    const names = cells.map((c) => c.name)
    expect(new Set(names).size).toBe(cells.length)
    expect(names[0]).toBe("gn τ0=0.5 N=50 lr=1 seed=1")
  })

  it("leave out axes of one value and parameters a cell does not have", () => {
    expect(
      cellNames([
        { label: "GD", point: { "model.activation": "relu", "method.lr": 1, "model.width": 5 }, seed: 1 },
        { label: "GD", point: { "model.activation": "tanh", "method.lr": 2, "model.width": 5 }, seed: 1 },
        {
          label: "flow",
          point: { "model.activation": "relu", "method.lr": 1, "model.width": 5 },
          seed: 1,
          has: (p) => p !== "method.lr"
        }
      ])
    ).toEqual([
      "GD activation=relu lr=1 seed=1",
      "GD activation=tanh lr=2 seed=1",
      "flow activation=relu seed=1"
    ])
  })
})
