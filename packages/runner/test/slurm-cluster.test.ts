/**
 * `gnlab submit --slurm` against a real Slurm: a single-node slurmctld + slurmd on this
 * machine (tools/slurm/start-slurm.sh; `.ci/run` starts it before the tests, and this file
 * starts it itself when `sinfo` fails and it runs as root). Skipped — saying why — only when
 * no Slurm runs here and none can be started.
 *
 * Every wait is bounded: a job still queued after WAIT_SECONDS is cancelled and the test fails
 * with the queue and the jobs' logs.
 */
import type { Cell } from "@gnlab/pipeline"
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"
import { inShard } from "../src/pipeline-run.js"
import { scancel } from "../src/slurm.js"
import { cellOutcomes, cellRows } from "./results-folder.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const bin = join(root, "packages/runner/bin/gnlab.js")
const startScript = join(root, "tools/slurm/start-slurm.sh")
const WAIT_SECONDS = 150
const TEST_TIMEOUT = 240_000

/** Why no Slurm can be used here, or undefined when one is up (started here if need be). */
function slurmProblem(): string | undefined {
  const probe = spawnSync("sinfo", ["-h", "-o", "%T"], { encoding: "utf8", timeout: 30_000 })
  if (probe.status === 0 && /^(idle|mixed|allocated|completing)/m.test(probe.stdout)) return undefined
  const why =
    probe.error !== undefined
      ? `sinfo: ${(probe.error as NodeJS.ErrnoException).code === "ENOENT" ? "not installed" : probe.error.message}`
      : `sinfo: ${(probe.stderr || probe.stdout).trim() || `exit code ${probe.status}`}`
  if (process.getuid?.() !== 0)
    return `no Slurm runs here (${why}) and this is not root, so tools/slurm/start-slurm.sh cannot start one`
  const start = spawnSync("bash", [startScript], { encoding: "utf8", timeout: 300_000 })
  if (start.status === 0) return undefined
  const lines = (start.stderr ?? "").split("\n").filter((l) => l.trim().length > 0)
  const reason =
    lines.find((l) => l.includes("FAILED")) ??
    lines.pop() ??
    start.error?.message ??
    `exit code ${start.status}`
  return `no Slurm runs here (${why}) and tools/slurm/start-slurm.sh could not start one: ${reason}`
}

const problem = slurmProblem()
if (problem !== undefined) console.warn(`slurm-cluster.test.ts: SKIPPED — ${problem}`)

const sh = (cmd: string, ...args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 })
  return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" }
}
const gnlab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: root })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const tmp = () => mkdtempSync(join(tmpdir(), "gnlab-slurm-cluster-"))
const write = (dir: string, doc: unknown) => {
  const f = join(dir, "p.json")
  writeFileSync(f, JSON.stringify(doc, null, 2))
  return f
}

/** `gnlab submit … --slurm`: the two job ids it prints. */
function submit(file: string, out: string, ...flags: string[]) {
  const r = gnlab("submit", file, "--slurm", "--out", out, "--time", "00:05:00", ...flags)
  expect(r.code, r.stderr).toBe(0)
  const arrayJob = /^array job (\d+):/m.exec(r.stdout)?.[1]
  const reportJob = /^report job (\d+):/m.exec(r.stdout)?.[1]
  expect(arrayJob, r.stdout).toBeDefined()
  expect(reportJob, r.stdout).toBeDefined()
  return { arrayJob: arrayJob!, reportJob: reportJob!, stdout: r.stdout }
}

/** What the jobs' logs say (for failure messages). */
const logs = (out: string): string => {
  const dir = join(out, "slurm", "logs")
  if (!existsSync(dir)) return "(no logs)"
  return readdirSync(dir)
    .map((f) => `--- ${f}\n${readFileSync(join(dir, f), "utf8").split("\n").slice(-15).join("\n")}`)
    .join("\n")
}

