/** `gnlab validate | plan | run` as a user runs them: child processes, worker threads, result folders. */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { cellOutcomes, cellRows } from "./results-folder.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const bin = join(root, "packages/runner/bin/gnlab.js")
const gnlab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: root })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const tmp = () => mkdtempSync(join(tmpdir(), "gnlab-pipe-"))

const tiny = (over: Record<string, unknown> = {}) => ({
  name: "tiny",
  dataset: { plugin: "teacher-student", params: { nTrain: 20, nTest: 100 } },
  model: { plugin: "finite-width", params: { width: 30 } },
  methods: [{ plugin: "gn" }, { plugin: "gd", params: { maxIter: 300 } }, { plugin: "rf" }],
  seeds: [1],
  sweep: { grid: { "model.initStd": [0.5, 2] } },
  ...over
})
const write = (dir: string, doc: unknown, name = "p.json") => {
  const f = join(dir, name)
  writeFileSync(f, typeof doc === "string" ? doc : JSON.stringify(doc, null, 2))
  return f
}
const computed = (stdout: string) => Number(/(\d+) computed/.exec(stdout)?.[1])
const results = (dir: string) => cellOutcomes(dir)
const rows = cellRows

describe("shipped pipelines", () => {
  const expected: Record<string, number> = {
    "quickstart.json": 12,
    "paper/figure1.json": 20,
    "paper/figure1-flow.json": 20,
    "paper/figure2.json": 105,
    "paper/figure3.json": 75,
    "paper/figure4.json": 60,
    "paper/figure4-sigma.json": 25,
    "cpu/figure1.json": 12,
    "cpu/figure2.json": 54,
    "cpu/figure3.json": 36,
    "cpu/figure4.json": 36,
    "cpu/figure4-sigma.json": 12,
    "theory/particles.json": 120,
    "theory/flows.json": 30
  }
  for (const [file, cells] of Object.entries(expected))
    it(`${file} validates and plans ${cells} cells`, () => {
      const r = gnlab("plan", `pipelines/${file}`, "--json", "--out", join(tmp(), "none"))
      expect(r.code, r.stderr).toBe(0)
      const plan = JSON.parse(r.stdout)
      expect(plan.cells).toHaveLength(cells)
      expect(plan.pendingCpuSeconds).toBeGreaterThan(0)
    })

  it("the committed plugin reference is up to date", () => {
    const r = gnlab("plugins", "--markdown")
    expect(r.code).toBe(0)
    expect(readFileSync(join(root, "docs/plugins.md"), "utf8")).toBe(r.stdout)
  })

  it("the committed composed schema is up to date with the registered plugins", () => {
    const r = gnlab("schema")
    expect(r.code).toBe(0)
    expect(JSON.parse(readFileSync(join(root, "pipelines/pipeline.schema.json"), "utf8"))).toEqual(
      JSON.parse(r.stdout)
    )
  })
})

describe("broken pipelines: exit 2, every error with its path, nothing written", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["a syntax error", '{\n  "name": "x",,\n}', /p\.json:2:\d+: \(document\): expected valid JSON/],
    ["a wrong type", tiny({ seeds: "1" }), /\/seeds: expected a value of type array/],
    [
      "an unknown plugin",
      tiny({ methods: [{ plugin: "newton" }] }),
      /\/methods\/0\/plugin: expected a registered method plugin \(gn, gd, rf/
    ],
    ["an unknown field", tiny({ sweeep: {} }), /unknown field "sweeep" \(did you mean "sweep"\?\)/],
    [
      "an out-of-range value",
      tiny({ model: { plugin: "finite-width", params: { width: 0 } } }),
      /\/model\/params\/width: expected a number ≥ 1, found 0/
    ],
    [
      "an empty sweep",
      tiny({ sweep: { grid: { "model.initStd": [] } } }),
      /\/sweep\/grid\/model\.initStd: expected at least 1 item/
    ]
  ]
  for (const [name, doc, message] of cases)
    it(name, () => {
      const dir = tmp()
      const out = join(dir, "out")
      for (const cmd of ["validate", "run"]) {
        const r = gnlab(cmd, write(dir, doc), ...(cmd === "run" ? ["--out", out] : []))
        expect(r.code).toBe(2)
        expect(r.stderr).toMatch(message)
      }
      expect(existsSync(out)).toBe(false)
    })
})

