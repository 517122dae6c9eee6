/**
 * Fault injection: what a hostile world does to a results folder, and what must hold after it.
 *
 * - two runs of one pipeline into one folder (the second waits, --no-wait refuses naming the
 *   holder; shards share cells through claims): every cell computed once, intact, equal to a
 *   single run;
 * - kill -9 at random points of a run, 12 times, then a resume: equal to an uninterrupted run;
 * - a full filesystem (a small tmpfs, when this machine lets us mount one): the cells that
 *   cannot be written fail cleanly, the run goes on and exits 1, nothing temporary is left,
 *   and a rerun after space is freed completes them;
 * - corrupted files of every kind: the cell is corrupt for `status`, the report and `run`
 *   alike, and recomputed; a tampered checkpoint is refused and its cell restarts;
 * - `--out` that cannot be a results folder, and SIGTERM's exit code.
 */
import { readResults } from "@gnlab/report"
import { spawn, spawnSync } from "node:child_process"
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { FOREIGN_STALE_MINUTES, tryLock } from "../src/locks.js"
import { writeFileAtomic } from "../src/output.js"
import { cellState, openTrajectoryAt, readCheckpoint, writeCheckpoint } from "../src/store.js"
import { cellOutcomes, cellRows } from "./results-folder.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const bin = join(root, "packages/runner/bin/gnlab.js")
const gnlab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: root })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
/** A gnlab process in the background: its pid, and its exit with everything it printed. */
const start = (...args: string[]) => {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (d) => (stdout += String(d)))
  child.stderr.on("data", (d) => (stderr += String(d)))
  let ended = false
  const exited = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) =>
      child.on("close", (code, signal) => {
        ended = true
        resolve({ code, signal, stdout, stderr })
      })
  )
  return { child, exited, ended: () => ended }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const until = async (condition: () => boolean, ms = 120_000) => {
  for (const t0 = Date.now(); !condition(); await sleep(20))
    if (Date.now() - t0 > ms) throw new Error("timed out waiting")
}
const tmp = () => mkdtempSync(join(tmpdir(), "gnlab-faults-"))

