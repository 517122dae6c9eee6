/**
 * Which tfjs variants this machine has, and opening one: `--backend tfjs` takes the first
 * available in the order node-gpu, node, webgpu, wasm, cpu; `--backend tfjs:<variant>` forces
 * one. Each unavailable variant carries the reason, in one line.
 */
import { spawnSync } from "node:child_process"
import { tmpdir } from "node:os"
import { pathToFileURL } from "node:url"
import { inProcessBackend, tfjsVariants, type TfjsComputeBackend, type TfjsVariant } from "./backend.js"
import {
  adapterName,
  dawnFlags,
  EngineUnavailable,
  firstLine,
  initEngine,
  isSoftwareAdapter,
  nodeModuleLoader,
  type AdapterInfo,
  type ModuleLoader
} from "./engines.js"
import { loadTf } from "./tf.js"
import { startWorkerBackend } from "./worker/client.js"

/** An open tfjs backend; `close` releases what it holds beyond its bound data sets. */
export interface OpenTfjsBackend extends TfjsComputeBackend {
  close(): Promise<void>
}

/** What `gnlab backends` shows for one variant. */
export interface Availability {
  /** "tfjs:wasm" */
  readonly backend: string
  readonly variant: TfjsVariant
  readonly available: boolean
  /** unavailable: why; available: what it runs on */
  readonly reason: string
  /** false for a variant `--backend tfjs` passes over although it works (a software WebGPU adapter) */
  readonly selectable: boolean
}

/** The outcome of asking Dawn for a WebGPU adapter in a child process. */
export type WebGpuProbe =
  { readonly ok: true; readonly adapter: AdapterInfo } | { readonly ok: false; readonly reason: string }

/**
 * Ask the `webgpu` package for an adapter in a short-lived child process. A separate process
 * keeps Dawn's native stderr warnings ("Couldn't load Vulkan …") out of gnlab's output,
 * turns them into the reason, and survives a driver that hangs or crashes.
 */
export function probeWebGpu(loader: ModuleLoader = nodeModuleLoader, timeoutMs = 30_000): WebGpuProbe {
  const entry = loader.resolve("webgpu")
  if (entry === undefined) return { ok: false, reason: "webgpu is not installed (optional dependency)" }
  const script = `
    const { create, globals } = await import(${JSON.stringify(pathToFileURL(entry).href)})
    Object.assign(globalThis, globals)
    const a = await create(${JSON.stringify(dawnFlags())}).requestAdapter({ powerPreference: "high-performance" })
    const i = a?.info ?? {}
    process.stdout.write(JSON.stringify(a ? { adapter: { vendor: i.vendor, architecture: i.architecture,
      device: i.device, description: i.description, isFallbackAdapter: a.isFallbackAdapter ?? i.isFallbackAdapter } }
      : { adapter: null }))
    process.exit(0)`
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: timeoutMs,
    // Mesa's Vulkan drivers print an error per load without it; it is irrelevant to compute
    env: { ...process.env, XDG_RUNTIME_DIR: process.env["XDG_RUNTIME_DIR"] ?? tmpdir() }
  })
  // Dawn's own explanation, e.g. "Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file"
  const dawn = (r.stderr ?? "")
    .split("\n")
    .map((l) => l.replace(/^\s*(Warning|Error):\s*/, "").trim())
    .filter((l, i, all) => l !== "" && !l.startsWith("at ") && all.indexOf(l) === i)
  const why = dawn.length > 0 ? `: ${firstLine(dawn.join("; "), 160)}` : ""
  if (r.error !== undefined) return { ok: false, reason: `the WebGPU probe failed (${firstLine(r.error)})` }
  if (r.status !== 0)
    return { ok: false, reason: `the webgpu package failed to load (exit ${r.status})${why}` }
  try {
    const out = JSON.parse(r.stdout) as { adapter: AdapterInfo | null }
    if (out.adapter === null) return { ok: false, reason: `WebGPU (Dawn) found no adapter${why}` }
    return { ok: true, adapter: out.adapter }
  } catch {
    return { ok: false, reason: `the WebGPU probe printed no answer${why}` }
  }
}

/** Open one variant. Rejects with EngineUnavailable (with the reason) when it cannot be had. */
export async function openVariant(
  variant: TfjsVariant,
  loader: ModuleLoader = nodeModuleLoader
): Promise<OpenTfjsBackend> {
  if (variant === "webgpu") {
    const probe = probeWebGpu(loader)
    if (!probe.ok) throw new EngineUnavailable(probe.reason)
    // tfjs reads WebGPU memory only asynchronously in Node: the engine lives in a worker
    return startWorkerBackend("webgpu")
  }
  const tf = await loadTf()
  const engine = await initEngine(tf, variant, loader)
  return { ...inProcessBackend(tf, variant, engine.engineName, engine.details), close: async () => {} }
}

/**
 * Open the first available variant in discovery order (`--backend tfjs`). A software WebGPU
 * adapter is passed over (it is slower than wasm). Rejects with EngineUnavailable listing
 * every variant's reason when none works.
 */
export async function openFirstAvailable(loader: ModuleLoader = nodeModuleLoader): Promise<OpenTfjsBackend> {
  const reasons: string[] = []
  for (const variant of tfjsVariants) {
    try {
      if (variant === "webgpu") {
        const probe = probeWebGpu(loader)
        if (!probe.ok) throw new EngineUnavailable(probe.reason)
        if (isSoftwareAdapter(probe.adapter))
          throw new EngineUnavailable(`only a software adapter (${adapterName(probe.adapter)})`)
      }
      return await openVariant(variant, loader)
    } catch (e) {
      reasons.push(`${variant}: ${e instanceof EngineUnavailable ? e.reason : firstLine(e)}`)
    }
  }
  throw new EngineUnavailable(`no tfjs backend works here (${reasons.join("; ")})`)
}

/**
 * The availability of every variant, in discovery order. The in-process ones are really
 * initialised (the only reliable test: a package can be installed without its native
 * binary); WebGPU is probed in a child process.
 */
export async function tfjsAvailability(loader: ModuleLoader = nodeModuleLoader): Promise<Availability[]> {
  const out: Availability[] = []
  for (const variant of tfjsVariants) {
    const backend = `tfjs:${variant}`
    try {
      if (variant === "webgpu") {
        const probe = probeWebGpu(loader)
        if (!probe.ok) throw new EngineUnavailable(probe.reason)
        const software = isSoftwareAdapter(probe.adapter)
        out.push({
          backend,
          variant,
          available: true,
          selectable: !software,
          reason: `${software ? "software adapter, not chosen by --backend tfjs: " : ""}${adapterName(probe.adapter)}`
        })
        continue
      }
      const tf = await loadTf()
      const engine = await initEngine(tf, variant, loader)
      const d = engine.details
      out.push({
        backend,
        variant,
        available: true,
        selectable: true,
        reason: Object.entries(d)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")
      })
    } catch (e) {
      out.push({
        backend,
        variant,
        available: false,
        selectable: false,
        reason: e instanceof EngineUnavailable ? e.reason : firstLine(e)
      })
    }
  }
  return out
}
