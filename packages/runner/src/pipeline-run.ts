/**
 * A pipeline file → validated cells → the cells of this shard that are not done → run
 * concurrently in worker threads, one result folder per cell. Failures are recorded and the
 * run goes on; interruption checkpoints the running cells.
 */
import type { Dataset } from "@gnlab/data-gen"
import {
  countCells,
  expandCells,
  formatIssue,
  loadPipeline,
  type Cell,
  type Pipeline,
  type PipelineOverrides
} from "@gnlab/pipeline"
import {
  cellDir,
  cellInfo,
  describeHolder,
  makeResultStore,
  nodeFiles,
  nodeLocks,
  ResultStore,
  type CellStatus,
  type IndexEntry,
  type LockHolder,
  type Provenance
} from "@gnlab/store"
import { Data, Effect } from "effect"
import { parse as parseJsonc } from "jsonc-parser"
import { readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { parseBackend } from "./backends.js"
import type { CellProgress, CellSummary } from "./cell.js"
import { InvalidArgument, ResultsUnwritable as ResultsUnwritableError } from "./errors.js"
import { pluginFilesInUse, pluginPath, usePluginFiles } from "./plugin-files.js"
import { datasetPlugin, methodPlugin, registry } from "./plugins.js"
import { CellFailed, runCellInWorker } from "./pool.js"
import { cellLabel, makeProgress, type ProgressSink } from "./progress.js"
import {
  largeSweepCells,
  loadedSizes,
  memoryLimit,
  memoryProblem,
  pipelineMemoryProblem,
  ResourceLimit
} from "./resources.js"
import { readCheckpoint, resetCell } from "./store.js"

/** A pipeline file that does not validate: every issue, one line each. */
export class PipelineInvalid extends Data.TaggedError("PipelineInvalid")<{
  readonly file: string
  readonly lines: ReadonlyArray<string>
}> {
  override get message(): string {
    return this.lines.join("\n")
  }
}

/** Limits of `expandWithinLimits`: --yes for a large sweep, --max-memory for a cell. */
export interface PipelineLimits {
  /** more than `largeSweepCells` cells are expanded only with --yes */
  readonly yes: boolean
  /** bytes a cell may use (--max-memory); default this machine's memory */
  readonly maxMemory: number | undefined
  /** the command a large sweep needs --yes for (in the message) */
  readonly command: string
}

/**
 * The cells of a validated pipeline within the limits: counted first, so a huge sweep is
 * refused before it is materialized (or anything written), then expanded, and every cell
 * whose sizes are known checked against the memory limit (ResourceLimit: one line, exit 2).
 */
export const expandWithinLimits = (
  file: string,
  pipeline: Pipeline,
  backendOverride: string | undefined,
  limits: PipelineLimits
) =>
  Effect.gen(function* () {
    const count = countCells(pipeline)
    if (count > largeSweepCells && !limits.yes)
      return yield* new ResourceLimit({
        problem: `${file}: ${count.toLocaleString("en-US")} cells, more than ${largeSweepCells.toLocaleString("en-US")}: add --yes to ${limits.command} them`
      })
    const cells = expandCells(pipeline, registry, backendOverride)
    const problem = pipelineMemoryProblem(cells, memoryLimit(limits.maxMemory))
    if (problem !== undefined) return yield* new ResourceLimit({ problem: `${file}: ${problem}` })
    return cells
  })

/**
/**
 * The plugin files a pipeline names (`"plugins"`, each relative to the file that names it), in
 * the file and in every file it `extends`, as absolute paths. Read leniently (JSONC): a
 * malformed field, a missing parent or a cycle is left to validation to report.
 */
export function pipelinePluginFiles(file: string, seen: Set<string> = new Set()): string[] {
  const path = resolve(file)
  if (seen.has(path)) return []
  seen.add(path)
  let doc: { plugins?: unknown; extends?: unknown } | undefined
  try {
    doc = parseJsonc(readFileSync(path, "utf8")) as typeof doc
  } catch {
    return []
  }
  if (typeof doc !== "object" || doc === null) return []
  const strings = (v: unknown) =>
    (Array.isArray(v) ? v : [v]).filter((p): p is string => typeof p === "string" && p.length > 0)
  const own = strings(doc.plugins).map((p) => pluginPath(p, dirname(path)))
  const inherited = strings(doc.extends).flatMap((parent) =>
    pipelinePluginFiles(resolve(dirname(path), parent), seen)
  )
  return [...new Set([...inherited, ...own])]
}

/** Load the plugin files a pipeline (and every file it extends) names: {@link pipelinePluginFiles}. */
export const usePipelinePlugins = (file: string) => usePluginFiles(pipelinePluginFiles(file))

/**
 * Read a pipeline file as every command does — its plugin files loaded first, then JSONC, the
 * files it `extends`, the command line's overrides and multirun axes — and validate the result
 * and its backend names (PipelineInvalid lists every issue, each naming the file and line or the
 * override it is in).
 */
export const readPipeline = (file: string, backendOverride?: string, overrides: PipelineOverrides = {}) =>
  Effect.gen(function* () {
    // the plugin files it names before its stages are checked against the plugins
    const pluginFiles = pipelinePluginFiles(file)
    yield* usePluginFiles(pluginFiles)
    const v = loadPipeline(file, registry, overrides)
    if (!v.ok) return yield* new PipelineInvalid({ file, lines: v.issues.map((i) => formatIssue(file, i)) })
    // backend names are checked here (the DSL leaves them to the runner, which knows the backends)
    const named: Array<[string, string | undefined]> = [
      ["--backend", backendOverride],
      ["/backend", v.pipeline.backend],
      ...v.pipeline.methods.map((m, i): [string, string | undefined] => [`/methods/${i}/backend`, m.backend])
    ]
    const bad = named.flatMap(([path, name]) => {
      if (name === undefined) return []
      try {
        parseBackend(name)
        return []
      } catch (e) {
        return [`${file}: ${path}: ${e instanceof InvalidArgument ? e.problem : String(e)}`]
      }
    })
    if (bad.length > 0) return yield* new PipelineInvalid({ file, lines: bad })
    // every plugin file of the chain by absolute path: the copy in the results folder (gnlab
    // report, status) finds them
    return pluginFiles.length === 0 ? v.pipeline : { ...v.pipeline, plugins: pluginFiles }
  })

/** `I/N` → [I, N], 1 ≤ I ≤ N. */
export function parseShard(s: string): readonly [number, number] | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(s)
  if (m === null) return undefined
  const [i, n] = [Number(m[1]), Number(m[2])]
  return i >= 1 && i <= n ? [i, n] : undefined
}

