/**
 * Results folders for the tests, written as the store writes them: cell.json, trajectory.jsonl,
 * summary.json and, last, digest.json with the files' real SHA-256 (`digestCell`), so
 * `checkDoneCell` sees them done. The numbers are made up; the layout is the store's.
 */
import { digestCell } from "@gnlab/metrics/cell-files"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface FakeCell {
  readonly id: string
  readonly label: string
  readonly method: string
  readonly initStd: number
  readonly seed: number
  readonly finalTestLoss: number
  readonly iterations?: number
  readonly rows?: number
  readonly engine?: string
}

/** The resolved config of a fake cell (the shape of cell.json). */
export const configOf = (c: FakeCell) => ({
  cellId: c.id,
  engine: c.engine ?? "gnlab-engine-1",
  dataset: { plugin: "teacher-student", params: { nTrain: 20, nTest: 100, d: 10 } },
  model: {
    plugin: "finite-width",
    params: { width: 30, initStd: c.initStd, activation: "silu", bias: true }
  },
  method: { plugin: c.method, params: { lr: 10, tol: 1e-8, maxIter: c.method === "gd" ? 300 : 10000 } },
  metrics: { plugin: "trajectory", params: { recordPerDecade: 20, testPerDecade: 20 } },
  seed: c.seed,
  backend: "cpu"
})

/** Write a done cell into `dir` (a cell folder, or a `gnlab train --out` folder). */
export function writeDoneCell(dir: string, c: FakeCell): void {
  mkdirSync(dir, { recursive: true })
  const config = configOf(c)
  const n = c.rows ?? 3
  const rows = Array.from({ length: n }, (_, k) => ({
    iter: k,
    trainLoss: 0.1 / (k + 1),
    testLoss: k === n - 1 ? c.finalTestLoss : 0.1 / (k + 1),
    sigmaMin: k === 0 ? null : 1e-4,
    gradNorm: 0.05,
    distInit: k,
    stepNorm: k === 0 ? null : 1,
    wallSeconds: 0.01 * k,
    t: null
  }))
  writeFileSync(join(dir, "cell.json"), JSON.stringify(config, null, 2) + "\n")
  writeFileSync(join(dir, "trajectory.jsonl"), rows.map((r) => JSON.stringify(r) + "\n").join(""))
  const { cellId: _id, engine: _engine, ...rest } = config
  const summary = {
    cellId: c.id,
    config: rest,
    iterations: c.iterations ?? n - 1,
    stopReason: "converged",
    initialTrainLoss: 0.1,
    finalTrainLoss: 0.1 / n,
    finalTestLoss: c.finalTestLoss,
    initialTestLoss: 0.1,
    wallSeconds: 0.01 * n,
    rows: n,
    resumed: false,
    backend: "cpu",
    engine: config.engine,
    gnlabVersion: "0.1.0"
  }
  writeFileSync(join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n")
  writeFileSync(join(dir, "digest.json"), JSON.stringify(digestCell(dir, c.id)) + "\n")
}

/** GN and GD at τ0 ∈ {0.5, 10}, seeds 1 and 2: 8 done cells (test loss = a known function). */
export const grid: ReadonlyArray<FakeCell> = ["gn", "gd"].flatMap((method) =>
  [0.5, 10].flatMap((initStd) =>
    [1, 2].map((seed) => ({
      id: `${method}-${initStd}-${seed}`.replace(".", "p").padEnd(24, "0"),
      label: method.toUpperCase(),
      method,
      initStd,
      seed,
      // GN: 1e-3·τ0, GD: 2e-3·τ0, plus 1e-4·seed
      finalTestLoss: (method === "gn" ? 1e-3 : 2e-3) * initStd + 1e-4 * seed
    }))
  )
)

/** A pipeline results folder with `cells` done, plus a failed, a running and a corrupt cell. */
export function writeResultsFolder(
  cells: ReadonlyArray<FakeCell> = grid,
  options: { readonly extras?: boolean } = { extras: true }
): string {
  const root = mkdtempSync(join(tmpdir(), "gnlab-dataset-"))
  const out = join(root, "results")
  mkdirSync(join(out, "cells"), { recursive: true })
  writeFileSync(join(out, "pipeline.json"), JSON.stringify({ name: "fake" }))
  for (const c of cells) writeDoneCell(join(out, "cells", c.id), c)
  const index = cells.map((c) => ({
    id: c.id,
    label: c.label,
    point: { "model.initStd": c.initStd },
    seed: c.seed,
    method: c.method
  }))
  if (options.extras) {
    // failed: error.json, no summary; running: a trajectory without summary; corrupt: edited summary
    const failed = join(out, "cells", "failed000000000000000000")
    mkdirSync(failed)
    writeFileSync(join(failed, "cell.json"), "{}")
    writeFileSync(join(failed, "error.json"), JSON.stringify({ message: "boom" }))
    const running = join(out, "cells", "running00000000000000000")
    mkdirSync(running)
    writeFileSync(join(running, "trajectory.jsonl"), '{"iter":0,"trainLoss":0.1}\n')
    const corrupt = { ...grid[0], id: "corrupt00000000000000000" }
    writeDoneCell(join(out, "cells", corrupt.id), corrupt)
    writeFileSync(join(out, "cells", corrupt.id, "summary.json"), '{"cellId": "corrupt')
    for (const id of [failed, running, corrupt.id].map((p) => p.slice(p.lastIndexOf("/") + 1)))
      index.push({ id, label: "GN", point: { "model.initStd": 1 }, seed: 1, method: "gn" })
  }
  writeFileSync(join(out, "cells.json"), JSON.stringify(index, null, 2))
  return out
}
