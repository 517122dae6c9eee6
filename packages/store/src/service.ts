/**
 * The result store as an Effect service: one results folder (and, optionally, the cache shared
 * across folders), the cell lifecycle, claims, the folder's index and event log. Two Layers
 * build it: `ResultStore.layerNode` on this machine's filesystem and locks, and
 * `ResultStore.layerMemory` on an in-memory filesystem and in-memory locks, on which the
 * runner's logic is unit-tested without spawning processes.
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { join } from "node:path"
import { publishCell, restoreCell, type Published, type Restored } from "./cache.js"
import { PipelineConflict, ResultsUnwritable } from "./errors.js"
import { memoryFiles, nodeFiles, type StoreFiles } from "./files.js"
import { cellInfo, DEFAULT_RUNNING_MINUTES, type CellInfo } from "./lifecycle.js"
import { cacheClaimPath, cellDir, ERROR_FILE, EVENTS_FILE, INDEX_FILE, PIPELINE_FILE } from "./layout.js"
import { FolderBusy, isDeadTakersTemporary, tryLock, type HeldLock, type LockHolder } from "./locks.js"

/** How the store takes locks: files naming live processes (locks.ts), or a map in memory. */
export interface StoreLocks {
  /** take the lock at `path`, or name its live holder */
  tryLock(path: string, command: string): { readonly lock: HeldLock } | { readonly holder: LockHolder }
  /** whether a file name is the temporary of a writer that died mid-write */
  isDeadTemporary(name: string): boolean
}

/** The locks of this machine (locks.ts: pid, host and boot id; stale locks broken). */
export const nodeLocks: StoreLocks = { tryLock, isDeadTemporary: isDeadTakersTemporary }

/** In-memory locks; `hold` makes a lock look held by another live process. */
export interface MemoryLocks extends StoreLocks {
  hold(path: string, holder: LockHolder): void
  /** release a lock `hold` took (its holder ended) */
  free(path: string): void
  /** the paths held now */
  held(): ReadonlyArray<string>
}

/** Locks in memory (unit tests). */
export function memoryLocks(): MemoryLocks {
  const holders = new Map<string, LockHolder>()
  return {
    tryLock(path, command) {
      const h = holders.get(path)
      if (h !== undefined) return { holder: h }
      const me: LockHolder = { pid: 1, host: "memory", boot: null, started: "now", command }
      holders.set(path, me)
      return { lock: { path, release: () => void (holders.get(path) === me && holders.delete(path)) } }
    },
    isDeadTemporary: () => false,
    hold: (path, holder) => void holders.set(path, holder),
    free: (path) => void holders.delete(path),
    held: () => [...holders.keys()]
  }
}

/** A claim on a cell: ours (released with the scope), or held by another live process. */
export type Claim = { readonly _tag: "Claimed" } | { readonly _tag: "Busy"; readonly holder: LockHolder }

/** The pipeline part of a results folder's index. */
export interface IndexedPipeline {
  readonly name: string
}

/** A row of cells.json. */
export interface IndexEntry {
  readonly id: string
  readonly label: string
  readonly point: Readonly<Record<string, unknown>>
  readonly seed: number
  readonly method: string
}

