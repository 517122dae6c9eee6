import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  cachedCellDir,
  cellDir,
  cellInfo,
  checkDone,
  digestOf,
  gitState,
  memoryFiles,
  memoryLocks,
  nodeFiles,
  publishCell,
  resolveCacheDir,
  restoreCell,
  ResultStore,
  type StoreFiles
} from "../src/index.js"

/** Write a done cell `id` into `dir` (the files a finishing cell writes, the digest last). */
function writeDone(fs: StoreFiles, dir: string, id: string, loss = 0.5): void {
  fs.mkdirp(dir)
  fs.writeAtomic(join(dir, "cell.json"), JSON.stringify({ cellId: id, seed: 1 }))
  fs.writeAtomic(join(dir, "trajectory.jsonl"), `{"iter":0,"trainLoss":1}\n{"iter":1,"trainLoss":${loss}}\n`)
  fs.writeAtomic(join(dir, "summary.json"), JSON.stringify({ cellId: id, stopReason: "converged", rows: 2 }))
  fs.writeAtomic(join(dir, "digest.json"), JSON.stringify(digestOf(fs, dir, id)))
}

describe("the cell lifecycle (one vocabulary)", () => {
  it("pending, running, interrupted, done, failed and corrupt from a folder's files", () => {
    let now = 1_000_000_000
    const fs = memoryFiles(() => now)
    const at = (id: string) => cellDir("/r", id)
    expect(cellInfo(fs, at("a"), "a", now).status).toBe("pending")
    fs.mkdirp(at("b"))
    fs.writeAtomic(join(at("b"), "trajectory.jsonl"), '{"iter":0}\n')
    expect(cellInfo(fs, at("b"), "b", now, 10).status).toBe("running")
    now += 11 * 60_000
    expect(cellInfo(fs, at("b"), "b", now, 10)).toMatchObject({ status: "interrupted" })
    writeDone(fs, at("c"), "c")
    expect(cellInfo(fs, at("c"), "c", now).status).toBe("done")
    fs.mkdirp(at("d"))
    fs.writeAtomic(join(at("d"), "error.json"), JSON.stringify({ message: "boom" }))
    expect(cellInfo(fs, at("d"), "d", now)).toEqual({ status: "failed", reason: "boom" })
    writeDone(fs, at("e"), "e")
    fs.writeAtomic(
      join(at("e"), "trajectory.jsonl"),
      '{"iter":0,"trainLoss":1}\n{"iter":1,"trainLoss":0.4}\n'
    )
    expect(cellInfo(fs, at("e"), "e", now)).toMatchObject({
      status: "corrupt",
      reason: expect.stringMatching(/trajectory.jsonl differs from its digest/)
    })
  })
})

