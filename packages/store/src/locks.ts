/**
 * Advisory locks on the result store, as files that name their holder (pid, host, boot, start
 * time), so that one results folder is written by one run at a time and one cell by one process:
 *
 *   <results>/run.lock          held by an unsharded `gnlab run` until it ends
 *   <results>/cells/<id>/cell.lock   held by whichever run (sharded or not) computes the cell
 *   <cache>/claims/<id>.lock     held by whichever process computes the cell, for any folder
 *
 * A lock is created atomically (a complete file hard-linked into place, so no reader ever sees
 * it half-written). A lock left by a crash (kill -9, a node that died) is stale and is broken by
 * the next taker: on the same host when its process is gone (its pid free, or taken by a process
 * started later, or the host rebooted); from another host (a shared filesystem) when it has not
 * been refreshed for `FOREIGN_STALE_MINUTES` — holders refresh their locks every minute.
 */
import { Data, Effect } from "effect"
import { randomBytes } from "node:crypto"
import { linkSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"

/** Who holds a lock. */
export interface LockHolder {
  readonly pid: number
  readonly host: string
  /** the kernel's boot id (Linux): a pid from before a reboot is not alive */
  readonly boot: string | null
  /** the process's start time (Linux, clock ticks since boot): a reused pid is another process */
  readonly pidStart?: string | null
  readonly started: string
  readonly command: string
}

/** Minutes without a refresh after which a lock held on another host counts as abandoned. */
export const FOREIGN_STALE_MINUTES = 10

/** Seconds between refreshes of the locks this process holds. */
const REFRESH_SECONDS = 60

/** A results folder another `gnlab run` is writing (with --no-wait). */
export class FolderBusy extends Data.TaggedError("FolderBusy")<{
  readonly folder: string
  readonly holder: LockHolder
}> {
  override get message(): string {
    return `${this.folder} is in use by ${describeHolder(this.holder)}: wait for it to end, or rerun with --wait`
  }
}

/** A lock this process holds. */
export interface HeldLock {
  readonly path: string
  /** remove the lock if it is still ours */
  release(): void
}

/** "gnlab run … (pid 12, host h, since …)", for messages. */
export const describeHolder = (h: LockHolder): string =>
  `${h.command || "gnlab"} (pid ${h.pid} on ${h.host}, since ${h.started})`

const bootId = (() => {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()
  } catch {
    return null
  }
})()

/** When process `pid` started (field 22 of /proc/PID/stat), or null where there is no /proc. */
const startOf = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // the command name (field 2) may hold spaces and parentheses: count from its closing one
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null
  } catch {
    return null
  }
}

const me = (command: string): LockHolder => ({
  pid: process.pid,
  host: hostname(),
  boot: bootId,
  pidStart: startOf(process.pid),
  started: new Date().toISOString(),
  command
})

const readHolder = (path: string): { text: string; holder: LockHolder | undefined } | undefined => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch {
    return undefined // gone meanwhile
  }
  try {
    const h = JSON.parse(text) as LockHolder
    return { text, holder: typeof h.pid === "number" && typeof h.host === "string" ? h : undefined }
  } catch {
    return { text, holder: undefined }
  }
}

/** Whether a process with this pid exists on this host. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: it exists, under another user
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Whether the lock at `path`, held by `holder` (undefined: unreadable), is abandoned. */
function isStale(path: string, holder: LockHolder | undefined, nowMs: number): boolean {
  let mtime: number
  try {
    mtime = statSync(path).mtimeMs
  } catch {
    return false // gone: the caller retries
  }
  const old = nowMs - mtime > FOREIGN_STALE_MINUTES * 60_000
  if (holder === undefined) return old
  if (holder.host !== hostname()) return old
  if (holder.boot !== null && bootId !== null && holder.boot !== bootId) return true
  if (!alive(holder.pid)) return true
  // the pid is taken, but by a later process (pids are reused, from 1 in every new container)
  const start = holder.pidStart == null ? null : startOf(holder.pid)
  return start !== null && start !== holder.pidStart
}

// the locks this process holds, refreshed every minute so other hosts see them alive
const held = new Map<string, string>()
let refresher: ReturnType<typeof setInterval> | undefined

