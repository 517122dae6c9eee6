/**
 * The few file operations the store needs, behind one small interface, so that the store's
 * rules (done, status, cache, index) run unchanged on the disk (`nodeFiles`) and in memory
 * (`memoryFiles`, for unit tests of the store and of the runner's logic). Operations are
 * synchronous, like the node:fs calls they wrap; they throw Node-style errors (`code`) on I/O
 * failures, which the service turns into tagged errors.
 */
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync
} from "node:fs"
import { writeFileAtomic } from "./atomic.js"

/** The file operations of the store. Paths are absolute or relative to the working directory. */
export interface StoreFiles {
  /** the bytes of a file, or undefined when it does not exist (or is not a file) */
  read(path: string): Uint8Array | undefined
  /** whether a file or folder exists */
  exists(path: string): boolean
  /** modification time (ms since the epoch), or undefined when absent */
  mtimeMs(path: string): number | undefined
  /** the names in a folder, [] when it does not exist */
  list(dir: string): ReadonlyArray<string>
  /** create a folder and its parents */
  mkdirp(dir: string): void
  /** write a file atomically (complete or absent, never half-written) */
  writeAtomic(path: string, data: string | Uint8Array): void
  /** append a line to a file (an event log; best effort is the caller's choice) */
  append(path: string, text: string): void
  /** remove a file or folder (recursively); nothing if absent */
  remove(path: string): void
  /** rename a file or folder; fails if `to` is a non-empty folder */
  rename(from: string, to: string): void
  /** make `to` hold the bytes of `from`: a hard link where the filesystem allows it, else a copy */
  linkOrCopy(from: string, to: string): void
}

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code

/** The store's files on this machine's filesystem (node:fs). */
export const nodeFiles: StoreFiles = {
  read(path) {
    try {
      return readFileSync(path)
    } catch (e) {
      if (code(e) === "ENOENT" || code(e) === "EISDIR" || code(e) === "ENOTDIR") return undefined
      throw e
    }
  },
  exists: (path) => existsSync(path),
  mtimeMs(path) {
    try {
      return statSync(path).mtimeMs
    } catch {
      return undefined
    }
  },
  list(dir) {
    try {
      return readdirSync(dir)
    } catch (e) {
      if (code(e) === "ENOENT" || code(e) === "ENOTDIR") return []
      throw e
    }
  },
  mkdirp: (dir) => void mkdirSync(dir, { recursive: true }),
  writeAtomic: (path, data) => writeFileAtomic(path, data),
  append: (path, text) => appendFileSync(path, text),
  remove: (path) => rmSync(path, { recursive: true, force: true }),
  rename: (from, to) => renameSync(from, to),
  linkOrCopy(from, to) {
    rmSync(to, { force: true })
    try {
      linkSync(from, to)
    } catch (e) {
      // another filesystem (EXDEV), or one without hard links: copy (copy-on-write where it can)
      if (!["EXDEV", "EPERM", "ENOTSUP", "EMLINK", "EOPNOTSUPP"].includes(code(e) ?? "")) throw e
      copyFileSync(from, to)
    }
  }
}

/** A file of the in-memory filesystem. */
interface MemoryFile {
  data: Uint8Array
  mtimeMs: number
}

/** An in-memory `StoreFiles` (a map of paths), with a clock the test controls. */
export interface MemoryFiles extends StoreFiles {
  /** every file path, sorted (for assertions) */
  paths(): ReadonlyArray<string>
  /** set a file's modification time (a cell that stopped changing long ago) */
  touch(path: string, mtimeMs: number): void
}

const norm = (p: string): string => {
  const parts: string[] = []
  for (const s of p.split("/")) {
    if (s === "" || s === ".") continue
    if (s === "..") parts.pop()
    else parts.push(s)
  }
  return "/" + parts.join("/")
}

/**
 * A filesystem in memory. Folders exist implicitly above files and explicitly once made;
 * links share the file (as hard links do); `now` gives modification times.
 */
