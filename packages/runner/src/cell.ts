/**
 * Running one cell of a pipeline as an Effect program, in whatever thread it is given:
 * resolve the plugins, bind the data on the backend (released on success, failure and
 * interruption), resume from a checkpoint if there is a valid one, record rows on the
 * schedule, checkpoint every few minutes and on interruption, and write the summary
 * atomically at the end.
 */
import { Compute, cpuKernels } from "@gnlab/compute"
import type { Dataset } from "@gnlab/data-gen"
import {
  finiteOrNull,
  initDistance,
  onLogSchedule,
  teacherDistance,
  teacherUnits,
  type TrajectoryRow
} from "@gnlab/metrics"
import { augmentInputs, halfMeanSquare, predict } from "@gnlab/models"
import { ENGINE_VERSION, type CellConfig } from "@gnlab/pipeline"
import {
  distanceFromInit,
  isFlowState,
  trainSteps,
  type Problem,
  type StepDiagnostics,
  type StopReason,
  type TrainState
} from "@gnlab/solvers"
import type { Provenance } from "@gnlab/store"
import { Effect, Exit } from "effect"
import { datasetPlugin, methodPlugin, metricsPlugin, modelPlugin } from "./plugins.js"
import { finishCell, openTrajectoryAt, readCheckpoint, resetCell, writeCheckpoint } from "./store.js"
import { gnlabVersion } from "./version.js"

/** Progress of a running cell (sent at most every ~2 s). */
export interface CellProgress {
  readonly iter: number
  readonly trainLoss: number
  readonly relLoss: number
  readonly maxIter: number
  readonly tol: number
  readonly elapsedSeconds: number
}

/** Options of a cell run. */
export interface CellRunOptions {
  readonly id: string
  readonly config: CellConfig
  readonly dataset: Dataset
  readonly dir: string
  /** seconds between periodic checkpoints */
  readonly checkpointSeconds: number
  readonly onProgress?: (p: CellProgress) => void
  /** called with every recorded row */
  readonly onRow?: (row: TrajectoryRow) => void
  /** fields added to summary.json (e.g. the flags of `gnlab train`) */
  readonly extraSummary?: Readonly<Record<string, unknown>>
  /** where this runs (gnlab version, git, machine): the cell adds its backend and kernels */
  readonly provenance?: Omit<Provenance, "backend" | "kernels">
}

/** The summary of a finished cell (summary.json), a superset of `gnlab train`'s. */
export interface CellSummary {
  readonly cellId: string
  readonly config: CellConfig
  readonly iterations: number
  readonly stopReason: StopReason
  /** why a `failed` run could not go on (a numerical failure of its method) */
  readonly failure?: string
  readonly initialTrainLoss: number
  readonly finalTrainLoss: number | null
  readonly finalTestLoss: number | null
  readonly initialTestLoss: number | null
  readonly wallSeconds: number
  readonly rows: number
  readonly resumed: boolean
  readonly backend: string
  readonly engine: string
  readonly gnlabVersion: string
  /** who computed it, where, with what (never part of the cell id) */
  readonly provenance?: Provenance
}

/**
 * One trajectory row from a step event. `teacher` (the teacher's units, K × D, when the data
 * come from a teacher) adds the feature-learning distances of the hidden units to the
 * teacher's units and to their initial values.
 */
export function rowOf(
  problem: Problem,
  state: TrainState,
  diagnostics: StepDiagnostics | undefined,
  testLoss: number | null,
  wallSeconds: number,
  teacher?: Float64Array
): TrajectoryRow {
  // a flow describes A_t at the row's own t (row 0 included); a discrete row the last update's system
  const flow = isFlowState(state) ? state : undefined
  const system = flow?.system ?? diagnostics
  return {
    iter: state.iter,
    trainLoss: state.loss,
    testLoss,
    sigmaMin: finiteOrNull(system?.sigmaMin),
    sigmaMax: finiteOrNull(system?.sigmaMax),
    cond: finiteOrNull(system?.cond),
    eps: finiteOrNull(system?.eps),
    gradNorm: Math.sqrt(state.residual.reduce((s, r) => s + r * r, 0)) / state.residual.length,
    distInit: distanceFromInit(problem, state),
    stepNorm: finiteOrNull(diagnostics?.stepNorm),
    wallSeconds,
    t: flow?.t ?? null,
    pinvNorm: flow === undefined ? null : finiteOrNull(flow.pinvNorm),
    // a flow standing in for GD with step λ: the update count t/λ, and λσmax(A_t)/N (< 2 for GD to follow it)
    ...(flow?.gdLr === undefined
      ? {}
      : {
          gdIter: flow.t / flow.gdLr,
          gdStability: finiteOrNull((flow.gdLr * flow.system.sigmaMax) / state.residual.length)
        }),
    teacherDistance:
      teacher === undefined ? null : finiteOrNull(teacherDistance(teacher, state.params.u, state.params.v)),
    initDistance: finiteOrNull(initDistance(state.params.u, state.params0.u, state.params.v))
  }
}

/** The full provenance of a cell computed here on `backend`: the CPU kernels and their threads on the CPU backend. */
export function provenanceOf(base: Omit<Provenance, "backend" | "kernels">, backend: string): Provenance {
  const kernels = backend === "cpu" ? cpuKernels() : undefined
  return {
    ...base,
    backend,
    kernels: kernels === undefined ? null : { provider: kernels.provider, threads: kernels.threads }
  }
}

