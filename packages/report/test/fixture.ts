/**
 * Small results folders built in code, in the store's format (docs/pipelines.md): a
 * pipeline.json, cells.json and, per cell, what `gnlab run` leaves for its state (done with
 * a stop reason, failed, running, corrupt, or nothing yet). Trajectories are synthetic
 * curves on the recording schedule, so tests know what the figures should show.
 */
import { digestCell } from "@gnlab/metrics/cell-files"
import { logScheduleUpTo, type TrajectoryRow } from "@gnlab/metrics"
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { CellState, PlotDeclaration } from "../src/index.js"

/** A cell of a fixture. */
export interface FixtureCell {
  readonly method: string
  readonly label: string
  readonly point: Record<string, unknown>
  readonly seed: number
  readonly state: CellState
  /** the final test loss (done cells) */
  readonly testLoss?: number
  /** the last iteration (default 200) */
  readonly iterations?: number
  /** method parameters of the resolved config (default { maxIter: 1000 }) */
  readonly methodParams?: Record<string, unknown>
  /** the trajectory (default: syntheticRows) */
  readonly rows?: ReadonlyArray<TrajectoryRow>
}

/** A deterministic pseudo-random number in [0, 1) from integers. */
export const hash01 = (...xs: number[]): number => {
  let h = 2166136261
  for (const x of xs) h = Math.imul(h ^ Math.round(x * 1000), 16777619) >>> 0
  h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0
  return (h >>> 8) / 16777216
}

/** Rows of a synthetic run: losses decaying from 0.1 towards `final`, σ* growing (GN, RF) or null (GD). */
export function syntheticRows(c: FixtureCell, last: number): TrajectoryRow[] {
  const final = c.testLoss ?? 1e-3
  const iters = [...new Set([...logScheduleUpTo(last), last])]
  return iters.map((iter, i) => {
    const t = Math.min(1, Math.log10(iter + 1) / Math.log10(last + 1))
    const sigma =
      c.method === "gd" || iter === 0 ? null : 1e-6 * (1 + Number(c.point["model.initStd"] ?? 1)) * (1 + t)
    return {
      iter,
      trainLoss: 0.1 * 1e-8 ** t * (1 + 0.2 * hash01(c.seed, iter)),
      testLoss: i % 2 === 0 || iter === last ? 0.1 * (final / 0.1) ** t : null,
      sigmaMin: sigma,
      sigmaMax: sigma === null ? null : 0.1,
      cond: sigma === null ? null : 0.1 / sigma,
      eps: sigma,
      gradNorm: 0.03 * (1 - t) + 1e-6,
      distInit: 10 * t,
      stepNorm: iter === 0 ? null : 0.1,
      wallSeconds: 0.01 * iter
    }
  })
}

