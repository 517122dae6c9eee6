import { describe, expect, it } from "vitest"
import { formatIssue, validatePipeline } from "../src/index.js"
import { good, registry } from "./registry-fixture.js"

const issuesOf = (doc: unknown) => {
  const text = typeof doc === "string" ? doc : JSON.stringify(doc, null, 2)
  const v = validatePipeline(text, registry)
  return v.ok ? [] : v.issues
}
const withPatch = (patch: (d: typeof good) => unknown) => patch(structuredClone(good))

describe("validatePipeline", () => {
  it("accepts a good pipeline", () => {
    expect(issuesOf(good)).toEqual([])
  })

  it("reports JSON syntax errors with line and column", () => {
    const issues = issuesOf('{\n  "name": "t",\n  "seeds": [1,, 2]\n}')
    expect(issues.length).toBeGreaterThan(0)
    expect(issues[0]).toMatchObject({ line: 3, expected: expect.stringMatching(/^valid JSON/) })
    expect(issues[0].column).toBeGreaterThan(1)
  })

  const broken: Array<[string, unknown, string, RegExp]> = [
    ["a wrong type", withPatch((d) => ({ ...d, seeds: "1" })), "/seeds", /type array, found "1"/],
    [
      "an unknown plugin",
      withPatch((d) => ({ ...d, model: { plugin: "finite-widht" } })),
      "/model/plugin",
      /did you mean "finite-width"/
    ],
    [
      "an unknown field",
      withPatch((d) => ({ ...d, methds: [] })),
      "/methds",
      /unknown field "methds" \(did you mean "methods"\?\)/
    ],
    [
      "an unknown param",
      withPatch((d) => ({ ...d, model: { plugin: "finite-width", params: { widht: 3 } } })),
      "/model/params/widht",
      /did you mean "width"/
    ],
    [
      "an out-of-range value",
      withPatch((d) => ({ ...d, dataset: { plugin: "teacher-student", params: { nTrain: 0 } } })),
      "/dataset/params/nTrain",
      /number ≥ 1, found 0/
    ],
    [
      "an empty sweep list",
      withPatch((d) => ({ ...d, sweep: { grid: { "model.initStd": [] } } })),
      "/sweep/grid/model.initStd",
      /at least 1 item/
    ],
    [
      "an unknown sweep path",
      withPatch((d) => ({ ...d, sweep: { grid: { "model.initStdd": [1] } } })),
      "/sweep/grid/model.initStdd",
      /did you mean "initStd"/
    ],
    [
      "a bad sweep value",
      withPatch((d) => ({ ...d, sweep: { grid: { "model.initStd": [1, -2] } } })),
      "/sweep/grid/model.initStd/1",
      /number > 0, found -2/
    ],
    [
      "zip lists of different lengths",
      withPatch((d) => ({ ...d, sweep: { zip: { "model.initStd": [1, 2], "dataset.nTrain": [5] } } })),
      "/sweep/zip/dataset.nTrain",
      /2 values like the other zip lists/
    ],
    ["a missing required field", withPatch((d) => ({ ...d, seeds: undefined })), "/seeds", /required field/],
    [
      "an unknown plot plugin",
      withPatch((d) => ({ ...d, report: { plots: [{ id: "a", plugin: "curvez" }] } })),
      "/report/plots/0/plugin",
      /did you mean "curves"/
    ]
  ]
  for (const [name, doc, path, message] of broken)
    it(`reports ${name} at its path`, () => {
      const issues = issuesOf(doc)
      const issue = issues.find((i) => i.path === path)
      expect(issue, JSON.stringify(issues)).toBeDefined()
      expect(formatIssue("p.json", issue!)).toMatch(message)
      expect(issue!.line).toBeGreaterThan(0)
    })

  it("reports every error at once", () => {
    const doc = withPatch((d) => ({
      ...d,
      seeds: [],
      methods: [{ plugin: "newton" }],
      model: { plugin: "finite-width", params: { width: -1 } }
    }))
    const paths = issuesOf(doc).map((i) => i.path)
    expect(paths).toEqual(expect.arrayContaining(["/seeds", "/methods/0/plugin", "/model/params/width"]))
  })
})
