/**
 * The folder a command writes into (`--out`), checked before anything else is written: an empty
 * name, a file, a place where no folder can be made (/proc, a file as a parent) or a folder that
 * cannot be written end the command with one line naming the problem (exit code 2).
 */
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { InvalidArgument } from "./errors.js"

const why = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied"
    case "EROFS":
      return "read-only filesystem"
    case "ENOSPC":
      return "no space left on the device"
    default:
      return code ?? String(e)
  }
}

/**
 * Make sure `path` is a folder this process can write, creating it (and missing parents) if
 * needed; fails with an InvalidArgument on `flag` otherwise.
 */
export const prepareOutFolder = (flag: string, path: string): Effect.Effect<void, InvalidArgument> =>
  Effect.suspend(() => {
    const bad = (problem: string) => Effect.fail(new InvalidArgument({ field: flag, problem }))
    if (path.trim() === "") return bad("is empty: name a folder")
    const abs = resolve(path)
    // parents are made one by one: mkdirSync({recursive}) spins forever under /proc (Node 20)
    const missing: string[] = []
    let existing = abs
    while (!existsSync(existing)) {
      missing.unshift(existing)
      const parent = dirname(existing)
      if (parent === existing) break
      existing = parent
    }
    try {
      if (!statSync(existing).isDirectory())
        return bad(
          existing === abs
            ? `${path} is a file, not a folder`
            : `${path}: ${existing} is a file, not a folder`
        )
    } catch (e) {
      return bad(`${path}: cannot read ${existing} (${why(e)})`)
    }
    for (const dir of missing)
      try {
        mkdirSync(dir)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST")
          return bad(`cannot create the folder ${dir} (${why(e)})`)
      }
    // writable? (permission bits do not tell: root, ACLs, read-only mounts)
    const probe = resolve(abs, `.gnlab-write-test-${process.pid}-${randomBytes(4).toString("hex")}`)
    try {
      writeFileSync(probe, "")
    } catch (e) {
      return bad(`cannot write into ${path} (${why(e)})`)
    } finally {
      try {
        rmSync(probe, { force: true })
      } catch {
        // nothing was written
      }
    }
    return Effect.void
  })
