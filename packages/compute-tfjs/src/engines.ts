/**
 * Initialising one tfjs backend ("engine") per gnlab variant, with the reason when it
 * cannot be had. Every failure is an `EngineUnavailable` with a one-line reason; tfjs is
 * never left with a backend that failed to initialise as its active one (tfjs's
 * `setBackend` returns false and leaves the engine pointing at the dead backend: we remove
 * it and restore the previous one at once).
 */
import { createRequire } from "node:module"
import type { TfjsVariant } from "./backend.js"
import type { Tf } from "./tf.js"

/** A variant could not be initialised; `reason` is one line for `gnlab backends`. */
export class EngineUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

/** What an initialised variant reports. */
export interface Engine {
  /** the tfjs backend name ("tensorflow", "webgpu", "wasm", "cpu") */
  readonly engineName: string
  readonly details: Readonly<Record<string, string>>
}

/** The packages a variant may need beyond @tensorflow/tfjs. */
export type OptionalPackage =
  | "@tensorflow/tfjs-node-gpu"
  | "@tensorflow/tfjs-node"
  | "@tensorflow/tfjs-backend-wasm"
  | "@tensorflow/tfjs-backend-webgpu"
  | "webgpu"

/** How optional packages are loaded (injectable so tests can fake a broken install). */
export interface ModuleLoader {
  /** import a package; a missing one rejects with Node's "module not found" error */
  load(pkg: OptionalPackage): Promise<unknown>
  /** the entry file of a package (the WebGPU probe imports it in a child process), if installed */
  resolve(pkg: OptionalPackage): string | undefined
}

const require = createRequire(import.meta.url)