/** Whether a cell belongs to shard I of N: by its id, so the split is stable when cells are added. */
export const inShard = (cell: Cell, [i, n]: readonly [number, number]): boolean =>
  parseInt(cell.id.slice(0, 8), 16) % n === i - 1

/** The default results folder of a pipeline. */
export const defaultResults = (p: Pipeline): string => join("results", p.name)

/**
 * Throughputs (flop/s of one thread — the runner gives each concurrent cell one) behind the
 * plan's estimate, per CPU kernel provider; calibrated on the cells of the shipped pipelines
 * (docs/pipelines.md). They are rough: the estimate is for planning, not a promise.
 */
export interface CpuSpeeds {
  /** the Gram matrix A = J J* (2N²M flop) */
  readonly gram: number
  /** Cholesky factorisations and solves (N³/3 flop each) */
  readonly factor: number
  /** features, products with J and J*, test predictions (≈ 3·N·M·D flop per pass) */
  readonly features: number
}

/** Speeds of the native (OpenBLAS) and the TypeScript kernels on the development machine. */
export const cpuSpeeds: Readonly<Record<"native" | "typescript", CpuSpeeds>> = {
  native: { gram: 4e10, factor: 1.5e10, features: 3e9 },
  typescript: { gram: 1.2e10, factor: 4e9, features: 1e9 }
}

/**
 * Rough seconds of a cell on the CPU backend with the given kernel speeds: its method
 * plugin's `cost` (e.g. GN ≈ 2N²M/gram + 2·(N³/3)/factor + 3NMD/features per step, the flows
 * by measured step counts: see each plugin) or, without one, `maxIter` feature passes of
 * 3NMD/features each; plus the test evaluations on the recorded rows.
 */
