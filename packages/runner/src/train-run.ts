/**
 * `gnlab train` as a one-cell pipeline: the flags name a plugin per stage and give some of
 * their params; they become a pipeline document that goes through the same validation,
 * defaults and cell expansion as `gnlab run`, and its one cell runs through `runCell` — one
 * config path, one result format, resumption. The flags themselves are generated from the
 * registered plugins' param declarations (`trainFlagSpecs`), so a plugin's params are flags
 * as soon as it is registered, from a file too (`--plugin`).
 */
import { Compute } from "@gnlab/compute"
import type { TrajectoryRow } from "@gnlab/metrics"
import {
  cellId,
  expandCells,
  flagName,
  validatePipeline,
  type Cell,
  type Param,
  type Pipeline,
  type PluginDescriptor,
  type StageKind
} from "@gnlab/pipeline"
import { Effect } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runCell, type CellSummary } from "./cell.js"
import { oneOf } from "./choices.js"
import { InvalidArgument } from "./errors.js"
import { claimCell, FolderBusy } from "./locks.js"
import { prepareOutFolder } from "./out-folder.js"
import { datasetPlugin, registry } from "./plugins.js"
import { runProvenance } from "./store-options.js"

/** The stages a training run names a plugin for. */
export const trainStages = ["dataset", "model", "method", "metrics"] as const
type TrainStage = (typeof trainStages)[number]

/** A generated flag: its name, the params it sets (by plugin), and whether it is a switch. */
export interface TrainFlagSpec {
  readonly flag: string
  readonly param: string
  /** a boolean param: `--name` sets true (default false) or `--no-name` sets false (default true) */
  readonly switch?: boolean
  readonly description: string
  /** "kind id" of every plugin that has the param */
  readonly owners: ReadonlyArray<string>
}

/** Flags of `gnlab train` that are not params. */
export const fixedTrainFlags = [
  "method",
  "model",
  "dataset",
  "metrics",
  "seed",
  "backend",
  "out",
  "max-memory",
  "json",
  "quiet",
  "plugin"
] as const

const stagePlugins = (kind: StageKind): ReadonlyArray<PluginDescriptor> =>
  registry.plugins.filter((p) => p.kind === kind)

const switchFlag = (name: string, p: Param<unknown>): string =>
  p.default === true ? `no-${flagName(name, p)}` : flagName(name, p)

/**
 * One flag per param name of the registered dataset, model, method and metrics plugins (a
 * name several plugins declare is one flag, described by the first). Booleans are switches.
 */
export function trainFlagSpecs(): ReadonlyArray<TrainFlagSpec> {
  const specs = new Map<string, TrainFlagSpec & { readonly defaults: ReadonlyArray<string> }>()
  for (const kind of trainStages)
    for (const plugin of stagePlugins(kind))
      for (const [name, p] of Object.entries(plugin.params ?? {})) {
        const isSwitch = p.schema.type === "boolean"
        const flag = isSwitch ? switchFlag(name, p) : flagName(name, p)
        if ((fixedTrainFlags as ReadonlyArray<string>).includes(flag)) continue
        const owner = `${kind} ${plugin.id}`
        const dflt = p.default === undefined ? "none" : JSON.stringify(p.default)
        const known = specs.get(flag)
        if (known !== undefined) {
          specs.set(flag, { ...known, owners: [...known.owners, owner], defaults: [...known.defaults, dflt] })
          continue
        }
        const unit = p.unit === undefined ? "" : ` [${p.unit}]`
        specs.set(flag, {
          flag,
          param: name,
          switch: isSwitch || undefined,
          description: isSwitch
            ? `${name} ${p.default === true ? "false" : "true"} (${p.description ?? name})`
            : `${p.description ?? name}${unit}`,
          owners: [owner],
          defaults: [dflt]
        })
      }
  return [...specs.values()].map(({ defaults, ...s }) => {
    // the default when every plugin that has the param agrees on it (the reference lists each)
    const same = !s.switch && defaults.every((d) => d === defaults[0]) && defaults[0] !== "none"
    return {
      ...s,
      description: `${s.description}${same ? ` (default ${defaults[0]})` : ""} — ${s.owners.join(", ")}`
    }
  })
}

