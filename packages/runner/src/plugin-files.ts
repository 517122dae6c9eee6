/**
 * Plugins from outside the repository: a pipeline's `"plugins": ["./my-method.ts"]` (paths
 * relative to the pipeline file) and `--plugin FILE` on every command (relative to the
 * working directory) name modules whose exports are plugins. They are loaded with tsx's
 * `tsImport`, so TypeScript files work without a build, and registered beside the built-in
 * ones. The SHA-256 of a file's bytes becomes each of its plugins' `source`, which enters the
 * id of every cell using the plugin: an edited plugin file is recomputed, never reused.
 */
import { stageKinds } from "@gnlab/pipeline"
import { Data, Effect } from "effect"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { isAbsolute, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { builtinPlugins, usePlugins, type AnyPlugin, type SourcedPlugin } from "./plugins.js"

/** A plugin file that cannot be used: it does not load, exports no plugin, or clashes with another's id. */
export class PluginFileInvalid extends Data.TaggedError("PluginFileInvalid")<{
  readonly file: string
  readonly problem: string
}> {
  override get message(): string {
    return `plugin file ${this.file}: ${this.problem}`
  }
}

/** A loaded plugin file. */
export interface PluginFile {
  /** absolute path */
  readonly path: string
  /** SHA-256 (hex) of its bytes */
  readonly digest: string
  readonly plugins: ReadonlyArray<SourcedPlugin>
}

const loaded = new Map<string, PluginFile>()
let inUse: ReadonlyArray<string> = []

/** Whether an exported value is a plugin: a known kind, an id, a description and a params schema. */
const isPlugin = (v: unknown): v is AnyPlugin => {
  if (typeof v !== "object" || v === null) return false
  const p = v as Record<string, unknown>
  return (
    (stageKinds as ReadonlyArray<unknown>).includes(p.kind) &&
    typeof p.id === "string" &&
    p.id.length > 0 &&
    typeof p.description === "string" &&
    typeof p.schema === "object" &&
    p.schema !== null
  )
}

/** The plugins a module exports: each exported plugin, and the plugins of each exported array. */
const exportedPlugins = (module: Record<string, unknown>): AnyPlugin[] => {
  const found = new Set<AnyPlugin>()
  for (const value of Object.values(module))
    for (const v of Array.isArray(value) ? (value as unknown[]) : [value]) if (isPlugin(v)) found.add(v)
  return [...found]
}

/** Load one plugin file (once per path). */
export const loadPluginFile = (path: string): Effect.Effect<PluginFile, PluginFileInvalid> =>
  Effect.gen(function* () {
    const cached = loaded.get(path)
    if (cached !== undefined) return cached
    const fail = (problem: string) => new PluginFileInvalid({ file: path, problem })
    const bytes = yield* Effect.try({
      try: () => readFileSync(path),
      catch: (e) => fail(`cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
    })
    const module = yield* Effect.tryPromise({
      // tsx only when a plugin file is loaded: most commands never need it (start-up time)
      try: async () =>
        (await import("tsx/esm/api")).tsImport(pathToFileURL(path).href, import.meta.url) as Promise<
          Record<string, unknown>
        >,
      catch: (e) => fail(`does not load: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`)
    })
    const found = exportedPlugins(module)
    if (found.length === 0)
      return yield* fail(
        "exports no plugin (export objects made with defineMethod, defineDataset, defineModel, defineMetrics or definePlot)"
      )
    const digest = createHash("sha256").update(bytes).digest("hex")
    const file: PluginFile = { path, digest, plugins: found.map((p) => ({ ...p, source: digest })) }
    loaded.set(path, file)
    return file
  })

/**
 * Use the plugins of these files (absolute paths) beside the built-in ones and those already
 * in use: a (kind, id) taken by a built-in plugin or another file is refused.
 */
export const usePluginFiles = (paths: ReadonlyArray<string>): Effect.Effect<void, PluginFileInvalid> =>
  Effect.gen(function* () {
    const all = [...new Set([...inUse, ...paths])]
    const files: PluginFile[] = []
    for (const path of all) files.push(yield* loadPluginFile(path))
    const owner = new Map<string, string>(
      builtinPlugins.map((p) => [`${p.kind}/${p.id}`, "a built-in plugin"])
    )
    for (const f of files)
      for (const p of f.plugins) {
        const key = `${p.kind}/${p.id}`
        const other = owner.get(key)
        if (other !== undefined)
          return yield* new PluginFileInvalid({
            file: f.path,
            problem: `its ${p.kind} plugin "${p.id}" has the id of ${other}; give it another id`
          })
        owner.set(key, f.path)
      }
    inUse = all
    usePlugins(files.flatMap((f) => f.plugins))
  })

/** The plugin files in use (absolute paths), for worker threads to load the same plugins. */
export const pluginFilesInUse = (): ReadonlyArray<string> => inUse

/** A path relative to `base` (absolute paths as they are). */
export const pluginPath = (file: string, base: string): string =>
  isAbsolute(file) ? file : resolve(base, file)

/**
 * The `--plugin FILE` / `--plugin=FILE` values of a command line, and the line without them
 * (every command takes them: they are read before the command's own flags are parsed).
 */
export function splitPluginFlags(argv: ReadonlyArray<string>): {
  readonly files: ReadonlyArray<string>
  readonly rest: ReadonlyArray<string>
  readonly missing: boolean
} {
  const files: string[] = []
  const rest: string[] = []
  let missing = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === "--") {
      rest.push(...argv.slice(i))
      break
    }
    if (a === "--plugin") {
      const v = argv[i + 1]
      if (v === undefined || v.startsWith("--")) missing = true
      else {
        files.push(v)
        i++
      }
    } else if (a.startsWith("--plugin=")) files.push(a.slice("--plugin=".length))
    else rest.push(a)
  }
  return { files, rest, missing }
}
