/**
 * Atomic file writes (temp file, fsync, rename): a summary or checkpoint is either complete
 * or absent, never half-written.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs"

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
