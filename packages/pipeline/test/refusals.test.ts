/**
 * Pipelines that parse but would make cells that repeat, cannot run, or a wrong figure are
 * refused by validate with the JSON path; input files enter the cell ids by content.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { countCells, expandCells, formatIssue, validatePipeline, type Pipeline } from "../src/index.js"
import { good, registry } from "./registry-fixture.js"

const issuesOf = (doc: unknown) => {
  const text = typeof doc === "string" ? doc : JSON.stringify(doc, null, 2)
  const v = validatePipeline(text, registry)
  return v.ok ? [] : v.issues
}
const withPatch = (patch: (d: typeof good) => unknown) => patch(structuredClone(good))
const tmp = () => mkdtempSync(join(tmpdir(), "gnlab-pipeline-"))

describe("validate refuses", () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    [
      "a repeated grid value",
      withPatch((d) => ({ ...d, sweep: { grid: { "model.initStd": [1, 1] } } })),
      "/sweep/grid/model.initStd/1",
      /distinct values.*found 1 again \(item 0\)/
    ],
    [
      "a key in grid and zip",
      withPatch((d) => ({
        ...d,
        sweep: { grid: { "model.initStd": [1, 2] }, zip: { "model.initStd": [3, 4] } }
      })),
      "/sweep/zip/model.initStd",
      /grid or in zip, not both/
    ],
    [
      "a repeated zip row",
      withPatch((d) => ({
        ...d,
        sweep: { zip: { "model.initStd": [1, 2, 1], "dataset.nTrain": [50, 60, 50] } }
      })),
      "/sweep/zip/model.initStd/2",
      /row 2 equal to row 0/
    ],
    [
      "the same method twice (an explicit default included)",
      withPatch((d) => ({
        ...d,
        methods: [{ plugin: "gn" }, { plugin: "gn", label: "again", params: { lr: 10 } }]
      })),
      "/methods/1",
      /same method as \/methods\/0/
    ],
    [
      "two methods with one label",
      withPatch((d) => ({ ...d, methods: [{ plugin: "gd" }, { plugin: "gd", params: { lr: 1 } }] })),
      "/methods/1",
      /a label per method.*"gd", the label of \/methods\/0 too/
    ],
    [
      "an infinite number (1e999)",
      '{"name": "t", "dataset": {"plugin": "teacher-student", "params": {"nTrain": 5}}, "model": {"plugin": "finite-width", "params": {"width": 3}}, "methods": [{"plugin": "gn", "params": {"lr": 1e999}}], "seeds": [1]}',
      "/methods/0/params/lr",
      /expected a value of type number, found Infinity/
    ],
    [
      "an infinite sweep value",
      '{"name": "t", "dataset": {"plugin": "teacher-student", "params": {"nTrain": 5}}, "model": {"plugin": "finite-width", "params": {"width": 3}}, "methods": [{"plugin": "gn"}], "seeds": [1], "sweep": {"grid": {"method.lr": [1, -1e999]}}}',
      "/sweep/grid/method.lr/1",
      /found -Infinity/
    ],
    [
      "a duplicate key",
      '{\n  "name": "t",\n  "dataset": {"plugin": "teacher-student", "params": {"nTrain": 5}},\n  "model": {"plugin": "finite-width", "params": {"width": 3, "width": 4}},\n  "methods": [{"plugin": "gn"}], "seeds": [1]}',
      "/model/params/width",
      /:4:62: .*each key once.*"width" again/
    ],
    [
      "two plots with one id",
      withPatch((d) => ({
        ...d,
        report: {
          plots: [
            { id: "a", plugin: "curves" },
            { id: "a", plugin: "curves" }
          ]
        }
      })),
      "/report/plots/1/id",
      /used once.*"a", the id of \/report\/plots\/0 too/
    ],
    [
      "a facet on an unknown parameter",
      withPatch((d) => ({
        ...d,
        report: { plots: [{ id: "a", plugin: "curves", params: { facet: "model.initStdd" } }] }
      })),
      "/report/plots/0/params/facet",
      /a parameter of the model plugin.*did you mean "initStd"/
    ],
    [
      "a facet on a parameter that is not swept",
      withPatch((d) => ({
        ...d,
        report: { plots: [{ id: "a", plugin: "curves", params: { facet: "model.width" } }] }
      })),
      "/report/plots/0/params/facet",
      /a swept parameter \(.*model\.initStd.*\), found "model.width", which is not swept/
    ],
    [
      "a facet on a stage parameter next to a swept one (did you mean)",
      withPatch((d) => ({
        ...d,
        sweep: { grid: { "dataset.nTrain": [5, 10] } },
        report: {
          plots: [{ id: "a", plugin: "curves", params: { facet: "dataset.nTest", x: "dataset.nTrain" } }]
        }
      })),
      "/report/plots/0/params/facet",
      /found "dataset.nTest", which is not swept \(did you mean "dataset.nTrain"\?\)$/
    ],
    [
      "a plot whose default x is not swept",
      withPatch((d) => ({
        ...d,
        sweep: { grid: { "model.initStd": [1, 2] } },
        report: { plots: [{ id: "a", plugin: "curves" }] }
      })),
      "/report/plots/0/params/x",
      /"dataset.nTrain", which is not swept \(the plot's default\)/
    ],
    [
      "a model without width",
      withPatch((d) => ({ ...d, model: { plugin: "finite-width", params: { initStd: 1 } } })),
      "/model/params/width",
      /this required field/
    ],
    [
      "a missing init file",
      withPatch((d) => ({
        ...d,
        model: { plugin: "finite-width", params: { initFile: "/nonexistent/init.json" } }
      })),
      "/model/params/initFile",
      /an existing file.*"\/nonexistent\/init.json" \(ENOENT\)/
    ],
    [
      "a missing data file in a sweep",
      withPatch((d) => ({
        ...d,
        dataset: { plugin: "data-file" },
        sweep: { grid: { "dataset.file": ["/nonexistent/a.json"] } }
      })),
      "/sweep/grid/dataset.file/0",
      /an existing file.*ENOENT/
    ]
  ]
  for (const [name, doc, path, message] of cases)
    it(`${name}, at its path`, () => {
      const issues = issuesOf(doc)
      const issue = issues.find((i) => i.path === path)
      expect(issue, JSON.stringify(issues)).toBeDefined()
      expect(formatIssue("p.json", issue!)).toMatch(message)
      expect(issue!.line).toBeGreaterThan(0)
    })

  it("prints a syntax error once", () => {
    const issues = issuesOf('{\n "name": "x",\n "seeds": [1],,\n}')
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatchObject({ line: 3, expected: expect.stringMatching(/^valid JSON/) })
  })

  it("accepts a width given by the sweep alone, and a swept facet", () => {
    const doc = withPatch((d) => ({
      ...d,
      model: { plugin: "finite-width" },
      sweep: { grid: { "model.width": [10, 20], "dataset.nTrain": [5] } },
      report: { plots: [{ id: "a", plugin: "curves", params: { facet: "model.width" } }] }
    }))
    expect(issuesOf(doc)).toEqual([])
  })
})

describe("cells", () => {
  it("are counted without expanding them", () => {
    const p = good as unknown as Pipeline
    expect(countCells(p)).toBe(expandCells(p, registry).length)
    const huge = {
      ...p,
      sweep: {
        grid: { "model.initStd": Array.from({ length: 1000 }, (_, i) => i + 1), "dataset.nTrain": [1, 2] }
      }
    } as unknown as Pipeline
    expect(countCells(huge)).toBe(2 * 2000 * 2)
  })

  it("hash an input file by content: editing it changes the id, moving it does not", () => {
    const dir = tmp()
    const a = join(dir, "a.json")
    const b = join(dir, "b.json")
    writeFileSync(a, '{"x": 1}')
    writeFileSync(b, '{"x": 1}')
    const p = (file: string) =>
      ({
        ...structuredClone(good),
        dataset: { plugin: "data-file", params: { file } }
      }) as unknown as Pipeline
    const before = expandCells(p(a), registry)[0]
    expect(before.config.inputs?.["dataset.file"]).toMatch(/^[0-9a-f]{64}$/)
    writeFileSync(a, '{"x": 2}')
    const after = expandCells(p(a), registry)[0]
    expect(after.id).not.toBe(before.id)
    expect(after.dataKey).not.toBe(before.dataKey)
    // the path is part of the params; the content decides the digest
    expect(expandCells(p(b), registry)[0].config.inputs).toEqual(before.config.inputs)
  })

  it("hash each input file once per expansion", () => {
    const dir = tmp()
    const a = join(dir, "a.json")
    writeFileSync(a, "{}")
    const calls: string[] = []
    const p = { ...structuredClone(good), dataset: { plugin: "data-file", params: { file: a } } }
    expandCells(p as unknown as Pipeline, registry, undefined, (path) => (calls.push(path), "d"))
    expect(calls).toEqual([a])
  })

  it("a cell that a swept parameter does not reach is listed once", () => {
    const p = {
      ...structuredClone(good),
      methods: [{ plugin: "gn" }, { plugin: "flow" }],
      seeds: [1],
      sweep: { grid: { "method.lr": [1, 2] } }
    } as unknown as Pipeline
    const cells = expandCells(p, registry)
    expect(cells.map((c) => c.config.method.plugin).sort()).toEqual(["flow", "gn", "gn"])
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length)
  })
})