describe("gnlab run", () => {
  it("computes each cell once: a rerun computes nothing, a new seed only its cells", () => {
    const dir = tmp()
    const out = join(dir, "out")
    const first = gnlab("run", write(dir, tiny()), "--out", out, "--quiet")
    expect(first.code, first.stderr).toBe(0)
    expect(computed(first.stdout)).toBe(6)
    expect(computed(gnlab("run", write(dir, tiny()), "--out", out, "--quiet").stdout)).toBe(0)
    const more = gnlab("run", write(dir, tiny({ seeds: [1, 2] })), "--out", out, "--quiet")
    expect(computed(more.stdout)).toBe(6)
    expect(readdirSync(join(out, "cells"))).toHaveLength(12)
    // the store holds what gnlab train --out holds, and an event log
    const id = readdirSync(join(out, "cells"))[0]
    const summary = JSON.parse(readFileSync(join(out, "cells", id, "summary.json"), "utf8"))
    expect(Object.keys(summary)).toEqual(
      expect.arrayContaining([
        "config",
        "iterations",
        "stopReason",
        "initialTrainLoss",
        "finalTrainLoss",
        "finalTestLoss",
        "wallSeconds",
        "backend",
        "gnlabVersion"
      ])
    )
    expect(rows(out, id)[0]).toHaveProperty("trainLoss")
    const events = readFileSync(join(out, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
    expect(events.filter((e) => e.event === "cell-end")).toHaveLength(12)
  })

  it("two shards over one folder produce exactly the cells of one unsharded run", async () => {
    const dir = tmp()
    const file = write(dir, tiny({ seeds: [1, 2] }))
    const whole = join(dir, "whole")
    const shared = join(dir, "shared")
    expect(gnlab("run", file, "--out", whole, "--quiet").code).toBe(0)
    // the two shards run at the same time, as on two machines
    const shard = (i: number) =>
      new Promise<number | null>((resolve) =>
        spawn(
          process.execPath,
          [bin, "run", file, "--out", shared, "--shard", `${i}/2`, "--quiet", "--concurrency", "1"],
          { cwd: root }
        ).on("exit", resolve)
      )
    expect(await Promise.all([shard(1), shard(2)])).toEqual([0, 0])
    expect(results(shared)).toEqual(results(whole))
    // and a later unsharded run over the shared folder finds everything done
    expect(computed(gnlab("run", file, "--out", shared, "--quiet").stdout)).toBe(0)
  })

  it("a run killed mid-cell resumes from its checkpoint to the same results, and corrupt cells are recomputed", async () => {
    const dir = tmp()
    const long = tiny({ methods: [{ plugin: "gd", params: { maxIter: 60000, tol: 0 } }], sweep: undefined })
    const file = write(dir, long)
    const straight = join(dir, "straight")
    expect(gnlab("run", file, "--out", straight, "--quiet").code).toBe(0)
    const [id] = readdirSync(join(straight, "cells"))

    const killed = join(dir, "killed")
    const child = spawn(
      process.execPath,
      [bin, "run", file, "--out", killed, "--quiet", "--checkpoint-minutes", "0.005"],
      { cwd: root }
    )
    const cell = join(killed, "cells", id)
    for (let i = 0; i < 600 && !existsSync(join(cell, "checkpoint.json")); i++)
      await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 300))
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve))
    child.kill("SIGTERM")
    expect(await exited).not.toBe(0)
    expect(existsSync(join(cell, "summary.json"))).toBe(false)
    expect(existsSync(join(cell, "checkpoint.json"))).toBe(true)
    expect(gnlab("plan", file, "--out", killed).stdout).toMatch(/ running /)

    const resumed = gnlab("run", file, "--out", killed, "--quiet")
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/resuming/)
    expect(JSON.parse(readFileSync(join(cell, "summary.json"), "utf8")).resumed).toBe(true)
    expect(rows(killed, id)).toEqual(rows(straight, id))
    expect(results(killed)).toEqual(results(straight))
    expect(existsSync(join(cell, "checkpoint.json"))).toBe(false)

    // a damaged summary or trajectory is detected and recomputed, never reused
    writeFileSync(join(cell, "summary.json"), '{"cellId": "')
    expect(gnlab("plan", file, "--out", killed).stdout).toMatch(/corrupt/)
    expect(computed(gnlab("run", file, "--out", killed, "--quiet").stdout)).toBe(1)
    expect(rows(killed, id)).toEqual(rows(straight, id))
    const traj = join(cell, "trajectory.jsonl")
    writeFileSync(traj, readFileSync(traj, "utf8").split("\n").slice(0, 5).join("\n") + "\n")
    expect(computed(gnlab("run", file, "--out", killed, "--quiet").stdout)).toBe(1)
    expect(rows(killed, id)).toEqual(rows(straight, id))
  })

  it("a cell that throws is recorded, the others go on, and the run exits non-zero with a summary", () => {
    const dir = tmp()
    const out = join(dir, "out")
    const doc = tiny({
      methods: [
        { plugin: "gn", params: { damping: "fixed" } },
        { plugin: "gd", params: { maxIter: 50 } }
      ]
    })
    const r = gnlab("run", write(dir, doc), "--out", out, "--quiet")
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/2 computed, 0 already done, 2 failed/)
    expect(r.stderr).toMatch(/failed: gn .*damping fixed needs eps/)
    const errors = readdirSync(join(out, "cells")).filter((id) =>
      existsSync(join(out, "cells", id, "error.json"))
    )
    expect(errors).toHaveLength(2)
    expect(gnlab("plan", write(dir, doc), "--out", out).stdout).toMatch(
      /2 done, 0 pending, 0 running, 0 interrupted, 2 failed/
    )
  })
})