/** Run (or resume) one cell; its folder ends with summary.json, or a checkpoint if interrupted. */
export const runCell = Effect.fnUntraced(function* (o: CellRunOptions) {
  const backend = yield* Compute
  const { config, dataset: data, dir } = o
  const { net, params0 } = modelPlugin(config.model.plugin).build(config.model.params, data.d, config.seed)
  const { method, rules } = methodPlugin(config.method.plugin).create(config.method.params, {
    nTrain: data.nTrain
  })
  const recording = metricsPlugin(config.metrics.plugin).recording(config.metrics.params)
  const xtTest = augmentInputs(net, data.xTest, data.nTest)
  const kernels = yield* Effect.acquireRelease(
    Effect.sync(() =>
      backend.bind(augmentInputs(net, data.xTrain, data.nTrain), data.nTrain, net.dim, net.spec.activation)
    ),
    (k) => Effect.sync(() => k.dispose())
  )
  const problem: Problem = { net, kernels, y: data.yTrain }
  // the teacher's units, for the feature-learning distances (teacher–student data only)
  const teacherOf = datasetPlugin(config.dataset.plugin).teacher
  const teacher =
    teacherOf === undefined
      ? undefined
      : teacherUnits(teacherOf(config.dataset.params, config.seed), net.spec.bias)
  const testLoss = (s: TrainState): number =>
    halfMeanSquare(predict(backend, net, s.params, xtTest, data.nTest).map((f, a) => f - data.yTest[a]))

  // resume from a valid checkpoint, else start afresh
  const saved = readCheckpoint(dir, o.id)
  let start: TrainState
  let loss0: number
  let initialTestLoss: number | null = null
  let elapsed0 = 0
  if (saved !== undefined) {
    start = saved.state as TrainState
    kernels.setHidden(start.params.u) // the kernels must hold the features of the state's weights
    loss0 = saved.loss0
    initialTestLoss = saved.initialTestLoss
    elapsed0 = saved.elapsedSeconds
  } else {
    resetCell(dir, { cellId: o.id, engine: ENGINE_VERSION, ...config })
    start = method.init(problem, params0)
    loss0 = start.loss
  }
  const trajectory = yield* Effect.acquireRelease(
    Effect.sync(() => openTrajectoryAt(dir, saved?.trajectoryBytes ?? 0, saved?.trajectoryRows ?? 0)),
    (t) => Effect.sync(() => t.close())
  )
  const t0 = performance.now()
  const elapsed = () => elapsed0 + (performance.now() - t0) / 1000
  let last: TrainState = start
  const checkpoint = () => {
    trajectory.sync()
    writeCheckpoint(dir, {
      cellId: o.id,
      state: last,
      loss0,
      initialTestLoss,
      trajectoryBytes: trajectory.bytes,
      trajectoryRows: trajectory.rows,
      elapsedSeconds: elapsed()
    })
  }
  // interrupted: save where we are, so a rerun resumes instead of restarting
  yield* Effect.addFinalizer((exit) => (Exit.hasInterrupts(exit) ? Effect.sync(checkpoint) : Effect.void))

  const steps = trainSteps(method, problem, start, loss0, rules)
  let skipFirst = saved !== undefined
  let lastYield = performance.now()
  let lastProgress = lastYield
  let lastCheckpoint = lastYield
  for (;;) {
    if (performance.now() - lastYield > 50) {
      // an interruption point between whole steps (a step and its row are never split)
      yield* Effect.sleep(0)
      lastYield = performance.now()
    }
    const next = yield* Effect.sync(() => steps.next())
    if (next.done === true) break
    const { state, diagnostics, stop } = next.value
    const previous = last
    last = state
    const now = performance.now()
    // the state a run resumes from was recorded (if on the schedule) before its checkpoint
    const resumedState = skipFirst
    skipFirst = false
    // a flow's states are its output times (already a log grid in t): every one is recorded
    const flow = isFlowState(state)
    // a step that failed repeats the last state: its row is already there
    const repeated = stop === "failed" && state.iter === previous.iter && state !== start
    const record =
      !resumedState &&
      !repeated &&
      (stop !== undefined || flow || onLogSchedule(state.iter, recording.recordPerDecade))
    if (record) {
      const withTest =
        stop !== undefined ||
        (recording.testPerDecade > 0 && (flow || onLogSchedule(state.iter, recording.testPerDecade)))
      const row = rowOf(
        problem,
        state,
        diagnostics,
        withTest ? finiteOrNull(testLoss(state)) : null,
        elapsed(),
        teacher
      )
      if (state.iter === 0) initialTestLoss = row.testLoss
      trajectory.append(row)
      o.onRow?.(row)
    }
    if (now - lastProgress > 2000) {
      lastProgress = now
      o.onProgress?.({
        iter: state.iter,
        trainLoss: state.loss,
        relLoss: state.loss / loss0,
        maxIter: rules.maxIter,
        tol: rules.tol,
        elapsedSeconds: elapsed()
      })
    }
    if (stop !== undefined) {
      trajectory.sync()
      const summary: CellSummary = {
        ...o.extraSummary,
        cellId: o.id,
        config,
        iterations: state.iter,
        stopReason: stop,
        ...(state.failure === undefined ? {} : { failure: state.failure }),
        ...method.summarize?.(state),
        initialTrainLoss: loss0,
        finalTrainLoss: finiteOrNull(state.loss),
        finalTestLoss: finiteOrNull(testLoss(state)),
        initialTestLoss,
        wallSeconds: elapsed(),
        rows: trajectory.rows,
        resumed: saved !== undefined,
        backend: backend.info.name,
        engine: ENGINE_VERSION,
        gnlabVersion,
        ...(o.provenance === undefined ? {} : { provenance: provenanceOf(o.provenance, backend.info.name) })
      }
      finishCell(dir, o.id, summary)
      return summary
    }
    if (now - lastCheckpoint > o.checkpointSeconds * 1000) {
      lastCheckpoint = now
      checkpoint()
    }
  }
  return yield* Effect.die(new Error("training ended without a stop event"))
})
