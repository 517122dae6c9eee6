/**
 * Slurm job arrays for pipelines: the sbatch scripts `gnlab submit` writes (pure functions
 * of the options: tested as text), and the calls to `sbatch` / `scancel` (effects at the edge).
 *
 * Array task T (0-based, `SLURM_ARRAY_TASK_ID`) runs `gnlab run FILE --shard T+1/N --out DIR`:
 * the shards of `gnlab run` split the cells by id, every task writes into the same results
 * folder (on a filesystem the nodes share), done cells are skipped and checkpointed cells
 * resume, so resubmitting computes only what is missing and a requeued task resumes.
 */
import { Data, Effect } from "effect"
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { InvalidArgument } from "./errors.js"

/** `sbatch` / `scancel` is not installed here (no Slurm on this machine). */
export class SlurmUnavailable extends Data.TaggedError("SlurmUnavailable")<{ readonly command: string }> {
  override get message(): string {
    return `${this.command} not found on PATH: run gnlab submit where Slurm is installed (a cluster's login node), or add --dry-run to only print the script`
  }
}

/** A Slurm command ran and refused (bad partition, time limit over the maximum, …). */
export class SlurmFailed extends Data.TaggedError("SlurmFailed")<{
  readonly command: string
  readonly code: number | null
  readonly stderr: string
}> {
  override get message(): string {
    const why = this.stderr.trim().replace(/\s*\n\s*/g, "; ") || `exit code ${this.code}`
    return `${this.command} failed: ${why}`
  }
}

/** What `gnlab submit` lets one choose of the jobs. */
export interface SlurmOptions {
  /** array tasks = shards */
  readonly tasks: number
  readonly cpusPerTask: number
  readonly partition?: string
  /** Slurm time limit (e.g. HH:MM:SS, D-HH:MM:SS, minutes) */
  readonly time?: string
  /** Slurm memory per node (e.g. 4G) */
  readonly mem?: string
  /** further sbatch options, one per element (e.g. "--account=proj") */
  readonly extra: ReadonlyArray<string>
  /** let Slurm requeue a task after a node failure or preemption (it resumes from its checkpoints) */
  readonly requeue: boolean
  /** passed to `gnlab run --checkpoint-minutes` when set */
  readonly checkpointMinutes?: number
  /** the tasks' `gnlab run --yes` (a sweep above the size that needs it, accepted at submit) */
  readonly yes?: boolean
  /** passed to `gnlab run --max-memory` when set */
  readonly maxMemory?: string
  /** the tasks' `gnlab run --cache DIR` (absolute; on a filesystem every node sees) when set */
  readonly cache?: string
  /** the tasks' `gnlab run --no-cache` */
  readonly noCache?: boolean
}

/** Absolute paths the scripts name (nothing in them depends on where sbatch runs). */
export interface ScriptPaths {
  /** the node executable */
  readonly node: string
  /** packages/runner/bin/gnlab.js */
  readonly gnlab: string
  readonly pipeline: string
  readonly results: string
  /** the job's working directory (relative paths inside the pipeline resolve against it) */
  readonly workdir: string
}

/** Where the scripts and the jobs' logs go inside a results folder. */
export const slurmDir = (results: string): string => join(results, "slurm")
export const arrayScriptPath = (results: string): string => join(slurmDir(results), "array.sbatch")
export const reportScriptPath = (results: string): string => join(slurmDir(results), "report.sbatch")
export const logsDir = (results: string): string => join(slurmDir(results), "logs")

/** A word for a POSIX shell, single-quoted unless it is plainly safe. */
export const shellQuote = (s: string): string =>
  /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`

/** A Slurm job name from a pipeline name. */
export const jobName = (pipelineName: string): string =>
  `gnlab-${pipelineName.replace(/[^A-Za-z0-9_.-]/g, "_")}`

/**
 * `--extra "…"` → sbatch options: split on whitespace; an option's separate value (`--qos high`)
 * stays with it. Quotes and newlines are refused (an `#SBATCH` line cannot carry them safely).
 */
