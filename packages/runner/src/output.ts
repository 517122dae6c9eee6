/**
 * Writing a run's files: trajectory.jsonl streamed row by row, summary.json written
 * atomically (temp file, fsync, rename) so a summary is either complete or absent.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs"
import { join } from "node:path"

/** Write `text` to `path` atomically. */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`
  const fd = openSync(tmp, "w")
  try {
    writeSync(fd, typeof text === "string" ? Buffer.from(text) : text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

/** An open trajectory file: append rows, close at the end (also on interruption). */
export interface TrajectoryWriter {
  append(row: object): void
  close(): void
}

/** Create `dir` and open `dir/trajectory.jsonl` for streaming rows. */
export function openTrajectory(dir: string): TrajectoryWriter {
  mkdirSync(dir, { recursive: true })
  const fd = openSync(join(dir, "trajectory.jsonl"), "w")
  let open = true
  return {
    append(row) {
      writeSync(fd, JSON.stringify(row) + "\n")
    },
    close() {
      if (open) closeSync(fd)
      open = false
    }
  }
}
