/**
 * `gnlab train`: one training run from flags (effect/cli) — a one-cell pipeline. The flags of
 * the plugins' params are generated from the registered plugins' declarations (train-run.ts),
 * so a registered plugin, from a file too (`--plugin`), is trainable at once. Bad flags or
 * files are tagged errors (InvalidArgument, InvalidFile) that main.ts turns into one line
 * and exit code 2, before anything is computed or written.
 */
import { Console, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import {
  backendLayer,
  parseBackend,
  precisionAfterRun,
  precisionDefaults,
  precisionOf,
  precisionWarnings
} from "../backends.js"
import { InvalidArgument } from "../errors.js"
import { registry } from "../plugins.js"
import {
  cellSizes,
  loadedSizes,
  maxMemoryOf,
  memoryLimit,
  memoryProblem,
  ResourceLimit
} from "../resources.js"
import { datasetPlugin, modelPlugin } from "../plugins.js"
import { runTraining, trainCell, trainFlagSpecs } from "../train-run.js"

const ids = (kind: "dataset" | "model" | "method" | "metrics") => registry.ids(kind).join(" | ")

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

/** The flags of the command: the fixed ones, and one per param of the registered plugins. */
function trainFlags() {
  const stage = (kind: "dataset" | "model" | "method" | "metrics", what: string) =>
    Flag.optional(Flag.String(kind).pipe(Flag.withDescription(`${what}: ${ids(kind)} (default: the first)`)))
  const params: Record<string, Flag.Flag<Option.Option<string>> | Flag.Flag<boolean>> = {}
  for (const s of trainFlagSpecs())
    params[s.flag] = s.switch
      ? Flag.Boolean(s.flag).pipe(Flag.withDescription(s.description), Flag.withDefault(false))
      : Flag.optional(Flag.String(s.flag).pipe(Flag.withDescription(s.description)))
  return {
    method: stage("method", "the method"),
    model: stage("model", "the model"),
    dataset: stage("dataset", "the data (default: the one a given flag belongs to, e.g. --data)"),
    metrics: stage("metrics", "what the run records"),
    seed: Flag.Int("seed").pipe(
      Flag.withDescription("seed of data and init (integer in [0, 2^32))"),
      Flag.withDefault(1)
    ),
    backend: Flag.String("backend").pipe(
      Flag.withDescription(
        "compute backend: cpu (float64) | tfjs (first available) | tfjs:node-gpu|node|webgpu|wasm|cpu"
      ),
      Flag.withDefault("cpu")
    ),
    out: Flag.optional(
      Flag.String("out").pipe(Flag.withDescription("write trajectory.jsonl and summary.json to DIR"))
    ),
    maxMemory: Flag.optional(
      Flag.String("max-memory").pipe(
        Flag.withDescription("memory the run may use, e.g. 16G (default: this machine's memory)")
      )
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("print the summary as one JSON object"),
      Flag.withDefault(false)
    ),
    quiet: Flag.Boolean("quiet").pipe(Flag.withDescription("no progress on stderr"), Flag.withDefault(false)),
    params
  }
}

/** The `train` subcommand (built once the plugins are registered: its flags come from them). */
export const makeTrain = () =>
  Command.make("train", trainFlags(), (f) =>
    Effect.gen(function* () {
      const backend = yield* Effect.try({
        try: () => parseBackend(f.backend),
        catch: (e) =>
          e instanceof InvalidArgument ? e : new InvalidArgument({ field: "--backend", problem: String(e) })
      })
      // float32 backends cannot resolve the float64 defaults of ε0 and the RF cut-off (backends.ts)
      const precision = precisionOf(backend)
      const precisionDefault = precisionDefaults(precision)
      const given = new Map<string, string | boolean>()
      for (const [flag, v] of Object.entries(f.params as Record<string, Option.Option<string> | boolean>)) {
        if (v === true) given.set(flag, true)
        else if (typeof v === "object" && Option.isSome(v)) given.set(flag, v.value)
      }
      const cell = yield* Effect.try({
        try: () =>
          trainCell({
            method: Option.getOrUndefined(f.method),
            model: Option.getOrUndefined(f.model),
            dataset: Option.getOrUndefined(f.dataset),
            metrics: Option.getOrUndefined(f.metrics),
            seed: f.seed,
            backend: f.backend,
            given,
            fallback: { eps0: precisionDefault.eps0, relCutoff: precisionDefault.rfCutoff }
          }),
        catch: (e) =>
          e instanceof InvalidArgument ? e : new InvalidArgument({ field: "flags", problem: String(e) })
      })
      const method = cell.config.method
      const tol = method.params.tol
      for (const w of precisionWarnings(precision, {
        tol: typeof tol === "number" ? tol : 0,
        damping: { rule: String(method.params.damping ?? ""), eps0: method.params.eps0 as number | undefined }
      }))
        process.stderr.write(`gnlab: warning: ${w}\n`)
      // the memory the run needs, before anything is allocated: one line and exit 2 when it cannot fit
      const limit = memoryLimit(yield* maxMemoryOf(f.maxMemory))
      const known = cellSizes(cell)
      const sizes =
        known ??
        (() => {
          // a data file's sizes are known once it is read (validation has checked it)
          const c = cell.config
          const data = datasetPlugin(c.dataset.plugin).load(c.dataset.params, c.seed)
          const width = modelPlugin(c.model.plugin).width?.(c.model.params)
          return width === undefined ? undefined : loadedSizes(cell, data, width)
        })()
      const tooLarge = sizes === undefined ? undefined : memoryProblem(sizes, limit, "this run")
      if (tooLarge !== undefined) return yield* new ResourceLimit({ problem: tooLarge })
      // the backend before anything is written: an unavailable one ends the command here
      const compute = yield* Layer.build(backendLayer(backend))
      const outDir = Option.getOrUndefined(f.out)
      const progress = (r: { iter: number; trainLoss: number; wallSeconds: number }) =>
        process.stderr.write(
          `${method.plugin} iter ${r.iter}  train loss ${r.trainLoss.toExponential(3)}  ${r.wallSeconds.toFixed(1)} s\n`
        )
      // trajectory.jsonl is streamed into --out (or a temporary folder) and summary.json written at the end
      const result = yield* runTraining(cell, { onProgress: f.quiet ? undefined : progress }, outDir).pipe(
        Effect.provideContext(compute)
      )
      for (const w of precisionAfterRun(precision, result.rows))
        process.stderr.write(`gnlab: warning: ${w}\n`)
      const s = result.summary
      const last = result.rows[result.rows.length - 1] as { t?: number | null } | undefined
      // a flow's rows carry its time t: its iterations are output points
      const steps =
        typeof last?.t === "number"
          ? `output points (${flowEnd(result.rows[result.rows.length - 1], s)})`
          : "updates"
      if (f.json) yield* Console.log(JSON.stringify(s))
      else
        yield* Console.log(
          `${method.plugin}: ${s.stopReason} after ${s.iterations} ${steps} in ${s.wallSeconds.toFixed(2)} s — ` +
            `train loss ${s.initialTrainLoss.toExponential(3)} → ${s.finalTrainLoss?.toExponential(3)}, test loss ${s.finalTestLoss?.toExponential(4)}` +
            (outDir === undefined ? "" : ` — wrote ${outDir}/`)
        )
    }).pipe(Effect.scoped)
  ).pipe(
    Command.withDescription(
      "Train one cell: a method, model, data and metrics plugin with their params as flags (a one-cell pipeline)"
    )
  )