export function estimateSeconds(cell: Cell, speeds: CpuSpeeds = cpuSpeeds.typescript, d = 10): number {
  const c = cell.config
  const n = Number(c.dataset.params.nTrain ?? 1000)
  const m = Number(c.model.params.width ?? 1000)
  const nTest = Number(c.dataset.params.nTest ?? 10000)
  const dim = d + 1
  const maxIter = Number(c.method.params.maxIter ?? 1000)
  const featurePass = (3 * n * m * dim) / speeds.features
  const rows = 10 + 20 * Math.log10(Math.max(10, maxIter))
  const tests = (rows * nTest * m * dim) / speeds.features
  const gnStep = (2 * n * n * m) / speeds.gram + (2 * n ** 3) / 3 / speeds.factor + featurePass
  const plugin = methodPlugin(c.method.plugin)
  const context = { nTrain: n, width: m, nTest, dim, speeds, featurePass, gnStep, rows }
  return (plugin.cost?.(c.method.params, context) ?? maxIter * featurePass) + tests
}

/** The status of every cell of a pipeline in a results folder (the store's vocabulary). */
export const statuses = (cells: ReadonlyArray<Cell>, results: string): Map<string, CellStatus> =>
  new Map(cells.map((c) => [c.id, cellInfo(nodeFiles, cellDir(results, c.id), c.id).status]))

/** Options of `gnlab run`. */
export interface RunOptions {
  readonly concurrency: number
  readonly shard: readonly [number, number] | undefined
  readonly force: boolean
  /** an unsharded run finding the folder in use: wait for it (true) or fail with FolderBusy */
  readonly wait: boolean
  /** the command line, recorded in the locks this run holds (names it to other runs) */
  readonly command: string
  /** where progress goes (default: bars or plain lines, and events.jsonl) */
  readonly progress?: (todo: number, log: (event: Record<string, unknown>) => void) => ProgressSink
  /** one line of a warning (default: stderr, `gnlab: ` first) */
  readonly warn?: (line: string) => void
}

/** What a run did. */
export interface RunOutcome {
  readonly total: number
  readonly skipped: number
  readonly computed: number
  /** cells taken from the cache (computed before, for this or another results folder) */
  readonly reused: number
  readonly failed: ReadonlyArray<{ readonly cell: Cell; readonly message: string }>
  /** cells another live run was computing (their claim named it): left to it */
  readonly busy: ReadonlyArray<{ readonly cell: Cell; readonly holder: LockHolder }>
}

/** Computes one cell into its folder: a worker thread in `gnlab run`, a stand-in in unit tests. */
export type ComputeCell = (
  cell: Cell,
  dir: string,
  hooks: {
    /** the cell starts (resumed: from a checkpoint) */
    readonly started: (resumed: boolean) => void
    readonly progress: (p: CellProgress) => void
  }
) => Effect.Effect<CellSummary, CellFailed>

/** The rows of cells.json: id, label, sweep point, seed and method of every cell. */
export const indexEntries = (cells: ReadonlyArray<Cell>): IndexEntry[] =>
  cells.map((c) => ({
    id: c.id,
    label: c.label,
    point: c.point,
    seed: c.config.seed,
    method: c.config.method.plugin
  }))

/**
 * Write the index of a results folder on disk (pipeline.json, cells.json): what `gnlab submit`
 * writes before its tasks start, identical to what each task writes. A folder holding another
 * pipeline is refused (PipelineConflict).
 */
export const writeResultsIndex = (results: string, pipeline: Pipeline, cells: ReadonlyArray<Cell>) =>
  makeResultStore({ results, cache: undefined, files: nodeFiles, locks: nodeLocks }).writeIndex(
    pipeline,
    indexEntries(cells)
  )

/**
 * The cells computed in worker threads: data generated once per distinct (dataset, seed) and
 * shared by the cells using them, a data file's sizes checked against the memory limit once
 * read, a --force cell reset first, and the provenance of this run added to every summary.
 */
