/**
 * A cache of done cells shared by every results folder on the machine (or on a shared
 * filesystem): `<cache>/cells/<id>/` holds the four files of a done cell, keyed by the cell id —
 * the hash of everything that determines its result (the resolved config, the SHA-256 of its
 * input files, the engine version). A cell is taken from the cache only when its files verify
 * (the shared done rule, digest.ts); a corrupt entry is removed and the cell recomputed, never
 * used. Entries are published whole: written under a temporary name, verified, then renamed.
 */
import { randomBytes } from "node:crypto"
import { homedir } from "node:os"
import { join } from "node:path"
import { checkDone, digestedFiles } from "./digest.js"
import type { StoreFiles } from "./files.js"
import { cachedCellDir, CHECKPOINT_FILES, DIGEST_FILE, ERROR_FILE } from "./layout.js"

/** Values of `GNLAB_CACHE` that turn the cache off. */
const offValues = new Set(["off", "none", "0", "false"])

/**
 * The cache folder to use: `--no-cache` → none; `--cache DIR` → DIR; else `GNLAB_CACHE` (a
 * folder, or `off`); else `$XDG_CACHE_HOME/gnlab`, else `~/.cache/gnlab`.
 */
export function resolveCacheDir(
  flag: string | undefined,
  noCache: boolean,
  env: Readonly<Record<string, string | undefined>> = process.env,
  home: string = homedir()
): string | undefined {
  if (noCache) return undefined
  if (flag !== undefined) return flag
  const fromEnv = env.GNLAB_CACHE
  if (fromEnv !== undefined && fromEnv !== "")
    return offValues.has(fromEnv.toLowerCase()) ? undefined : fromEnv
  const xdg = env.XDG_CACHE_HOME
  return join(xdg !== undefined && xdg !== "" ? xdg : join(home, ".cache"), "gnlab")
}

/** What a cache lookup found. */
export type Restored =
  | { readonly _tag: "Restored" }
  | { readonly _tag: "Absent" }
  /** the entry did not verify: it was removed, and the cell must be computed */
  | { readonly _tag: "CorruptEntry"; readonly reason: string }

const unique = () => `${process.pid}-${randomBytes(4).toString("hex")}`

/** Remove a cache entry (renamed aside first, so no reader sees it half-removed). */
function discard(fs: StoreFiles, cache: string, id: string): void {
  const aside = join(cache, "cells", `.discard-${id}-${unique()}`)
  try {
    fs.rename(cachedCellDir(cache, id), aside)
  } catch {
    return // gone meanwhile
  }
  fs.remove(aside)
}

/**
 * Copy cell `id` from the cache into the cell folder `into` if the cache holds it intact:
 * its files are hard-linked (or copied) under temporary names and renamed into place, the
 * digest last, and whatever an earlier attempt left there (checkpoint, error) is removed. The
 * result is checked again in its new place.
 */
export function restoreCell(fs: StoreFiles, cache: string, id: string, into: string): Restored {
  const src = cachedCellDir(cache, id)
  if (!fs.exists(src)) return { _tag: "Absent" }
  const check = checkDone(fs, src, id)
  if (check.status !== "done") {
    discard(fs, cache, id)
    return check.status === "corrupt" ? { _tag: "CorruptEntry", reason: check.reason } : { _tag: "Absent" }
  }
  fs.mkdirp(into)
  for (const f of [DIGEST_FILE, ...CHECKPOINT_FILES, ERROR_FILE]) fs.remove(join(into, f))
  for (const f of [...digestedFiles, DIGEST_FILE]) {
    const tmp = join(into, `${f}.tmp-cache-${unique()}`)
    fs.linkOrCopy(join(src, f), tmp)
    fs.rename(tmp, join(into, f))
  }
  const again = checkDone(fs, into, id)
  if (again.status === "done") return { _tag: "Restored" }
  // the entry changed under us (replaced or damaged meanwhile): compute instead
  fs.remove(join(into, DIGEST_FILE))
  return { _tag: "CorruptEntry", reason: again.status === "corrupt" ? again.reason : "vanished while copied" }
}

/** What publishing a cell did. */
export type Published = "published" | "present" | "not-done"

/**
 * Put the done cell `id` of folder `from` into the cache (hard links where possible). An intact
 * entry already there is kept unless `replace` (a `--force` recomputation); a corrupt one is
 * replaced. A cell that is not done is not published.
 */
export function publishCell(
  fs: StoreFiles,
  cache: string,
  id: string,
  from: string,
  replace = false
): Published {
  if (checkDone(fs, from, id).status !== "done") return "not-done"
  const dst = cachedCellDir(cache, id)
  if (!replace && fs.exists(dst) && checkDone(fs, dst, id).status === "done") return "present"
  const tmp = join(cache, "cells", `.tmp-${id}-${unique()}`)
  fs.mkdirp(tmp)
  try {
    for (const f of [...digestedFiles, DIGEST_FILE]) fs.linkOrCopy(join(from, f), join(tmp, f))
    if (checkDone(fs, tmp, id).status !== "done") return "not-done"
    if (fs.exists(dst)) discard(fs, cache, id)
    try {
      fs.rename(tmp, dst)
    } catch (e) {
      // another run published it first (rename onto a non-empty folder fails): keep theirs
      const code = (e as NodeJS.ErrnoException).code
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw e
      return "present"
    }
    return "published"
  } finally {
    fs.remove(tmp)
  }
}