/** What the flags say: a plugin id per stage (undefined: the default), the given param flags, seed, backend. */
export interface TrainRequest {
  readonly method: string | undefined
  readonly model: string | undefined
  readonly dataset: string | undefined
  readonly metrics: string | undefined
  readonly seed: number
  readonly backend: string
  /** the values of the param flags given, by flag (strings as typed; true for a given switch) */
  readonly given: ReadonlyMap<string, string | boolean>
  /** params filled in when the chosen plugin has them and no flag gave them (e.g. float32 defaults) */
  readonly fallback?: Readonly<Record<string, unknown>>
}

const fail = (field: string, problem: string): never => {
  throw new InvalidArgument({ field, problem })
}

/** The flag of a param of a chosen plugin. */
const flagOf = (plugin: PluginDescriptor, name: string): string => {
  const p = plugin.params?.[name]
  if (p === undefined) return `--${name}`
  return `--${p.schema.type === "boolean" ? switchFlag(name, p) : flagName(name, p)}`
}

/** A flag's value as its param's type (numbers parsed; a switch's value is the param's non-default). */
function paramValue(flag: string, p: Param<unknown>, raw: string | boolean): unknown {
  if (typeof raw === "boolean") return p.default === true ? false : true
  const type = p.schema.type
  if (type === "number" || type === "integer") {
    const x = raw.trim() === "" ? NaN : Number(raw)
    return Number.isNaN(x) ? fail(`--${flag}`, `expected a number, got "${raw}"`) : x
  }
  return raw
}

/**
 * The plugin of a stage: the one named, else the one whose params some given flag sets
 * (e.g. --data chooses the data-file dataset), else the first registered one.
 */
function choosePlugin(
  kind: TrainStage,
  named: string | undefined,
  given: ReadonlyMap<string, unknown>
): PluginDescriptor {
  const list = stagePlugins(kind)
  if (named !== undefined) {
    const p = list.find((x) => x.id === named || x.aliases?.includes(named))
    return (
      p ??
      fail(
        `--${kind}`,
        oneOf(
          named,
          list.map((x) => x.id)
        )
      )
    )
  }
  const flags = (p: PluginDescriptor) =>
    Object.entries(p.params ?? {}).map(([n, d]) =>
      d.schema.type === "boolean" ? switchFlag(n, d) : flagName(n, d)
    )
  // a plugin only it has a given flag of (the first registered one keeps flags they share)
  const first = list[0]
  const byFlag = list.find(
    (p) =>
      p !== first && flags(p).some((f) => given.has(f) && !(first !== undefined && flags(first).includes(f)))
  )
  return byFlag ?? first ?? fail(`--${kind}`, `no ${kind} plugin is registered`)
}

/**
 * The one-cell pipeline of a training run: each stage's plugin and the params its flags
 * give. A flag that none of the chosen plugins has is refused, naming the plugins that have it.
 */
export function trainPipeline(r: TrainRequest): {
  readonly pipeline: Pipeline
  readonly chosen: Readonly<Record<TrainStage, PluginDescriptor>>
} {
  const chosen = {
    dataset: choosePlugin("dataset", r.dataset, r.given),
    model: choosePlugin("model", r.model, r.given),
    method: choosePlugin("method", r.method, r.given),
    metrics: choosePlugin("metrics", r.metrics, r.given)
  }
  const params: Record<TrainStage, Record<string, unknown>> = {
    dataset: {},
    model: {},
    method: {},
    metrics: {}
  }
  const used = new Set<string>()
  for (const kind of trainStages) {
    const plugin = chosen[kind]
    for (const [name, p] of Object.entries(plugin.params ?? {})) {
      const flag = flagOf(plugin, name).slice(2)
      const raw = r.given.get(flag)
      if (raw !== undefined) {
        params[kind][name] = paramValue(flag, p, raw)
        used.add(flag)
      } else if (r.fallback?.[name] !== undefined) params[kind][name] = r.fallback[name]
    }
  }
  for (const flag of r.given.keys())
    if (!used.has(flag)) {
      const owners = trainFlagSpecs().find((s) => s.flag === flag)?.owners ?? []
      fail(
        `--${flag}`,
        `is not a parameter of ${trainStages.map((k) => `${k} ${chosen[k].id}`).join(", ")}` +
          (owners.length > 0 ? ` (it is one of ${owners.join(", ")}); drop it or choose that plugin` : "")
      )
    }
  const stage = (kind: TrainStage) => ({ plugin: chosen[kind].id, params: params[kind] })
  const pipeline: Pipeline = {
    name: "train",
    dataset: stage("dataset"),
    model: stage("model"),
    methods: [stage("method")],
    metrics: stage("metrics"),
    seeds: [r.seed],
    backend: r.backend
  }
  return { pipeline, chosen }
}