export function workerCompute(o: {
  readonly checkpointSeconds: number
  readonly maxMemory: number | undefined
  readonly force: boolean
  readonly provenance: Omit<Provenance, "backend" | "kernels">
}): ComputeCell {
  const data = new Map<string, Dataset>()
  const dataOf = (cell: Cell): Dataset => {
    let d = data.get(cell.dataKey)
    if (d === undefined) {
      d = datasetPlugin(cell.config.dataset.plugin).load(cell.config.dataset.params, cell.config.seed)
      data.set(cell.dataKey, d)
    }
    return d
  }
  const failure = (cell: Cell, e: unknown) =>
    new CellFailed({
      cellId: cell.id,
      message: e instanceof Error ? e.message : String(e),
      stack: e instanceof Error ? e.stack : undefined
    })
  return (cell, dir, hooks) =>
    Effect.gen(function* () {
      if (o.force)
        yield* Effect.try({ try: () => resetCell(dir, cell.config), catch: (e) => failure(cell, e) })
      hooks.started(readCheckpoint(dir, cell.id) !== undefined)
      const dataset = yield* Effect.try({ try: () => dataOf(cell), catch: (e) => failure(cell, e) })
      // a data file's sizes are known once it is read: a cell that cannot fit fails here, not in an OOM
      const width = cell.config.model.params.width
      const tooLarge =
        typeof width === "number"
          ? memoryProblem(loadedSizes(cell, dataset, width), memoryLimit(o.maxMemory), `cell ${cell.id}`)
          : undefined
      if (tooLarge !== undefined) return yield* new CellFailed({ cellId: cell.id, message: tooLarge })
      return yield* runCellInWorker(
        {
          id: cell.id,
          config: cell.config,
          dataset,
          dir,
          checkpointSeconds: o.checkpointSeconds,
          provenance: o.provenance,
          // the thread loads the same plugin files before it resolves the cell's plugins
          pluginFiles: pluginFilesInUse()
        },
        hooks.progress
      )
    })
}

/**
 * Run the cells of a pipeline that are not done (or all with --force) through the ResultStore.
 * An unsharded run holds the results folder until the caller's scope closes (a second one
 * waits or fails with FolderBusy); a folder holding another pipeline is refused
 * (PipelineConflict). Every run, sharded or not, claims each cell before computing it, so two
 * processes never compute one cell at once; with a cache, a cell is taken from it when it holds
 * the cell intact, a cell another process is computing for another folder is waited for, and
 * every computed cell is put into it. A cell that cannot be written is a failed cell and the
 * run goes on; a folder that cannot be written at all fails with ResultsUnwritable.
 */