/** Tiny GD cells: worker start-up dominates, the computation is a second or two. */
const pipeline = (seeds: number[], maxIter = 20000) => ({
  name: "faults",
  dataset: { plugin: "teacher-student", params: { nTrain: 20, nTest: 100 } },
  model: { plugin: "finite-width", params: { width: 30 } },
  methods: [{ plugin: "gd", params: { maxIter, tol: 0 } }],
  seeds
})
const write = (dir: string, doc: unknown) => {
  const f = join(dir, `p-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(f, JSON.stringify(doc, null, 2))
  return f
}
const events = (out: string): Array<Record<string, unknown>> =>
  existsSync(join(out, "events.jsonl"))
    ? readFileSync(join(out, "events.jsonl"), "utf8")
        .split("\n")
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>]
          } catch {
            return []
          }
        })
    : []
const computed = (stdout: string) => Number(/(\d+) computed/.exec(stdout)?.[1])
const ids = (out: string) => readdirSync(join(out, "cells")).sort()
/** Every file under `dir`, recursively. */
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]
  )

/** The reference: every cell of seeds 1–5, computed by one uninterrupted run. */
const reference = join(tmp(), "reference")
const seeds5 = [1, 2, 3, 4, 5]
/** The runs that race or get killed use three of its cells (CI's time budget: CLI start-ups are ~3 s of CPU each). */
const seeds3 = [1, 2, 3]

/** `out` holds exactly the reference's results for `only` (default: all its cells), every one intact. */
function expectSameAsReference(out: string, only?: ReadonlyArray<string>) {
  needReference()
  const want = only ?? ids(out)
  for (const id of want) {
    expect(cellState(out, id), id).toEqual({ status: "done" })
    expect(cellRows(out, id), id).toEqual(cellRows(reference, id))
    const iters = cellRows(out, id).map((r) => r.iter as number)
    expect(
      iters.every((x, i) => i === 0 || x > iters[i - 1]),
      `${id}: iter increases`
    ).toBe(true)
  }
  const all = cellOutcomes(out, { finishedOnly: true })
  const ref = cellOutcomes(reference)
  for (const id of want) expect(all[id]).toEqual(ref[id])
}

/** Compute the reference once, for the first test that needs it (the unit tests do not). */
let referenceReady = false
function needReference() {
  if (referenceReady) return
  const r = gnlab("run", write(tmp(), pipeline(seeds5)), "--out", reference, "--quiet", "--shard", "1/1")
  expect(r.code, r.stderr).toBe(0)
  expect(ids(reference)).toHaveLength(5)
  referenceReady = true
}

describe("locks", () => {
  it("a lock names its holder; a dead pid, a reused pid or another host's unrefreshed lock is stale", () => {
    const path = join(tmp(), "x.lock")
    const first = tryLock(path, "first")
    expect("lock" in first).toBe(true)
    const second = tryLock(path, "second")
    expect("holder" in second && second.holder).toMatchObject({ pid: process.pid, command: "first" })
    const holder = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>
    const forge = (over: Record<string, unknown>, ageMinutes = 0) => {
      writeFileSync(path, JSON.stringify({ ...holder, ...over }))
      const t = new Date(Date.now() - ageMinutes * 60_000)
      utimesSync(path, t, t)
    }
    const taken = (over: Record<string, unknown>, ageMinutes = 0) => {
      forge(over, ageMinutes)
      const r = tryLock(path, "taker")
      if ("lock" in r) r.lock.release()
      return "lock" in r
    }
    expect(taken({})).toBe(false) // this live process
    expect(taken({ pid: 2 ** 22 + 1 })).toBe(true) // no such pid
    expect(taken({ pidStart: "1" })).toBe(true) // the pid now belongs to a later process
    expect(taken({ boot: "another-boot" })).toBe(true)
    expect(taken({ host: "elsewhere", pid: 1 })).toBe(false) // cannot be checked from here: alive
    expect(taken({ host: "elsewhere", pid: 1 }, FOREIGN_STALE_MINUTES + 1)).toBe(true) // not refreshed
    // a release removes only the releaser's own lock
    const mine = tryLock(path, "mine")
    expect("lock" in mine).toBe(true)
    forge({ command: "someone who broke it" })
    if ("lock" in mine) mine.lock.release()
    expect(existsSync(path)).toBe(true)
  })
})

describe("two runs, one folder", () => {
  it("a second run waits for the first (--no-wait refuses, naming it): each cell computed once, equal to one run", async () => {
    const out = join(tmp(), "out")
    const file = write(tmp(), pipeline(seeds3))
    // one cell at a time: the first run outlasts the others' start-up
    const first = start("run", file, "--out", out, "--quiet", "--concurrency", "1")
    await until(() => events(out).some((e) => e.event === "run-start"))
    const holder = JSON.parse(readFileSync(join(out, "run.lock"), "utf8")) as { pid: number; host: string }
    expect(holder.pid).toBe(first.child.pid)
    const second = start("run", file, "--out", out, "--quiet")
    const refused = gnlab("run", file, "--out", out, "--quiet", "--no-wait")
    expect(first.ended(), "the first run was still running when --no-wait was refused").toBe(false)
    expect(refused.code).toBe(2)
    expect(refused.stderr.trim().split("\n")).toHaveLength(1)
    expect(refused.stderr).toMatch(
      new RegExp(`in use by gnlab run .*\\(pid ${first.child.pid} on ${holder.host}`)
    )
    const [a, b] = await Promise.all([first.exited, second.exited])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    expect(b.stderr).toMatch(new RegExp(`in use by .*pid ${first.child.pid}.*: waiting`))
    expect(computed(a.stdout)).toBe(seeds3.length)
    expect(computed(b.stdout)).toBe(0)
    expect(events(out).filter((e) => e.event === "cell-end" && e.status === "maxIter")).toHaveLength(
      seeds3.length
    )
    expect(existsSync(join(out, "run.lock"))).toBe(false)
    expectSameAsReference(out)
  })

  it("two shards over the same cells at once claim them: each cell computed by one of them", async () => {
    const out = join(tmp(), "out")
    const file = write(tmp(), pipeline(seeds3))
    const shard = () => start("run", file, "--out", out, "--quiet", "--shard", "1/1", "--concurrency", "1")
    const [a, b] = await Promise.all([shard().exited, shard().exited])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    expect(computed(a.stdout) + computed(b.stdout)).toBe(seeds3.length)
    expect(events(out).filter((e) => e.event === "cell-end" && e.status === "maxIter")).toHaveLength(
      seeds3.length
    )
    expect(files(out).filter((f) => f.endsWith("cell.lock"))).toEqual([])
    expectSameAsReference(out)
  })
})

describe("kill -9", () => {
  it("12 kills at random points, then a resume: equal to an uninterrupted run", async () => {
    const out = join(tmp(), "out")
    const file = write(tmp(), pipeline(seeds3))
    // a seeded generator: the kill points differ from one another, not from one test run to the next
    let seed = 15
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    /** The newest change to any cell's trajectory or checkpoint (ms), 0 when none. */
    const lastWrite = () =>
      existsSync(join(out, "cells"))
        ? Math.max(
            0,
            ...files(join(out, "cells"))
              .filter((f) => /trajectory\.jsonl$|checkpoint\.json$/.test(f))
              .map((f) => {
                try {
                  return statSync(f).mtimeMs
                } catch {
                  return 0
                }
              })
          )
        : 0
    let runs = 0
    for (let i = 0; i < 12; i++) {
      const before = lastWrite()
      const run = start(
        "run",
        file,
        "--out",
        out,
        "--quiet",
        "--checkpoint-minutes",
        "0.0005",
        "--concurrency",
        "2"
      )
      // every fourth kill anywhere from start-up on (index, locks, claims); the others while cells
      // compute (rows, checkpoints, summaries, digests) — worker start-up takes seconds
      if (i % 4 === 0) await sleep(random() * 4000)
      else {
        await until(() => run.ended() || lastWrite() > before)
        await sleep(random() * 1000)
      }
      run.child.kill("SIGKILL")
      const r = await run.exited
      if (r.signal === "SIGKILL") runs++
    }
    expect(runs, "runs killed before they ended").toBeGreaterThanOrEqual(5)
    // some kills landed mid-cell, after a checkpoint: the next run resumed it
    expect(events(out).some((e) => e.event === "cell-start" && e.resumed === true)).toBe(true)
    const last = gnlab("run", file, "--out", out, "--quiet")
    expect(last.code, last.stderr).toBe(0)
    expectSameAsReference(out)
    // no temporary a killed writer left in the store survives, and the folder lock is free (a kill between a
    // cell's digest and its claim's release may leave a stale cell.lock: harmless, broken when needed)
    expect(files(join(out, "cells")).filter((f) => /\.tmp-|\.new-/.test(f))).toEqual([])
    expect(existsSync(join(out, "run.lock"))).toBe(false)
  })
})

describe("a full filesystem", () => {
  const mnt = tmp()
  let mounted = false
  let why = ""
  beforeAll(() => {
    const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt], { encoding: "utf8" })
    mounted = r.status === 0
    why = mounted ? "" : `cannot mount a tmpfs here (needs root): ${(r.stderr || String(r.error)).trim()}`
  })
  afterAll(() => {
    if (mounted) spawnSync("umount", [mnt])
  })
  /** Fill the filesystem until `free` bytes are left; returns the filler's path. */
  const fill = (dir: string, free: number) => {
    const s = statfsSync(mnt)
    const filler = join(dir, "filler")
    writeFileSync(filler, Buffer.alloc(Math.max(0, s.bavail * s.bsize - free)))
    return filler
  }

  it("an atomic write or a trajectory row that does not fit fails with ENOSPC and leaves nothing behind", (ctx) => {
    if (!mounted) return ctx.skip(why)
    const dir = join(mnt, "unit")
    mkdirSync(dir)
    const filler = fill(dir, 16384)
    const target = join(dir, "big.json")
    expect(() => writeFileAtomic(target, Buffer.alloc(100_000, 1))).toThrow(/ENOSPC/)
    expect(readdirSync(dir).sort()).toEqual(["filler"])
    const trajectory = openTrajectoryAt(dir, 0, 0)
    const row = { iter: 0, pad: "x".repeat(50_000) }
    expect(() => trajectory.append(row)).toThrow(/ENOSPC/)
    expect(trajectory.rows).toBe(0)
    trajectory.close()
    expect(statSync(join(dir, "trajectory.jsonl")).size).toBe(0) // no half row
    rmSync(dir, { recursive: true })
    expect(existsSync(filler)).toBe(false)
  })

  it("cells that cannot be written fail cleanly, the run goes on and exits 1; freed space resumes", (ctx) => {
    if (!mounted) return ctx.skip(why)
    const out = join(mnt, "out")
    const one = gnlab("run", write(tmp(), pipeline([1])), "--out", out, "--quiet", "--shard", "1/1")
    expect(one.code, one.stderr).toBe(0)
    const [done] = ids(out)
    // room for the index, not for two more trajectories
    const filler = fill(mnt, 16384)
    const file = write(tmp(), pipeline([1, 2, 3]))
    const full = gnlab("run", file, "--out", out, "--quiet", "--concurrency", "1")
    expect(full.code, full.stderr).toBe(1)
    expect(full.stdout).toMatch(/0 computed, 1 already done, 2 failed/)
    expect(full.stderr).toMatch(/failed: .*(ENOSPC|no space left)/)
    expect(full.stderr + full.stdout).not.toMatch(/^\s+at /m) // no stack trace
    expect(files(out).filter((f) => /\.tmp-|\.new-|\.lock/.test(f))).toEqual([])
    for (const id of ids(out))
      expect(["done", "failed", "partial", "pending"]).toContain(cellState(out, id).status)
    expect(cellState(out, done).status).toBe("done")
    rmSync(filler)
    const freed = gnlab("run", file, "--out", out, "--quiet", "--concurrency", "1")
    expect(freed.code, freed.stderr).toBe(0)
    expect(freed.stdout).toMatch(/2 computed, 1 already done, 0 failed/)
    expectSameAsReference(out)
  })
})

describe("corrupted cell files", () => {
  it("every kind of damage to a done cell makes it corrupt for status, the report and run, which recomputes it", async () => {
    const out = join(tmp(), "out")
    needReference()
    cpSync(reference, out, { recursive: true })
    const cells = ids(out)
    const path = (i: number, f: string) => join(out, "cells", cells[i], f)
    const edit = (i: number, f: string, change: (text: string) => string) => {
      const before = readFileSync(path(i, f), "utf8")
      const after = change(before)
      expect(after, `${f} changed`).not.toBe(before)
      writeFileSync(path(i, f), after)
    }
    const lines = (text: string, change: (ls: string[]) => void) => {
      const ls = text.split("\n")
      change(ls)
      return ls.join("\n")
    }
    // a value of the summary (still valid JSON)
    edit(0, "summary.json", (t) =>
      t.replace(/"iterations": (\d+)/, (_, n) => `"iterations": ${Number(n) - 1}`)
    )
    // one value in a trajectory row (still valid JSON, same row count)
    edit(1, "trajectory.jsonl", (t) =>
      lines(t, (ls) => {
        const row = JSON.parse(ls[3]) as Record<string, number>
        ls[3] = JSON.stringify({ ...row, trainLoss: row.trainLoss * 1.5 })
      })
    )
    // an unparseable middle row
    edit(2, "trajectory.jsonl", (t) => lines(t, (ls) => void (ls[2] = '{"iter": 2, "trainLoss": 0.1')))
    // the digest itself
    edit(3, "digest.json", (t) =>
      t.replace(/"sha256": "(.)/, (_, c) => `"sha256": "${c === "0" ? "1" : "0"}`)
    )
    // the resolved config
    edit(4, "cell.json", (t) => t.replace(/"nTest": 100/, '"nTest": 101'))

    for (const id of cells) expect(cellState(out, id).status, id).toBe("corrupt")
    const status = gnlab("status", out, "--json")
    expect(status.code, status.stderr).toBe(0)
    const s = JSON.parse(status.stdout) as {
      counts: Record<string, number>
      cells: Array<{ id: string; error: string }>
    }
    expect(s.counts.corrupt).toBe(5)
    // the reason status gives is the shared rule's
    for (const c of s.cells as Array<{ id: string; error: string }>)
      expect(c.error).toBe(cellState(out, c.id).reason)
    const folder = await Effect.runPromise(readResults(out))
    expect(folder.cells.map((c) => c.state)).toEqual(cells.map(() => "corrupt"))

    const r = gnlab("run", write(tmp(), pipeline(seeds5)), "--out", out, "--quiet", "--shard", "1/1")
    expect(r.code, r.stderr).toBe(0)
    expect(computed(r.stdout)).toBe(5)
    expectSameAsReference(out)
    const again = await Effect.runPromise(readResults(out))
    expect(again.cells.map((c) => c.state)).toEqual(cells.map(() => "maxIter"))
  })

  it("a checkpoint whose metadata, binary or trajectory prefix changed is refused", () => {
    const dir = tmp()
    writeFileSync(join(dir, "trajectory.jsonl"), '{"iter":0}\n{"iter":1}\n')
    const checkpoint = {
      cellId: "c",
      state: { iter: 7, w: new Float64Array([1, 2, 3]) },
      loss0: 0.5,
      initialTestLoss: 0.6,
      trajectoryBytes: 22,
      trajectoryRows: 2,
      elapsedSeconds: 1
    }
    writeCheckpoint(dir, checkpoint)
    expect(readCheckpoint(dir, "c")?.trajectoryRows).toBe(2)
    const json = readFileSync(join(dir, "checkpoint.json"), "utf8")
    const bin = readFileSync(join(dir, "checkpoint.bin"))
    const tampered: Array<[string, () => void]> = [
      [
        "checkpoint.json: a value",
        () => writeFileSync(join(dir, "checkpoint.json"), json.replace('"loss0":0.5', '"loss0":0.25'))
      ],
      [
        "checkpoint.json: the row count",
        () =>
          writeFileSync(
            join(dir, "checkpoint.json"),
            json.replace('"trajectoryRows":2', '"trajectoryRows":1')
          )
      ],
      ["checkpoint.bin", () => writeFileSync(join(dir, "checkpoint.bin"), Buffer.from(bin).fill(7, 0, 1))],
      [
        "the trajectory prefix",
        () => writeFileSync(join(dir, "trajectory.jsonl"), '{"iter":0}\n{"iter":5}\n')
      ]
    ]
    for (const [what, damage] of tampered) {
      damage()
      expect(readCheckpoint(dir, "c"), what).toBeUndefined()
      writeFileSync(join(dir, "checkpoint.json"), json)
      writeFileSync(join(dir, "checkpoint.bin"), bin)
      writeFileSync(join(dir, "trajectory.jsonl"), '{"iter":0}\n{"iter":1}\n')
      expect(readCheckpoint(dir, "c")?.trajectoryRows, `${what} restored`).toBe(2)
    }
  })

  it("SIGTERM checkpoints and exits 143; an edited checkpoint.json or checkpoint.bin restarts its cell", async () => {
    const killed = join(tmp(), "killed")
    const file = write(tmp(), pipeline([1, 2]))
    const run = start(
      "run",
      file,
      "--out",
      killed,
      "--quiet",
      "--checkpoint-minutes",
      "0.0005",
      "--concurrency",
      "1"
    )
    const checkpointed = () =>
      existsSync(join(killed, "cells")) &&
      ids(killed).some((id) => existsSync(join(killed, "cells", id, "checkpoint.json")))
    await until(checkpointed)
    run.child.kill("SIGTERM")
    const r = await run.exited
    expect(r.code, r.stderr).toBe(143)
    const [id] = ids(killed).filter((x) => existsSync(join(killed, "cells", x, "checkpoint.json")))
    expect(id).toBeDefined()
    // the same interrupted folder twice: one with an edited checkpoint.json, one with an edited .bin
    const [editedJson, editedBin] = [join(tmp(), "json"), join(tmp(), "bin")]
    cpSync(killed, editedJson, { recursive: true })
    cpSync(killed, editedBin, { recursive: true })
    const json = join(editedJson, "cells", id, "checkpoint.json")
    writeFileSync(
      json,
      readFileSync(json, "utf8").replace(/"elapsedSeconds":[0-9.e-]+/, '"elapsedSeconds":1234')
    )
    const bin = join(editedBin, "cells", id, "checkpoint.bin")
    writeFileSync(bin, Buffer.from(readFileSync(bin)).fill(1, 8, 16))
    expect(readCheckpoint(join(killed, "cells", id), id)).toBeDefined()
    const reruns = await Promise.all(
      [editedJson, editedBin].map(
        (out) => start("run", file, "--out", out, "--quiet", "--shard", "1/1").exited
      )
    )
    for (const [k, out] of [editedJson, editedBin].entries()) {
      expect(reruns[k].code, reruns[k].stderr).toBe(0)
      expect(reruns[k].stderr).not.toMatch(/resuming/)
      expect(JSON.parse(readFileSync(join(out, "cells", id, "summary.json"), "utf8")).resumed).toBe(false)
      expectSameAsReference(out)
    }
  })
})