/** Write a results folder; returns its path. */
export function writeFixture(options: {
  readonly name: string
  readonly plots: ReadonlyArray<PlotDeclaration>
  readonly cells: ReadonlyArray<FixtureCell>
  readonly title?: string
}): string {
  const dir = mkdtempSync(join(tmpdir(), "gnlab-report-"))
  const methods = [...new Map(options.cells.map((c) => [c.label, c.method])).entries()].map(
    ([label, plugin]) => ({
      plugin,
      label
    })
  )
  const seeds = [...new Set(options.cells.map((c) => c.seed))]
  const pipeline = {
    name: options.name,
    description: `fixture ${options.name}`,
    dataset: { plugin: "teacher-student", params: { nTrain: 100 } },
    model: { plugin: "finite-width", params: { width: 100 } },
    methods,
    seeds,
    report: { ...(options.title === undefined ? {} : { title: options.title }), plots: options.plots }
  }
  writeFileSync(join(dir, "pipeline.json"), JSON.stringify(pipeline, null, 2))
  const entries = options.cells.map((c, i) => ({
    id: `cell${String(i).padStart(4, "0")}${"0".repeat(16)}`,
    label: c.label,
    point: c.point,
    seed: c.seed,
    method: c.method
  }))
  writeFileSync(join(dir, "cells.json"), JSON.stringify(entries, null, 2))
  writeFileSync(
    join(dir, "events.jsonl"),
    [
      { time: "2026-01-01T00:00:00.000Z", event: "run-start", pipeline: options.name },
      { time: "2026-01-01T00:02:30.000Z", event: "run-end", computed: entries.length, failed: 0 }
    ]
      .map((e) => JSON.stringify(e))
      .join("\n") + "\n"
  )
  options.cells.forEach((c, i) => {
    const id = entries[i].id
    if (c.state === "pending") return
    const cellDir = join(dir, "cells", id)
    mkdirSync(cellDir, { recursive: true })
    const config = {
      cellId: id,
      dataset: { plugin: "teacher-student", params: { nTrain: 100, ...paramsOf(c.point, "dataset") } },
      model: { plugin: "finite-width", params: { width: 100, initStd: 1, ...paramsOf(c.point, "model") } },
      method: { plugin: c.method, params: c.methodParams ?? { maxIter: 1000 } },
      metrics: { plugin: "trajectory", params: { recordPerDecade: 20, testPerDecade: 10 } },
      seed: c.seed,
      backend: "cpu"
    }
    writeFileSync(join(cellDir, "cell.json"), JSON.stringify(config, null, 2))
    const rows = c.rows ?? syntheticRows(c, c.iterations ?? 200)
    const last = rows[rows.length - 1].iter
    const trajectory = rows.map((r) => JSON.stringify(r)).join("\n") + "\n"
    const done = c.state === "converged" || c.state === "maxIter" || c.state === "diverged"
    if (c.state === "partial") {
      // a running cell: rows so far, a checkpoint, and half a line being written
      writeFileSync(
        join(cellDir, "trajectory.jsonl"),
        rows
          .slice(0, 20)
          .map((r) => JSON.stringify(r))
          .join("\n") + '\n{"iter":'
      )
      writeFileSync(join(cellDir, "checkpoint.json"), "{}")
      return
    }
    if (c.state === "failed") {
      writeFileSync(join(cellDir, "error.json"), JSON.stringify({ message: "boom: the solver threw" }))
      return
    }
    writeFileSync(join(cellDir, "trajectory.jsonl"), trajectory)
    if (done || c.state === "corrupt") {
      const final = rows[rows.length - 1]
      const summary = {
        cellId: id,
        config,
        iterations: last,
        stopReason: c.state === "corrupt" ? "converged" : c.state,
        initialTrainLoss: rows[0].trainLoss,
        finalTrainLoss: c.state === "diverged" ? null : final.trainLoss,
        finalTestLoss: c.state === "diverged" ? null : final.testLoss,
        initialTestLoss: rows[0].testLoss,
        wallSeconds: final.wallSeconds,
        // a corrupt summary disagrees with its trajectory
        rows: c.state === "corrupt" ? rows.length + 3 : rows.length,
        resumed: false,
        backend: "cpu",
        engine: "gnlab-engine-1",
        gnlabVersion: "0.1.0"
      }
      writeFileSync(join(cellDir, "summary.json"), JSON.stringify(summary, null, 2))
      // written last by the runner: the hashes that make the cell "done" (see @gnlab/metrics/cell-files)
      writeFileSync(join(cellDir, "digest.json"), JSON.stringify(digestCell(cellDir, id), null, 2))
    }
  })
  return dir
}

function paramsOf(point: Record<string, unknown>, stage: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(point)
      .filter(([k]) => k.startsWith(`${stage}.`))
      .map(([k, v]) => [k.slice(stage.length + 1), v])
  )
}

/** The paper's rates, used to make synthetic Fig. 3 data. */
export const trueAlpha: Readonly<Record<string, number>> = { rf: 0.5, gd: 2, gn: 1.75 }

/** A Fig. 3 / Table 1 folder: RF, GD, GN, N ∈ {100, 200, 400, 800}, 3 seeds, loss = C N^−α with seed noise. */
export function rateFixture(): string {
  const cells: FixtureCell[] = []
  for (const seed of [1, 2, 3])
    for (const n of [100, 200, 400, 800])
      for (const [method, label] of [
        ["rf", "RF"],
        ["gd", "GD"],
        ["gn", "GN"]
      ] as const)
        cells.push({
          method,
          label,
          seed,
          point: { "dataset.nTrain": n },
          state: "converged",
          testLoss:
            10 ** (0.5 - trueAlpha[method] * Math.log10(n) + 0.05 * (hash01(seed, n, method.length) - 0.5)),
          iterations: method === "gd" ? 5000 : method === "gn" ? 150 : 1
        })
  return writeFixture({
    name: "fixture-rate",
    title: "Fixture: Fig. 3",
    cells,
    plots: [
      { id: "rate", plugin: "rate", title: "Test loss vs N", params: { x: "dataset.nTrain" } },
      { id: "losses", plugin: "curves", params: { facet: "dataset.nTrain" } },
      { id: "test-vs-n", plugin: "final", params: { x: "dataset.nTrain" } }
    ]
  })
}