/** True when `e` is Node's error for a package that is not installed. */
export const isModuleNotFound = (e: unknown, pkg: string): boolean => {
  const code = (e as { code?: unknown } | null)?.code
  return (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && String(e).includes(pkg)
}

// the Node bindings are imported by a computed name: bundlers must not inline them (native code)
const external = (pkg: string): Promise<unknown> => import(pkg)

/**
 * Node's module loading. The tfjs backends and `webgpu` are imported by literal names, so a
 * bundle of gnlab (tools/device) carries the JavaScript ones inside it.
 */
export const nodeModuleLoader: ModuleLoader = {
  load(pkg) {
    switch (pkg) {
      case "@tensorflow/tfjs-backend-wasm":
        return import("@tensorflow/tfjs-backend-wasm")
      case "@tensorflow/tfjs-backend-webgpu":
        return import("@tensorflow/tfjs-backend-webgpu")
      case "webgpu":
        return import("webgpu")
      default:
        return external(pkg)
    }
  },
  resolve(pkg) {
    try {
      return require.resolve(pkg)
    } catch {
      return undefined
    }
  }
}

/** Import `pkg`, turning "not installed" into EngineUnavailable with `why` appended. */
async function loadOptional(loader: ModuleLoader, pkg: OptionalPackage, why = ""): Promise<unknown> {
  try {
    return await loader.load(pkg)
  } catch (e) {
    if (isModuleNotFound(e, pkg)) throw new EngineUnavailable(`${pkg} is not installed${why}`)
    throw e
  }
}

/** The first line of an error, trimmed to a readable length. */
export function firstLine(e: unknown, max = 200): string {
  const text = e instanceof Error ? e.message : String(e)
  const line = text.trim().split("\n")[0] ?? ""
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** True when a tfjs backend named `name` is registered (its package was imported). */
const registered = (tf: Tf, name: string): boolean => {
  const factory = tf.findBackendFactory(name) as unknown
  return factory !== null && factory !== undefined
}

/** setBackend(name), checking its result; on failure the engine goes back to `fallback`. */
export async function switchTo(tf: Tf, name: string, fallback = "cpu"): Promise<void> {
  let ok = false
  let problem = "setBackend returned false"
  // tfjs reports why an initialisation failed only through console.warn (silent in prod
  // mode): collect those lines for the reason, for the duration of the call
  const warned: string[] = []
  const warn = console.warn
  const prod = tf.env().getBool("PROD")
  tf.env().set("PROD", false)
  console.warn = (...args: unknown[]) => void warned.push(args.map(String).join(" "))
  try {
    ok = await tf.setBackend(name)
  } catch (e) {
    problem = firstLine(e)
  } finally {
    console.warn = warn
    tf.env().set("PROD", prod)
  }
  if (ok && tf.getBackend() === name) return
  const detail = warned.filter((w) => !/^Initialization of backend .* failed$/.test(w.trim()))
  if (detail.length > 0) problem = `${problem}: ${firstLine(detail.join("; "), 160)}`
  // a failed setBackend leaves the engine on the failed backend: remove it, restore a good one
  try {
    tf.removeBackend(name)
  } catch {
    // not registered: nothing to remove
  }
  await tf.setBackend(fallback)
  throw new EngineUnavailable(`tfjs could not initialise its '${name}' backend (${problem})`)
}

// the Node bindings: both packages register the same tfjs backend, "tensorflow"
const nodePackages = { "node-gpu": "@tensorflow/tfjs-node-gpu", node: "@tensorflow/tfjs-node" } as const

async function initNode(tf: Tf, variant: "node" | "node-gpu", loader: ModuleLoader): Promise<Engine> {
  const pkg = nodePackages[variant]
  try {
    await loadOptional(
      loader,
      pkg,
      " (optional dependency: its install script downloads libtensorflow, which fails without network access)"
    )
  } catch (e) {
    if (e instanceof EngineUnavailable) throw e
    throw new EngineUnavailable(
      `${pkg} is installed but its native binding does not load (its install script did not run or failed): ${firstLine(e, 140)}`
    )
  }
  if (!registered(tf, "tensorflow"))
    throw new EngineUnavailable(`${pkg} loaded but registered no 'tensorflow' backend`)
  await switchTo(tf, "tensorflow")
  const b = tf.backend() as unknown as { isGPUPackage?: boolean; isUsingGpuDevice?: boolean }
  if (variant === "node-gpu" && b.isUsingGpuDevice === false)
    throw new EngineUnavailable(`${pkg} loaded but TensorFlow found no CUDA GPU`)
  const versions = tf.version as unknown as Record<string, string>
  return {
    engineName: "tensorflow",
    details: {
      tfjs: tf.version_core,
      binding: `${pkg}@${versions["tfjs-node"] ?? versions["tfjs-node-gpu"] ?? "?"}`,
      gpu: String(b.isUsingGpuDevice ?? false)
    }
  }
}

async function initWasm(tf: Tf, loader: ModuleLoader): Promise<Engine> {
  // importing registers the backend; a second import is the module cache's (no-op)
  await loadOptional(loader, "@tensorflow/tfjs-backend-wasm")
  await switchTo(tf, "wasm")
  return {
    engineName: "wasm",
    details: {
      tfjs: tf.version_core,
      kernels: "XNNPACK (WebAssembly)",
      simd: String(tf.env().getBool("WASM_HAS_SIMD_SUPPORT")),
      threads: tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") ? "multi" : "1"
    }
  }
}

async function initCpu(tf: Tf): Promise<Engine> {
  await switchTo(tf, "cpu")
  return { engineName: "cpu", details: { tfjs: tf.version_core, kernels: "plain JavaScript, 1 thread" } }
}

/** What `navigator.gpu.requestAdapter()` found, as a WebGPU adapter describes itself. */
export interface AdapterInfo {
  readonly vendor?: string
  readonly architecture?: string
  readonly device?: string
  readonly description?: string
  readonly isFallbackAdapter?: boolean
}

/**
 * Dawn's options (`create(flags)` of the webgpu package), from GNLAB_DAWN_FLAGS
 * (comma-separated), e.g. `adapter=NVIDIA H200` or `backend=vulkan`. Empty by default.
 */
export const dawnFlags = (): string[] =>
  (process.env["GNLAB_DAWN_FLAGS"] ?? "")
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "")

/** An adapter's description (GPUAdapterInfo's fields are getters: read them one by one). */
export function adapterInfoOf(adapter: { info?: AdapterInfo; isFallbackAdapter?: boolean }): AdapterInfo {
  const i = adapter.info ?? {}
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    isFallbackAdapter: adapter.isFallbackAdapter ?? i.isFallbackAdapter
  }
}

/** A software (CPU-emulated) WebGPU adapter: lavapipe/llvmpipe, SwiftShader, or a fallback adapter. */
export const isSoftwareAdapter = (a: AdapterInfo): boolean =>
  a.isFallbackAdapter === true ||
  /llvmpipe|lavapipe|swiftshader/i.test(`${a.vendor} ${a.architecture} ${a.device} ${a.description}`)