/** The result store of one results folder. */
export interface ResultStoreApi {
  /** the results folder */
  readonly results: string
  /** the cache folder, undefined when the cache is off */
  readonly cache: string | undefined
  /** the filesystem it works on */
  readonly files: StoreFiles
  /** the folder of cell `id` */
  readonly cellDir: (id: string) => string
  /** where cell `id` stands (one vocabulary: lifecycle.ts) */
  readonly info: (id: string, nowMs?: number, runningMinutes?: number) => Effect.Effect<CellInfo>
  /**
   * Hold the folder for this run until the scope closes: another holder makes it wait (`wait`,
   * saying so once through `onWait`) or fail with FolderBusy.
   */
  readonly holdFolder: (
    command: string,
    wait: boolean,
    onWait: (holder: LockHolder) => Effect.Effect<void>
  ) => Effect.Effect<void, FolderBusy | ResultsUnwritable, Scope.Scope>
  /** claim cell `id` in this folder for the scope, or learn who holds it */
  readonly claim: (id: string, command: string) => Effect.Effect<Claim, ResultsUnwritable, Scope.Scope>
  /**
   * Claim cell `id` in the cache for the scope, waiting while another process computes it for
   * another folder (`onWait` once). Nothing without a cache.
   */
  readonly claimShared: (
    id: string,
    command: string,
    onWait: (holder: LockHolder) => Effect.Effect<void>
  ) => Effect.Effect<void, ResultsUnwritable, Scope.Scope>
  /** take cell `id` from the cache into this folder, if the cache holds it intact */
  readonly restore: (id: string) => Effect.Effect<Restored, ResultsUnwritable>
  /** put the done cell `id` of this folder into the cache */
  readonly publish: (id: string, replace: boolean) => Effect.Effect<Published, ResultsUnwritable>
  /**
   * Write pipeline.json and cells.json. A folder holding another pipeline (another name) is
   * refused with PipelineConflict, nothing written; `changed` says this pipeline's file differed.
   */
  readonly writeIndex: (
    pipeline: IndexedPipeline,
    entries: ReadonlyArray<IndexEntry>
  ) => Effect.Effect<{ readonly changed: boolean }, PipelineConflict | ResultsUnwritable>
  /** make cell `id`'s folder and clear what a failed or killed attempt left (error, temporaries) */
  readonly prepareCell: (id: string) => Effect.Effect<void, ResultsUnwritable>
  /** record a cell that threw (error.json), if the disk lets us */
  readonly recordError: (id: string, error: { message: string; stack?: string }) => Effect.Effect<boolean>
  /** append to events.jsonl (best effort: a log line is never worth failing a run) */
  readonly event: (event: Readonly<Record<string, unknown>>) => Effect.Effect<void>
}

/** The result store service. */
export class ResultStore extends Context.Service<ResultStore, ResultStoreApi>()("@gnlab/store/ResultStore") {
  /** The store of `results` on this machine's filesystem; `cache` undefined: no cache. */
  static layerNode(options: { readonly results: string; readonly cache: string | undefined }) {
    return Layer.succeed(ResultStore, makeResultStore({ ...options, files: nodeFiles, locks: nodeLocks }))
  }

  /** The store of `results` in memory (unit tests); pass `files`/`locks` to inspect or seed them. */
  static layerMemory(options: {
    readonly results: string
    readonly cache: string | undefined
    readonly files?: StoreFiles
    readonly locks?: StoreLocks
    readonly pollMillis?: number
  }) {
    return Layer.succeed(
      ResultStore,
      makeResultStore({
        ...options,
        files: options.files ?? memoryFiles(),
        locks: options.locks ?? memoryLocks()
      })
    )
  }
}

