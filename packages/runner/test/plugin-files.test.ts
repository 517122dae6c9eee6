/**
 * Plugins from outside the repository (issue 13): the worked example of docs/writing-plugins.md
 * (examples/plugins: a method, a metrics plugin and a plot in files of their own) goes through
 * validate → plan → run → report → train, the editor schema is made on demand, an edited
 * plugin file changes the ids of the cells using it, and each bad plugin file is one line and
 * exit code 2.
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
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
const tmp = () => mkdtempSync(join(tmpdir(), "gnlab-plugins-"))
const example = "examples/plugins/pipeline.json"

describe("the worked plugin example (examples/plugins)", () => {
  it("validates, plans, runs and reports with its method, metrics and plot from files", () => {
    expect(gnlab("validate", example).stdout).toMatch(/valid — pipeline "plugins-example", 4 cells/)
    const out = join(tmp(), "results")
    const plan = gnlab("plan", example, "--json", "--out", out)
    expect(plan.code, plan.stderr).toBe(0)
    const cells = JSON.parse(plan.stdout).cells as Array<{ cell: string; estimateSeconds: number }>
    expect(cells.map((c) => c.cell.split(" ")[0]).sort()).toEqual(["gd", "gd", "gd-momentum", "gd-momentum"])
    // the plugin's cost hook gives its estimate
    expect(cells.every((c) => c.estimateSeconds > 0)).toBe(true)
    const run = gnlab("run", example, "--out", out, "--quiet", "--no-cache")
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/4 computed/)
    // the cells ran the plugin's method (in worker threads) and recorded on the plugin's schedule
    const index = JSON.parse(readFileSync(join(out, "cells.json"), "utf8")) as unknown
    expect(JSON.stringify(index)).toContain("gd-momentum")
    // a separate `gnlab report` finds the plot plugin through the folder's copy of the pipeline
    const report = gnlab("report", out)
    expect(report.code, report.stderr).toBe(0)
    expect(report.stdout).toMatch(/figure reduction: .*reduction\.png/)
    expect(existsSync(join(out, "report", "figures", "reduction.png"))).toBe(true)
    const md = readFileSync(join(out, "report", "report.md"), "utf8")
    expect(md).toContain("L(final)/L(0) per method")
  })

  it("gnlab train runs the plugin method with its declared params as flags (--plugin)", () => {
    const r = gnlab(
      "train",
      "--plugin",
      "examples/plugins/gd-momentum.ts",
      "--plugin",
      "examples/plugins/every-step.ts",
      "--method",
      "gd-momentum",
      "--beta",
      "0.5",
      "--metrics",
      "dense",
      "--n-train",
      "20",
      "--width",
      "30",
      "--n-test",
      "100",
      "--max-iter",
      "50",
      "--json",
      "--quiet"
    )
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s.config.method).toMatchObject({
      plugin: "gd-momentum",
      params: { beta: 0.5, lr: 5, maxIter: 50 }
    })
    expect(s.config.metrics).toEqual({ plugin: "dense", params: { perDecade: 100 } })
    // the plugin files' bytes are part of the cell
    expect(s.config.inputs).toMatchObject({
      "method.plugin": expect.any(String),
      "metrics.plugin": expect.any(String)
    })
    expect(s.iterations).toBe(50)
    // its params are refused like any other: by the declaration, naming the flag
    const bad = gnlab(
      "train",
      "--plugin",
      "examples/plugins/gd-momentum.ts",
      "--method",
      "gd-momentum",
      "--beta",
      "1",
      "--n-train",
      "5",
      "--width",
      "5"
    )
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe("gnlab: --beta: expected a number < 1, found 1\n")
    // without the plugin file the method is unknown
    expect(gnlab("train", "--method", "gd-momentum", "--n-train", "5", "--width", "5").stderr).toMatch(
      /^gnlab: --method: expected one of gn, gd/
    )
  })

  it("the editor schema of the example is made on demand and committed current", () => {
    const r = gnlab("schema", example)
    expect(r.code, r.stderr).toBe(0)
    const schema = JSON.parse(r.stdout) as {
      properties: { methods: { items: { properties: { plugin: { enum: string[] } } } } }
    }
    expect(schema.properties.methods.items.properties.plugin.enum).toContain("gd-momentum")
    expect(JSON.parse(readFileSync(join(root, "examples/plugins/pipeline.schema.json"), "utf8"))).toEqual(
      schema
    )
    // without the pipeline, the plugin is not known
    expect(gnlab("schema").stdout).not.toContain("gd-momentum")
  })

  it("an edited plugin file changes the ids of the cells that use its plugins, and only those", () => {
    // a copy inside the repository (/tmp/ there is git-ignored), so its imports of the workspace packages resolve
    mkdirSync(join(root, "tmp"), { recursive: true })
    const dir = mkdtempSync(join(root, "tmp/plugins-"))
    cpSync(join(root, "examples/plugins"), dir, { recursive: true })
    const pipeline = join(dir, "pipeline.json")
    const ids = () => {
      const r = gnlab("plan", pipeline, "--json", "--out", join(dir, "none"))
      expect(r.code, r.stderr).toBe(0)
      return (JSON.parse(r.stdout).cells as Array<{ id: string; cell: string }>).map(
        (c) => `${c.cell} ${c.id}`
      )
    }
    const before = ids()
    writeFileSync(
      join(dir, "gd-momentum.ts"),
      readFileSync(join(dir, "gd-momentum.ts"), "utf8") + "\n// edited\n"
    )
    const after = ids()
    // the metrics plugin (a file too) is in every cell; the momentum file only in its cells
    const changed = before.filter((b) => !after.includes(b))
    expect(changed.length).toBe(2)
    expect(changed.every((c) => c.startsWith("gd-momentum "))).toBe(true)
    rmSync(dir, { recursive: true, force: true })
  })
})

describe("bad plugin files", () => {
  const dir = tmp()
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }
  const cases: Array<[string, string, RegExp]> = [
    ["a missing file", join(dir, "missing.ts"), /plugin file .*missing\.ts: cannot read \(ENOENT\)/],
    ["a file that throws", file("throws.ts", 'throw new Error("boom")\n'), /does not load: boom/],
    ["a syntax error", file("syntax.ts", "export const = 1\n"), /does not load/],
    ["a file without plugins", file("none.ts", "export const x = 1\n"), /exports no plugin/],
    [
      "a built-in id",
      file(
        "clash.ts",
        'export const p = { kind: "method", id: "gd", description: "mine", schema: { type: "object" }, params: {} }\n'
      ),
      /its method plugin "gd" has the id of a built-in plugin/
    ]
  ]
  for (const [what, path, message] of cases)
    it(`${what}: one line, exit 2, on any command`, () => {
      for (const args of [["validate", "pipelines/quickstart.json"], ["plugins"]]) {
        const r = gnlab(...args, "--plugin", path)
        expect(r.code).toBe(2)
        expect(r.stderr).toMatch(message)
        expect(r.stderr.trim().split("\n")).toHaveLength(1)
      }
    })

  it("a pipeline's plugin file is relative to the pipeline", () => {
    const p = join(dir, "p.json")
    const doc = JSON.parse(readFileSync(join(root, example), "utf8")) as Record<string, unknown>
    writeFileSync(p, JSON.stringify({ ...doc, plugins: ["./gd-momentum.ts"] }))
    const r = gnlab("validate", p)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/gd-momentum\.ts: cannot read/)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
  })

  it("--plugin without a file", () => {
    const r = gnlab("plugins", "--plugin")
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("gnlab: --plugin: expected a file after --plugin\n")
  })
})
