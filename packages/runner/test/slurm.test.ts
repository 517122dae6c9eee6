/**
 * `gnlab submit --slurm` without a cluster: the exact scripts (pure functions), the checks of
 * its flags, and the CLI against stand-in `sbatch`/`squeue` commands on PATH (what it runs,
 * what it writes, its exit codes). The same against a real Slurm: slurm-cluster.test.ts.
 */
import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { InvalidArgument } from "../src/errors.js"
import {
  arrayScript,
  checkSlurmOptions,
  jobName,
  reportSbatchArgs,
  reportScript,
  shellQuote,
  splitExtra,
  type ScriptPaths,
  type SlurmOptions
} from "../src/slurm.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const bin = join(root, "packages/runner/bin/gnlab.js")
const tmp = () => mkdtempSync(join(tmpdir(), "gnlab-slurm-"))

const paths: ScriptPaths = {
  node: "/opt/node/bin/node",
  gnlab: "/home/ada/gnlab/packages/runner/bin/gnlab.js",
  pipeline: "/home/ada/gnlab/pipelines/paper/figure2.json",
  results: "/scratch/ada/results/figure2",
  workdir: "/home/ada/gnlab"
}
const options: SlurmOptions = {
  tasks: 3,
  cpusPerTask: 4,
  partition: "cpu",
  time: "02:00:00",
  mem: "8G",
  extra: ["--account=proj", "--qos high"],
  requeue: true
}