/** Wait (bounded) until `done()` holds; on time-out cancel the jobs and fail with what is known. */
async function waitUntil(what: string, done: () => boolean, jobs: ReadonlyArray<string>, out: string) {
  const deadline = Date.now() + WAIT_SECONDS * 1000
  while (!done()) {
    if (Date.now() > deadline) {
      const queue = sh("squeue").stdout
      for (const j of jobs) sh("scancel", j)
      throw new Error(`${what}: not after ${WAIT_SECONDS} s\nsqueue:\n${queue}\n${logs(out)}`)
    }
    await sleep(500)
  }
}

/** Whether none of `jobs` (array job ids or job ids) is in the queue any more. */
const gone = (jobs: ReadonlyArray<string>) => () => {
  const q = sh("squeue", "-h", "-o", "%F")
  return q.code === 0 && !q.stdout.split("\n").some((l) => jobs.includes(l.trim()))
}
const waitGone = (jobs: ReadonlyArray<string>, out: string) =>
  waitUntil(`jobs ${jobs.join(", ")} to end`, gone(jobs), jobs, out)

/** Slurm's record of a job: its state per array task ("" for a plain job), and restarts. */
function jobStates(job: string): Record<string, { state: string; restarts: number }> {
  const r = sh("scontrol", "show", "job", "-o", job)
  expect(r.code, r.stderr).toBe(0)
  return Object.fromEntries(
    r.stdout
      .trim()
      .split("\n")
      .map((l) => [
        /ArrayTaskId=(\S+)/.exec(l)?.[1] ?? "",
        { state: /JobState=(\S+)/.exec(l)![1], restarts: Number(/Restarts=(\d+)/.exec(l)?.[1] ?? 0) }
      ])
  )
}

/** Every finished cell: id → summary without timing. */
const results = (dir: string) => cellOutcomes(dir, { finishedOnly: true })
const rows = cellRows
const cellIds = (out: string): string[] =>
  (JSON.parse(readFileSync(join(out, "cells.json"), "utf8")) as Array<{ id: string }>).map((c) => c.id)
const taskOf = (id: string, tasks: number): number => {
  for (let i = 1; i <= tasks; i++) if (inShard({ id } as Cell, [i, tasks])) return i - 1
  throw new Error(`cell ${id} in no shard`)
}
/** A cell that is computing: a trajectory of at least `minRows` rows and no summary yet. */
const runningCell = (out: string, minRows: number): string | undefined =>
  existsSync(join(out, "cells.json"))
    ? cellIds(out).find((id) => {
        const dir = join(out, "cells", id)
        const traj = join(dir, "trajectory.jsonl")
        return (
          !existsSync(join(dir, "summary.json")) &&
          existsSync(traj) &&
          readFileSync(traj, "utf8").split("\n").length > minRows
        )
      })
    : undefined
const status = (out: string) =>
  JSON.parse(gnlab("status", out, "--json").stdout) as {
    counts: Record<string, number>
    cells: Array<{ id: string; status: string }>
  }

const tiny = {
  name: "tiny",
  dataset: { plugin: "teacher-student", params: { nTrain: 20, nTest: 100 } },
  model: { plugin: "finite-width", params: { width: 30 } },
  methods: [{ plugin: "gn" }, { plugin: "gd", params: { maxIter: 300 } }, { plugin: "rf" }],
  seeds: [1],
  sweep: { grid: { "model.initStd": [0.5, 2] } }
}
// three GD cells of ~10 s each: long enough to be interrupted mid-cell
const long = {
  name: "long",
  dataset: { plugin: "teacher-student", params: { nTrain: 20, nTest: 100 } },
  model: { plugin: "finite-width", params: { width: 30 } },
  methods: [{ plugin: "gd", params: { maxIter: 150000, tol: 0 } }],
  seeds: [1, 2, 3]
}