/** What a store is made of. */
export interface StoreDeps {
  readonly results: string
  readonly cache: string | undefined
  readonly files: StoreFiles
  readonly locks: StoreLocks
  /** milliseconds between looks at a busy lock (default 1 000) */
  readonly pollMillis?: number
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** A result store over the given files and locks. */
export function makeResultStore(deps: StoreDeps): ResultStoreApi {
  const { results, cache, files: fs, locks } = deps
  const poll = deps.pollMillis ?? 1000
  const io =
    (folder: string, what: string) =>
    <A>(f: () => A): Effect.Effect<A, ResultsUnwritable> =>
      Effect.try({
        try: f,
        catch: (e) => new ResultsUnwritable({ folder, problem: `${what}: ${message(e)}` })
      })
  const dirOf = (id: string) => cellDir(results, id)
  const release = (lock: HeldLock) => Effect.sync(() => lock.release())

  /** take `path`, polling while a live holder has it (`onWait` once); with !wait, the holder */
  const take = (
    path: string,
    command: string,
    wait: boolean,
    onWait: (h: LockHolder) => Effect.Effect<void>
  ): Effect.Effect<{ readonly lock: HeldLock } | { readonly holder: LockHolder }, ResultsUnwritable> =>
    Effect.gen(function* () {
      let told = false
      for (;;) {
        const r = yield* io(path, "cannot take the lock")(() => locks.tryLock(path, command))
        if ("lock" in r || !wait) return r
        if (!told) yield* onWait(r.holder)
        told = true
        yield* Effect.sleep(poll)
      }
    })

  return {
    results,
    cache,
    files: fs,
    cellDir: dirOf,
    info: (id, nowMs, runningMinutes) =>
      Effect.sync(() =>
        cellInfo(fs, dirOf(id), id, nowMs ?? Date.now(), runningMinutes ?? DEFAULT_RUNNING_MINUTES)
      ),
    holdFolder: (command, wait, onWait) =>
      Effect.acquireRelease(
        Effect.gen(function* () {
          const r = yield* take(join(results, "run.lock"), command, wait, onWait)
          if ("holder" in r) return yield* new FolderBusy({ folder: results, holder: r.holder })
          return r.lock
        }),
        release
      ).pipe(Effect.asVoid),
    claim: (id, command) =>
      Effect.acquireRelease(
        io(
          results,
          `cannot claim cell ${id}`
        )(() => {
          fs.mkdirp(dirOf(id))
          return locks.tryLock(join(dirOf(id), "cell.lock"), command)
        }),
        (r) => ("lock" in r ? release(r.lock) : Effect.void)
      ).pipe(
        Effect.map((r): Claim => ("lock" in r ? { _tag: "Claimed" } : { _tag: "Busy", holder: r.holder }))
      ),
    claimShared: (id, command, onWait) =>
      cache === undefined
        ? Effect.void
        : Effect.acquireRelease(
            Effect.gen(function* () {
              yield* io(cache, "cannot create the cache")(() => fs.mkdirp(join(cache, "claims")))
              const r = yield* take(cacheClaimPath(cache, id), command, true, onWait)
              // waiting never ends with a holder
              return "lock" in r ? r.lock : { path: cacheClaimPath(cache, id), release: () => {} }
            }),
            release
          ).pipe(Effect.asVoid),
    restore: (id) =>
      cache === undefined
        ? Effect.succeed({ _tag: "Absent" } as const)
        : io(cache, `cannot take cell ${id} from the cache`)(() => restoreCell(fs, cache, id, dirOf(id))),
    publish: (id, replace) =>
      cache === undefined
        ? Effect.succeed("not-done" as const)
        : io(
            cache,
            `cannot put cell ${id} into the cache`
          )(() => publishCell(fs, cache, id, dirOf(id), replace)),
    writeIndex: (pipeline, entries) =>
      Effect.gen(function* () {
        const path = join(results, PIPELINE_FILE)
        const text = JSON.stringify(pipeline, null, 2) + "\n"
        const old = fs.read(path)
        let oldName: unknown
        try {
          oldName =
            old === undefined
              ? undefined
              : (JSON.parse(new TextDecoder().decode(old)) as { name?: unknown }).name
        } catch {
          oldName = undefined // unreadable: rewritten
        }
        if (typeof oldName === "string" && oldName !== pipeline.name)
          return yield* new PipelineConflict({ folder: results, existing: oldName, incoming: pipeline.name })
        const write = io(results, "cannot write the index")
        yield* write(() => {
          fs.mkdirp(join(results, "cells"))
          fs.writeAtomic(path, text)
          fs.writeAtomic(join(results, INDEX_FILE), JSON.stringify(entries, null, 2) + "\n")
        })
        return { changed: old !== undefined && new TextDecoder().decode(old) !== text }
      }),
    prepareCell: (id) =>
      io(
        results,
        `cannot clear cell ${id}`
      )(() => {
        const dir = dirOf(id)
        fs.mkdirp(dir)
        fs.remove(join(dir, ERROR_FILE))
        // temporaries of a writer killed mid-write (kill -9): only the claim holder writes here
        for (const f of fs.list(dir))
          if (f.includes(".tmp-") || locks.isDeadTemporary(f)) fs.remove(join(dir, f))
      }),
    recordError: (id, error) =>
      Effect.sync(() => {
        try {
          fs.mkdirp(dirOf(id))
          fs.writeAtomic(
            join(dirOf(id), ERROR_FILE),
            JSON.stringify({ message: error.message, stack: error.stack }, null, 2) + "\n"
          )
          return true
        } catch {
          return false
        }
      }),
    event: (event) =>
      Effect.sync(() => {
        try {
          fs.append(
            join(results, EVENTS_FILE),
            JSON.stringify({ time: new Date().toISOString(), ...event }) + "\n"
          )
        } catch {
          // a full disk: the cells' own files say what happened
        }
      })
  }
}
