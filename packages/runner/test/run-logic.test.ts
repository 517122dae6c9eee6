/**
 * The runner's logic — which cells to compute, skip, take from the cache, leave to another
 * run, record as failed — on the in-memory result store, with a stand-in for the worker that
 * writes a done cell's files: no process spawned, no disk touched.
 */
import { describe, expect, it } from "@effect/vitest"
import { expandCells, type Cell, type Pipeline } from "@gnlab/pipeline"
import {
  cachedCellDir,
  digestOf,
  memoryFiles,
  memoryLocks,
  ResultStore,
  type MemoryFiles,
  type MemoryLocks
} from "@gnlab/store"
import { Effect, Fiber } from "effect"
import { join } from "node:path"
import type { CellSummary } from "../src/cell.js"
import { runPipeline, type ComputeCell, type RunOptions } from "../src/pipeline-run.js"
import { registry } from "../src/plugins.js"
import { CellFailed } from "../src/pool.js"
import type { ProgressSink } from "../src/progress.js"

const pipeline = (name = "p"): Pipeline =>
  ({
    name,
    dataset: { plugin: "teacher-student", params: { nTrain: 20, nTest: 100 } },
    model: { plugin: "finite-width", params: { width: 30 } },
    methods: [{ plugin: "gn" }, { plugin: "gd", params: { maxIter: 300 } }],
    seeds: [1],
    sweep: { grid: { "model.initStd": [0.5, 2] } }
  }) as unknown as Pipeline

const silent: ProgressSink = { cellStarted() {}, cellProgress() {}, cellFinished() {}, stop() {} }
const options = (over: Partial<RunOptions> = {}): RunOptions => ({
  concurrency: 2,
  shard: undefined,
  force: false,
  wait: false,
  command: "gnlab run p.json",
  progress: () => silent,
  warn: () => {},
  ...over
})

/** A stand-in for the worker: writes a done cell (or fails the cells `failing` names). */
function fakeCompute(fs: MemoryFiles, failing: (c: Cell) => boolean = () => false) {
  const computed: string[] = []
  const compute: ComputeCell = (cell, dir, hooks) =>
    Effect.gen(function* () {
      hooks.started(false)
      if (failing(cell)) return yield* new CellFailed({ cellId: cell.id, message: "boom" })
      computed.push(cell.id)
      const summary = { cellId: cell.id, stopReason: "converged", rows: 2, iterations: 1 }
      fs.mkdirp(dir)
      fs.writeAtomic(join(dir, "cell.json"), JSON.stringify({ cellId: cell.id, ...cell.config }))
      fs.writeAtomic(join(dir, "trajectory.jsonl"), '{"iter":0,"trainLoss":1}\n{"iter":1,"trainLoss":0.1}\n')
      fs.writeAtomic(join(dir, "summary.json"), JSON.stringify(summary))
      fs.writeAtomic(join(dir, "digest.json"), JSON.stringify(digestOf(fs, dir, cell.id)))
      return summary as unknown as CellSummary
    })
  return { compute, computed }
}

const cellsOf = (p: Pipeline) => expandCells(p, registry, undefined)

const run = (
  fs: MemoryFiles,
  results: string,
  compute: ComputeCell,
  o: { cache?: string; locks?: MemoryLocks; over?: Partial<RunOptions>; p?: Pipeline } = {}
) => {
  const p = o.p ?? pipeline()
  return runPipeline(p, cellsOf(p), options(o.over), compute).pipe(
    Effect.scoped,
    Effect.provide(
      ResultStore.layerMemory({ results, cache: o.cache, files: fs, locks: o.locks, pollMillis: 5 })
    )
  )
}

