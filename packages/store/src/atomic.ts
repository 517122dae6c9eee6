/**
 * Atomic file writes (temp file, every byte written, fsync, rename): a summary or checkpoint
 * is either complete or absent, never half-written. A full disk (ENOSPC) or any other write
 * error removes the temporary file and rethrows: nothing partial is left behind.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs"
import { threadId } from "node:worker_threads"

/**
 * Write all of `bytes` to `fd` at its current position. `writeSync` may write fewer bytes
 * than asked (a nearly full disk, a signal): loop until everything is written; a write that
 * makes no progress is a full disk.
 */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0
  while (done < bytes.length) {
    const n = writeSync(fd, bytes, done, bytes.length - done)
    if (n <= 0)
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), {
        code: "ENOSPC",
        syscall: "write"
      })
    done += n
  }
}

let sequence = 0

/** Write `text` to `path` atomically; on any error the temporary file is removed. */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  // pid, thread and a counter: concurrent writers (runs, worker threads) never share a temporary
  const tmp = `${path}.tmp-${process.pid}-${threadId}-${sequence++}`
  try {
    const fd = openSync(tmp, "w")
    try {
      writeAll(fd, typeof text === "string" ? Buffer.from(text) : text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (e) {
    try {
      rmSync(tmp, { force: true })
    } catch {
      // the write's own error is the one to report
    }
    throw e
  }
}