/** Short name of an adapter for messages. */
export const adapterName = (a: AdapterInfo): string =>
  [a.vendor, a.architecture, a.device, a.description]
    .filter((s) => s !== undefined && s !== "")
    .join(" / ") || "unnamed adapter"

/**
 * The adapter tfjs gets: tfjs 4.22 asks for the feature 'bgra8unorm-storage' nested in an
 * array (`requiredFeatures.push(['bgra8unorm-storage'])`), which browsers stringify but a
 * strict WebIDL binding may reject; the proxy flattens the list. Everything else passes
 * through to the native adapter (receiver = the adapter itself, for its brand checks).
 */
export function sanitisedAdapter(adapter: unknown): unknown {
  if (adapter === null || adapter === undefined) return adapter
  const target = adapter as { requestDevice(d?: { requiredFeatures?: unknown[] }): Promise<unknown> }
  return new Proxy(target, {
    get(t, p) {
      if (p === "requestDevice")
        return (d?: { requiredFeatures?: unknown[] }) =>
          t.requestDevice(d === undefined ? d : { ...d, requiredFeatures: d.requiredFeatures?.flat() })
      const v: unknown = Reflect.get(t, p, t)
      return typeof v === "function" ? v.bind(t) : v
    }
  })
}

/**
 * WebGPU through the `webgpu` package (Dawn's Node binding). Only usable where reads can be
 * asynchronous (the worker of worker/host.ts): tfjs's synchronous WebGPU read needs an
 * OffscreenCanvas, which Node does not have.
 */
async function initWebGpu(tf: Tf, loader: ModuleLoader): Promise<Engine> {
  let gpu: { requestAdapter(o?: object): Promise<unknown> }
  try {
    const mod = (await loadOptional(loader, "webgpu", " (optional dependency)")) as {
      create(flags: string[]): typeof gpu
      globals: Record<string, unknown>
    }
    Object.assign(globalThis, mod.globals)
    gpu = mod.create(dawnFlags())
  } catch (e) {
    if (e instanceof EngineUnavailable) throw e
    throw new EngineUnavailable(`the webgpu package does not load: ${firstLine(e)}`)
  }
  // tfjs's WebGPU backend reads `navigator.gpu` (Node 20 has no navigator; Node 21+ has one without gpu)
  const tfjsGpu = { requestAdapter: async (o?: object) => sanitisedAdapter(await gpu.requestAdapter(o)) }
  const g = globalThis as { navigator?: object }
  if (g.navigator === undefined) g.navigator = { gpu: tfjsGpu }
  else Object.defineProperty(g.navigator, "gpu", { value: tfjsGpu, configurable: true })
  const adapter = (await gpu.requestAdapter({ powerPreference: "high-performance" })) as {
    info?: AdapterInfo
    isFallbackAdapter?: boolean
  } | null
  if (adapter === null || adapter === undefined)
    throw new EngineUnavailable("WebGPU (Dawn) found no adapter: no Vulkan driver or GPU")
  const info = adapterInfoOf(adapter)
  // registers the "webgpu" backend only if navigator.gpu exists at import: after the above
  await loadOptional(loader, "@tensorflow/tfjs-backend-webgpu")
  if (!registered(tf, "webgpu"))
    throw new EngineUnavailable(
      "@tensorflow/tfjs-backend-webgpu did not register (it was imported before navigator.gpu existed)"
    )
  await switchTo(tf, "webgpu")
  return {
    engineName: "webgpu",
    details: {
      tfjs: tf.version_core,
      adapter: adapterName(info),
      software: String(isSoftwareAdapter(info))
    }
  }
}

/** Initialise `variant` on `tf` and make it the active backend. Throws EngineUnavailable. */
export async function initEngine(
  tf: Tf,
  variant: TfjsVariant,
  loader: ModuleLoader = nodeModuleLoader
): Promise<Engine> {
  try {
    switch (variant) {
      case "node-gpu":
      case "node":
        return await initNode(tf, variant, loader)
      case "webgpu":
        return await initWebGpu(tf, loader)
      case "wasm":
        return await initWasm(tf, loader)
      case "cpu":
        return await initCpu(tf)
    }
  } catch (e) {
    if (e instanceof EngineUnavailable) throw e
    throw new EngineUnavailable(`tfjs:${variant} failed to initialise: ${firstLine(e)}`)
  }
}