const stageOfPath: Readonly<Record<string, TrainStage>> = {
  dataset: "dataset",
  model: "model",
  methods: "method",
  metrics: "metrics"
}

/**
 * The cell of a training run: the one-cell pipeline validated and expanded like any
 * pipeline. The first problem is an InvalidArgument naming the flag (e.g. `--width: expected
 * a number ≥ 1, found -5`).
 */
export function trainCell(r: TrainRequest): Cell {
  const { pipeline, chosen } = trainPipeline(r)
  const v = validatePipeline(JSON.stringify(pipeline), registry)
  if (!v.ok) {
    // "/methods/0/params/lr" → the method's --lr
    const fieldOf = (path: string): string => {
      const [, stageKey, ...rest] = path.split("/")
      if (stageKey === "seeds") return "--seed"
      const kind = stageOfPath[stageKey]
      const param = rest[rest.length - 1]
      if (kind === undefined) return "flags"
      return rest.includes("params") && param !== "params" ? flagOf(chosen[kind], param) : `--${kind}`
    }
    // a problem with a flag that was given before one with a default or a missing flag
    const issue =
      v.issues.find((i) => r.given.has(fieldOf(i.path).slice(2)) || fieldOf(i.path) === "--seed") ??
      v.issues[0]
    const field = fieldOf(issue.path)
    return fail(
      field,
      issue.expected === "this required field"
        ? "is required"
        : `expected ${issue.expected}, found ${issue.found}`
    )
  }
  const cells = expandCells(v.pipeline, registry)
  return cells[0] ?? fail("flags", "they make no cell")
}

/** What a run produces: its summary (summary.json) and every recorded row. */
export interface TrainResult {
  readonly summary: CellSummary
  readonly rows: ReadonlyArray<TrajectoryRow>
}

/** Hooks for the caller: each recorded row, and progress (at most every ~2 s). */
export interface TrainHooks {
  readonly onRow?: (row: TrajectoryRow) => void
  readonly onProgress?: (p: { iter: number; trainLoss: number; wallSeconds: number }) => void
}

/** The rows of a trajectory file. */
const readRows = (dir: string): TrajectoryRow[] =>
  readFileSync(join(dir, "trajectory.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as TrajectoryRow)

/**
 * Run the cell of a training into `outDir` (resuming a checkpoint of the same cell there), or
 * into a temporary folder removed at the end. The cell's backend is the provided Compute's.
 */
export const runTraining = Effect.fnUntraced(function* (cell: Cell, hooks: TrainHooks = {}, outDir?: string) {
  const backend = yield* Compute
  const config = { ...cell.config, backend: backend.info.name }
  const dataset = datasetPlugin(config.dataset.plugin).load(config.dataset.params, config.seed)
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
    // the id of the config on the backend it runs on (e.g. "tfjs" resolved to "tfjs:wasm")
    id: cellId(config),
    config,
    dataset,
    dir,
    checkpointSeconds: 300,
    provenance: runProvenance(),
    onRow: hooks.onRow,
    onProgress: (p) =>
      hooks.onProgress?.({ iter: p.iter, trainLoss: p.trainLoss, wallSeconds: p.elapsedSeconds })
  })
  return { summary, rows: readRows(dir) } satisfies TrainResult
})
