/**
 * The files a cell writes while it is computed, in the worker thread that computes it: the
 * trajectory streamed row by row, checkpoints, and the summary and digest at the end. The
 * layout, the lifecycle, the done rule, claims and the cache belong to `@gnlab/store`
 * (ResultStore); this module is the part that runs inside a cell, on the disk:
 *
 *   cell.json          the resolved config (written first)
 *   trajectory.jsonl   rows, streamed as they are computed
 *   summary.json       written atomically when the cell ends
 *   digest.json        written last: the SHA-256 of cell.json, trajectory.jsonl and summary.json
 *   checkpoint.json    + checkpoint.bin: the state of an unfinished cell (weights, iteration,
 *                      method buffers, trajectory offset), written atomically every few minutes
 *                      and on interruption; removed when the cell is done
 *   error.json         a cell that threw: the error (the cell is retried by the next run)
 *
 * `cellState`/`cellStatus` are kept for callers of the older words (`partial` for the store's
 * running or interrupted).
 */
import {
  cellDir,
  cellFiles,
  cellInfo,
  DIGEST_FILE,
  digestOf,
  nodeFiles,
  sha256,
  writeAll,
  writeFileAtomic
} from "@gnlab/store"
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync
} from "node:fs"
import { join } from "node:path"

export { cellDir }

/**
 * Where a cell stands in a results folder, in the runner's older words: `partial` is the store's
 * running or interrupted (the store's vocabulary, `CellStatus` of @gnlab/store, is the one to use).
 */
export type CellStatus = "done" | "partial" | "failed" | "pending" | "corrupt"

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"))

/** Where a cell stands, and why a corrupt one is corrupt. */
export interface CellState {
  readonly status: CellStatus
  readonly reason?: string
}

/** The state of a cell in `results` (the store's `cellInfo`, with running and interrupted as partial). */
export function cellState(results: string, id: string): CellState {
  const info = cellInfo(nodeFiles, cellDir(results, id), id)
  switch (info.status) {
    case "running":
    case "interrupted":
      return { status: "partial" }
    case "corrupt":
      return { status: "corrupt", reason: info.reason }
    default:
      return { status: info.status }
  }
}

/** The status of a cell in `results`. */
export const cellStatus = (results: string, id: string): CellStatus => cellState(results, id).status

/**
 * Clear a cell folder (corrupt, --force, or an unusable checkpoint) and write cell.json.
 * Only the cell's own files are removed: `gnlab train --out DIR` may point at a folder with
 * other files in it.
 */
export function resetCell(dir: string, config: unknown): void {
  mkdirSync(dir, { recursive: true })
  for (const f of cellFiles) rmSync(join(dir, f), { force: true })
  writeFileAtomic(join(dir, "cell.json"), JSON.stringify(config, null, 2) + "\n")
}

/** An append-only trajectory file that knows its size (the checkpoint records it). */
export interface TrajectoryFile {
  readonly bytes: number
  readonly rows: number
  append(row: object): void
  /** flush to disk (before a checkpoint names this offset) */
  sync(): void
  close(): void
}

/** Open `trajectory.jsonl` for appending after truncating it to `bytes` (0: a fresh file). */
export function openTrajectoryAt(dir: string, bytes: number, rows: number): TrajectoryFile {
  const path = join(dir, "trajectory.jsonl")
  if (bytes === 0 || !existsSync(path)) closeSync(openSync(path, "w"))
  else {
    // a file shared with the cache (a hard link) is never changed in place: take a private copy
    if (statSync(path).nlink > 1) {
      const copy = `${path}.tmp-unlink-${process.pid}`
      copyFileSync(path, copy)
      renameSync(copy, path)
    }
    truncateSync(path, bytes)
  }
  const fd = openSync(path, "a")
  let size = bytes
  let count = rows
  let open = true
  return {
    get bytes() {
      return size
    },
    get rows() {
      return count
    },
    append(row) {
      const line = Buffer.from(JSON.stringify(row) + "\n")
      try {
        writeAll(fd, line)
      } catch (e) {
        // a short write (full disk) leaves no half row behind: cut back to the last whole row
        try {
          ftruncateSync(fd, size)
        } catch {
          // the write's error is the one to report
        }
        throw e
      }
      size += line.length
      count++
    },
    sync: () => fsyncSync(fd),
    close() {
      if (open) closeSync(fd)
      open = false
    }
  }
}

// ---- checkpoints: JSON with Float64Arrays replaced by {"$f64": k}, the arrays in a binary file

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

function encode(value: unknown, arrays: Float64Array[]): Json {
  if (value instanceof Float64Array) {
    arrays.push(value)
    return { $f64: arrays.length - 1 }
  }
  if (Array.isArray(value)) return value.map((v) => encode(v, arrays))
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, encode(v, arrays)])
    )
  if (typeof value === "number" && !Number.isFinite(value)) return { $num: String(value) }
  return value as Json
}

