/** `gnlab report` as a user runs it: a child process on results folders. */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../bin/gnlab.js", import.meta.url))
const gnlab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A results folder as `gnlab run` leaves it before any cell finished: one running, one pending. */
function startedFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "gnlab-report-cli-"))
  const pipeline = {
    name: "started",
    dataset: { plugin: "teacher-student", params: { nTrain: 50 } },
    model: { plugin: "finite-width", params: { width: 40 } },
    methods: [{ plugin: "gn", label: "GN" }],
    seeds: [1, 2],
    report: { plots: [{ id: "losses", plugin: "curves" }] }
  }
  writeFileSync(join(dir, "pipeline.json"), JSON.stringify(pipeline))
  const cells = [1, 2].map((seed) => ({
    id: `c${seed}${"0".repeat(23)}`,
    label: "GN",
    point: {},
    seed,
    method: "gn"
  }))
  writeFileSync(join(dir, "cells.json"), JSON.stringify(cells))
  mkdirSync(join(dir, "cells", cells[0].id), { recursive: true })
  writeFileSync(
    join(dir, "cells", cells[0].id, "trajectory.jsonl"),
    JSON.stringify({ iter: 0, trainLoss: 0.1, testLoss: 0.1, gradNorm: 0.1, distInit: 0, wallSeconds: 0 }) +
      "\n"
  )
  return dir
}

describe("gnlab report", () => {
  it("writes the report into RESULTS_DIR/report and says what it drew", () => {
    const dir = startedFolder()
    const r = gnlab("report", dir)
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/figure losses: not drawn — No finished cell to draw yet/)
    expect(r.stdout).toMatch(/2 cells: 1 running or interrupted, 1 pending — report in .*index\.html/)
    const html = readFileSync(join(dir, "report", "index.html"), "utf8")
    expect(html).toContain("No cell has finished yet")
    expect(existsSync(join(dir, "report", "report.md"))).toBe(true)
  })

  it("--out chooses the folder; a folder that is not a results folder exits 2 with one line", () => {
    const dir = startedFolder()
    const out = join(dir, "elsewhere")
    expect(gnlab("report", dir, "--out", out).code).toBe(0)
    expect(existsSync(join(out, "index.html"))).toBe(true)

    const empty = mkdtempSync(join(tmpdir(), "gnlab-report-cli-"))
    const r = gnlab("report", empty)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /^gnlab: .*: not a gnlab results folder \(no pipeline\.json\) — run `gnlab run PIPELINE\.json` first/
    )
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(existsSync(join(empty, "report"))).toBe(false)
  })
})
