/**
 * `gnlab submit FILE --slurm`: a pipeline as a Slurm job array (task T runs `gnlab run FILE
 * --shard T+1/N --out DIR`) plus a report job that runs once the array has ended
 * (`--dependency=afterany`). The scripts are kept in DIR/slurm/, the jobs' logs in
 * DIR/slurm/logs/, and every submission is appended to DIR/slurm/jobs.jsonl.
 *
 * Exit codes: 2 when nothing was submitted because of the invocation or this machine (an
 * invalid pipeline or flag, no `sbatch` here, an array of this results folder still queued);
 * 1 when sbatch itself refused a job (its message is repeated).
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { appendFileSync, chmodSync, mkdirSync, readFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { InvalidArgument } from "../errors.js"
import { prepareOutFolder } from "../out-folder.js"
import { multirunFlag, overridesArg, overridesOf } from "./overrides.js"
import { writeFileAtomic } from "../output.js"
import {
  defaultResults,
  expandWithinLimits,
  inShard,
  readPipeline,
  statuses,
  writeResultsIndex
} from "../pipeline-run.js"
import { largeSweepCells, maxMemoryOf } from "../resources.js"
import {
  arrayScript,
  arrayScriptPath,
  checkSlurmOptions,
  logsDir,
  reportSbatchArgs,
  reportScript,
  reportScriptPath,
  sbatch,
  slurmCommand,
  slurmDir,
  splitExtra,
  type ScriptPaths,
  type SlurmOptions
} from "../slurm.js"

/** The CLI entry point the scripts run (absolute: the jobs may start anywhere). */
const gnlabBin = fileURLToPath(new URL("../../bin/gnlab.js", import.meta.url))

/** Slurm's default MaxArraySize is 1001 (indices 0–1000). */
const MAX_DEFAULT_TASKS = 1000

const EXIT_USAGE = 2

/** A path as the user sees it: relative to the current directory when inside it. */
const shown = (p: string): string => {
  const r = relative(process.cwd(), p)
  return r !== "" && !r.startsWith("..") ? r : p
}