describe("gnlab run's logic on the in-memory store", () => {
  it.effect("computes every cell once; a rerun skips them; --force recomputes", () =>
    Effect.gen(function* () {
      const fs = memoryFiles()
      const f = fakeCompute(fs)
      const first = yield* run(fs, "/r", f.compute)
      expect(first).toMatchObject({ total: 4, computed: 4, skipped: 0, reused: 0, failed: [], busy: [] })
      expect((yield* run(fs, "/r", f.compute)).computed).toBe(0)
      expect((yield* run(fs, "/r", f.compute, { over: { force: true } })).computed).toBe(4)
      expect(fs.paths()).toContain("/r/cells.json")
    })
  )

  it.effect("a second results folder takes the cells from the cache; another pipeline shares its cells", () =>
    Effect.gen(function* () {
      const fs = memoryFiles()
      const f = fakeCompute(fs)
      yield* run(fs, "/a", f.compute, { cache: "/cache" })
      const second = yield* run(fs, "/b", f.compute, { cache: "/cache" })
      expect(second).toMatchObject({ computed: 0, reused: 4 })
      // two seeds: the first seed's cells come from the cache, the second's are computed
      const p = { ...pipeline("q"), seeds: [1, 2] } as Pipeline
      expect(yield* run(fs, "/c", f.compute, { cache: "/cache", p })).toMatchObject({
        computed: 4,
        reused: 4
      })
      expect(f.computed).toHaveLength(8)
      // without the cache the folder computes its own
      expect((yield* run(fs, "/d", f.compute)).computed).toBe(4)
    })
  )

  it.effect("a corrupt cache entry is recomputed, never used", () =>
    Effect.gen(function* () {
      const fs = memoryFiles()
      const f = fakeCompute(fs)
      yield* run(fs, "/a", f.compute, { cache: "/cache" })
      const id = cellsOf(pipeline())[0].id
      fs.writeAtomic(join(cachedCellDir("/cache", id), "summary.json"), "{}")
      const warnings: string[] = []
      const r = yield* run(fs, "/b", f.compute, {
        cache: "/cache",
        over: { warn: (l) => void warnings.push(l) }
      })
      expect(r).toMatchObject({ computed: 1, reused: 3 })
      expect(warnings.join("\n")).toMatch(new RegExp(`entry of ${id} does not verify`))
      // and the recomputed cell is in the cache again
      expect((yield* run(fs, "/c", f.compute, { cache: "/cache" })).reused).toBe(4)
    })
  )

  it.effect(
    "a cell claimed by another live run is left to it; a failing cell is recorded and the run goes on",
    () =>
      Effect.gen(function* () {
        const fs = memoryFiles()
        const locks = memoryLocks()
        const [busyCell, failingCell] = cellsOf(pipeline())
        const holder = { pid: 9, host: "h", boot: null, started: "t", command: "gnlab run --shard 1/2" }
        locks.hold(`/r/cells/${busyCell.id}/cell.lock`, holder)
        const f = fakeCompute(fs, (c) => c.id === failingCell.id)
        const r = yield* run(fs, "/r", f.compute, { locks })
        expect(r.busy.map((b) => [b.cell.id, b.holder.pid])).toEqual([[busyCell.id, 9]])
        expect(r.failed.map((x) => [x.cell.id, x.message])).toEqual([[failingCell.id, "boom"]])
        expect(r.computed).toBe(2)
        expect(fs.read(`/r/cells/${failingCell.id}/error.json`)).toBeDefined()
        expect(locks.held()).toEqual([`/r/cells/${busyCell.id}/cell.lock`])
      })
  )

  // live clock: the wait polls every 5 ms while the other process takes 30 ms
  it.live("a cell another process computes for another folder is waited for, then taken from the cache", () =>
    Effect.gen(function* () {
      const fs = memoryFiles()
      const locks = memoryLocks()
      const f = fakeCompute(fs)
      const first = cellsOf(pipeline())[0]
      // another process computes the first cell for /elsewhere and holds its cache claim
      const claim = `/cache/claims/${first.id}.lock`
      locks.hold(claim, { pid: 5, host: "h", boot: null, started: "t", command: "gnlab run other" })
      const other = yield* Effect.gen(function* () {
        yield* Effect.sleep("30 millis")
        yield* f.compute(first, "/elsewhere/cells/" + first.id, { started() {}, progress() {} })
        fs.mkdirp(cachedCellDir("/cache", first.id))
        for (const name of ["cell.json", "trajectory.jsonl", "summary.json", "digest.json"])
          fs.linkOrCopy(`/elsewhere/cells/${first.id}/${name}`, join(cachedCellDir("/cache", first.id), name))
        locks.free(claim)
      }).pipe(Effect.forkChild)
      const waited: string[] = []
      const r = yield* run(fs, "/r", f.compute, {
        cache: "/cache",
        locks,
        over: { warn: (l) => void waited.push(l) }
      })
      yield* Fiber.join(other)
      expect(r).toMatchObject({ computed: 3, reused: 1 })
      expect(waited.join("\n")).toMatch(/being computed by gnlab run other .* \(cache\): waiting for it/)
      expect(f.computed.filter((id) => id === first.id)).toHaveLength(1)
    }).pipe(Effect.timeout("10 seconds"))
  )

  it.effect("another pipeline into the folder is refused before anything is written", () =>
    Effect.gen(function* () {
      const fs = memoryFiles()
      const f = fakeCompute(fs)
      yield* run(fs, "/r", f.compute)
      const before = fs.paths()
      const e = yield* Effect.flip(run(fs, "/r", f.compute, { p: pipeline("q") }))
      expect(e._tag).toBe("PipelineConflict")
      expect(fs.paths()).toEqual(before)
    })
  )
})
