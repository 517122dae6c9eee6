/**
 * `gnlab export`, `gnlab query` and `gnlab compare` on a results folder a real (tiny) pipeline
 * run wrote: the tables' columns and rows, a GROUP BY against the summaries on disk, Parquet
 * files named and written, DuckDB's message and exit code 2 for bad SQL, failed and unfinished
 * cells left out and counted, and what compare reports between two folders. Each spawned gnlab
 * costs ~3 s of start-up, so the checks share a few invocations.
 */
import { digestCell } from "@gnlab/metrics/cell-files"
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const bin = join(root, "packages/runner/bin/gnlab.js")
const gnlab = (...args: string[]) => {
  // GNLAB_CACHE=off: the run computes its cells, never takes them from (or puts them in) ~/.cache
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    cwd: root,
    env: { ...process.env, GNLAB_CACHE: "off" }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

// GN and GD (capped) at two τ0 and two seeds: 8 cells, N = 20, M = 30
const tiny = {
  name: "tiny-sql",
  dataset: { plugin: "teacher-student", params: { nTrain: 20, nTest: 100 } },
  model: { plugin: "finite-width", params: { width: 30 } },
  methods: [
    { plugin: "gn", label: "GN" },
    { plugin: "gd", label: "GD", params: { maxIter: 200 } }
  ],
  seeds: [1, 2],
  sweep: { grid: { "model.initStd": [0.5, 2] } }
}

interface Entry {
  id: string
  label: string
  seed: number
  point: Record<string, number>
}
const summaryOf = (dir: string, id: string) =>
  JSON.parse(readFileSync(join(dir, "cells", id, "summary.json"), "utf8")) as Record<string, unknown>

describe("gnlab export / query / compare", () => {
  const tmp = mkdtempSync(join(tmpdir(), "gnlab-sql-"))
  const a = join(tmp, "a")
  const b = join(tmp, "b")
  let cells: Entry[] = []

  beforeAll(() => {
    const file = join(tmp, "p.json")
    writeFileSync(file, JSON.stringify(tiny))
    const r = gnlab("run", file, "--out", a, "--quiet", "--concurrency", "2")
    expect(r.code, r.stderr).toBe(0)
    cells = JSON.parse(readFileSync(join(a, "cells.json"), "utf8")) as Entry[]
    expect(cells).toHaveLength(8)
  }, 240_000)

  it("export: summaries.parquet and trajectories.parquet in DIR/export, one row per cell and per step", () => {
    const r = gnlab("export", a)
    expect(r.code, r.stderr).toBe(0)
    const rows = cells.reduce((s, c) => s + (summaryOf(a, c.id).rows as number), 0)
    expect(r.stdout).toBe(
      `${join(a, "export/summaries.parquet")}: 8 rows\n${join(a, "export/trajectories.parquet")}: ${rows} rows\nexported 8 done cells\n`
    )
    expect(readdirSync(join(a, "export")).sort()).toEqual(["summaries.parquet", "trajectories.parquet"])
  })

  it("query: the mean final test loss by method and τ0, as JSON, equals the summaries' own", () => {
    const r = gnlab(
      "query",
      a,
      `SELECT label, "model.initStd" AS tau0, avg(finalTestLoss) AS mean, count(*) AS n,
              count(DISTINCT seed) AS seeds
       FROM summaries GROUP BY ALL ORDER BY label, tau0`,
      "--json"
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe("")
    const got = JSON.parse(r.stdout) as Array<{ label: string; tau0: number; mean: number; n: number }>
    const expected = ["GD", "GN"].flatMap((label) =>
      [0.5, 2].map((tau0) => {
        const ls = cells
          .filter((c) => c.label === label && c.point["model.initStd"] === tau0)
          .map((c) => summaryOf(a, c.id).finalTestLoss as number)
        return { label, tau0, n: ls.length, seeds: 2, mean: ls.reduce((s, x) => s + x, 0) / ls.length }
      })
    )
    expect(got.map(({ mean: _m, ...k }) => k)).toEqual(expected.map(({ mean: _m, ...k }) => k))
    for (const [i, g] of got.entries()) expect(g.mean).toBeCloseTo(expected[i].mean, 15)
  })

  it("query: an unknown column and malformed SQL end with DuckDB's message, exit code 2", () => {
    const unknown = gnlab("query", a, "SELECT finalTestLos FROM summaries")
    expect(unknown.code).toBe(2)
    expect(unknown.stdout).toBe("")
    expect(unknown.stderr).toMatch(
      /^gnlab: query: Binder Error: Referenced column "finalTestLos" not found in FROM clause!.*finalTestLoss/
    )
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1)
    const malformed = gnlab("query", a, "SELECT label FROM summaries GROUP")
    expect(malformed.code).toBe(2)
    expect(malformed.stderr).toMatch(/^gnlab: query: Parser Error: syntax error at end of input/)
  })

  it("failed and unfinished cells are left out and counted; compare lists them and the changed metric", () => {
    cpSync(a, b, { recursive: true })
    rmSync(join(b, "export"), { recursive: true })
    const cell = (k: number, f = "") => join(b, "cells", cells[k].id, f)
    // cell 0 threw, cell 1 is unfinished, cell 2's final test loss changed (re-digested: done)
    for (const k of [0, 1]) for (const f of ["summary.json", "digest.json"]) rmSync(cell(k, f))
    writeFileSync(cell(0, "error.json"), JSON.stringify({ message: "boom" }))
    const s = summaryOf(b, cells[2].id)
    writeFileSync(
      cell(2, "summary.json"),
      JSON.stringify({ ...s, finalTestLoss: (s.finalTestLoss as number) * 1.5 })
    )
    writeFileSync(cell(2, "digest.json"), JSON.stringify(digestCell(cell(2), cells[2].id)))

    const out = join(tmp, "csv")
    const e = gnlab("export", b, "--format", "csv", "--out", out)
    expect(e.code, e.stderr).toBe(0)
    expect(e.stdout).toMatch(
      /\nexported 6 done cells; 2 of 8 cells not done and left out \(1 failed, 1 not finished\)\n$/
    )
    const csv = readFileSync(join(out, "summaries.csv"), "utf8").trim().split("\n")
    expect(csv).toHaveLength(7)
    expect(csv[0]).toMatch(
      /^cellId,label,method,seed,backend,engine,dataset,dataset\.nTrain,.*,model\.initStd,/
    )
    expect(csv[0]).toMatch(
      /,stopReason,iterations,initialTrainLoss,finalTrainLoss,initialTestLoss,finalTestLoss,/
    )
    expect(existsSync(join(out, "trajectories.csv"))).toBe(true)

    const c = gnlab("compare", a, b)
    expect(c.code, c.stderr).toBe(0)
    expect(c.stdout).toContain(
      "6 cells in both (6 by cell id, 0 by parameters), 0 added, 2 removed; 1 differs beyond --rtol 1e-6"
    )
    expect(c.stdout).toMatch(
      new RegExp(`${cells[2].id.slice(0, 12)}\\s+same\\s+${cells[2].label} .*\\+5\\.0e-1\\*`)
    )
    expect(c.stdout).toMatch(/removed \(only in A\):\n {2}\S+ {2}\S+ .*seed=\d\n {2}\S+ {2}\S+ .*seed=\d/)
  })

  it("not a results folder, a missing one, a bad --format: one line, exit code 2", () => {
    const notResults = gnlab("compare", a, tmp)
    expect([notResults.code, notResults.stderr]).toEqual([
      2,
      `gnlab: ${tmp}: not a results folder (no pipeline.json, cells.json or cells/, nor a cell.json of gnlab train --out): give the folder gnlab run or gnlab train --out wrote\n`
    ])
    const format = gnlab("export", join(tmp, "missing"), "--format", "xlsx")
    expect([format.code, format.stderr]).toEqual([2, 'gnlab: --format: must be parquet or csv, got "xlsx"\n'])
  })
})