describe("the cache", () => {
  it("a published cell is restored into another folder, verified, its old checkpoint removed", () => {
    const fs = memoryFiles()
    writeDone(fs, cellDir("/a", "x"), "x")
    expect(publishCell(fs, "/cache", "x", cellDir("/a", "x"))).toBe("published")
    expect(publishCell(fs, "/cache", "x", cellDir("/a", "x"))).toBe("present")
    fs.mkdirp(cellDir("/b", "x"))
    fs.writeAtomic(join(cellDir("/b", "x"), "checkpoint.json"), "{}")
    expect(restoreCell(fs, "/cache", "x", cellDir("/b", "x"))).toEqual({ _tag: "Restored" })
    expect(checkDone(fs, cellDir("/b", "x"), "x").status).toBe("done")
    expect(fs.exists(join(cellDir("/b", "x"), "checkpoint.json"))).toBe(false)
  })

  it("a corrupt entry is never used: removed, and the cell is to be computed", () => {
    const fs = memoryFiles()
    writeDone(fs, cellDir("/a", "x"), "x")
    publishCell(fs, "/cache", "x", cellDir("/a", "x"))
    // an edited row in the cache (not through the results folder: the memory files are not shared)
    fs.writeAtomic(join(cachedCellDir("/cache", "x"), "trajectory.jsonl"), '{"iter":0,"trainLoss":9}\n')
    const r = restoreCell(fs, "/cache", "x", cellDir("/b", "x"))
    expect(r).toMatchObject({
      _tag: "CorruptEntry",
      reason: expect.stringMatching(/differs from its digest/)
    })
    expect(fs.exists(cachedCellDir("/cache", "x"))).toBe(false)
    expect(checkDone(fs, cellDir("/b", "x"), "x").status).toBe("unfinished")
    expect(restoreCell(fs, "/cache", "x", cellDir("/b", "x"))).toEqual({ _tag: "Absent" })
  })

  it("a cell that is not done is not published", () => {
    const fs = memoryFiles()
    writeDone(fs, cellDir("/a", "x"), "x")
    fs.remove(join(cellDir("/a", "x"), "digest.json"))
    expect(publishCell(fs, "/cache", "x", cellDir("/a", "x"))).toBe("not-done")
    expect(fs.exists(cachedCellDir("/cache", "x"))).toBe(false)
  })

  it("on disk: hard links into the cache and back, verified on the way", () => {
    const root = mkdtempSync(join(tmpdir(), "gnlab-store-"))
    const [a, b, cache] = [join(root, "a"), join(root, "b"), join(root, "cache")]
    writeDone(nodeFiles, cellDir(a, "x"), "x")
    expect(publishCell(nodeFiles, cache, "x", cellDir(a, "x"))).toBe("published")
    expect(restoreCell(nodeFiles, cache, "x", cellDir(b, "x"))).toEqual({ _tag: "Restored" })
    expect(statSync(join(cellDir(b, "x"), "summary.json")).nlink).toBe(3)
    // an edit through a link is seen by the cache entry too: the entry no longer verifies
    writeFileSync(join(cellDir(b, "x"), "summary.json"), "{}")
    expect(restoreCell(nodeFiles, cache, "x", cellDir(join(root, "c"), "x"))._tag).toBe("CorruptEntry")
  })

  it("the cache folder: --no-cache, --cache, GNLAB_CACHE, XDG_CACHE_HOME, ~/.cache", () => {
    expect(resolveCacheDir("/x", true, {}, "/home/u")).toBeUndefined()
    expect(resolveCacheDir("/x", false, { GNLAB_CACHE: "/y" }, "/home/u")).toBe("/x")
    expect(resolveCacheDir(undefined, false, { GNLAB_CACHE: "/y" }, "/home/u")).toBe("/y")
    expect(resolveCacheDir(undefined, false, { GNLAB_CACHE: "off" }, "/home/u")).toBeUndefined()
    expect(resolveCacheDir(undefined, false, { XDG_CACHE_HOME: "/xdg" }, "/home/u")).toBe("/xdg/gnlab")
    expect(resolveCacheDir(undefined, false, {}, "/home/u")).toBe("/home/u/.cache/gnlab")
  })
})

describe("the ResultStore service (in memory)", () => {
  const entry = { id: "x", label: "GN", point: {}, seed: 1, method: "gn" }

  it.effect("a folder holding another pipeline is refused, nothing replaced", () =>
    Effect.gen(function* () {
      const store = yield* ResultStore
      expect(yield* store.writeIndex({ name: "p" }, [entry])).toEqual({ changed: false })
      expect(yield* store.writeIndex({ name: "p" }, [entry])).toEqual({ changed: false })
      const e = yield* Effect.flip(store.writeIndex({ name: "q" }, []))
      expect(e._tag).toBe("PipelineConflict")
      expect(e.message).toMatch(/holds the results of pipeline "p".*pipeline "q" would replace them/)
      expect(JSON.parse(new TextDecoder().decode(store.files.read("/r/pipeline.json")))).toEqual({
        name: "p"
      })
      expect(yield* store.writeIndex({ name: "p", seeds: [2] } as { name: string }, [entry])).toEqual({
        changed: true
      })
    }).pipe(Effect.provide(ResultStore.layerMemory({ results: "/r", cache: undefined })))
  )

  it.effect("claims: a cell held by another live process is named, ours is released with the scope", () => {
    const locks = memoryLocks()
    locks.hold("/r/cells/y/cell.lock", {
      pid: 7,
      host: "h",
      boot: null,
      started: "t",
      command: "gnlab run other"
    })
    return Effect.gen(function* () {
      const store = yield* ResultStore
      const mine = yield* Effect.scoped(
        Effect.gen(function* () {
          const c = yield* store.claim("x", "gnlab run")
          expect(locks.held()).toContain("/r/cells/x/cell.lock")
          return c
        })
      )
      expect(mine).toEqual({ _tag: "Claimed" })
      expect(locks.held()).not.toContain("/r/cells/x/cell.lock")
      const theirs = yield* Effect.scoped(store.claim("y", "gnlab run"))
      expect(theirs).toMatchObject({ _tag: "Busy", holder: { pid: 7, command: "gnlab run other" } })
    }).pipe(Effect.provide(ResultStore.layerMemory({ results: "/r", cache: "/c", locks })))
  })
})

describe("provenance", () => {
  it("outside a git checkout the commit is null", () => {
    expect(gitState(mkdtempSync(join(tmpdir(), "gnlab-nogit-")))).toBeNull()
  })
})