describe("the sbatch scripts", () => {
  it("the array: task T runs shard T+1/N with the paths absolute, one thread per cell and exec", () => {
    expect(arrayScript("figure2", paths, options)).toBe(
      [
        "#!/bin/bash",
        '# gnlab submit: pipeline "figure2" as a Slurm job array of 3 tasks.',
        "# Task T runs shard T+1/3 of the cells into the results folder (on a filesystem every node",
        "# sees). Done cells are skipped and checkpointed cells resume: sbatch this file again (or run",
        "# gnlab submit again) to compute only what is missing. Progress: gnlab status RESULTS_DIR.",
        "#SBATCH --job-name=gnlab-figure2",
        "#SBATCH --array=0-2",
        "#SBATCH --ntasks=1",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --output=/scratch/ada/results/figure2/slurm/logs/%A_%a.out",
        "#SBATCH --open-mode=append",
        "#SBATCH --requeue",
        "#SBATCH --chdir=/home/ada/gnlab",
        "#SBATCH --partition=cpu",
        "#SBATCH --time=02:00:00",
        "#SBATCH --mem=8G",
        "#SBATCH --account=proj",
        "#SBATCH --qos high",
        "set -euo pipefail",
        "# one cell per allocated CPU (--concurrency), each single-threaded: --cpus-per-task=C runs C cells at once",
        "export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1",
        "# exec: node replaces this shell, so the SIGTERM that Slurm sends on scancel, a time limit or",
        "# preemption reaches gnlab, which checkpoints its running cells before the SIGKILL (KillWait later)",
        "exec /opt/node/bin/node /home/ada/gnlab/packages/runner/bin/gnlab.js run /home/ada/gnlab/pipelines/paper/figure2.json" +
          ' --shard "$((SLURM_ARRAY_TASK_ID + 1))/3" --out /scratch/ada/results/figure2 --concurrency "${SLURM_CPUS_PER_TASK:-4}" --quiet',
        ""
      ].join("\n")
    )
  })

  it("the minimal array has only the directives it needs; --checkpoint-minutes is passed on", () => {
    const script = arrayScript("q", paths, {
      tasks: 1,
      cpusPerTask: 1,
      extra: [],
      requeue: false,
      checkpointMinutes: 2
    })
    const directives = script.split("\n").filter((l) => l.startsWith("#SBATCH"))
    expect(directives).toEqual([
      "#SBATCH --job-name=gnlab-q",
      "#SBATCH --array=0-0",
      "#SBATCH --ntasks=1",
      "#SBATCH --cpus-per-task=1",
      "#SBATCH --output=/scratch/ada/results/figure2/slurm/logs/%A_%a.out",
      "#SBATCH --open-mode=append",
      "#SBATCH --chdir=/home/ada/gnlab"
    ])
    expect(script).toContain(' --shard "$((SLURM_ARRAY_TASK_ID + 1))/1" ')
    expect(script).toContain(" --checkpoint-minutes 2 --quiet\n")
    expect(script).toContain("a Slurm job array of 1 task.")
  })

  it("the report job runs gnlab report on the results folder, after the array (afterany)", () => {
    expect(reportScript("figure2", paths, options)).toBe(
      [
        "#!/bin/bash",
        '# gnlab submit: the report of pipeline "figure2", run once its job array has ended',
        "# (whatever its tasks' outcome: the report shows what is done).",
        "#SBATCH --job-name=gnlab-figure2-report",
        "#SBATCH --ntasks=1",
        "#SBATCH --cpus-per-task=1",
        "#SBATCH --output=/scratch/ada/results/figure2/slurm/logs/report-%j.out",
        "#SBATCH --open-mode=append",
        "#SBATCH --chdir=/home/ada/gnlab",
        "#SBATCH --partition=cpu",
        "#SBATCH --time=02:00:00",
        "#SBATCH --mem=8G",
        "#SBATCH --account=proj",
        "#SBATCH --qos high",
        "set -euo pipefail",
        "export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1",
        "exec /opt/node/bin/node /home/ada/gnlab/packages/runner/bin/gnlab.js report /scratch/ada/results/figure2",
        ""
      ].join("\n")
    )
    expect(reportSbatchArgs("1234", "/r/slurm/report.sbatch")).toEqual([
      "--parsable",
      "--dependency=afterany:1234",
      "/r/slurm/report.sbatch"
    ])
  })

  it("quotes what a shell would split, and names jobs from pipeline names", () => {
    expect(shellQuote("/a/b-c_d.json")).toBe("/a/b-c_d.json")
    expect(shellQuote("/a b/it's.json")).toBe("'/a b/it'\\''s.json'")
    const q = shellQuote("/a b/it's.json")
    expect(spawnSync("/bin/sh", ["-c", `printf %s ${q}`], { encoding: "utf8" }).stdout).toBe("/a b/it's.json")
    expect(
      arrayScript("p", { ...paths, pipeline: "/my pipelines/p.json" }, { ...options, extra: [] })
    ).toContain(" run '/my pipelines/p.json' --shard")
    expect(jobName("cpu figure/2")).toBe("gnlab-cpu_figure_2")
  })

  it("--extra: options split on whitespace, a separate value stays with its option", () => {
    expect(splitExtra("--account=proj  --qos high -C skylake")).toEqual([
      "--account=proj",
      "--qos high",
      "-C skylake"
    ])
    expect(splitExtra("")).toEqual([])
    expect(splitExtra("proj")).toBeInstanceOf(InvalidArgument)
    expect(splitExtra('--comment="a b"')).toBeInstanceOf(InvalidArgument)
    expect(splitExtra("--a\n--b")).toBeInstanceOf(InvalidArgument)
  })

  it("flags are checked: the field and the fix in one message", () => {
    const check = (o: Partial<SlurmOptions>, p: Partial<ScriptPaths> = {}) =>
      checkSlurmOptions({ ...options, ...o }, { ...paths, ...p })?.message
    expect(check({})).toBeUndefined()
    for (const time of ["90", "30:00", "02:00:00", "1-12", "1-12:00:00"])
      expect(check({ time })).toBeUndefined()
    expect(check({ tasks: 0 })).toMatch(/^--tasks: must be a positive integer/)
    expect(check({ tasks: 1.5 })).toMatch(/^--tasks: /)
    expect(check({ cpusPerTask: 0 })).toMatch(/^--cpus-per-task: /)
    expect(check({ time: "2h" })).toMatch(/^--time: expected a Slurm time limit such as 02:00:00/)
    expect(check({ partition: "a b" })).toMatch(/^--partition: /)
    expect(check({ mem: "lots" })).toMatch(/^--mem: expected a size such as 4000, 4G/)
    expect(check({ checkpointMinutes: 0 })).toMatch(/^--checkpoint-minutes: /)
    expect(check({}, { results: "/my results" })).toMatch(/^--out: .*use a path without them/)
    expect(check({}, { workdir: "/home/ada/my work" })).toMatch(/^the current directory: /)
  })
})