function decode(value: Json, arrays: Float64Array[]): unknown {
  if (Array.isArray(value)) return value.map((v) => decode(v, arrays))
  if (value !== null && typeof value === "object") {
    if (typeof value.$f64 === "number") return arrays[value.$f64]
    if (typeof value.$num === "string") return Number(value.$num)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v, arrays)]))
  }
  return value
}

/** What a checkpoint restores. */
export interface Checkpoint {
  readonly cellId: string
  /** the method state (TrainState and its extras) */
  readonly state: unknown
  readonly loss0: number
  readonly initialTestLoss: number | null
  readonly trajectoryBytes: number
  readonly trajectoryRows: number
  /** training seconds before this checkpoint (wall time keeps counting across resumes) */
  readonly elapsedSeconds: number
}

/** The SHA-256 of a checkpoint's metadata: the JSON text of every field but this hash. */
const metaHash = (meta: Record<string, unknown>): string => sha256(JSON.stringify(meta))

/** The SHA-256 of the first `bytes` bytes of a cell's trajectory. */
const trajectoryPrefixHash = (dir: string, bytes: number): string | undefined => {
  const path = join(dir, "trajectory.jsonl")
  const all = existsSync(path) ? readFileSync(path) : Buffer.alloc(0)
  return all.length < bytes ? undefined : sha256(all.subarray(0, bytes))
}

/**
 * Write a checkpoint atomically: the binary file first, then the JSON that names its hash,
 * the hash of the trajectory prefix it continues, and the hash of its own other fields — so an
 * edited checkpoint.json, checkpoint.bin or trajectory prefix is refused and the cell restarts.
 */
export function writeCheckpoint(dir: string, c: Checkpoint): void {
  const arrays: Float64Array[] = []
  const state = encode(c.state, arrays)
  const total = arrays.reduce((s, a) => s + a.length, 0)
  const bin = new Float64Array(total)
  const layout: Array<[number, number]> = []
  let offset = 0
  for (const a of arrays) {
    bin.set(a, offset)
    layout.push([offset, a.length])
    offset += a.length
  }
  const bytes = Buffer.from(bin.buffer, bin.byteOffset, bin.byteLength)
  writeFileAtomic(join(dir, "checkpoint.bin"), bytes)
  const meta = {
    ...c,
    state,
    layout,
    binSha256: sha256(bytes),
    trajectorySha256: trajectoryPrefixHash(dir, c.trajectoryBytes) ?? null,
    format: 2
  }
  writeFileAtomic(
    join(dir, "checkpoint.json"),
    JSON.stringify({ ...meta, metaSha256: metaHash(meta) }) + "\n"
  )
}

/** Read a checkpoint of cell `id`; undefined when absent, for another cell, or damaged. */
export function readCheckpoint(dir: string, id: string): Checkpoint | undefined {
  try {
    const { metaSha256, ...meta } = readJson(join(dir, "checkpoint.json")) as Record<string, unknown>
    // JSON.parse keeps key order and numbers round-trip: the text re-serialises to what was hashed
    if (metaSha256 !== metaHash(meta)) return undefined
    if (meta.cellId !== id || meta.format !== 2) return undefined
    const bytes = readFileSync(join(dir, "checkpoint.bin"))
    if (sha256(bytes) !== meta.binSha256) return undefined
    // the rows it continues must be the rows it saw (gone or edited: restart)
    if (trajectoryPrefixHash(dir, meta.trajectoryBytes as number) !== meta.trajectorySha256) return undefined
    const all = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    const arrays = (meta.layout as Array<[number, number]>).map(([o, n]) => all.slice(o, o + n))
    return {
      cellId: id,
      state: decode(meta.state as Json, arrays),
      loss0: meta.loss0 as number,
      initialTestLoss: meta.initialTestLoss as number | null,
      trajectoryBytes: meta.trajectoryBytes as number,
      trajectoryRows: meta.trajectoryRows as number,
      elapsedSeconds: meta.elapsedSeconds as number
    }
  } catch {
    return undefined
  }
}

/** Remove a finished cell's checkpoint. */
export function removeCheckpoint(dir: string): void {
  rmSync(join(dir, "checkpoint.json"), { force: true })
  rmSync(join(dir, "checkpoint.bin"), { force: true })
}

/**
 * A cell's last writes, in order: the summary, then the digest of its files (from then on the
 * cell is done), then the checkpoint is removed. A crash before the digest leaves a cell that is
 * not done (corrupt if the summary exists): the next run resumes its checkpoint or recomputes it.
 */
export function finishCell(dir: string, id: string, summary: object): void {
  writeFileAtomic(join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n")
  writeFileAtomic(join(dir, DIGEST_FILE), JSON.stringify(digestOf(nodeFiles, dir, id), null, 2) + "\n")
  removeCheckpoint(dir)
}
