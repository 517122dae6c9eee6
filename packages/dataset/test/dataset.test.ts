/**
 * A results folder as tables: the column sets, one row per done cell and per trajectory row,
 * SQL over them (a GROUP BY), Parquet and CSV written atomically and read back by DuckDB, bad
 * SQL with DuckDB's own message, not-done cells left out and counted, the single-run layout of
 * `gnlab train --out`, and the comparison of two folders.
 */
import { Effect, Exit } from "effect"
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import {
  compareResults,
  describeLeftOut,
  exportResults,
  formatComparison,
  formatQueryResult,
  openResultsDb,
  queryResults,
  readResults,
  readResultsFolder,
  resultsTables,
  type ResultsFolder
} from "../src/index.js"
import { grid, writeDoneCell, writeResultsFolder } from "./fixtures.js"

const read = (dir: string): ResultsFolder => Effect.runSync(readResults(dir))
const query = (r: ResultsFolder, sql: string) => Effect.runPromise(queryResults(r, sql))

describe("tables of a results folder", () => {
  const dir = writeResultsFolder()
  const results = read(dir)

  it("keeps the done cells and counts the others by why", () => {
    expect(results.layout).toBe("pipeline")
    expect(results.pipeline).toBe("fake")
    expect(results.total).toBe(11)
    expect(results.cells.map((c) => c.id).sort()).toEqual(grid.map((c) => c.id).sort())
    expect(results.leftOut).toEqual({ failed: 1, corrupt: 1, unfinished: 1 })
    expect(describeLeftOut(results)).toBe(
      "3 of 11 cells not done and left out (1 failed, 1 corrupt, 1 not finished)"
    )
  })

  it("summaries: key columns, flattened parameters, summary fields; trajectories: key columns and row fields", () => {
    const [summaries, trajectories] = resultsTables(results)
    const cols = (t: typeof summaries) => Object.fromEntries(t.columns.map((c) => [c.name, c.type]))
    expect(summaries.columns.slice(0, 6).map((c) => c.name)).toEqual([
      "cellId",
      "label",
      "method",
      "seed",
      "backend",
      "engine"
    ])
    expect(cols(summaries)).toMatchObject({
      seed: "BIGINT",
      dataset: "VARCHAR",
      "dataset.nTrain": "BIGINT",
      model: "VARCHAR",
      "model.width": "BIGINT",
      "model.initStd": "DOUBLE",
      "model.bias": "BOOLEAN",
      "method.lr": "BIGINT",
      "method.maxIter": "BIGINT",
      metrics: "VARCHAR",
      "metrics.recordPerDecade": "BIGINT",
      stopReason: "VARCHAR",
      iterations: "BIGINT",
      finalTrainLoss: "DOUBLE",
      finalTestLoss: "DOUBLE",
      wallSeconds: "DOUBLE",
      gnlabVersion: "VARCHAR"
    })
    // the config and the summary's copies of the key columns are not repeated
    for (const gone of ["config", "config.seed", "cellId_1", "summary.backend"])
      expect(summaries.columns.map((c) => c.name)).not.toContain(gone)
    expect(summaries.rows).toHaveLength(8)
    expect(cols(trajectories)).toMatchObject({
      cellId: "VARCHAR",
      label: "VARCHAR",
      "model.initStd": "DOUBLE",
      iter: "BIGINT",
      trainLoss: "DOUBLE",
      testLoss: "DOUBLE",
      sigmaMin: "DOUBLE",
      stepNorm: "DOUBLE",
      t: "DOUBLE"
    })
    expect(trajectories.rows).toHaveLength(8 * 3)
  })

  it("SQL: the mean final test loss by method and τ0 (GROUP BY)", async () => {
    const r = await query(
      results,
      `SELECT label, "model.initStd" AS tau0, avg(finalTestLoss) AS mean, count(*) AS n
       FROM summaries GROUP BY ALL ORDER BY label, tau0`
    )
    expect(r.columns).toEqual(["label", "tau0", "mean", "n"])
    const expected = [
      ["GD", 0.5, 2e-3 * 0.5 + 1.5e-4, 2],
      ["GD", 10, 2e-3 * 10 + 1.5e-4, 2],
      ["GN", 0.5, 1e-3 * 0.5 + 1.5e-4, 2],
      ["GN", 10, 1e-3 * 10 + 1.5e-4, 2]
    ]
    expect(r.rows.map((row) => [row[0], row[1], row[3]])).toEqual(expected.map((e) => [e[0], e[1], e[3]]))
    for (const [i, row] of r.rows.entries())
      expect(row[2] as number).toBeCloseTo(expected[i][2] as number, 15)
    expect(formatQueryResult(r).split("\n")).toEqual([
      "label  tau0       mean  n",
      "-----  ----  ---------  -",
      "GD      0.5  1.1500e-3  2",
      "GD       10  2.0150e-2  2",
      "GN      0.5  6.5000e-4  2",
      "GN       10  1.0150e-2  2",
      "(4 rows)"
    ])
    // a join of the two tables: rows per cell
    const j = await query(
      results,
      `SELECT count(DISTINCT t.cellId) AS cells, count(*) AS rows
       FROM trajectories t JOIN summaries s USING (cellId) WHERE t.iter <= s.iterations`
    )
    expect(j.rows).toEqual([[8, 24]])
  })

  it("bad SQL and unknown columns fail with DuckDB's message", async () => {
    const fail = async (sql: string) => {
      const exit = await Effect.runPromiseExit(queryResults(results, sql))
      expect(Exit.isFailure(exit)).toBe(true)
      return JSON.stringify(exit)
    }
    expect(await fail("SELEC 1")).toMatch(/Parser Error: syntax error at or near \\"SELEC\\"/)
    expect(await fail("SELECT nosuchcolumn FROM summaries")).toMatch(
      /Binder Error: Referenced column \\"nosuchcolumn\\"/
    )
    expect(await fail("SELECT * FROM nosuchtable")).toMatch(
      /Catalog Error: Table with name nosuchtable does not exist/
    )
  })

  it("Parquet and CSV: both tables written atomically, read back by DuckDB", async () => {
    const out = mkdtempSync(join(tmpdir(), "gnlab-export-"))
    const parquet = await Effect.runPromise(exportResults(results, join(out, "p"), "parquet"))
    expect(parquet.map((f) => [f.table, f.rows])).toEqual([
      ["summaries", 8],
      ["trajectories", 24]
    ])
    expect(readdirSync(join(out, "p")).sort()).toEqual(["summaries.parquet", "trajectories.parquet"])
    const back = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const db = yield* openResultsDb([])
          const s = yield* db.query(
            `SELECT label, "model.initStd", finalTestLoss, "model.bias", seed FROM '${join(out, "p/summaries.parquet")}' ORDER BY cellId`
          )
          const d = yield* db.query(`DESCRIBE SELECT * FROM '${join(out, "p/trajectories.parquet")}'`)
          const n = yield* db.query(`SELECT count(*) FROM '${join(out, "p/trajectories.parquet")}'`)
          return { s, d, n }
        })
      )
    )
    expect(back.s.rows).toHaveLength(8)
    // doubles survive exactly, integer and boolean columns keep their types
    const gd05 = grid.find((c) => c.method === "gd" && c.initStd === 0.5 && c.seed === 1)!
    expect(back.s.rows[0]).toEqual(["GD", 0.5, gd05.finalTestLoss, true, 1])
    expect(back.s.types).toEqual(["VARCHAR", "DOUBLE", "DOUBLE", "BOOLEAN", "BIGINT"])
    expect(back.n.rows).toEqual([[24]])
    expect(back.d.rows.map((r) => r[0])).toEqual(resultsTables(results)[1].columns.map((c) => c.name))

    await Effect.runPromise(exportResults(results, join(out, "c"), "csv"))
    const csv = readFileSync(join(out, "c/summaries.csv"), "utf8").split("\n")
    expect(csv[0].split(",").slice(0, 8)).toEqual([
      "cellId",
      "label",
      "method",
      "seed",
      "backend",
      "engine",
      "dataset",
      "dataset.nTrain"
    ])
    expect(csv.filter((l) => l.length > 0)).toHaveLength(9)
    expect(readFileSync(join(out, "c/trajectories.csv"), "utf8").trim().split("\n")).toHaveLength(25)
    // nothing temporary is left behind
    expect(readdirSync(join(out, "c")).sort()).toEqual(["summaries.csv", "trajectories.csv"])
  })

  it("an export into a file fails and writes nothing", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "gnlab-export-")), "f")
    writeFileSync(file, "x")
    const exit = await Effect.runPromiseExit(exportResults(results, file, "csv"))
    expect(JSON.stringify(exit)).toMatch(/"problem":"is a file, not a folder","_tag":"ExportFailed"/)
  })
})