describe("--out that cannot be a results folder: one line, exit 2, nothing else", () => {
  const dir = tmp()
  const file = write(dir, pipeline([1]))
  const aFile = join(dir, "a-file")
  writeFileSync(aFile, "x")
  const cases: Array<[string, string, RegExp]> = [
    ["a file", aFile, /--out: .*a-file is a file, not a folder/],
    ["under a file", join(aFile, "sub"), /--out: .*a-file is a file, not a folder/],
    ["an empty string", "", /--out: is empty/],
    ["/proc/foo", "/proc/foo", /--out: cannot create the folder \/proc\/foo/]
  ]
  for (const [what, out, message] of cases)
    it(what, () => {
      const r = gnlab("run", file, "--out", out, "--quiet")
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
    })

  it("a read-only folder", (ctx) => {
    const ro = join(dir, "ro")
    mkdirSync(ro)
    // root ignores permission bits: a read-only mount is the only read-only folder for root
    const isRoot = process.getuid?.() === 0
    if (isRoot) {
      const r = spawnSync("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", ro], { encoding: "utf8" })
      if (r.status !== 0) return ctx.skip(`cannot mount a read-only tmpfs: ${r.stderr.trim()}`)
    } else spawnSync("chmod", ["555", ro])
    try {
      const r = gnlab("run", file, "--out", join(ro, "out"), "--quiet")
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(
        /--out: cannot create the folder .*ro\/out \((read-only filesystem|permission denied)\)/
      )
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
    } finally {
      if (isRoot) spawnSync("umount", [ro])
    }
  })
})