// ---- the CLI against stand-ins for sbatch and squeue (PATH holds only them)

const tiny = {
  name: "tiny",
  dataset: { plugin: "teacher-student", params: { nTrain: 20, nTest: 100 } },
  model: { plugin: "finite-width", params: { width: 30 } },
  methods: [{ plugin: "gn" }, { plugin: "gd", params: { maxIter: 300 } }, { plugin: "rf" }],
  seeds: [1],
  sweep: { grid: { "model.initStd": [0.5, 2] } }
}

/** A folder with a fake sbatch (logs its arguments, answers job ids 41 then 42) and squeue. */
function fakeSlurm(o: { queued?: string; sbatchError?: string } = {}) {
  const dir = tmp()
  const fake = join(dir, "bin")
  mkdirSync(fake)
  const log = join(dir, "sbatch.log")
  writeFileSync(
    join(fake, "sbatch"),
    [
      "#!/bin/sh",
      `printf '%s\\n' "$*" >> '${log}'`,
      ...(o.sbatchError !== undefined ? [`echo '${o.sbatchError}' >&2`, "exit 1"] : []),
      'case "$*" in --version) echo "slurm 22.05.8" ;; *--dependency=afterany:41*) echo "42;gnlab" ;; *) echo 41 ;; esac',
      ""
    ].join("\n")
  )
  writeFileSync(join(fake, "squeue"), ["#!/bin/sh", `printf '%s' '${o.queued ?? ""}'`, ""].join("\n"))
  chmodSync(join(fake, "sbatch"), 0o755)
  chmodSync(join(fake, "squeue"), 0o755)
  return {
    dir,
    path: fake,
    calls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [])
  }
}

