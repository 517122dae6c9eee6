/**
 * The content-addressed result store: one folder per cell, named by the cell id (a hash of
 * the resolved cell config and the engine version), under `<results>/cells/`:
 *
 *   cell.json          the resolved config (written first)
 *   trajectory.jsonl   rows, streamed as they are computed
 *   summary.json       written atomically when the cell ends: its presence means "done"
 *   checkpoint.json    + checkpoint.bin: the state of an unfinished cell (weights, iteration,
 *                      method buffers, trajectory offset), written atomically every few minutes
 *                      and on interruption; removed when the cell is done
 *   error.json         a cell that threw: the error (the cell is retried by the next run)
 *
 * A cell folder whose summary is unreadable, names another cell, or disagrees with its
 * trajectory is corrupt: it is recomputed, never reused.
 */
import { createHash } from "node:crypto"
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeSync
} from "node:fs"
import { join } from "node:path"
import { writeFileAtomic } from "./output.js"

/** Where a cell stands in a results folder. */
export type CellStatus = "done" | "partial" | "failed" | "pending" | "corrupt"

/** Paths of a cell's files. */
export const cellDir = (results: string, id: string): string => join(results, "cells", id)

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"))

/** The summary of a finished cell, if it is complete and consistent; else undefined. */
export function readDoneSummary(dir: string, id: string): Record<string, unknown> | undefined {
  const path = join(dir, "summary.json")
  if (!existsSync(path)) return undefined
  try {
    const s = readJson(path) as Record<string, unknown>
    if (s.cellId !== id || typeof s.rows !== "number") return undefined
    const lines = readFileSync(join(dir, "trajectory.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.length > 0)
    if (lines.length !== s.rows) return undefined
    JSON.parse(lines[lines.length - 1]) // the last row must parse
    return s
  } catch {
    return undefined
  }
}

/** The status of a cell in `results`. */
export function cellStatus(results: string, id: string): CellStatus {
  const dir = cellDir(results, id)
  if (!existsSync(dir)) return "pending"
  if (existsSync(join(dir, "summary.json")))
    return readDoneSummary(dir, id) !== undefined ? "done" : "corrupt"
  if (existsSync(join(dir, "error.json"))) return "failed"
  return existsSync(join(dir, "checkpoint.json")) || existsSync(join(dir, "trajectory.jsonl"))
    ? "partial"
    : "pending"
}

/** The files a cell folder holds (nothing else in the folder is touched). */
const cellFiles = [
  "cell.json",
  "trajectory.jsonl",
  "summary.json",
  "checkpoint.json",
  "checkpoint.bin",
  "error.json"
]

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
  else truncateSync(path, bytes)
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
      writeSync(fd, line)
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

/** Write a checkpoint atomically: the binary file first, then the JSON that names its hash. */
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
  const meta = { ...c, state, layout, binSha256: createHash("sha256").update(bytes).digest("hex"), format: 1 }
  writeFileAtomic(join(dir, "checkpoint.json"), JSON.stringify(meta) + "\n")
}

/** Read a checkpoint of cell `id`; undefined when absent, for another cell, or damaged. */
export function readCheckpoint(dir: string, id: string): Checkpoint | undefined {
  try {
    const meta = readJson(join(dir, "checkpoint.json")) as Record<string, unknown>
    if (meta.cellId !== id || meta.format !== 1) return undefined
    const bytes = readFileSync(join(dir, "checkpoint.bin"))
    if (createHash("sha256").update(bytes).digest("hex") !== meta.binSha256) return undefined
    const all = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    const arrays = (meta.layout as Array<[number, number]>).map(([o, n]) => all.slice(o, o + n))
    const trajectory = join(dir, "trajectory.jsonl")
    const bytesNow = existsSync(trajectory) ? readFileSync(trajectory).length : 0
    if (bytesNow < (meta.trajectoryBytes as number)) return undefined // the rows it names are gone
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

/** Record a cell that threw. */
export function writeError(dir: string, error: { message: string; stack?: string }): void {
  writeFileAtomic(
    join(dir, "error.json"),
    JSON.stringify({ message: error.message, stack: error.stack }, null, 2) + "\n"
  )
}
