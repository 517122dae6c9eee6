/**
 * One training run as an Effect program: data → network → method → recorded trajectory.
 * The inner loop is plain code (solvers' generator); Effect supplies the backend, the
 * scoped feature kernels (released on success, failure and interruption), and an
 * interruption point between updates.
 */
import { Compute } from "@gnlab/compute"
import { InvalidFile, Rng, teacherStudent, type Dataset, type InitialWeights } from "@gnlab/data-gen"
import { finiteOrNull, onLogSchedule, type RunSummary, type TrajectoryRow } from "@gnlab/metrics"
import {
  assembleHidden,
  augmentInputs,
  finiteWidth,
  halfMeanSquare,
  initParams,
  meanField,
  predict,
  quadratureRules,
  type Network,
  type Params
} from "@gnlab/models"
import {
  distanceFromInit,
  flowTimeGrid,
  gd,
  gn,
  gnFlow,
  gradientFlow,
  isFlowState,
  rf,
  trainSteps,
  type Method,
  type OdeOptions,
  type Problem,
  type TrainState
} from "@gnlab/solvers"
import { Effect } from "effect"
import { defaultLr, flowGridDecades, type TrainConfig } from "./train-config.js"
import { gnlabVersion } from "./version.js"

/** What a run produces besides its streamed rows. */
export interface TrainResult {
  readonly summary: RunSummary
  readonly rows: ReadonlyArray<TrajectoryRow>
  readonly finalParams: Params
}

/** Hooks for the caller: a recorded row, and progress (called at most every ~2 s). */
export interface TrainHooks {
  readonly onRow?: (row: TrajectoryRow) => void
  readonly onProgress?: (row: TrajectoryRow) => void
}

/** A flow's output times: --record-per-decade points per decade over 4 decades below t_end, then t_end. */
export const flowTimesOf = (cfg: TrainConfig): number[] =>
  flowTimeGrid(cfg.tEnd ?? 1, cfg.recordPerDecade, flowGridDecades)

/** A flow's ODE tolerances: rtol = --ode-rtol, atol = 1e-3 · rtol. */
const flowOdeOf = (cfg: TrainConfig): OdeOptions => {
  const rtol = cfg.odeRtol ?? 1e-7
  return { rtol, atol: 1e-3 * rtol }
}

/** The method of a config. */
export function methodOf(cfg: TrainConfig): Method<TrainState> {
  switch (cfg.method) {
    case "gd":
      return gd({ lr: cfg.lr ?? defaultLr.gd })
    case "gn":
      return gn({ lr: cfg.lr ?? defaultLr.gn, damping: cfg.damping })
    case "rf":
      return rf({
        lr: cfg.lr ?? defaultLr.rf,
        damping: cfg.damping,
        relCutoff: cfg.rfCutoff
      })
    case "gn-flow":
      return gnFlow({
        times: flowTimesOf(cfg),
        damping: cfg.damping,
        hessian: cfg.hessian ?? "loss",
        ode: flowOdeOf(cfg)
      })
    case "gradient-flow":
      return gradientFlow({ times: flowTimesOf(cfg), ode: flowOdeOf(cfg) })
  }
}

/**
 * The network of a config and its initial parameters: the finite-width network (eq. 4) from
 * the --init file or the seed's init stream, or the mean-field network (eq. 5) whose
 * quadrature rule draws its particles from the seed's init stream.
 */
export function networkOf(
  cfg: TrainConfig,
  inputDim: number,
  file: InitialWeights | undefined
): { readonly net: Network; readonly params0: Params } {
  const spec = { width: cfg.width, inputDim, bias: cfg.bias, activation: cfg.activation }
  if (cfg.model === "mean-field") {
    const mf = meanField(
      spec,
      quadratureRules[cfg.quadrature ?? "mc"],
      cfg.initStd,
      Rng.stream(cfg.seed, "init")
    )
    return { net: mf.net, params0: mf.params0 }
  }
  const net = finiteWidth(spec)
  return { net, params0: initialParams(net, cfg, file) }
}

/** The data of a config: teacher–student for its seed, or the --data file's. */
export function datasetOf(cfg: TrainConfig, file: Dataset | undefined): Dataset {
  return file ?? teacherStudent({ seed: cfg.seed, nTrain: cfg.nTrain, nTest: cfg.nTest, d: cfg.d })
}

/** Initial parameters: from the --init file, else the seed's init stream scaled by τ0. */
export function initialParams(net: Network, cfg: TrainConfig, file: InitialWeights | undefined): Params {
  if (file !== undefined)
    return {
      u: assembleHidden(net, file.hiddenWeights, file.hiddenBias),
      v: Float64Array.from(file.outputWeights)
    }
  const rng = Rng.stream(cfg.seed, "init")
  return initParams(net, cfg.initStd, (k) => rng.normals(k))
}