const gnlab = (path: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    cwd: root,
    env: { ...process.env, PATH: path }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const pipelineIn = (dir: string, doc: unknown = tiny) => {
  const f = join(dir, "p.json")
  writeFileSync(f, JSON.stringify(doc, null, 2))
  return f
}

describe("gnlab submit --slurm (stand-in sbatch)", () => {
  it("writes the scripts into the results folder, submits the array then the report after it, prints both ids", () => {
    const slurm = fakeSlurm()
    const out = join(slurm.dir, "results")
    const r = gnlab(
      slurm.path,
      "submit",
      pipelineIn(slurm.dir),
      "--slurm",
      "--tasks",
      "3",
      "--time",
      "00:10:00",
      "--out",
      out
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(
      /^array job 41: 3 tasks over 6 cells \(\d–\d cells per task, 6 not done\), 1 CPU each/
    )
    expect(r.stdout).toMatch(/\nreport job 42: gnlab report .* once array job 41 ends/)
    expect(slurm.calls()).toEqual([
      "--version",
      `--parsable ${out}/slurm/array.sbatch`,
      `--parsable --dependency=afterany:41 ${out}/slurm/report.sbatch`
    ])
    const script = readFileSync(join(out, "slurm/array.sbatch"), "utf8")
    expect(script).toContain(`#SBATCH --output=${out}/slurm/logs/%A_%a.out`)
    expect(script).toContain("#SBATCH --time=00:10:00")
    expect(script).toContain(`exec ${process.execPath} ${bin} run ${join(slurm.dir, "p.json")} --shard`)
    expect(readFileSync(join(out, "slurm/report.sbatch"), "utf8")).toContain(`${bin} report ${out}\n`)
    expect(existsSync(join(out, "slurm/logs"))).toBe(true) // Slurm does not create it
    expect(JSON.parse(readFileSync(join(out, "cells.json"), "utf8"))).toHaveLength(6)
    const jobs = JSON.parse(readFileSync(join(out, "slurm/jobs.jsonl"), "utf8"))
    expect(jobs).toMatchObject({ arrayJob: "41", reportJob: "42", tasks: 3, cpusPerTask: 1 })
    // status works right away: every cell pending, the submission named
    const s = gnlab(slurm.path, "status", out)
    expect(s.code, s.stderr).toBe(0)
    expect(s.stdout).toMatch(/6 cells — 0 done, 0 running, 0 interrupted, 6 pending, 0 failed, 0 corrupt/)
    expect(s.stdout).toMatch(/array job 41, report job 42/)
  })

  it("refuses (exit 2) while the last array of the same folder is still in the queue", () => {
    const first = fakeSlurm()
    const out = join(first.dir, "results")
    const file = pipelineIn(first.dir)
    expect(gnlab(first.path, "submit", file, "--slurm", "--out", out).code).toBe(0)
    const busy = fakeSlurm({ queued: "7\n41\n" })
    const r = gnlab(busy.path, "submit", file, "--slurm", "--out", out)
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).toMatch(
      /array job 41 of this results folder is still queued .* scancel 41, then submit again/
    )
    expect(busy.calls()).toEqual(["--version"])
    // once it has left the queue, resubmitting is fine
    const idle = fakeSlurm({ queued: "7\n" })
    expect(gnlab(idle.path, "submit", file, "--slurm", "--out", out).code).toBe(0)
  })

  it("no sbatch here: one line, exit 2, nothing written; --dry-run needs no Slurm", () => {
    const dir = tmp()
    const out = join(dir, "results")
    const file = pipelineIn(dir)
    const r = gnlab("/nonexistent", "submit", file, "--slurm", "--out", out)
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      "gnlab: sbatch not found on PATH: run gnlab submit where Slurm is installed (a cluster's login node), or add --dry-run to only print the script\n"
    )
    expect(existsSync(out)).toBe(false)
    const dry = gnlab("/nonexistent", "submit", file, "--slurm", "--tasks", "2", "--out", out, "--dry-run")
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain(`# ${out}/slurm/array.sbatch (sbatch --parsable)\n#!/bin/bash\n`)
    expect(dry.stdout).toContain('--shard "$((SLURM_ARRAY_TASK_ID + 1))/2"')
    expect(dry.stdout).toContain(`(sbatch --parsable --dependency=afterany:<array job id>)\n#!/bin/bash\n`)
    expect(existsSync(out)).toBe(false)
  })

  it("sbatch refuses the job: its message in one line, exit 1", () => {
    const slurm = fakeSlurm({ sbatchError: "sbatch: error: invalid partition specified: nope" })
    const r = gnlab(slurm.path, "submit", pipelineIn(slurm.dir), "--slurm", "--out", join(slurm.dir, "r"))
    expect(r.code).toBe(1)
    expect(r.stderr).toBe("gnlab: sbatch failed: sbatch: error: invalid partition specified: nope\n")
  })

  it("an invalid pipeline or flag: exit 2 before Slurm is asked anything", () => {
    const slurm = fakeSlurm()
    const bad = gnlab(slurm.path, "submit", pipelineIn(slurm.dir, { ...tiny, seeds: "1" }), "--slurm")
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/\/seeds: expected a value of type array/)
    const file = pipelineIn(slurm.dir)
    const out = join(slurm.dir, "results")
    for (const [args, message] of [
      [["--slurm", "--time", "2h"], /^gnlab: --time: expected a Slurm time limit/],
      [["--slurm", "--tasks", "0"], /^gnlab: --tasks: must be a positive integer/],
      [["--slurm", "--extra=proj"], /^gnlab: --extra: expected sbatch options/],
      [[], /^gnlab: --slurm: missing: gnlab submits pipelines to Slurm only \(add --slurm\)/]
    ] as const) {
      const r = gnlab(slurm.path, "submit", file, ...args, "--out", out)
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(message)
    }
    expect(slurm.calls()).toEqual([])
    expect(existsSync(out)).toBe(false)
  })
})
