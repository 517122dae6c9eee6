/**
 * `gnlab train`: one training run from flags (effect/cli). Bad flags or files are tagged
 * errors (InvalidArgument, InvalidFile) that main.ts turns into one line and exit code 2.
 */
import { InvalidFile, parseDataFile, parseInitFile } from "@gnlab/data-gen"
import { Console, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { readFileSync } from "node:fs"
import {
  backendLayer,
  parseBackend,
  precisionAfterRun,
  precisionDefaults,
  precisionOf,
  precisionWarnings
} from "../backends.js"
import { InvalidArgument } from "../errors.js"
import { maxMemoryOf, memoryLimit, memoryProblem, ResourceLimit } from "../resources.js"
import { defaultLr, defaultMaxIter, isFlowMethod, resolveTrainConfig } from "../train-config.js"
import { runTraining } from "../train-run.js"

const opt = <A>(f: Flag.Flag<A>) => Flag.optional(f)
const value = <A>(o: Option.Option<A>): A | undefined => Option.getOrUndefined(o)

/** "t = …" of a flow's last row, with GD's update count t/λ and the integrator's steps when known. */
const flowEnd = (row: { t?: number | null; gdIter?: number | null } | undefined, s: object): string => {
  const steps = (s as { integratorSteps?: unknown }).integratorSteps
  const t = row?.t ?? NaN
  return (
    `t = ${t.toPrecision(4)}` +
    (typeof row?.gdIter === "number" ? ` = λ·${row.gdIter.toPrecision(4)}` : "") +
    (typeof steps === "number" ? `, ${steps} integrator steps` : "")
  )
}

const trainFlags = {
  method: Flag.String("method").pipe(
    Flag.withDescription("gn | gd | rf | gn-flow | gradient-flow"),
    Flag.withDefault("gn")
  ),
  model: opt(
    Flag.String("model").pipe(
      Flag.withDescription("finite (eq. 4, default) | mean-field (eq. 5 by particle quadrature)")
    )
  ),
  quadrature: opt(
    Flag.String("quadrature").pipe(
      Flag.withDescription("mean-field particles: mc (Monte Carlo, default) | rqmc (scrambled Sobol)")
    )
  ),
  tEnd: opt(Flag.Finite("t-end").pipe(Flag.withDescription("flows: the flow time T to integrate to"))),
  hessian: opt(
    Flag.String("hessian").pipe(Flag.withDescription("gn-flow: H = ∇²L = I/N (loss, default) | I (identity)"))
  ),
  odeRtol: opt(
    Flag.Finite("ode-rtol").pipe(
      Flag.withDescription("flows: relative tolerance of the ODE solver (default 1e-7; atol = 1e-3·rtol)")
    )
  ),
  integrator: opt(
    Flag.String("integrator").pipe(
      Flag.withDescription(
        "gradient-flow: dopri5 (explicit, default) | rosenbrock (linearly implicit ROS2, W = GN Hessian: GD's endpoint at GN's cost)"
      )
    )
  ),
  rtol: opt(
    Flag.Finite("rtol").pipe(
      Flag.withDescription("--integrator rosenbrock: relative tolerance on w (default 1e-4)")
    )
  ),
  atol: opt(
    Flag.Finite("atol").pipe(
      Flag.withDescription("--integrator rosenbrock: absolute tolerance on w (default: --rtol)")
    )
  ),
  gramReuse: opt(
    Flag.Int("gram-reuse").pipe(
      Flag.withDescription(
        "--integrator rosenbrock: the most steps one Gram assembly serves as W (default 1; refreshed after a rejection)"
      )
    )
  ),
  gdSteps: opt(
    Flag.Finite("gd-steps").pipe(
      Flag.withDescription(
        "gradient-flow: end at t = λ·K, what GD with step λ (--lr, default 10) reaches after K updates; rows at t = λk on GD's log schedule"
      )
    )
  ),
  nTrain: opt(Flag.Int("n-train").pipe(Flag.withDescription("number of training points N"))),
  width: opt(Flag.Int("width").pipe(Flag.withDescription("hidden units M"))),
  initStd: Flag.Finite("init-std").pipe(
    Flag.withDescription("τ0, std of the hidden weights at init"),
    Flag.withDefault(1)
  ),
  seed: Flag.Int("seed").pipe(
    Flag.withDescription("seed of data and init (integer in [0, 2^32))"),
    Flag.withDefault(1)
  ),
  d: opt(Flag.Int("d").pipe(Flag.withDescription("input dimension (default 10, or the --data file's)"))),
  nTest: Flag.Int("n-test").pipe(Flag.withDescription("test points"), Flag.withDefault(10000)),
  activation: Flag.String("activation").pipe(
    Flag.withDescription("silu | relu | tanh | gelu"),
    Flag.withDefault("silu")
  ),
  noBias: Flag.Boolean("no-bias").pipe(
    Flag.withDescription("hidden units without bias"),
    Flag.withDefault(false)
  ),
  lr: opt(
    Flag.Finite("lr").pipe(
      Flag.withDescription(
        `learning rate λ (default gd ${defaultLr.gd}, gn ${defaultLr.gn}, rf refinement ${defaultLr.rf})`
      )
    )
  ),
  tol: Flag.Finite("tol").pipe(
    Flag.withDescription("stop when L ≤ tol·L(w0); 0 disables"),
    Flag.withDefault(1e-8)
  ),
  maxIter: opt(
    Flag.Int("max-iter").pipe(
      Flag.withDescription(
        `at most K updates (default gd ${defaultMaxIter.gd}, gn ${defaultMaxIter.gn}, rf ${defaultMaxIter.rf})`
      )
    )
  ),
  damping: opt(
    Flag.String("damping").pipe(
      Flag.withDescription("GN damping: max-sigma-min (default) | fixed | theory (default of gn-flow)")
    )
  ),
  eps0: opt(
    Flag.Finite("eps0").pipe(
      Flag.withDescription("floor ε0 of max(ε0, σ*) (default 1e-7; 1e-6 on float32 backends)")
    )
  ),
  eps: opt(Flag.Finite("eps").pipe(Flag.withDescription("ε of --damping fixed"))),
  eta: opt(Flag.Finite("eta").pipe(Flag.withDescription("η of --damping theory, in (0, 1) (gn-flow: 0.5)"))),
  muH: opt(
    Flag.Finite("mu-h").pipe(
      Flag.withDescription("μ_H of --damping theory (default 1; gn-flow: λ_min(H), 1/N for --hessian loss)")
    )
  ),
  rfCutoff: opt(
    Flag.Finite("rf-cutoff").pipe(
      Flag.withDescription("RF pseudo-inverse relative cut-off (default 1e-10; 1e-6 on float32 backends)")
    )
  ),
  backend: Flag.String("backend").pipe(
    Flag.withDescription(
      "compute backend: cpu (float64) | tfjs (first available) | tfjs:node-gpu|node|webgpu|wasm|cpu"
    ),
    Flag.withDefault("cpu")
  ),
  recordPerDecade: Flag.Finite("record-per-decade").pipe(
    Flag.withDescription("trajectory rows per decade after iteration 10"),
    Flag.withDefault(20)
  ),
  testPerDecade: Flag.Finite("test-per-decade").pipe(
    Flag.withDescription("test-loss evaluations per decade (0: only first 10 and last)"),
    Flag.withDefault(20)
  ),
  data: opt(Flag.String("data").pipe(Flag.withDescription("data JSON file (see README)"))),
  init: opt(Flag.String("init").pipe(Flag.withDescription("initial weights JSON file (see README)"))),
  out: opt(Flag.String("out").pipe(Flag.withDescription("write trajectory.jsonl and summary.json to DIR"))),
  maxMemory: opt(
    Flag.String("max-memory").pipe(
      Flag.withDescription("memory the run may use, e.g. 16G (default: this machine's memory)")
    )
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("print the summary as one JSON object"),
    Flag.withDefault(false)
  ),
  quiet: Flag.Boolean("quiet").pipe(Flag.withDescription("no progress on stderr"), Flag.withDefault(false))
}

const readText = (path: string): string => {
  try {
    return readFileSync(path, "utf8")
  } catch (e) {
    throw new InvalidFile({
      file: path,
      path: "$",
      problem: `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`
    })
  }
}

/** The `train` subcommand. */
export const train = Command.make("train", trainFlags, (f) =>
  Effect.gen(function* () {
    const dataPath = value(f.data)
    const initPath = value(f.init)
    const files = yield* Effect.try({
      try: () => ({
        data: dataPath === undefined ? undefined : parseDataFile(readText(dataPath), dataPath),
        init: initPath === undefined ? undefined : parseInitFile(readText(initPath), initPath)
      }),
      catch: (e) =>
        e instanceof InvalidFile ? e : new InvalidArgument({ field: "--data/--init", problem: String(e) })
    })
    const backend = yield* Effect.try({
      try: () => parseBackend(f.backend),
      catch: (e) =>
        e instanceof InvalidArgument ? e : new InvalidArgument({ field: "--backend", problem: String(e) })
    })
    // float32 backends cannot resolve the float64 defaults of ε0 and the RF cut-off (backends.ts)
    const precision = precisionOf(backend)
    const precisionDefault = precisionDefaults(precision)
    const cfg = yield* Effect.try({
      try: () =>
        resolveTrainConfig(
          {
            ...f,
            eps0: value(f.eps0) ?? precisionDefault.eps0,
            rfCutoff: value(f.rfCutoff) ?? precisionDefault.rfCutoff,
            nTrain: value(f.nTrain),
            width: value(f.width),
            lr: value(f.lr),
            maxIter: value(f.maxIter),
            d: value(f.d),
            eps: value(f.eps),
            eta: value(f.eta),
            model: value(f.model),
            quadrature: value(f.quadrature),
            tEnd: value(f.tEnd),
            hessian: value(f.hessian),
            odeRtol: value(f.odeRtol),
            integrator: value(f.integrator),
            rtol: value(f.rtol),
            atol: value(f.atol),
            gdSteps: value(f.gdSteps),
            gramReuse: value(f.gramReuse),
            damping: value(f.damping),
            muH: value(f.muH),
            data: dataPath,
            init: initPath
          },
          {
            nTrain: files.data?.nTrain,
            d: files.data?.d,
            width: files.init?.width,
            initD: files.init?.d,
            hasBias: files.init === undefined ? undefined : files.init.hiddenBias !== undefined,
            nTest: files.data?.nTest
          }
        ),
      catch: (e) =>
        e instanceof InvalidArgument ? e : new InvalidArgument({ field: "flags", problem: String(e) })
    })
    for (const w of precisionWarnings(precision, cfg)) process.stderr.write(`gnlab: warning: ${w}\n`)
    // the memory the run needs, before anything is allocated: one line and exit 2 when it cannot fit
    const tooLarge = memoryProblem(
      {
        nTrain: cfg.nTrain,
        nTest: cfg.nTest,
        d: cfg.d,
        width: cfg.width,
        pool: files.data !== undefined ? cfg.nTrain : Math.max(cfg.nTrain, 2000),
        method: cfg.method,
        backend: f.backend
      },
      memoryLimit(yield* maxMemoryOf(f.maxMemory)),
      "this run"
    )
    if (tooLarge !== undefined) return yield* new ResourceLimit({ problem: tooLarge })
    // the backend before anything is written: an unavailable one ends the command here
    const compute = yield* Layer.build(backendLayer(backend))
    const outDir = value(f.out)
    const progress = (r: { iter: number; trainLoss: number; wallSeconds: number }) =>
      process.stderr.write(
        `${cfg.method} iter ${r.iter}  train loss ${r.trainLoss.toExponential(3)}  ${r.wallSeconds.toFixed(1)} s\n`
      )
    // trajectory.jsonl is streamed into --out (or a temporary folder) and summary.json written at the end
    const result = yield* runTraining(
      cfg,
      files,
      { onProgress: f.quiet ? undefined : progress },
      outDir
    ).pipe(Effect.provideContext(compute))
    for (const w of precisionAfterRun(precision, result.rows)) process.stderr.write(`gnlab: warning: ${w}\n`)
    const s = result.summary
    if (f.json) yield* Console.log(JSON.stringify(s))
    else
      yield* Console.log(
        `${cfg.method}: ${s.stopReason} after ${s.iterations} ${!isFlowMethod(cfg.method) ? "updates" : `output points (${flowEnd(result.rows[result.rows.length - 1], s)})`} in ${s.wallSeconds.toFixed(2)} s — ` +
          `train loss ${s.initialTrainLoss.toExponential(3)} → ${s.finalTrainLoss?.toExponential(3)}, test loss ${s.finalTestLoss?.toExponential(4)}` +
          (outDir === undefined ? "" : ` — wrote ${outDir}/`)
      )
  }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    "Train the one-hidden-layer network on teacher data with GN, GD, RF or their continuous-time flows"
  )
)