/** A quickstart-like folder in every state: done, capped, diverged, failed, running, pending, corrupt. */
export function mixedFixture(): string {
  const states: CellState[] = ["converged", "maxIter", "diverged", "failed", "partial", "pending", "corrupt"]
  const cells: FixtureCell[] = []
  let k = 0
  for (const tau of [0.5, 10])
    for (const seed of [1, 2])
      for (const [method, label] of [
        ["gn", "GN"],
        ["gd", "GD"],
        ["rf", "RF"]
      ] as const) {
        // the first cells take the unusual states, the rest converge
        const state: CellState = k < states.length ? states[k] : "converged"
        k++
        cells.push({
          method,
          label,
          seed,
          point: { "model.initStd": tau },
          state,
          testLoss: (tau > 1 ? 3e-3 : method === "rf" ? 5e-3 : 6e-4) * (1 + 0.3 * hash01(seed, tau)),
          iterations: method === "gd" ? 2000 : method === "gn" ? 180 : 1
        })
      }
  return writeFixture({
    name: "fixture-mixed",
    cells,
    plots: [
      {
        id: "losses",
        plugin: "curves",
        title: "Train and test loss",
        params: { y: ["trainLoss", "testLoss"], facet: "model.initStd" }
      },
      { id: "test-vs-tau", plugin: "final", params: { x: "model.initStd" } },
      { id: "sigma", plugin: "curves", params: { y: ["sigmaMin"], color: "model.initStd" } },
      { id: "heatmap", plugin: "heatmap" }
    ]
  })
}

/** A reference loss trajectory r(k) = 0.1·e^{−k/40} on the recording schedule up to k = 400. */
const referenceLoss = (k: number) => 0.1 * Math.exp(-k / 40)

/**
 * A particle-convergence folder: GN and GD, M ∈ {250 … 8000}, quadrature mc and rqmc, 3 seeds;
 * the loss of M particles is r(k)·(1 + c_s·M^{−β}) with β = 1/2 (mc) and 1 (rqmc) and a
 * seed factor c_s, and RQMC's M = 8000 stands for the limit (loss r(k)), so each cell is at
 * log-rms distance log10(1 + c M^{−β}) ≈ c M^{−β}/ln 10 from it.
 */
export const particleOrders: Readonly<Record<string, number>> = { mc: 0.5, rqmc: 1 }
export function particleFixture(): string {
  const cells: FixtureCell[] = []
  for (const seed of [1, 2, 3])
    for (const width of [250, 500, 1000, 2000, 4000, 8000])
      for (const quadrature of ["mc", "rqmc"])
        for (const [method, label] of [
          ["gn", "GN"],
          ["gd", "GD"]
        ] as const) {
          const c = 2 * (1 + hash01(seed, method.length))
          // RQMC's largest M stands for the limit: its loss is r(k) itself
          const exact = width === 8000 && quadrature === "rqmc"
          const factor = exact ? 1 : 1 + c * width ** -particleOrders[quadrature]
          const rows = [...new Set([...logScheduleUpTo(400), 400])].map((iter) => ({
            ...syntheticRows({ method, label, seed, point: {}, state: "converged" }, 400)[0],
            iter,
            trainLoss: referenceLoss(iter) * factor,
            testLoss: null
          }))
          cells.push({
            method,
            label,
            seed,
            point: { "model.width": width, "model.quadrature": quadrature },
            state: "converged",
            rows
          })
        }
  return writeFixture({
    name: "fixture-particles",
    cells,
    plots: [
      {
        id: "particles",
        plugin: "convergence",
        params: { x: "model.width", color: "model.quadrature", referenceColor: "rqmc" }
      },
      {
        id: "particles-own",
        plugin: "convergence",
        params: { x: "model.width", color: "model.quadrature", distance: "max-rel" }
      }
    ]
  })
}

