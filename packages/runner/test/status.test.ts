/**
 * `gnlab status DIR`: every state a cell can be in, read from the result store alone (no
 * scheduler: PATH holds nothing here), as text and as JSON.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const bin = join(root, "packages/runner/bin/gnlab.js")
const gnlab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    cwd: root,
    env: { ...process.env, PATH: "/nonexistent" }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const tiny = {
  name: "tiny",
  dataset: { plugin: "teacher-student", params: { nTrain: 20, nTest: 100 } },
  model: { plugin: "finite-width", params: { width: 30 } },
  methods: [{ plugin: "gn" }, { plugin: "gd", params: { maxIter: 300 } }, { plugin: "rf" }],
  seeds: [1],
  sweep: { grid: { "model.initStd": [0.5, 2] } }
}

interface Status {
  counts: Record<string, number>
  cells: Array<{ id: string; label: string; status: string; iter: number | null; error: string | null }>
  pipeline: string
  runningMinutes: number
}

describe("gnlab status", () => {
  const dir = mkdtempSync(join(tmpdir(), "gnlab-status-"))
  const out = join(dir, "results")
  let ids: string[] = []
  const cell = (k: number, f = "") => join(out, "cells", ids[k], f)

  beforeAll(() => {
    const file = join(dir, "p.json")
    writeFileSync(file, JSON.stringify(tiny))
    const r = gnlab("run", file, "--out", out, "--quiet", "--concurrency", "2")
    expect(r.code, r.stderr).toBe(0)
    ids = (JSON.parse(readFileSync(join(out, "cells.json"), "utf8")) as Array<{ id: string }>).map(
      (c) => c.id
    )
    expect(ids).toHaveLength(6)
  })

  it("a finished folder: every cell done", () => {
    const r = gnlab("status", out)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(
      `${out} (pipeline "tiny"): 6 cells — 6 done, 0 running, 0 interrupted, 0 pending, 0 failed, 0 corrupt\n`
    )
  })

  it("done, running, interrupted, pending, failed and corrupt cells, as text and JSON", () => {
    // 0 stays done; 1 never started; 2 threw; 3 has a damaged summary; 4 and 5 are partial
    // (a trajectory without a summary), 4 written just now, 5 last changed two hours ago
    rmSync(cell(1), { recursive: true })
    // (an unfinished cell has neither its summary nor its digest)
    const unfinish = (k: number) => ["summary.json", "digest.json"].forEach((f) => rmSync(cell(k, f)))
    unfinish(2)
    writeFileSync(cell(2, "error.json"), JSON.stringify({ message: "damping fixed needs eps" }))
    writeFileSync(cell(3, "summary.json"), '{"cellId": "')
    for (const k of [4, 5]) unfinish(k)
    const now = new Date()
    const twoHoursAgo = new Date(now.getTime() - 2 * 3600_000)
    utimesSync(cell(4, "trajectory.jsonl"), now, now)
    utimesSync(cell(5, "trajectory.jsonl"), twoHoursAgo, twoHoursAgo)

    const json = gnlab("status", out, "--json")
    expect(json.code, json.stderr).toBe(0)
    const s = JSON.parse(json.stdout) as Status
    expect(s.pipeline).toBe("tiny")
    expect(s.runningMinutes).toBe(10)
    expect(s.counts).toEqual({
      done: 1,
      running: 1,
      interrupted: 1,
      pending: 1,
      failed: 1,
      corrupt: 1,
      total: 6
    })
    expect(s.cells.map((c) => c.status)).toEqual([
      "done",
      "pending",
      "failed",
      "corrupt",
      "running",
      "interrupted"
    ])
    expect(s.cells[2].error).toBe("damping fixed needs eps")
    const lastRow = (k: number) =>
      JSON.parse(readFileSync(cell(k, "trajectory.jsonl"), "utf8").trim().split("\n").pop()!) as {
        iter: number
      }
    expect(s.cells[4].iter).toBe(lastRow(4).iter)
    expect(s.cells[5].iter).toBe(lastRow(5).iter)
    expect(s.cells[0].label).toBe("gn τ0=0.5 seed=1")

    const text = gnlab("status", out)
    expect(text.code).toBe(0)
    const lines = text.stdout.trim().split("\n")
    expect(lines[0]).toBe(
      `${out} (pipeline "tiny"): 6 cells — 1 done, 1 running, 1 interrupted, 1 pending, 1 failed, 1 corrupt`
    )
    expect(lines.slice(1, 5).map((l) => l.split(/\s+/).slice(0, 2))).toEqual(
      [2, 3, 4, 5].map((k) => [s.cells[k].status, ids[k].slice(0, 12)])
    )
    expect(lines[1]).toMatch(/damping fixed needs eps$/)
    expect(lines[2]).toMatch(/the next run recomputes it$/)
    expect(lines[3]).toMatch(/iter \d+, loss \d\.\d{3}e[-+]\d+, changed \d+ s ago$/)
    expect(lines[4]).toMatch(/changed 2\.0 h ago — the next run resumes it$/)

    // a wider window counts the hour-old cell as running
    const wide = JSON.parse(gnlab("status", out, "--json", "--running-minutes", "180").stdout) as Status
    expect(wide.counts.running).toBe(2)
    expect(wide.counts.interrupted).toBe(0)
  })

  it("not a results folder: one line naming the fix, exit 2", () => {
    for (const [path, why] of [
      [dir, "not a results folder (no cells.json)"],
      [join(dir, "nope"), "no such folder"]
    ]) {
      const r = gnlab("status", path)
      expect(r.code).toBe(2)
      expect(r.stderr).toBe(
        `gnlab: ${path}: ${why}: give the folder gnlab run or gnlab submit writes into, e.g. results/<pipeline name>\n`
      )
    }
    expect(gnlab("status", out, "--running-minutes", "0").code).toBe(2)
  })
})