describe("folders that are not results folders, and the single-run layout", () => {
  it("a missing folder, a file, a folder of something else", () => {
    const root = mkdtempSync(join(tmpdir(), "gnlab-dataset-"))
    writeFileSync(join(root, "file"), "x")
    const problem = (p: string) => {
      const r = readResultsFolder(p)
      return "problem" in r ? `${r._tag}: ${r.message}` : "a results folder"
    }
    expect(problem(join(root, "none"))).toMatch(/^NotResultsFolder: .*none: no such folder/)
    expect(problem(join(root, "file"))).toMatch(/is a file, not a results folder/)
    expect(problem(root)).toMatch(/not a results folder \(no pipeline.json, cells.json or cells\//)
  })

  it("gnlab train --out DIR: one cell; an unfinished one is left out", async () => {
    const root = mkdtempSync(join(tmpdir(), "gnlab-dataset-"))
    writeDoneCell(root, grid[0])
    const r = read(root)
    expect(r.layout).toBe("train")
    expect(r.cells.map((c) => [c.id, c.label])).toEqual([[grid[0].id, "gn"]])
    const q = await query(r, "SELECT count(*) FROM trajectories")
    expect(q.rows).toEqual([[3]])

    const running = mkdtempSync(join(tmpdir(), "gnlab-dataset-"))
    writeFileSync(join(running, "cell.json"), JSON.stringify({ cellId: "x" }))
    const u = read(running)
    expect([u.total, u.cells.length, describeLeftOut(u)]).toEqual([
      1,
      0,
      "1 of 1 cell not done and left out (1 not finished)"
    ])
    // no done cell: empty tables still answer
    expect((await query(u, "SELECT count(*) FROM summaries")).rows).toEqual([[0]])
  })
})

describe("compare two results folders", () => {
  it("pairs cells by id, then by parameters; lists added and removed; flags differences beyond rtol", () => {
    const a = read(writeResultsFolder(grid.slice(0, 6), { extras: false }))
    const changed = grid.map((c, i) =>
      i === 0
        ? { ...c, finalTestLoss: c.finalTestLoss * 1.01 } // a changed result
        : i === 1
          ? { ...c, id: "another-engine-id0000000", engine: "gnlab-engine-2" } // new id, same cell
          : c
    )
    // B: cells 0..5 (1 re-identified) and 6, 7 (added); A's cells all present
    const b = read(writeResultsFolder(changed, { extras: false }))
    const c = compareResults(a, b, { rtol: 1e-6, timeRtol: 0.5 })
    expect(c.pairs.map((p) => p.by).sort()).toEqual(["id", "id", "id", "id", "id", "parameters"])
    expect(c.added.map((x) => x.id).sort()).toEqual([grid[6].id, grid[7].id].sort())
    expect(c.removed).toEqual([])
    const flagged = c.pairs.filter((p) => p.flagged)
    expect(flagged.map((p) => p.a)).toEqual([grid[0].id])
    const d = flagged[0].diffs.find((x) => x.metric === "finalTestLoss")!
    expect(d.rel).toBeCloseTo(0.01, 12)
    expect(flagged[0].key).toBe("GN model.initStd=0.5 seed=1")

    const text = formatComparison(c)
    expect(text).toContain(
      "6 cells in both (5 by cell id, 1 by parameters), 2 added, 0 removed; 1 differs beyond --rtol 1e-6 (wall seconds: --time-rtol 0.5)"
    )
    expect(text).toMatch(
      /gn-0p5-10000\s+same\s+GN model.initStd=0.5 seed=1\s+0\s+\+1\.0e-2\*\s+0\s+0\s+converged/
    )
    expect(text).toMatch(/added \(only in B\):\n {2}gd-10-100000\s+GD model.initStd=10 seed=1/)
    // an absolute floor: a difference of 1e-5 below --atol 1e-4 is not flagged
    expect(
      compareResults(a, b, { rtol: 1e-6, atol: 1e-4, timeRtol: 0.5 }).pairs.filter((p) => p.flagged)
    ).toEqual([])
    // the other way round: those are removed
    const back = compareResults(b, a, { rtol: 1e-6, timeRtol: 0.5 })
    expect([back.added.length, back.removed.length]).toEqual([0, 2])
  })
})

it("fixtures are what the store writes: done by its rule", () => {
  const dir = writeResultsFolder(grid.slice(0, 1), { extras: false })
  expect(existsSync(join(dir, "cells", grid[0].id, "digest.json"))).toBe(true)
  expect(read(dir).cells).toHaveLength(1)
})