const track = (path: string, text: string | undefined) => {
  if (text === undefined) held.delete(path)
  else held.set(path, text)
  if (held.size > 0 && refresher === undefined) {
    refresher = setInterval(() => {
      const now = new Date()
      for (const p of held.keys())
        try {
          utimesSync(p, now, now)
        } catch {
          // a broken lock: its next taker owns it now
        }
    }, REFRESH_SECONDS * 1000)
    refresher.unref()
  } else if (held.size === 0 && refresher !== undefined) {
    clearInterval(refresher)
    refresher = undefined
  }
}

/** Create `path` with `text` only if it does not exist, atomically; false if it exists. */
function createExclusive(path: string, text: string): boolean {
  const tmp = `${path}.new-${process.pid}-${randomBytes(4).toString("hex")}`
  writeFileSync(tmp, text)
  try {
    linkSync(tmp, path)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false
    // filesystems without hard links: O_EXCL (a reader may briefly see an empty file)
    if ((e as NodeJS.ErrnoException).code === "EPERM" || (e as NodeJS.ErrnoException).code === "ENOTSUP") {
      try {
        writeFileSync(path, text, { flag: "wx" })
        return true
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code === "EEXIST") return false
        throw e2
      }
    }
    throw e
  } finally {
    rmSync(tmp, { force: true })
  }
}

/**
 * Take the lock at `path` for `command`: the lock, or the live holder that has it. A stale
 * lock is broken (renamed away, then checked to be the one judged stale, so two takers never
 * both break a fresh one) and taken. Throws on I/O errors (a full disk, a read-only folder).
 */
export function tryLock(
  path: string,
  command: string
): { readonly lock: HeldLock } | { readonly holder: LockHolder } {
  for (let attempt = 0; ; attempt++) {
    const text = JSON.stringify(me(command)) + "\n"
    if (createExclusive(path, text)) {
      track(path, text)
      return {
        lock: {
          path,
          release() {
            track(path, undefined)
            // only our own lock: a lock broken as stale (we were presumed dead) is someone else's now
            if (readHolder(path)?.text === text) rmSync(path, { force: true })
          }
        }
      }
    }
    const seen = readHolder(path)
    if (seen === undefined) continue // released meanwhile: try again
    if (attempt >= 10 || !isStale(path, seen.holder, Date.now()))
      return {
        holder: seen.holder ?? {
          pid: 0,
          host: "?",
          boot: null,
          started: "?",
          command: `an unreadable lock ${path}`
        }
      }
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`
    try {
      renameSync(path, aside)
    } catch {
      continue // someone else broke it first
    }
    if (readHolder(aside)?.text !== seen.text)
      try {
        // we moved a fresh lock taken after our look: put it back
        linkSync(aside, path)
      } catch {
        // its owner's lock is gone; its release will find nothing to remove
      }
    rmSync(aside, { force: true })
  }
}

/**
 * Hold `<results>/run.lock` for the scope: the results folder is written by this run alone.
 * Held by another live run: with `wait`, say so once on stderr and poll every second until it is
 * free (interruptible); without, fail with `FolderBusy`.
 */
export const holdFolderLock = (results: string, command: string, wait: boolean) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      let told = false
      for (;;) {
        const r = tryLock(join(results, "run.lock"), command)
        if ("lock" in r) return r.lock
        if (!wait) return yield* new FolderBusy({ folder: results, holder: r.holder })
        if (!told)
          process.stderr.write(
            `gnlab: ${results} is in use by ${describeHolder(r.holder)}: waiting for it to end (--no-wait to refuse instead)\n`
          )
        told = true
        yield* Effect.sleep("1 second")
      }
    }),
    (lock) => Effect.sync(() => lock.release())
  )

/**
 * Whether `name` is the temporary of a lock taker that died before removing it (kill -9 between
 * writing it and linking it into place): `<lock>.new-<pid>-<random>` of a pid gone on this host.
 */
export const isDeadTakersTemporary = (name: string): boolean => {
  const m = /\.new-(\d+)-[0-9a-f]+$/.exec(name)
  return m !== null && !alive(Number(m[1]))
}

/** Claim a cell for this process: the claim, or the live holder computing it. */
export const claimCell = (dir: string, command: string) => tryLock(join(dir, "cell.lock"), command)