describe.skipIf(problem !== undefined)(
  `gnlab submit --slurm on a real Slurm${problem !== undefined ? ` (SKIPPED: ${problem})` : ""}`,
  () => {
    it(
      "an array of 3 tasks and the report job after it compute exactly what a local run computes",
      async () => {
        const dir = tmp()
        const file = write(dir, tiny)
        const local = join(dir, "local")
        expect(gnlab("run", file, "--out", local, "--quiet", "--concurrency", "2").code).toBe(0)

        const out = join(dir, "slurm")
        const t0 = performance.now()
        const { arrayJob, reportJob } = submit(file, out, "--tasks", "3")
        await waitGone([arrayJob, reportJob], out)
        console.info(`array of 3 tasks + report: ${((performance.now() - t0) / 1000).toFixed(1)} s`)

        expect(jobStates(arrayJob), logs(out)).toEqual({
          "0": { state: "COMPLETED", restarts: 0 },
          "1": { state: "COMPLETED", restarts: 0 },
          "2": { state: "COMPLETED", restarts: 0 }
        })
        expect(jobStates(reportJob)[""].state, logs(out)).toBe("COMPLETED")
        // same cells, same summaries (final losses, iterations, stop reasons)
        expect(Object.keys(results(out)).sort()).toEqual(Object.keys(results(local)).sort())
        expect(results(out)).toEqual(results(local))
        for (const t of [0, 1, 2])
          expect(readFileSync(join(out, "slurm", "logs", `${arrayJob}_${t}.out`), "utf8")).toMatch(
            /tiny: \d computed, 0 already done, 0 failed/
          )
        expect(readFileSync(join(out, "slurm", "logs", `report-${reportJob}.out`), "utf8")).toMatch(
          /report in /
        )
        expect(existsSync(join(out, "report", "index.html"))).toBe(true)
        expect(status(out).counts).toMatchObject({ done: 6, total: 6 })
      },
      TEST_TIMEOUT
    )

    describe("interrupted tasks", () => {
      const dir = tmp()
      const file = write(dir, long)
      const reference = join(dir, "reference")
      beforeAll(() => {
        const r = gnlab("run", file, "--out", reference, "--quiet", "--concurrency", "2")
        expect(r.code, r.stderr).toBe(0)
      }, TEST_TIMEOUT)

      it(
        "a task cancelled mid-cell (scancel) leaves it checkpointed; resubmitting finishes only what is missing, identically",
        async () => {
          const out = join(dir, "cancelled")
          const t0 = performance.now()
          const first = submit(file, out, "--tasks", "3")
          let victim: string | undefined
          await waitUntil(
            "a cell to be running",
            () => (victim = runningCell(out, 70)) !== undefined,
            [first.arrayJob, first.reportJob],
            out
          )
          const task = taskOf(victim!, 3)
          Effect.runSync(scancel(`${first.arrayJob}_${task}`))
          await waitGone([first.arrayJob, first.reportJob], out)
          const t1 = performance.now()

          expect(jobStates(first.arrayJob)[String(task)].state).toBe("CANCELLED")
          // the SIGTERM reached gnlab through the script's exec: the cell wrote its checkpoint (the
          // periodic one is 5 minutes away) and has no summary
          const cell = join(out, "cells", victim!)
          expect(existsSync(join(cell, "summary.json"))).toBe(false)
          expect(existsSync(join(cell, "checkpoint.json")), logs(out)).toBe(true)
          const mid = status(out)
          expect(["running", "interrupted"]).toContain(mid.cells.find((c) => c.id === victim)!.status)
          // the cells of the other tasks are done; the report ran anyway (afterany)
          for (const id of cellIds(out).filter((id) => taskOf(id, 3) !== task))
            expect(existsSync(join(out, "cells", id, "summary.json"))).toBe(true)
          expect(jobStates(first.reportJob)[""].state).toBe("COMPLETED")
          const missing = 3 - mid.counts.done

          const second = submit(file, out, "--tasks", "3")
          expect(second.stdout).toMatch(new RegExp(`, ${missing} not done\\)`))
          await waitGone([second.arrayJob, second.reportJob], out)
          console.info(
            `cancel round: ${((t1 - t0) / 1000).toFixed(1)} s, resubmission: ${((performance.now() - t1) / 1000).toFixed(1)} s`
          )
          expect(status(out).counts).toMatchObject({ done: 3, total: 3 })
          expect(results(out)).toEqual(results(reference))
          for (const id of cellIds(out)) expect(rows(out, id)).toEqual(rows(reference, id))
          const summary = JSON.parse(readFileSync(join(cell, "summary.json"), "utf8"))
          expect(summary.resumed).toBe(true)
          expect(existsSync(join(cell, "checkpoint.json"))).toBe(false)
          // the resubmitted array computed only the missing cells
          const computed = [0, 1, 2]
            .map((t) => join(out, "slurm", "logs", `${second.arrayJob}_${t}.out`))
            .map((f) => Number(/(\d+) computed/.exec(readFileSync(f, "utf8"))?.[1]))
          expect(computed.reduce((a, b) => a + b, 0)).toBe(missing)
        },
        TEST_TIMEOUT
      )

      it(
        "a SIGTERM sent to the batch shell alone (as --signal=B:TERM@… does) reaches gnlab, which checkpoints",
        async () => {
          // without the script's exec, bash would die of it and leave node running unsignalled
          const out = join(dir, "batch-signal")
          const { arrayJob, reportJob } = submit(file, out, "--tasks", "1")
          let victim: string | undefined
          await waitUntil(
            "a cell to be running",
            () => (victim = runningCell(out, 70)) !== undefined,
            [arrayJob, reportJob],
            out
          )
          expect(sh("scancel", "--batch", "--signal=TERM", `${arrayJob}_0`).code).toBe(0)
          await waitGone([arrayJob, reportJob], out)
          const cell = join(out, "cells", victim!)
          expect(existsSync(join(cell, "summary.json"))).toBe(false)
          expect(existsSync(join(cell, "checkpoint.json")), logs(out)).toBe(true)
          expect(status(out).counts.done).toBeLessThan(3)
        },
        TEST_TIMEOUT
      )

      it(
        "a requeued task (--requeue) resumes its cell instead of restarting it",
        async () => {
          const out = join(dir, "requeued")
          const t0 = performance.now()
          const { arrayJob, reportJob } = submit(file, out, "--tasks", "3", "--requeue")
          expect(readFileSync(join(out, "slurm", "array.sbatch"), "utf8")).toContain("#SBATCH --requeue\n")
          let victim: string | undefined
          await waitUntil(
            "a cell to be running",
            () => (victim = runningCell(out, 70)) !== undefined,
            [arrayJob, reportJob],
            out
          )
          const task = `${arrayJob}_${taskOf(victim!, 3)}`
          expect(sh("scontrol", "requeue", task).code).toBe(0)
          // Slurm holds a requeued job back (BeginTime) for a while: let it start sooner — but
          // not before slurmd has finished killing the first run, or it refuses the relaunch
          // ("already killed, do not launch batch job") and the task ends FAILED
          await waitUntil(
            `${task} to be requeued`,
            () => /PENDING/.test(sh("squeue", "-h", "-j", task, "-o", "%T").stdout),
            [arrayJob, reportJob],
            out
          )
          await new Promise((r) => setTimeout(r, 15_000))
          await waitUntil(
            `${task} to be released`,
            () => sh("scontrol", "update", `jobid=${task}`, "starttime=now").code === 0,
            [arrayJob, reportJob],
            out
          )
          await waitGone([arrayJob, reportJob], out)
          console.info(`requeue round: ${((performance.now() - t0) / 1000).toFixed(1)} s`)

          expect(jobStates(arrayJob)[task.split("_")[1]]).toEqual({ state: "COMPLETED", restarts: 1 })
          const summary = JSON.parse(readFileSync(join(out, "cells", victim!, "summary.json"), "utf8"))
          expect(summary.resumed, logs(out)).toBe(true)
          // both runs of the task wrote to its log (--open-mode=append): the second one resumed
          expect(readFileSync(join(out, "slurm", "logs", `${task}.out`), "utf8")).toMatch(/resuming/)
          expect(results(out)).toEqual(results(reference))
          for (const id of cellIds(out)) expect(rows(out, id)).toEqual(rows(reference, id))
        },
        TEST_TIMEOUT
      )
    })
  }
)
