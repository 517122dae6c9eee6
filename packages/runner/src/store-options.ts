/**
 * What the commands that write results share about the store: the `--cache DIR` / `--no-cache`
 * flags (resolved by @gnlab/store's `resolveCacheDir`: GNLAB_CACHE, then $XDG_CACHE_HOME/gnlab
 * or ~/.cache/gnlab) and the provenance of this process, recorded in every cell it computes.
 */
import {
  cachedCellDir,
  checkDone,
  gitState,
  machineInfo,
  nodeFiles,
  resolveCacheDir,
  type Provenance
} from "@gnlab/store"
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"
import { fileURLToPath } from "node:url"
import { prepareOutFolder } from "./out-folder.js"
import { gnlabVersion } from "./version.js"

/** `--cache DIR` */
export const cacheFlag = Flag.optional(
  Flag.String("cache").pipe(
    Flag.withDescription(
      "cache of done cells shared by every results folder (default $GNLAB_CACHE, else $XDG_CACHE_HOME/gnlab or ~/.cache/gnlab)"
    )
  )
)

/** `--no-cache` */
export const noCacheFlag = Flag.Boolean("no-cache").pipe(
  Flag.withDescription("neither take cells from the cache nor put computed cells into it"),
  Flag.withDefault(false)
)

/** The cache folder of a command's flags; undefined: no cache. */
export const cacheDirOf = (cache: Option.Option<string>, noCache: boolean): string | undefined =>
  resolveCacheDir(Option.getOrUndefined(cache), noCache)

/**
 * The cache folder a command uses, made if missing: `--cache DIR` that cannot be a writable
 * folder is invalid input (InvalidArgument: one line, exit 2, nothing written); the default
 * cache that cannot be made (a read-only home) is said once on stderr and the command goes on
 * without a cache.
 */
export const usableCache = (cache: Option.Option<string>, noCache: boolean) =>
  Effect.gen(function* () {
    const dir = cacheDirOf(cache, noCache)
    if (dir === undefined) return undefined
    if (Option.isSome(cache)) return yield* Effect.as(prepareOutFolder("--cache", dir), dir)
    return yield* prepareOutFolder("--cache", dir).pipe(
      Effect.as<string | undefined>(dir),
      Effect.catchTag("InvalidArgument", (e) =>
        Effect.sync(() => {
          process.stderr.write(
            `gnlab: no cache (${e.problem}): cells are neither taken from nor put into it\n`
          )
          return undefined
        })
      )
    )
  })

/** Whether the cache holds cell `id` intact (the done rule on its entry; nothing is written). */
export const inCache = (cache: string | undefined, id: string): boolean =>
  cache !== undefined && checkDone(nodeFiles, cachedCellDir(cache, id), id).status === "done"

let cached: Omit<Provenance, "backend" | "kernels"> | undefined

/**
 * The provenance of this process (computed once): the gnlab version, the git commit and dirty
 * flag of the checkout gnlab runs from (null outside one), this machine.
 */
export function runProvenance(): Omit<Provenance, "backend" | "kernels"> {
  cached ??= {
    gnlabVersion,
    git: gitState(fileURLToPath(new URL(".", import.meta.url))),
    machine: machineInfo()
  }
  return cached
}