/** Run one training: returns the summary and every recorded row. */
export const runTraining = Effect.fnUntraced(function* (
  cfg: TrainConfig,
  files: { readonly data?: Dataset; readonly init?: InitialWeights },
  hooks: TrainHooks = {}
) {
  const backend = yield* Compute
  const data = datasetOf(cfg, files.data)
  const { net, params0 } = networkOf(cfg, data.d, files.init)
  const xtTest = augmentInputs(net, data.xTest, data.nTest)
  const kernels = yield* Effect.acquireRelease(
    Effect.sync(() =>
      backend.bind(augmentInputs(net, data.xTrain, data.nTrain), data.nTrain, net.dim, cfg.activation)
    ),
    (k) => Effect.sync(() => k.dispose())
  )
  const problem: Problem = { net, kernels, y: data.yTrain }
  const testLoss = (p: Params): number => {
    const f = predict(backend, net, p, xtTest, data.nTest)
    return halfMeanSquare(f.map((fa, a) => fa - data.yTest[a]))
  }
  const method = methodOf(cfg)
  const start = performance.now()
  const state0 = method.init(problem, params0)
  const loss0 = state0.loss
  const steps = trainSteps(method, problem, state0, loss0, {
    tol: cfg.tol,
    maxIter: cfg.maxIter,
    divergenceFactor: 1e6
  })
  const rows: TrajectoryRow[] = []
  let lastProgress = start
  let lastYield = start
  let initialTestLoss: number | null = null
  for (;;) {
    // each update is its own effect: an interruption point between updates
    const next = yield* Effect.sync(() => steps.next())
    if (next.done === true) break
    const { state, diagnostics, stop } = next.value
    const now = performance.now()
    if (now - lastYield > 50) {
      // let the event loop run (signal handlers: Ctrl-C interrupts within ~50 ms)
      lastYield = now
      yield* Effect.sleep(0)
    }
    // a flow's states are its output points (already on a log grid of t): record every one
    const flow = isFlowState(state) ? state : undefined
    const record = stop !== undefined || flow !== undefined || onLogSchedule(state.iter, cfg.recordPerDecade)
    const progress = now - lastProgress > 2000
    if (!record && !progress) continue
    const withTest =
      stop !== undefined ||
      (cfg.testPerDecade > 0 && (flow !== undefined || onLogSchedule(state.iter, cfg.testPerDecade)))
    // a flow describes A_t at the row's own t (row 0 included); a discrete row the last update's system
    const system = flow?.system ?? diagnostics
    const row: TrajectoryRow = {
      iter: state.iter,
      trainLoss: state.loss,
      testLoss: record && withTest ? finiteOrNull(testLoss(state.params)) : null,
      sigmaMin: finiteOrNull(system?.sigmaMin),
      sigmaMax: finiteOrNull(system?.sigmaMax),
      cond: finiteOrNull(system?.cond),
      eps: finiteOrNull(system?.eps),
      gradNorm: Math.sqrt(state.residual.reduce((s, r) => s + r * r, 0)) / state.residual.length,
      distInit: distanceFromInit(problem, state),
      stepNorm: finiteOrNull(diagnostics?.stepNorm),
      wallSeconds: (now - start) / 1000,
      t: flow?.t ?? null,
      pinvNorm: flow === undefined ? null : finiteOrNull(flow.pinvNorm)
    }
    if (state.iter === 0) initialTestLoss = row.testLoss
    if (record) {
      rows.push(row)
      hooks.onRow?.(row)
    }
    if (progress) {
      lastProgress = now
      hooks.onProgress?.(row)
    }
    if (stop !== undefined) {
      const summary: RunSummary = {
        config: { ...cfg, dataFile: cfg.dataFile ?? null, initFile: cfg.initFile ?? null },
        iterations: state.iter,
        stopReason: stop,
        initialTrainLoss: loss0,
        finalTrainLoss: finiteOrNull(state.loss),
        finalTestLoss: row.testLoss,
        initialTestLoss,
        wallSeconds: (performance.now() - start) / 1000,
        backend: backend.info.name,
        gnlabVersion
      }
      return { summary, rows, finalParams: state.params } satisfies TrainResult
    }
  }
  return yield* Effect.die(new Error("training ended without a stop event"))
})

/** Read and parse the --data / --init files of a config (InvalidFile on a bad file). */
export const loadFiles = (
  cfgFiles: { readonly data?: string; readonly init?: string },
  read: (path: string) => string,
  parsers: {
    data: (text: string, file: string) => Dataset
    init: (text: string, file: string) => InitialWeights
  }
) =>
  Effect.try({
    try: () => ({
      data: cfgFiles.data === undefined ? undefined : parsers.data(read(cfgFiles.data), cfgFiles.data),
      init: cfgFiles.init === undefined ? undefined : parsers.init(read(cfgFiles.init), cfgFiles.init)
    }),
    catch: (e) =>
      e instanceof InvalidFile
        ? e
        : new InvalidFile({
            file: cfgFiles.data ?? cfgFiles.init ?? "?",
            path: "$",
            problem: e instanceof Error ? e.message : String(e)
          })
  })
