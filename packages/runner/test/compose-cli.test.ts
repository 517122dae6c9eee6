/**
 * Variants without copied files, as a user types them: `extends`, `key=value` overrides and
 * `-m` sweeps on every command that reads a pipeline, JSONC, and cell names that tell cells
 * apart — each bad input one line on stderr and exit 2.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const bin = join(root, "packages/runner/bin/gnlab.js")
const gnlab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: root })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const tmp = () => mkdtempSync(join(tmpdir(), "gnlab-compose-"))

const base = {
  name: "tiny",
  dataset: { plugin: "teacher-student", params: { nTrain: 20, nTest: 100 } },
  model: { plugin: "finite-width", params: { width: 30 } },
  methods: [
    { plugin: "gn", label: "GN" },
    { plugin: "gd", label: "GD", params: { maxIter: 300 } }
  ],
  seeds: [1],
  sweep: { grid: { "model.initStd": [0.5, 2] } },
  report: { plots: [{ id: "f", plugin: "final", params: { x: "model.initStd" } }] }
}
const write = (dir: string, name: string, doc: unknown) => {
  const f = join(dir, name)
  writeFileSync(f, typeof doc === "string" ? doc : JSON.stringify(doc, null, 2))
  return f
}
const planOf = (...args: string[]) => {
  const r = gnlab("plan", ...args, "--json", "--out", join(tmp(), "none"))
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as { cells: Array<{ id: string; cell: string }> }
}

describe("extends and JSONC", () => {
  it("a child with comments plans the cells of the copied file it replaces", () => {
    const dir = tmp()
    const parent = write(dir, "parent.json", base)
    const copy = write(dir, "copy.json", {
      ...base,
      name: "copy",
      model: { ...base.model, params: { width: 10 } }
    })
    const child = write(
      dir,
      "child.json",
      `{
  // the same pipeline at a smaller width
  "extends": "parent.json",
  "name": "copy",
  "model": { "plugin": "finite-width", "params": { "width": 10 } }, /* trailing comma: */
}`
    )
    expect(planOf(child).cells.map((c) => c.id)).toEqual(planOf(copy).cells.map((c) => c.id))
    expect(planOf(child).cells).not.toEqual(planOf(parent).cells)
  })

  it("a cycle is one line naming the chain, exit 2", () => {
    const dir = tmp()
    write(dir, "a.json", `{"extends": "b.json"}`)
    write(dir, "b.json", `{"extends": "./a.json"}`)
    const r = gnlab("validate", join(dir, "a.json"))
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).toMatch(
      /b\.json:1:\d+: \/extends: expected extends without a cycle, found a cycle: .*a\.json → .*b\.json → .*a\.json/
    )
  })
})

describe("overrides on the command line", () => {
  it("key=value and -m change the plan; cell names tell every cell apart", () => {
    const dir = tmp()
    const f = write(dir, "p.json", base)
    const plan = planOf(f, "model.width=50", "methods[GD].maxIter=1e3", "-m", "model.activation=relu,tanh")
    expect(plan.cells).toHaveLength(2 * 2 * 2) // methods × τ0 × activation
    const names = plan.cells.map((c) => c.cell)
    expect(new Set(names).size).toBe(names.length)
    expect(names).toContain("GN τ0=0.5 activation=tanh seed=1")
    // the same values written into the file give the same cells
    const edited = write(dir, "q.json", {
      ...base,
      model: { ...base.model, params: { width: 50 } },
      methods: [base.methods[0], { ...base.methods[1], params: { maxIter: 1000 } }],
      sweep: { grid: { ...base.sweep.grid, "model.activation": ["relu", "tanh"] } }
    })
    expect(planOf(edited).cells.map((c) => c.id)).toEqual(plan.cells.map((c) => c.id))
  })

  it("a bad value, an unknown path, a multirun on a non-parameter: one line each, exit 2", () => {
    const f = write(tmp(), "p.json", base)
    const cases: Array<[string[], RegExp]> = [
      [
        ["model.width=abc"],
        /^gnlab: override model.width=abc: \/model\/params\/width: expected a value of type integer, found "abc"$/
      ],
      [
        ["model.widht=5"],
        /^gnlab: override model.widht=5: \/model\/params\/widht: .*\(did you mean "width"\?\)$/
      ],
      [
        ["methods[GDD].maxIter=5"],
        /^gnlab: override methods\[GDD\].maxIter=5: expected a method: \[GN\], \[GD\] .*\(did you mean "GD"\?\)$/
      ],
      [["-m", "name=a,b"], /^gnlab: override -m name=a,b: expected a parameter to sweep, stage\.param/],
      [
        ["-m", "model.initStd=1,-1"],
        /^gnlab: override -m model.initStd=1,-1: \/sweep\/grid\/model.initStd\/1: expected a number > 0, found -1$/
      ]
    ]
    for (const [args, message] of cases) {
      const r = gnlab("validate", f, ...args)
      expect(r.code, args.join(" ")).toBe(2)
      expect(r.stderr.trim(), args.join(" ")).toMatch(message)
    }
  })

  it("run writes the resolved pipeline into the results folder; status names the cells from it", () => {
    const dir = tmp()
    const f = write(dir, "p.json", base)
    const out = join(dir, "out")
    const r = gnlab(
      "run",
      f,
      'methods=[{"plugin":"rf"}]',
      "-m",
      "model.activation=relu,tanh",
      "--out",
      out,
      "--quiet"
    )
    expect(r.code, r.stderr).toBe(0)
    const saved = JSON.parse(readFileSync(join(out, "pipeline.json"), "utf8"))
    expect(saved.methods).toEqual([{ plugin: "rf" }])
    expect(saved.sweep.grid["model.activation"]).toEqual(["relu", "tanh"])
    const events = readFileSync(join(out, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; label?: string })
    const labels = events.filter((e) => e.event === "cell-start").map((e) => e.label)
    expect(new Set(labels).size).toBe(4)
    const status = JSON.parse(gnlab("status", out, "--json").stdout) as { cells: Array<{ label: string }> }
    expect(status.cells.map((c) => c.label).sort()).toEqual([...labels].sort())
    // the folder alone reproduces the run: its pipeline.json plans the same cells
    expect(planOf(join(out, "pipeline.json")).cells).toHaveLength(4)
  })
})

describe("submit with overrides", () => {
  it("its tasks run the resolved pipeline it keeps in the results folder, not the file", () => {
    const dir = tmp()
    const out = join(dir, "out")
    const r = gnlab(
      "submit",
      write(dir, "p.json", base),
      "model.width=10",
      "--slurm",
      "--dry-run",
      "--out",
      out
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`gnlab.js run ${join(out, "slurm", "pipeline.json")} --shard`)
  })
})

describe("checks: exit 2, one line each", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    [
      "a facet on a parameter that is not swept",
      {
        ...base,
        report: {
          plots: [{ id: "f", plugin: "final", params: { x: "model.initStd", facet: "model.width" } }]
        }
      },
      /\/report\/plots\/0\/params\/facet: expected a swept parameter \(model\.initStd\), found "model.width", which is not swept$/
    ],
    [
      "a sweep value outside the plugin's range",
      { ...base, sweep: { grid: { "model.initStd": [0.5, 0] } } },
      /\/sweep\/grid\/model\.initStd\/1: expected a number > 0, found 0$/
    ],
    [
      "two methods with one label",
      { ...base, methods: [base.methods[0], { ...base.methods[1], label: "GN" }] },
      /\/methods\/1\/label: expected a label per method .*found "GN", the label of \/methods\/0 too$/
    ]
  ]
  for (const [name, doc, message] of cases)
    it(name, () => {
      const r = gnlab("validate", write(tmp(), "p.json", doc))
      expect(r.code).toBe(2)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(r.stderr.trim()).toMatch(message)
    })
})