export function memoryFiles(now: () => number = Date.now): MemoryFiles {
  const files = new Map<string, MemoryFile>()
  const dirs = new Set<string>(["/"])
  const under = (dir: string) => (dir === "/" ? "/" : dir + "/")
  const isDir = (p: string) =>
    dirs.has(p) || [...files.keys(), ...dirs].some((k) => k.startsWith(under(p)) && k !== p)
  const mkdirp = (dir: string) => {
    let d = norm(dir)
    while (d !== "/") {
      if (files.has(d)) throw Object.assign(new Error(`ENOTDIR: ${d} is a file`), { code: "ENOTDIR" })
      dirs.add(d)
      d = d.slice(0, d.lastIndexOf("/")) || "/"
    }
  }
  const parentOf = (p: string) => p.slice(0, p.lastIndexOf("/")) || "/"
  const enoent = (p: string) => Object.assign(new Error(`ENOENT: no such file ${p}`), { code: "ENOENT" })
  const bytes = (d: string | Uint8Array) => (typeof d === "string" ? new TextEncoder().encode(d) : d.slice())
  return {
    read: (path) => files.get(norm(path))?.data.slice(),
    exists: (path) => files.has(norm(path)) || isDir(norm(path)),
    mtimeMs: (path) => files.get(norm(path))?.mtimeMs ?? (isDir(norm(path)) ? now() : undefined),
    list(dir) {
      const d = under(norm(dir))
      const names = new Set<string>()
      for (const k of [...files.keys(), ...dirs])
        if (k.startsWith(d) && k !== norm(dir)) names.add(k.slice(d.length).split("/")[0])
      return [...names].sort()
    },
    mkdirp,
    writeAtomic(path, data) {
      const p = norm(path)
      if (!isDir(parentOf(p))) throw enoent(parentOf(p))
      files.set(p, { data: bytes(data), mtimeMs: now() })
    },
    append(path, text) {
      const p = norm(path)
      if (!isDir(parentOf(p))) throw enoent(parentOf(p))
      const old = files.get(p)?.data ?? new Uint8Array(0)
      const add = bytes(text)
      const data = new Uint8Array(old.length + add.length)
      data.set(old)
      data.set(add, old.length)
      files.set(p, { data, mtimeMs: now() })
    },
    remove(path) {
      const p = norm(path)
      files.delete(p)
      for (const k of [...files.keys()]) if (k.startsWith(under(p))) files.delete(k)
      for (const k of [...dirs]) if (k === p || k.startsWith(under(p))) dirs.delete(k)
    },
    rename(from, to) {
      const [f, t] = [norm(from), norm(to)]
      if (files.has(f)) {
        files.set(t, files.get(f)!)
        files.delete(f)
        return
      }
      if (!isDir(f)) throw enoent(f)
      if (isDir(t) && [...files.keys(), ...dirs].some((k) => k.startsWith(under(t))))
        throw Object.assign(new Error(`ENOTEMPTY: ${t}`), { code: "ENOTEMPTY" })
      mkdirp(t)
      for (const [k, v] of [...files]) if (k.startsWith(under(f))) files.set(t + k.slice(f.length), v)
      for (const k of [...dirs]) if (k.startsWith(under(f))) dirs.add(t + k.slice(f.length))
      for (const k of [...files.keys()]) if (k.startsWith(under(f))) files.delete(k)
      for (const k of [...dirs]) if (k === f || k.startsWith(under(f))) dirs.delete(k)
    },
    linkOrCopy(from, to) {
      const src = files.get(norm(from))
      if (src === undefined) throw enoent(from)
      const p = norm(to)
      if (!isDir(parentOf(p))) throw enoent(parentOf(p))
      files.set(p, src)
    },
    paths: () => [...files.keys()].sort(),
    touch(path, mtimeMs) {
      const f = files.get(norm(path))
      if (f === undefined) throw enoent(path)
      f.mtimeMs = mtimeMs
    }
  }
}