export const runPipeline = Effect.fnUntraced(function* (
  pipeline: Pipeline,
  cells: ReadonlyArray<Cell>,
  o: RunOptions,
  compute: ComputeCell
) {
  const store = yield* ResultStore
  const warn = o.warn ?? ((line: string) => void process.stderr.write(`gnlab: ${line}\n`))
  yield* Effect.try({
    try: () => store.files.mkdirp(join(store.results, "cells")),
    catch: (e) =>
      new ResultsUnwritableError({
        folder: store.results,
        problem: `cannot create the folder: ${(e as Error).message}`
      })
  })
  // shards share the folder by design; they coordinate through the cells' claims alone
  if (o.shard === undefined)
    yield* store.holdFolder(o.command, o.wait, (h) =>
      Effect.sync(() =>
        warn(
          `${store.results} is in use by ${describeHolder(h)}: waiting for it to end (--no-wait to refuse instead)`
        )
      )
    )
  const { changed } = yield* store.writeIndex(pipeline, indexEntries(cells))
  if (changed)
    warn(
      `${store.results}: pipeline "${pipeline.name}" changed since its last run into this folder: its index now lists this version's cells (the others stay in cells/ and the cache)`
    )
  const mine = o.shard === undefined ? cells : cells.filter((c) => inShard(c, o.shard!))
  const todo: Cell[] = []
  for (const c of mine) if (o.force || (yield* store.info(c.id)).status !== "done") todo.push(c)
  const log = (event: Record<string, unknown>) => Effect.runSync(store.event(event))
  log({
    event: "run-start",
    pipeline: pipeline.name,
    cells: cells.length,
    shard: o.shard?.join("/") ?? null,
    todo: todo.length,
    cache: store.cache ?? null
  })
  const progress = (o.progress ?? ((n, l) => makeProgress(n, true, l)))(todo.length, log)
  const failed: Array<{ cell: Cell; message: string }> = []
  const busy: Array<{ cell: Cell; holder: LockHolder }> = []
  let computed = 0
  let reused = 0
  let doneMeanwhile = 0
  let cacheTrouble = false
  // a cache that cannot be read or written (a read-only shared cache) is said once; the run goes on
  const cacheProblem = (e: { message: string }) =>
    Effect.sync(() => {
      if (!cacheTrouble) warn(`cache: ${e.message} (this run goes on without it)`)
      cacheTrouble = true
    })
  const fail = (cell: Cell, message: string, stack: string | undefined, seconds: number) =>
    Effect.gen(function* () {
      // recorded if the disk lets us; reported at the end either way
      yield* store.recordError(cell.id, { message, stack })
      failed.push({ cell, message })
      progress.cellFinished(cell, { status: "failed", seconds, detail: message })
    })
  const runOne = (cell: Cell) =>
    Effect.gen(function* () {
      const claim = yield* store.claim(cell.id, o.command)
      if (claim._tag === "Busy") {
        busy.push({ cell, holder: claim.holder })
        progress.cellFinished(cell, {
          status: "busy",
          seconds: 0,
          detail: `being computed by ${describeHolder(claim.holder)}`
        })
        return
      }
      // another run may have finished it since the list was made
      if (!o.force && (yield* store.info(cell.id)).status === "done") {
        doneMeanwhile++
        progress.cellFinished(cell, { status: "done", seconds: 0, detail: "finished by another run" })
        return
      }
      yield* store.prepareCell(cell.id)
      if (store.cache !== undefined && !cacheTrouble) {
        // one process computes a cell for every folder sharing the cache: wait for it, then take it
        yield* store
          .claimShared(cell.id, o.command, (h) =>
            Effect.sync(() =>
              warn(`${cellLabel(cell)} is being computed by ${describeHolder(h)} (cache): waiting for it`)
            )
          )
          .pipe(Effect.catchTag("ResultsUnwritable", cacheProblem))
        if (!o.force) {
          const found = yield* store
            .restore(cell.id)
            .pipe(
              Effect.catchTag("ResultsUnwritable", (e) =>
                Effect.as(cacheProblem(e), { _tag: "Absent" } as const)
              )
            )
          if (found._tag === "Restored") {
            reused++
            progress.cellFinished(cell, { status: "done", seconds: 0, detail: "taken from the cache" })
            return
          }
          if (found._tag === "CorruptEntry")
            warn(
              `cache: the entry of ${cell.id} does not verify (${found.reason}): removed, the cell is recomputed`
            )
        }
      }
      const t0 = performance.now()
      const seconds = () => (performance.now() - t0) / 1000
      const outcome = yield* compute(cell, store.cellDir(cell.id), {
        started: (resumed) => progress.cellStarted(cell, resumed),
        progress: (p) => progress.cellProgress(cell, p)
      }).pipe(
        Effect.map((summary) => ({ summary })),
        Effect.catchTag("CellFailed", (e) => Effect.succeed({ error: e }))
      )
      if ("error" in outcome) return yield* fail(cell, outcome.error.message, outcome.error.stack, seconds())
      const s = outcome.summary
      computed++
      progress.cellFinished(cell, {
        status: s.stopReason,
        seconds: seconds(),
        detail: `${s.iterations} updates, train ${s.finalTrainLoss?.toExponential(2)}, test ${s.finalTestLoss?.toExponential(3)}`
      })
      if (store.cache !== undefined && !cacheTrouble)
        yield* store.publish(cell.id, o.force).pipe(Effect.catchTag("ResultsUnwritable", cacheProblem))
    }).pipe(
      Effect.scoped,
      // this cell's files cannot be written (a full disk): a failed cell, the run goes on
      Effect.catchTag("ResultsUnwritable", (e) => fail(cell, e.problem, undefined, 0))
    )
  yield* Effect.forEach(todo, runOne, { concurrency: o.concurrency, discard: true }).pipe(
    Effect.ensuring(Effect.sync(() => progress.stop()))
  )
  log({ event: "run-end", computed, reused, failed: failed.length })
  return {
    total: mine.length,
    skipped: mine.length - todo.length + doneMeanwhile,
    computed,
    reused,
    failed,
    busy
  } satisfies RunOutcome
})
