// The gnlab CLI as one esbuild bundle, so `gnlab --help` starts in a fraction of a second
// instead of transpiling ~200 TypeScript files through tsx on every call (and every cell
// worker thread). Made by `npm ci` (the root package's `prepare`) and by nx's `bundle` target;
// bin/gnlab.js rebuilds it when any source it was made from is newer (never runs a stale one).
//
//   node packages/runner/scripts/bundle.mjs          build (prints what and how long)
//   node packages/runner/scripts/bundle.mjs --check  exit 1, naming the files, when stale
//
// Layout of packages/runner/bundle/ (ignored by git):
//   manifest.json   the current build: its id, when it was built, from which source files
//   builds/<id>/    one build:
//   gnlab.js        the CLI (src/main.ts)
//   cell-worker.js  a cell's worker thread (src/cell-worker.ts; pool.ts starts it)
//   worker.js       the CPU TypeScript engine's worker threads (compute/src/cpu/worker.ts)
//   host.js         the tfjs worker process (compute-tfjs/src/worker/host.ts)
//   chunk-*.js      shared code; the report and dataset commands' code loads on demand
// The worker names are those the sources look for beside themselves when not run as .ts.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const runnerRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const repoRoot = resolve(runnerRoot, "../..")
/** Where the bundle lives. */
export const bundleDir = join(runnerRoot, "bundle")
const manifestFile = join(bundleDir, "manifest.json")

const entryPoints = {
  gnlab: join(runnerRoot, "src/main.ts"),
  "cell-worker": join(runnerRoot, "src/cell-worker.ts"),
  worker: join(repoRoot, "packages/compute/src/cpu/worker.ts"),
  host: join(repoRoot, "packages/compute-tfjs/src/worker/host.ts")
}

// Native or binary packages (and those that locate files beside their own modules) stay in
// node_modules, loaded as they are: esbuild cannot inline a .node binary or a .wasm file.
const external = [
  "@duckdb/*",
  "@resvg/*",
  "esbuild",
  "webgpu",
  "playwright-core",
  "@tensorflow/tfjs-backend-wasm",
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
  "tsx",
  "tsx/*"
]

// The worker launchers look for their worker beside themselves (the bundled one); everywhere
// else import.meta.url locates files beside the *source* (the native addon, fonts, git), so
// there it is replaced by the source file's URL.
const bundleRelative = [
  "packages/runner/src/pool.ts",
  "packages/compute/src/cpu/threads.ts",
  "packages/compute-tfjs/src/worker/client.ts"
]
const sourceUrls = {
  name: "gnlab-source-urls",
  setup(b) {
    b.onLoad({ filter: /\/packages\/.*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, "utf8")
      if (!text.includes("import.meta.url") || bundleRelative.some((f) => args.path.endsWith(f)))
        return undefined
      return {
        contents: text.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)),
        loader: "ts"
      }
    })
  }
}

/**
 * Build the bundle into a new folder `builds/<id>` and then point `manifest.json` at it (an
 * atomic rename): a running gnlab keeps loading its own build's chunks and workers, a new one
 * takes the new build, concurrent builders each finish a complete build. Builds other than the
 * current one are removed after a week (long runs load report chunks at their end).
 */
export async function buildBundle() {
  const { build } = await import("esbuild")
  const builtAt = Date.now()
  const id = `${builtAt.toString(36)}-${process.pid}`
  const outdir = join(bundleDir, "builds", id)
  const result = await build({
    entryPoints,
    outdir,
    absWorkingDir: repoRoot,
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // the workspace packages export their TypeScript sources under this condition
    conditions: ["gnlab-source"],
    mainFields: ["module", "main"],
    external,
    plugins: [sourceUrls],
    metafile: true,
    logLevel: "warning",
    // CommonJS dependencies inside an ES module call `require`
    banner: {
      js: "import { createRequire as __gnlabCreateRequire } from 'node:module'; const require = __gnlabCreateRequire(import.meta.url);"
    }
  })
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => resolve(repoRoot, p.replace(/^[a-z-]+:/, "")))
    .filter((p) => !p.includes("/node_modules/"))
    .map((p) => relative(repoRoot, p))
  // a changed lock file means changed dependencies (npm ci rebuilds anyway)
  inputs.push("package-lock.json")
  // the build folder sits in packages/runner (a "type": "module" package): .js files are ES modules
  const manifest = { id, builtAt, node: process.version, inputs: [...new Set(inputs)].sort() }
  const tmp = `${manifestFile}.${id}`
  writeFileSync(tmp, JSON.stringify(manifest, null, 1) + "\n")
  renameSync(tmp, manifestFile)
  const week = 7 * 24 * 3600 * 1000
  for (const old of readdirSync(join(bundleDir, "builds"))) {
    const dir = join(bundleDir, "builds", old)
    if (old !== id && Date.now() - statSync(dir).mtimeMs > week) rmSync(dir, { recursive: true, force: true })
  }
  return manifest
}

/** The CLI entry of a manifest's build. */
export const entryOf = (manifest) => join(bundleDir, "builds", manifest.id, "gnlab.js")

/** The manifest of the current bundle, or undefined when there is none (or it is unreadable). */
export function readManifest() {
  try {
    const m = JSON.parse(readFileSync(manifestFile, "utf8"))
    return Array.isArray(m.inputs) && typeof m.builtAt === "number" && typeof m.id === "string"
      ? m
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Why the bundle cannot be used as it is: "missing", another node, or the source files that
 * changed since it was built (newer, or gone); [] when it is current. Stats each input
 * (≈200 files: a few milliseconds).
 */
export function staleReasons(manifest = readManifest()) {
  if (manifest === undefined) return ["missing"]
  if (manifest.node !== process.version) return [`built for node ${manifest.node}`]
  try {
    statSync(entryOf(manifest))
  } catch {
    return [`${relative(repoRoot, entryOf(manifest))} (gone)`]
  }
  const reasons = []
  for (const input of manifest.inputs) {
    try {
      if (statSync(join(repoRoot, input)).mtimeMs > manifest.builtAt) reasons.push(input)
    } catch {
      reasons.push(`${input} (gone)`)
    }
  }
  return reasons
}

// run as a script
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--check")) {
    const stale = staleReasons()
    if (stale.length > 0) {
      console.error(
        `gnlab bundle is stale (rebuild: npm run bundle -w @gnlab/runner): ${stale.slice(0, 5).join(", ")}`
      )
      process.exit(1)
    }
    console.log("gnlab bundle is current")
  } else {
    const t0 = Date.now()
    mkdirSync(dirname(bundleDir), { recursive: true })
    let m
    try {
      m = await buildBundle()
    } catch (e) {
      // npm ci runs this (prepare): a source that does not compile must not fail the install;
      // gnlab then runs from the sources (and says so), and the bundle test fails
      console.error(
        `gnlab bundle: not built (${String(e instanceof Error ? e.message : e)
          .split("\n")
          .slice(0, 3)
          .join(" ")}); gnlab will run from the TypeScript sources`
      )
      process.exit(process.argv.includes("--strict") ? 1 : 0)
    }
    console.log(
      `gnlab bundle: ${relative(process.cwd(), bundleDir) || "."} from ${m.inputs.length} source files in ${((Date.now() - t0) / 1000).toFixed(1)} s`
    )
  }
}
