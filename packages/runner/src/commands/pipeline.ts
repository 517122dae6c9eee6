/**
 * `gnlab validate | plan | run | plugins | schema`: pipelines from the command line.
 * An invalid pipeline prints every issue (path, line, column, expected, found) on stderr and
 * exits with code 2 before anything runs or is written.
 */
import { cpuKernels } from "@gnlab/compute"
import { composeSchema, countCells, paramRange, paramType, stageKinds, type Cell } from "@gnlab/pipeline"
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { readFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { InvalidArgument } from "../errors.js"
import { describeHolder } from "../locks.js"
import { ResultStore } from "@gnlab/store"
import { cacheDirOf, cacheFlag, inCache, noCacheFlag, runProvenance, usableCache } from "../store-options.js"
import { makeProgress } from "../progress.js"
import { prepareOutFolder } from "../out-folder.js"
import { writeReportFor } from "./report.js"
import { cellLabel } from "../progress.js"
import { multirunFlag, overridesArg, overridesOf } from "./overrides.js"
import {
  defaultResults,
  cpuSpeeds,
  estimateSeconds,
  expandWithinLimits,
  inShard,
  parseShard,
  readPipeline,
  runPipeline,
  statuses,
  usePipelinePlugins,
  workerCompute
} from "../pipeline-run.js"
import { registry } from "../plugins.js"
import { largeSweepCells, maxMemoryOf } from "../resources.js"

const file = Argument.String("file").pipe(
  Argument.withDescription("pipeline file (JSON with comments; may extend others)")
)
const out = Flag.optional(
  Flag.String("out").pipe(Flag.withDescription("results folder (default results/<pipeline name>)"))
)
const backend = Flag.optional(
  Flag.String("backend").pipe(
    Flag.withDescription("compute backend for every cell (overrides the pipeline's)")
  )
)
const shardFlag = Flag.optional(
  Flag.String("shard").pipe(Flag.withDescription("I/N: run a deterministic 1/N of the cells"))
)

const yes = Flag.Boolean("yes").pipe(
  Flag.withDescription(`go ahead with a sweep of more than ${largeSweepCells} cells`),
  Flag.withDefault(false)
)
const maxMemory = Flag.optional(
  Flag.String("max-memory").pipe(
    Flag.withDescription("memory a cell may use, e.g. 16G or 512M (default: this machine's memory)")
  )
)

const fmt = (s: number): string =>
  s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`

const shardOf = (s: Option.Option<string>) =>
  Effect.gen(function* () {
    if (Option.isNone(s)) return undefined
    const parsed = parseShard(s.value)
    if (parsed === undefined)
      return yield* new InvalidArgument({
        field: "--shard",
        problem: `expected I/N with 1 ≤ I ≤ N, got "${s.value}"`
      })
    return parsed
  })

/** `gnlab validate FILE` */
export const validate = Command.make(
  "validate",
  { file, overrides: overridesArg, multirun: multirunFlag, yes, maxMemory },
  (f) =>
    Effect.gen(function* () {
      const pipeline = yield* readPipeline(f.file, undefined, overridesOf(f))
      const count = countCells(pipeline)
      // a huge sweep is counted, not expanded: run (with --yes) checks its cells
      if (count > largeSweepCells && !f.yes)
        return yield* Console.log(
          `${f.file}: valid — pipeline "${pipeline.name}", ${count} cells (more than ${largeSweepCells}: plan and run need --yes)`
        )
      const cells = yield* expandWithinLimits(f.file, pipeline, undefined, {
        yes: true,
        maxMemory: yield* maxMemoryOf(f.maxMemory),
        command: "validate"
      })
      yield* Console.log(`${f.file}: valid — pipeline "${pipeline.name}", ${cells.length} cells`)
    })
).pipe(Command.withDescription("Check a pipeline against the DSL and the registered plugins"))

/** `gnlab plan FILE` */
export const plan = Command.make(
  "plan",
  {
    file,
    overrides: overridesArg,
    multirun: multirunFlag,
    out,
    backend,
    shard: shardFlag,
    json: Flag.Boolean("json").pipe(
      Flag.withDescription(
        "print {pipeline, results, kernels, cells: [{id, cell, status, estimateSeconds}], pendingCpuSeconds} as JSON"
      ),
      Flag.withDefault(false)
    ),
    yes,
    maxMemory,
    cache: cacheFlag,
    noCache: noCacheFlag
  },
  (f) =>
    Effect.gen(function* () {
      const pipeline = yield* readPipeline(f.file, Option.getOrUndefined(f.backend), overridesOf(f))
      const cells = yield* expandWithinLimits(f.file, pipeline, Option.getOrUndefined(f.backend), {
        yes: f.yes,
        maxMemory: yield* maxMemoryOf(f.maxMemory),
        command: "plan"
      })
      // plan writes nothing: the cache is only looked at
      const cache = cacheDirOf(f.cache, f.noCache)
      const shard = yield* shardOf(f.shard)
      const results = Option.getOrElse(f.out, () => defaultResults(pipeline))
      const mine = shard === undefined ? cells : cells.filter((c) => inShard(c, shard))
      const status = statuses(mine, results)
      // the estimate follows the CPU kernels a run here would use (native OpenBLAS or TypeScript)
      const kernels = cpuKernels().provider
      const speeds = kernels === "typescript" ? cpuSpeeds.typescript : cpuSpeeds.native
      const rows = mine.map((c: Cell) => ({
        id: c.id,
        cell: cellLabel(c),
        // not done here but intact in the cache: the run takes it from there, at no cost
        status: status.get(c.id) !== "done" && inCache(cache, c.id) ? ("cached" as const) : status.get(c.id)!,
        estimateSeconds: estimateSeconds(c, speeds)
      }))
      const pending = rows.filter((r) => r.status !== "done" && r.status !== "cached")
      const cpuSeconds = pending.reduce((s, r) => s + r.estimateSeconds, 0)
      const cores = availableParallelism()
      if (f.json) {
        yield* Console.log(
          JSON.stringify(
            { pipeline: pipeline.name, results, kernels, cells: rows, pendingCpuSeconds: cpuSeconds },
            null,
            2
          )
        )
        return
      }
      for (const r of rows)
        yield* Console.log(
          `${r.id.slice(0, 12)}  ${r.status.padEnd(8)} ${r.cell.padEnd(44)} ~${fmt(r.estimateSeconds)}`
        )
      const count = (s: string) => rows.filter((r) => r.status === s).length
      yield* Console.log(
        `${rows.length} cells in ${results}: ${count("done")} done, ${count("pending")} pending, ${count("running")} running, ${count("interrupted")} interrupted, ${count("failed")} failed, ${count("corrupt")} corrupt` +
          (cache !== undefined ? `, ${count("cached")} in the cache` : "") +
          ` — rough estimate ${fmt(cpuSeconds)} of CPU, ~${fmt(cpuSeconds / cores)} on ${cores} cores (${kernels} kernels)`
      )
    })
).pipe(Command.withDescription("List the cells of a pipeline, which are done, and a rough cost estimate"))

/** `gnlab run FILE` */
export const run = Command.make(
  "run",
  {
    file,
    overrides: overridesArg,
    multirun: multirunFlag,
    out,
    backend,
    shard: shardFlag,
    concurrency: Flag.Int("concurrency").pipe(
      Flag.withDescription("cells at once (default: one per core)"),
      Flag.withDefault(availableParallelism())
    ),
    force: Flag.Boolean("force").pipe(
      Flag.withDescription("recompute cells that are done"),
      Flag.withDefault(false)
    ),
    quiet: Flag.Boolean("quiet").pipe(
      Flag.withDescription("plain progress lines instead of live bars"),
      Flag.withDefault(false)
    ),
    checkpointMinutes: Flag.Finite("checkpoint-minutes").pipe(
      Flag.withDescription("minutes between checkpoints of a running cell"),
      Flag.withDefault(5)
    ),
    wait: Flag.Boolean("wait").pipe(
      Flag.withDescription(
        "when another gnlab run is writing the results folder, wait for it (default); --no-wait: refuse with exit code 2"
      ),
      Flag.withDefault(true)
    ),
    yes,
    maxMemory,
    cache: cacheFlag,
    noCache: noCacheFlag
  },
  (f) =>
    Effect.gen(function* () {
      const pipeline = yield* readPipeline(f.file, Option.getOrUndefined(f.backend), overridesOf(f))
      const limit = yield* maxMemoryOf(f.maxMemory)
      // counted before expanding, so nothing is materialized or written before --yes
      const cells = yield* expandWithinLimits(f.file, pipeline, Option.getOrUndefined(f.backend), {
        yes: f.yes,
        maxMemory: limit,
        command: "run"
      })
      const shard = yield* shardOf(f.shard)
      if (!Number.isInteger(f.concurrency) || f.concurrency < 1)
        return yield* new InvalidArgument({
          field: "--concurrency",
          problem: `must be a positive integer, got ${f.concurrency}`
        })
      if (!(f.checkpointMinutes > 0))
        return yield* new InvalidArgument({
          field: "--checkpoint-minutes",
          problem: `must be > 0, got ${f.checkpointMinutes}`
        })
      const results = Option.getOrElse(f.out, () => defaultResults(pipeline))
      yield* prepareOutFolder("--out", results)
      const cache = yield* usableCache(f.cache, f.noCache)
      const outcome = yield* runPipeline(
        pipeline,
        cells,
        {
          concurrency: f.concurrency,
          shard,
          force: f.force,
          wait: f.wait,
          command: ["gnlab", ...process.argv.slice(2)].join(" "),
          progress: (n, log) => makeProgress(n, f.quiet, log)
        },
        workerCompute({
          checkpointSeconds: f.checkpointMinutes * 60,
          maxMemory: limit,
          force: f.force,
          provenance: runProvenance()
        })
      ).pipe(Effect.provide(ResultStore.layerNode({ results, cache })))
      yield* Console.log(
        `${pipeline.name}: ${outcome.computed} computed, ${outcome.skipped} already done, ${outcome.failed.length} failed` +
          (outcome.reused > 0 ? `, ${outcome.reused} taken from the cache` : "") +
          (outcome.busy.length > 0 ? `, ${outcome.busy.length} left to another run` : "") +
          ` — results in ${results}/`
      )
      for (const x of outcome.busy)
        yield* Console.error(
          `busy: ${cellLabel(x.cell)} (${x.cell.id}) is being computed by ${describeHolder(x.holder)}`
        )
      // the report of what the folder holds now; a shard leaves it to the last step (gnlab report, or submit's report job)
      if (shard === undefined)
        yield* writeReportFor(results, undefined).pipe(
          Effect.catch((e) => Console.error(`gnlab: no report: ${e.message}`)),
          // a full disk while drawing: the cells are safe, say so in one line
          Effect.catchDefect((e) =>
            Console.error(`gnlab: no report: ${e instanceof Error ? e.message : String(e)}`)
          )
        )
      if (outcome.failed.length > 0) {
        for (const x of outcome.failed)
          yield* Console.error(`failed: ${cellLabel(x.cell)} (${x.cell.id}): ${x.message}`)
        process.exitCode = 1
      }
      // the folder lock is held until here: a waiting run starts after this report is written
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("Run the cells of a pipeline that are not done yet"))

/** The plugin reference as Markdown (docs/plugins.md is this output), from each plugin's param declarations. */
export function pluginsMarkdown(): string {
  const out = [
    "# Plugin reference",
    "",
    "Generated by `npx gnlab plugins --markdown` from the registered plugins' parameter declarations — do not edit.",
    "How to write a plugin (a method, a metric, a plot) in a file of your own: [writing-plugins.md](writing-plugins.md).",
    ""
  ]
  for (const kind of stageKinds) {
    const list = registry.plugins.filter((x) => x.kind === kind)
    if (list.length === 0) continue
    out.push(`## ${kind}`, "")
    for (const p of list) {
      out.push(
        `### \`${p.id}\``,
        "",
        p.description,
        "",
        "| parameter | type | range | default | unit | description |",
        "| --- | --- | --- | --- | --- | --- |"
      )
      for (const [name, d] of Object.entries(p.params ?? {})) {
        const dflt =
          d.default !== undefined ? `\`${JSON.stringify(d.default)}\`` : d.required === true ? "required" : ""
        out.push(
          `| \`${name}\` | ${paramType(d, " \\| ")} | ${paramRange(d)} | ${dflt} | ${d.unit ?? ""} | ${d.description ?? ""} |`
        )
      }
      out.push("")
    }
  }
  return out.join("\n")
}