/**
 * A flow folder: GN flows with η ∈ {0.25, 0.5} (theory damping) whose loss is L0·e^{−3ηt}
 * (inside Prop. 3's bound L0·e^{−2ηt}) and a gradient flow standing in for GD with λ = 10 (rows
 * carry gdIter = t/10), on the time grid t ∈ (0, 20], 2 seeds.
 */
export function flowFixture(): string {
  const cells: FixtureCell[] = []
  const times = [0, ...Array.from({ length: 41 }, (_, i) => 20 * 10 ** ((i - 40) / 10))]
  for (const seed of [1, 2])
    for (const [method, label, eta] of [
      ["gn-flow", "GN flow η = 0.25", 0.25],
      ["gn-flow", "GN flow η = 0.5", 0.5],
      ["gradient-flow", "gradient flow", 0]
    ] as const) {
      const l0 = 0.1 * (1 + 0.1 * seed)
      const rows = times.map((t, iter) => ({
        ...syntheticRows({ method: "gn", label, seed, point: {}, state: "maxIter" }, 40)[0],
        iter,
        t,
        trainLoss: method === "gn-flow" ? l0 * Math.exp(-3 * eta * t) : l0 / (1 + t),
        testLoss: null,
        sigmaMin: method === "gn-flow" && t > 0 ? 1e-3 * (1 + t) : null,
        // the gradient flow stands in for GD with λ = 10: GD's update count at t
        gdIter: method === "gradient-flow" ? t / 10 : null
      }))
      cells.push({
        method,
        label,
        seed,
        point: {},
        state: "maxIter",
        rows,
        methodParams: method === "gn-flow" ? { tEnd: 20, damping: "theory", eta } : { tEnd: 20 }
      })
    }
  return writeFixture({
    name: "fixture-flows",
    cells,
    plots: [
      { id: "flow-loss", plugin: "curves", params: { y: ["trainLoss"], x: "t", bound: true } },
      { id: "flow-sigma", plugin: "curves", params: { y: ["sigmaMin"], x: "t" } },
      { id: "flow-updates", plugin: "curves", params: { y: ["trainLoss"], x: "gdIter", logX: false } }
    ]
  })
}

/**
 * The quickstart's results folder, synthetic: pipelines/quickstart.json's methods, sweep,
 * seeds and plots, every cell converged (GN in ~190 updates, RF in its one solve, whose train
 * loss 1e-26 lies far below the tolerance) or capped (GD at 20 000) — the real run's shape in
 * milliseconds instead of minutes.
 */
export function quickstartFixture(): string {
  const pipeline = JSON.parse(
    readFileSync(new URL("../../../pipelines/quickstart.json", import.meta.url), "utf8")
  ) as {
    seeds: number[]
    sweep: { grid: Record<string, number[]> }
    report: { title: string; plots: PlotDeclaration[] }
  }
  const cells: FixtureCell[] = []
  for (const tau of pipeline.sweep.grid["model.initStd"])
    for (const seed of pipeline.seeds)
      for (const [method, label, state, iterations] of [
        ["gn", "GN", "converged", 180 + seed],
        ["gd", "GD", "maxIter", 20000],
        ["rf", "RF", "converged", 1]
      ] as const) {
        const c: FixtureCell = {
          method,
          label,
          seed,
          point: { "model.initStd": tau },
          state,
          testLoss: (tau > 1 ? 3.8e-3 : method === "rf" ? 4.3e-3 : 6e-4) * (1 + 0.3 * hash01(seed, tau)),
          iterations,
          methodParams: { maxIter: method === "gd" ? 20000 : 2000, tol: 1e-8 }
        }
        const rows = syntheticRows(c, iterations)
        // RF's one solve interpolates the training set: its train loss is rounding, 1e-26
        if (method === "rf") rows[rows.length - 1] = { ...rows[rows.length - 1], trainLoss: 1e-26 * seed }
        cells.push({ ...c, rows })
      }
  return writeFixture({
    name: "quickstart",
    title: pipeline.report.title,
    cells,
    plots: pipeline.report.plots
  })
}