/** `gnlab submit FILE --slurm` */
export const submit = Command.make(
  "submit",
  {
    file: Argument.String("file").pipe(
      Argument.withDescription("pipeline file (JSON with comments; may extend others)")
    ),
    overrides: overridesArg,
    multirun: multirunFlag,
    slurm: Flag.Boolean("slurm").pipe(
      Flag.withDescription("submit to Slurm (sbatch) as a job array — the one scheduler supported"),
      Flag.withDefault(false)
    ),
    tasks: Flag.optional(
      Flag.Int("tasks").pipe(
        Flag.withDescription("array tasks = shards of the cells (default: one per cell, at most 1000)")
      )
    ),
    partition: Flag.optional(Flag.String("partition").pipe(Flag.withDescription("Slurm partition"))),
    time: Flag.optional(
      Flag.String("time").pipe(Flag.withDescription("time limit per task, HH:MM:SS or D-HH:MM:SS"))
    ),
    cpusPerTask: Flag.Int("cpus-per-task").pipe(
      Flag.withDescription("CPUs per task; each task runs that many cells at once, one thread each"),
      Flag.withDefault(1)
    ),
    mem: Flag.optional(
      Flag.String("mem").pipe(Flag.withDescription("memory per task (sbatch --mem), e.g. 4G"))
    ),
    extra: Flag.optional(
      Flag.String("extra").pipe(
        Flag.withDescription('further sbatch options for both jobs, e.g. --extra="--account=proj --qos=long"')
      )
    ),
    requeue: Flag.Boolean("requeue").pipe(
      Flag.withDescription("let Slurm requeue a task (node failure, preemption): it resumes its cells"),
      Flag.withDefault(false)
    ),
    checkpointMinutes: Flag.optional(
      Flag.Finite("checkpoint-minutes").pipe(
        Flag.withDescription("minutes between checkpoints of a running cell (gnlab run's default 5)")
      )
    ),
    out: Flag.optional(
      Flag.String("out").pipe(
        Flag.withDescription(
          "results folder, on a filesystem every node sees (default results/<pipeline name>)"
        )
      )
    ),
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDescription("print the scripts, submit and write nothing"),
      Flag.withDefault(false)
    ),
    yes: Flag.Boolean("yes").pipe(
      Flag.withDescription(`go ahead with a sweep of more than ${largeSweepCells} cells`),
      Flag.withDefault(false)
    ),
    maxMemory: Flag.optional(
      Flag.String("max-memory").pipe(
        Flag.withDescription("memory a cell may use, e.g. 16G (default: this machine's memory)")
      )
    ),
    cache: Flag.optional(
      Flag.String("cache").pipe(
        Flag.withDescription(
          "the tasks' cache of done cells, on a filesystem every node sees (default: each task's own, $GNLAB_CACHE or ~/.cache/gnlab)"
        )
      )
    ),
    noCache: Flag.Boolean("no-cache").pipe(
      Flag.withDescription("the tasks neither take cells from the cache nor put cells into it"),
      Flag.withDefault(false)
    )
  },
  (f) =>
    Effect.gen(function* () {
      const pipeline = yield* readPipeline(f.file, undefined, overridesOf(f))
      // the sweep's size here, before anything is written or submitted; memory against
      // --max-memory only (this is not the compute nodes' memory: each task checks its own)
      const cells = yield* expandWithinLimits(f.file, pipeline, undefined, {
        yes: f.yes,
        maxMemory: (yield* maxMemoryOf(f.maxMemory)) ?? Number.POSITIVE_INFINITY,
        command: "submit"
      })
      if (!f.slurm)
        return yield* new InvalidArgument({
          field: "--slurm",
          problem: "missing: gnlab submits pipelines to Slurm only (add --slurm)"
        })
      const extra = Option.isSome(f.extra) ? splitExtra(f.extra.value) : []
      if (extra instanceof InvalidArgument) return yield* extra
      const options: SlurmOptions = {
        tasks: Option.getOrElse(f.tasks, () => Math.max(1, Math.min(cells.length, MAX_DEFAULT_TASKS))),
        cpusPerTask: f.cpusPerTask,
        partition: Option.getOrUndefined(f.partition),
        time: Option.getOrUndefined(f.time),
        mem: Option.getOrUndefined(f.mem),
        extra,
        requeue: f.requeue,
        checkpointMinutes: Option.getOrUndefined(f.checkpointMinutes),
        yes: cells.length > largeSweepCells,
        maxMemory: Option.getOrUndefined(f.maxMemory),
        cache: Option.isSome(f.cache) && !f.noCache ? resolve(f.cache.value) : undefined,
        noCache: f.noCache
      }
      const results = resolve(Option.getOrElse(f.out, () => defaultResults(pipeline)))
      const overridden = f.overrides.length + f.multirun.length > 0
      const paths: ScriptPaths = {
        node: process.execPath,
        gnlab: gnlabBin,
        // with overrides the tasks run the resolved pipeline submit writes, not the file
        pipeline: overridden ? join(slurmDir(results), "pipeline.json") : resolve(f.file),
        results,
        workdir: process.cwd()
      }
      const problem = checkSlurmOptions(options, paths)
      if (problem !== undefined) return yield* problem
      const array = arrayScript(pipeline.name, paths, options)
      const report = reportScript(pipeline.name, paths, options)
      if (f.dryRun) {
        yield* Console.log(`# ${arrayScriptPath(results)} (sbatch --parsable)\n${array}`)
        yield* Console.log(
          `# ${reportScriptPath(results)} (sbatch --parsable --dependency=afterany:<array job id>)\n${report}`
        )
        return
      }

      // nothing is written before we know Slurm is here and no array of this folder is queued
      yield* slurmCommand("sbatch", ["--version"])
      const queued = yield* slurmCommand("squeue", ["-h", "-o", "%F"]).pipe(
        Effect.map((s) => new Set(s.split("\n").map((l) => l.trim()))),
        Effect.catch((e) =>
          Effect.as(Console.error(`gnlab: warning: cannot list the queue (${e.message})`), new Set<string>())
        )
      )
      const previous = lastSubmission(results)
      if (previous !== undefined && queued.has(previous))
        return yield* new InvalidArgument({
          field: shown(results),
          problem: `array job ${previous} of this results folder is still queued or running (squeue -j ${previous}): wait for it to end or scancel ${previous}, then submit again`
        })

      // a file, /proc/…, a read-only folder: one line, exit 2 (the jobs were not submitted yet)
      yield* prepareOutFolder("--out", results)
      mkdirSync(logsDir(results), { recursive: true })
      // the index the tasks write identically when they start (as gnlab run does), so that
      // `gnlab status` lists every cell as pending right away
      yield* writeResultsIndex(results, pipeline, cells)
      if (overridden) writeFileAtomic(paths.pipeline, JSON.stringify(pipeline, null, 2) + "\n")
      writeFileAtomic(arrayScriptPath(results), array)
      writeFileAtomic(reportScriptPath(results), report)
      chmodSync(arrayScriptPath(results), 0o755)
      chmodSync(reportScriptPath(results), 0o755)

      // counted before the tasks start changing them
      const sizes = Array.from({ length: options.tasks }, (_, i) =>
        cells.reduce((n, c) => n + (inShard(c, [i + 1, options.tasks]) ? 1 : 0), 0)
      )
      const status = statuses(cells, results)
      const todo = cells.filter((c) => status.get(c.id) !== "done").length
      const arrayJob = yield* sbatch(["--parsable", arrayScriptPath(results)])
      // the array is in: a refused report job is reported (exit 1), the array stays submitted
      const reportJob = yield* sbatch(reportSbatchArgs(arrayJob, reportScriptPath(results))).pipe(
        Effect.map((id): string | undefined => id),
        Effect.catch((e) =>
          Effect.as(
            fail(
              `report job not submitted: ${e.message} (array job ${arrayJob} was: run gnlab report ${shown(results)} once it ends)`,
              1
            ),
            undefined
          )
        )
      )
      appendFileSync(
        join(slurmDir(results), "jobs.jsonl"),
        JSON.stringify({
          time: new Date().toISOString(),
          arrayJob,
          reportJob: reportJob ?? null,
          tasks: options.tasks,
          cpusPerTask: options.cpusPerTask,
          pipeline: paths.pipeline
        }) + "\n"
      )

      yield* Console.log(
        `array job ${arrayJob}: ${options.tasks} task${options.tasks === 1 ? "" : "s"} over ${cells.length} cells (${Math.min(...sizes)}–${Math.max(...sizes)} cells per task, ${todo} not done), ${options.cpusPerTask} CPU${options.cpusPerTask === 1 ? "" : "s"} each — script ${shown(arrayScriptPath(results))}`
      )
      if (reportJob !== undefined)
        yield* Console.log(
          `report job ${reportJob}: gnlab report ${shown(results)} once array job ${arrayJob} ends`
        )
      yield* Console.log(`watch: gnlab status ${shown(results)}   logs: ${shown(logsDir(results))}/`)
    }).pipe(
      Effect.catchTags({
        SlurmUnavailable: (e) => fail(e.message, EXIT_USAGE),
        SlurmFailed: (e) => fail(e.message, 1)
      })
    )
).pipe(
  Command.withDescription(
    "Submit a pipeline to Slurm: a job array of `gnlab run --shard` tasks and a report job after it"
  )
)

function fail(message: string, code: number) {
  return Effect.sync(() => {
    process.stderr.write(`gnlab: ${message}\n`)
    process.exitCode = code
  })
}

/** The array job of the last submission recorded in DIR/slurm/jobs.jsonl. */
function lastSubmission(results: string): string | undefined {
  try {
    const lines = readFileSync(join(slurmDir(results), "jobs.jsonl"), "utf8")
      .trim()
      .split("\n")
    const last = JSON.parse(lines[lines.length - 1]) as { arrayJob?: unknown }
    return typeof last.arrayJob === "string" ? last.arrayJob : undefined
  } catch {
    return undefined
  }
}