/** `gnlab plugins` */
export const plugins = Command.make(
  "plugins",
  {
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("print [{kind, id, description, params, schema}] for every plugin as JSON"),
      Flag.withDefault(false)
    ),
    markdown: Flag.Boolean("markdown").pipe(
      Flag.withDescription("print the plugin reference as Markdown (docs/plugins.md)"),
      Flag.withDefault(false)
    )
  },
  ({ json, markdown }) =>
    Effect.gen(function* () {
      if (json) return yield* Console.log(JSON.stringify(registry.plugins, null, 2))
      if (markdown) return yield* Console.log(pluginsMarkdown())
      for (const kind of stageKinds)
        for (const p of registry.plugins.filter((x) => x.kind === kind)) {
          yield* Console.log(`${kind} ${p.id}: ${p.description}`)
          const props = (p.schema.properties ?? {}) as Record<string, Record<string, unknown>>
          const required = new Set((p.schema.required as string[] | undefined) ?? [])
          for (const [name, s] of Object.entries(props)) {
            const type = s.enum !== undefined ? (s.enum as unknown[]).join("|") : String(s.type ?? "")
            const dflt =
              s.default !== undefined
                ? ` (default ${JSON.stringify(s.default)})`
                : required.has(name)
                  ? " (required)"
                  : ""
            yield* Console.log(
              `    ${name}: ${type}${dflt}${s.description ? ` — ${String(s.description)}` : ""}`
            )
          }
        }
    })
).pipe(
  Command.withDescription(
    "List the registered plugins and their parameters (--markdown: the docs/plugins.md reference)"
  )
)

/** `gnlab schema` */
export const schema = Command.make(
  "schema",
  {
    file: Argument.optional(
      Argument.String("file").pipe(
        Argument.withDescription('a pipeline whose plugin files (its "plugins") the schema includes')
      )
    )
  },
  ({ file }) =>
    Effect.gen(function* () {
      if (Option.isSome(file)) {
        yield* Effect.try({
          try: () => readFileSync(file.value, "utf8"),
          catch: (e) =>
            new InvalidArgument({
              field: file.value,
              problem: `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`
            })
        })
        yield* usePipelinePlugins(file.value)
      }
      yield* Console.log(JSON.stringify(composeSchema(registry), null, 2))
    })
).pipe(
  Command.withDescription(
    "Print the pipeline JSON Schema composed from the registered plugins (pipelines/pipeline.schema.json); with FILE, also its plugin files', for an editor"
  )
)
