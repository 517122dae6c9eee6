/**
 * `gnlab train` as a one-cell pipeline: the flags' TrainConfig becomes a CellConfig (the
 * same plugins and defaults as pipelines) and runs through `runCell`, so a single run and a
 * pipeline cell share one execution path, one result format and resumption.
 */
import { Compute } from "@gnlab/compute"
import type { Dataset, InitialWeights } from "@gnlab/data-gen"
import type { TrajectoryRow } from "@gnlab/metrics"
import { cellId, inputDigests, withDefaults, type CellConfig, type ResolvedStage } from "@gnlab/pipeline"
import { Effect } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runCell, type CellSummary } from "./cell.js"
import { claimCell, FolderBusy } from "./locks.js"
import { prepareOutFolder } from "./out-folder.js"
import { datasetPlugin, registry } from "./plugins.js"
import { runProvenance } from "./store-options.js"
import type { TrainConfig } from "./train-config.js"

/** What a run produces: its summary (summary.json) and every recorded row. */
export interface TrainResult {
  readonly summary: CellSummary & { readonly trainConfig: TrainConfig }
  readonly rows: ReadonlyArray<TrajectoryRow>
}

/** Hooks for the caller: each recorded row, and progress (at most every ~2 s). */
export interface TrainHooks {
  readonly onRow?: (row: TrajectoryRow) => void
  readonly onProgress?: (p: { iter: number; trainLoss: number; wallSeconds: number }) => void
}

const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null))

const stage = (
  kind: "dataset" | "model" | "method" | "metrics",
  plugin: string,
  params: Record<string, unknown>
): ResolvedStage => {
  const p = registry.get(kind, plugin)
  if (p === undefined) throw new Error(`no ${kind} plugin ${plugin}`)
  return { plugin, params: withDefaults(p.schema, defined(params)) }
}

/** The cell of a `gnlab train` configuration on `backend`. */
export function cellOfTrainConfig(cfg: TrainConfig, backend: string): CellConfig {
  const d = cfg.damping
  const damping = {
    damping: d.rule,
    eps0: d.rule === "max-sigma-min" ? d.eps0 : undefined,
    eps: d.rule === "fixed" ? d.eps : undefined,
    eta: d.rule === "theory" ? d.eta : undefined,
    muH: d.rule === "theory" ? d.muH : undefined
  }
  const stop = { tol: cfg.tol, maxIter: cfg.maxIter, divergenceFactor: 1e6 }
  const flow = { tEnd: cfg.tEnd, perDecade: cfg.recordPerDecade, odeRtol: cfg.odeRtol, tol: cfg.tol }
  const method: Record<string, Record<string, unknown>> = {
    gd: { lr: cfg.lr, ...stop },
    gn: { lr: cfg.lr, ...damping, ...stop },
    rf: { lr: cfg.lr, relCutoff: cfg.rfCutoff, ...damping, ...stop },
    "gn-flow": { ...flow, hessian: cfg.hessian, ...damping },
    "gradient-flow": {
      ...flow,
      odeRtol: cfg.integrator === "rosenbrock" ? undefined : cfg.odeRtol,
      integrator: cfg.integrator,
      lr: cfg.lr,
      rtol: cfg.rtol ?? undefined,
      atol: cfg.atol ?? undefined,
      gdSteps: cfg.gdSteps ?? undefined,
      gramReuse: cfg.gramReuse ?? undefined
    }
  }
  const model =
    cfg.model === "mean-field"
      ? stage("model", "mean-field", {
          width: cfg.width,
          initStd: cfg.initStd,
          activation: cfg.activation,
          bias: cfg.bias,
          quadrature: cfg.quadrature
        })
      : stage("model", "finite-width", {
          width: cfg.initFile === undefined ? cfg.width : undefined,
          initStd: cfg.initStd,
          activation: cfg.activation,
          bias: cfg.bias,
          initFile: cfg.initFile
        })
  const stages = {
    dataset:
      cfg.dataFile !== undefined
        ? stage("dataset", "data-file", { file: cfg.dataFile })
        : stage("dataset", "teacher-student", { nTrain: cfg.nTrain, nTest: cfg.nTest, d: cfg.d }),
    model,
    method: stage("method", cfg.method, method[cfg.method]),
    metrics: stage("metrics", "trajectory", {
      recordPerDecade: cfg.recordPerDecade,
      testPerDecade: cfg.testPerDecade
    }),
    seed: cfg.seed,
    backend
  }
  // --data and --init enter the id by content, as in pipelines: an edited file is another run
  const inputs = inputDigests(stages, registry)
  return inputs === undefined ? stages : { ...stages, inputs }
}

/** The rows of a trajectory file. */
const readRows = (dir: string): TrajectoryRow[] =>
  readFileSync(join(dir, "trajectory.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as TrajectoryRow)

/**
 * Run one training into `outDir` (resuming a checkpoint of the same run there), or into a
 * temporary folder removed at the end. `files` are the already parsed --data / --init files.
 */
export const runTraining = Effect.fnUntraced(function* (
  cfg: TrainConfig,
  files: { readonly data?: Dataset; readonly init?: InitialWeights },
  hooks: TrainHooks = {},
  outDir?: string
) {
  const backend = yield* Compute
  const config = cellOfTrainConfig(cfg, backend.info.name)
  const dataset = files.data ?? datasetPlugin(config.dataset.plugin).load(config.dataset.params, config.seed)
  if (outDir !== undefined) {
    yield* prepareOutFolder("--out", outDir)
    // one process per folder: a second train into it would interleave the trajectory's rows
    yield* Effect.acquireRelease(
      Effect.gen(function* () {
        const claim = claimCell(outDir, ["gnlab", ...process.argv.slice(2)].join(" "))
        if ("holder" in claim) return yield* new FolderBusy({ folder: outDir, holder: claim.holder })
        return claim.lock
      }),
      (lock) => Effect.sync(() => lock.release())
    )
  }
  const dir =
    outDir ??
    (yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "gnlab-train-"))),
      (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
    ))
  const summary = yield* runCell({
    id: cellId(config),
    config,
    dataset,
    dir,
    checkpointSeconds: 300,
    provenance: runProvenance(),
    extraSummary: { trainConfig: { ...cfg, dataFile: cfg.dataFile ?? null, initFile: cfg.initFile ?? null } },
    onRow: hooks.onRow,
    onProgress: (p) =>
      hooks.onProgress?.({ iter: p.iter, trainLoss: p.trainLoss, wallSeconds: p.elapsedSeconds })
  })
  return { summary: summary as TrainResult["summary"], rows: readRows(dir) } satisfies TrainResult
})