export function splitExtra(extra: string): ReadonlyArray<string> | InvalidArgument {
  if (/["'\\\n\r]/.test(extra))
    return new InvalidArgument({
      field: "--extra",
      problem: `quotes, backslashes and newlines are not supported in "${extra.replace(/\n/g, "\\n")}": give options as --name=value without quotes`
    })
  const out: string[] = []
  for (const word of extra.split(/\s+/).filter((w) => w.length > 0)) {
    if (word.startsWith("-") || out.length === 0) {
      if (!word.startsWith("-"))
        return new InvalidArgument({
          field: "--extra",
          problem: `expected sbatch options such as "--account=proj --qos=high", got "${word}" first`
        })
      out.push(word)
    } else out[out.length - 1] += ` ${word}`
  }
  return out
}

/** Check the options before anything is written; the first problem as a tagged error. */
export function checkSlurmOptions(o: SlurmOptions, paths: ScriptPaths): InvalidArgument | undefined {
  const bad = (field: string, problem: string) => new InvalidArgument({ field, problem })
  if (!Number.isInteger(o.tasks) || o.tasks < 1)
    return bad("--tasks", `must be a positive integer, got ${o.tasks}`)
  if (!Number.isInteger(o.cpusPerTask) || o.cpusPerTask < 1)
    return bad("--cpus-per-task", `must be a positive integer, got ${o.cpusPerTask}`)
  if (o.time !== undefined && !/^(\d+-)?\d+(:\d+){0,2}$/.test(o.time))
    return bad(
      "--time",
      `expected a Slurm time limit such as 02:00:00, 1-12:00:00 or 90 (minutes), got "${o.time}"`
    )
  if (o.partition !== undefined && !/^[A-Za-z0-9_.,-]+$/.test(o.partition))
    return bad("--partition", `expected a partition name (letters, digits, _ . - ,), got "${o.partition}"`)
  if (o.mem !== undefined && !/^\d+[KMGT]?$/.test(o.mem))
    return bad("--mem", `expected a size such as 4000, 4G or 512M, got "${o.mem}"`)
  if (o.checkpointMinutes !== undefined && !(o.checkpointMinutes > 0))
    return bad("--checkpoint-minutes", `must be > 0, got ${o.checkpointMinutes}`)
  // #SBATCH lines split on whitespace: the paths they name must not contain any
  for (const [field, path] of [
    ["--out", paths.results],
    ["the current directory", paths.workdir]
  ] as const)
    if (/[\s"'\\]/.test(path))
      return bad(
        field,
        `"${path}" contains whitespace or quotes, which #SBATCH lines cannot hold: use a path without them`
      )
  return undefined
}

/** The `#SBATCH` lines both scripts share (partition, time, memory, extra options). */
const commonDirectives = (o: SlurmOptions, paths: ScriptPaths): string[] => [
  `#SBATCH --chdir=${paths.workdir}`,
  ...(o.partition !== undefined ? [`#SBATCH --partition=${o.partition}`] : []),
  ...(o.time !== undefined ? [`#SBATCH --time=${o.time}`] : []),
  ...(o.mem !== undefined ? [`#SBATCH --mem=${o.mem}`] : []),
  ...o.extra.map((x) => `#SBATCH ${x}`)
]

/** gnlab's kernels are single-threaded: one thread per cell, one cell per allocated CPU. */
const threadEnv = ["export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1"]

/** The job array: task T runs shard T+1 of N. */
export function arrayScript(pipelineName: string, paths: ScriptPaths, o: SlurmOptions): string {
  const q = shellQuote
  const run = [
    "exec",
    q(paths.node),
    q(paths.gnlab),
    "run",
    q(paths.pipeline),
    "--shard",
    `"$((SLURM_ARRAY_TASK_ID + 1))/${o.tasks}"`,
    "--out",
    q(paths.results),
    "--concurrency",
    `"\${SLURM_CPUS_PER_TASK:-${o.cpusPerTask}}"`,
    ...(o.checkpointMinutes !== undefined ? ["--checkpoint-minutes", String(o.checkpointMinutes)] : []),
    ...(o.maxMemory !== undefined ? ["--max-memory", q(o.maxMemory)] : []),
    ...(o.yes === true ? ["--yes"] : []),
    ...(o.cache !== undefined ? ["--cache", q(o.cache)] : []),
    ...(o.noCache === true ? ["--no-cache"] : []),
    "--quiet"
  ]
  return [
    "#!/bin/bash",
    `# gnlab submit: pipeline "${pipelineName}" as a Slurm job array of ${o.tasks} task${o.tasks === 1 ? "" : "s"}.`,
    `# Task T runs shard T+1/${o.tasks} of the cells into the results folder (on a filesystem every node`,
    "# sees). Done cells are skipped and checkpointed cells resume: sbatch this file again (or run",
    "# gnlab submit again) to compute only what is missing. Progress: gnlab status RESULTS_DIR.",
    `#SBATCH --job-name=${jobName(pipelineName)}`,
    `#SBATCH --array=0-${o.tasks - 1}`,
    "#SBATCH --ntasks=1",
    `#SBATCH --cpus-per-task=${o.cpusPerTask}`,
    `#SBATCH --output=${logsDir(paths.results)}/%A_%a.out`,
    "#SBATCH --open-mode=append",
    ...(o.requeue ? ["#SBATCH --requeue"] : []),
    ...commonDirectives(o, paths),
    "set -euo pipefail",
    `# one cell per allocated CPU (--concurrency), each single-threaded: --cpus-per-task=C runs C cells at once`,
    ...threadEnv,
    "# exec: node replaces this shell, so the SIGTERM that Slurm sends on scancel, a time limit or",
    "# preemption reaches gnlab, which checkpoints its running cells before the SIGKILL (KillWait later)",
    run.join(" "),
    ""
  ].join("\n")
}

/** The report job, submitted with `--dependency=afterany:<array job>`. */
export function reportScript(pipelineName: string, paths: ScriptPaths, o: SlurmOptions): string {
  const q = shellQuote
  return [
    "#!/bin/bash",
    `# gnlab submit: the report of pipeline "${pipelineName}", run once its job array has ended`,
    "# (whatever its tasks' outcome: the report shows what is done).",
    `#SBATCH --job-name=${jobName(pipelineName)}-report`,
    "#SBATCH --ntasks=1",
    "#SBATCH --cpus-per-task=1",
    `#SBATCH --output=${logsDir(paths.results)}/report-%j.out`,
    "#SBATCH --open-mode=append",
    ...commonDirectives(o, paths),
    "set -euo pipefail",
    ...threadEnv,
    ["exec", q(paths.node), q(paths.gnlab), "report", q(paths.results)].join(" "),
    ""
  ].join("\n")
}

/** The sbatch arguments of the report job, after array job `arrayJobId`. */
export const reportSbatchArgs = (arrayJobId: string, script: string): string[] => [
  "--parsable",
  `--dependency=afterany:${arrayJobId}`,
  script
]

/** Run a Slurm command; its stdout. */
export const slurmCommand = (
  command: string,
  args: ReadonlyArray<string>
): Effect.Effect<string, SlurmUnavailable | SlurmFailed> =>
  Effect.suspend((): Effect.Effect<string, SlurmUnavailable | SlurmFailed> => {
    const r = spawnSync(command, args, { encoding: "utf8" })
    if (r.error !== undefined)
      return (r.error as NodeJS.ErrnoException).code === "ENOENT"
        ? Effect.fail(new SlurmUnavailable({ command }))
        : Effect.fail(new SlurmFailed({ command, code: null, stderr: r.error.message }))
    if (r.status !== 0) return Effect.fail(new SlurmFailed({ command, code: r.status, stderr: r.stderr }))
    return Effect.succeed(r.stdout)
  })

/** `sbatch --parsable …` → the job id (`--parsable` prints `id` or `id;cluster`). */
export const sbatch = (args: ReadonlyArray<string>) =>
  Effect.flatMap(slurmCommand("sbatch", args), (stdout) => {
    const id = stdout.trim().split(";")[0]
    return /^\d+$/.test(id)
      ? Effect.succeed(id)
      : Effect.fail(
          new SlurmFailed({ command: "sbatch", code: 0, stderr: `unexpected output "${stdout.trim()}"` })
        )
  })

/** `scancel ID` (a job, an array, or one task as `ID_T`): Slurm sends SIGTERM, then SIGKILL. */
export const scancel = (jobId: string) => Effect.asVoid(slurmCommand("scancel", [jobId]))
