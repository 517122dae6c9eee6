/**
 * Discovery: each variant is either initialised or rejected with a one-line reason, a tfjs
 * backend that fails to initialise never stays active, and `--backend tfjs` falls through the
 * order node-gpu, node, webgpu, wasm, cpu. Optional packages are faked through the loader,
 * so these tests do not depend on what this machine has installed.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { describe, expect, it } from "vitest"
import { openFirstAvailable, openVariant, probeWebGpu, tfjsAvailability } from "../src/discovery.js"
import {
  EngineUnavailable,
  initEngine,
  isSoftwareAdapter,
  nodeModuleLoader,
  sanitisedAdapter,
  switchTo,
  type ModuleLoader,
  type OptionalPackage
} from "../src/engines.js"
import { loadTf } from "../src/tf.js"

/** Node's error for a package that is not installed. */
const notFound = (pkg: string) =>
  Object.assign(new Error(`Cannot find package '${pkg}' imported from /work/x.js`), {
    code: "ERR_MODULE_NOT_FOUND"
  })

/** The real loader with some packages hidden (undefined) or replaced by files. */
function fakeLoader(files: Partial<Record<OptionalPackage, string | undefined>>): ModuleLoader {
  return {
    load: (pkg) =>
      !(pkg in files)
        ? nodeModuleLoader.load(pkg)
        : files[pkg] === undefined
          ? Promise.reject(notFound(pkg))
          : import(pathToFileURL(files[pkg]!).href),
    resolve: (pkg) => (pkg in files ? files[pkg] : nodeModuleLoader.resolve(pkg))
  }
}

const dir = mkdtempSync(join(tmpdir(), "gnlab-tfjs-"))
const file = (name: string, text: string): string => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
// a tfjs-node whose native binding is missing throws this at import
const brokenNode = file(
  "tfjs-node.mjs",
  `throw new Error("The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/napi-v8/tfjs_binding.node. \\nPlease run command 'npm rebuild'")`
)
const noAdapter = file(
  "webgpu-none.mjs",
  `process.stderr.write("Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file\\n    at operator() (BackendVk.cpp:368)\\n")
   export const globals = {}
   export const create = () => ({ requestAdapter: async () => null })`
)
const software = file(
  "webgpu-llvmpipe.mjs",
  `export const globals = {}
   export const create = () => ({ requestAdapter: async () => ({ info: { vendor: "mesa", architecture: "",
     device: "llvmpipe (LLVM 15.0.7, 256 bits)", description: "" } }) })`
)
const crashing = file("webgpu-crash.mjs", `throw new Error("dawn.node: invalid ELF header")`)
const hidden = { "@tensorflow/tfjs-node-gpu": undefined, "@tensorflow/tfjs-node": undefined }

describe("initialising a variant", () => {
  it("a Node binding that is not installed", async () => {
    const tf = await loadTf()
    await expect(initEngine(tf, "node", fakeLoader(hidden))).rejects.toThrow(
      /@tensorflow\/tfjs-node is not installed \(optional dependency/
    )
  })

  it("a Node binding installed without its native binary (install script skipped)", async () => {
    const tf = await loadTf()
    const e = await initEngine(tf, "node-gpu", fakeLoader({ "@tensorflow/tfjs-node-gpu": brokenNode })).catch(
      (x: unknown) => x
    )
    expect(e).toBeInstanceOf(EngineUnavailable)
    const reason = (e as EngineUnavailable).reason
    expect(reason).toMatch(/installed but its native binding does not load/)
    expect(reason).toMatch(/\(tfjs_binding\.node\) can not be found/)
    expect(reason).not.toContain("\n")
  })

  it("a tfjs backend whose initialisation fails is removed and the engine restored", async () => {
    const tf = await loadTf()
    await switchTo(tf, "cpu")
    tf.registerBackend("gnlab-test-broken", () => {
      throw new Error("no device")
    })
    tf.registerBackend("gnlab-test-broken-async", async () => {
      throw new Error("no adapter")
    })
    for (const name of ["gnlab-test-broken", "gnlab-test-broken-async"]) {
      const e = await switchTo(tf, name).catch((x: unknown) => x)
      expect(e).toBeInstanceOf(EngineUnavailable)
      // tfjs's own explanation (a console.warn, silent in prod mode) is in the reason
      expect((e as EngineUnavailable).reason).toMatch(/could not initialise .*(no device|no adapter)/)
      expect(tf.getBackend()).toBe("cpu")
      // the engine still computes
      const t = tf.tidy(() => tf.sum(tf.tensor1d([1, 2, 3])))
      expect(t.dataSync()[0]).toBe(6)
      t.dispose()
    }
  })
})

describe("the adapter tfjs:webgpu hands to tfjs", () => {
  it("flattens tfjs's nested requiredFeatures and passes everything else through", async () => {
    const seen: unknown[] = []
    const native = {
      info: { vendor: "nvidia" },
      features: new Set(["timestamp-query"]),
      requestDevice(d: unknown) {
        seen.push(d)
        return Promise.resolve("device")
      }
    }
    const a = sanitisedAdapter(native) as typeof native
    expect("info" in a).toBe(true)
    expect(a.features.has("timestamp-query")).toBe(true)
    await expect(
      a.requestDevice({ requiredFeatures: ["timestamp-query", ["bgra8unorm-storage"]] })
    ).resolves.toBe("device")
    expect(seen).toEqual([{ requiredFeatures: ["timestamp-query", "bgra8unorm-storage"] }])
    expect(sanitisedAdapter(null)).toBe(null)
  })
})

describe("the WebGPU probe (a child process)", () => {
  it("reports no adapter with Dawn's own reason", () => {
    const r = probeWebGpu(fakeLoader({ webgpu: noAdapter }))
    expect(r).toEqual({
      ok: false,
      reason:
        "WebGPU (Dawn) found no adapter: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file"
    })
  })

  it("recognises a software adapter", () => {
    const r = probeWebGpu(fakeLoader({ webgpu: software }))
    expect(r.ok).toBe(true)
    if (r.ok) expect(isSoftwareAdapter(r.adapter)).toBe(true)
    expect(isSoftwareAdapter({ vendor: "nvidia", device: "NVIDIA H200" })).toBe(false)
  })

  it("survives a package that does not load", () => {
    const r = probeWebGpu(fakeLoader({ webgpu: crashing }))
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/failed to load .*invalid ELF header/)
  })

  it("reports a missing package", () => {
    expect(probeWebGpu(fakeLoader({ webgpu: undefined }))).toEqual({
      ok: false,
      reason: "webgpu is not installed (optional dependency)"
    })
  })
})

describe("choosing a variant", () => {
  it("`tfjs` passes over unavailable variants and a software adapter, in order", async () => {
    const b = await openFirstAvailable(fakeLoader({ ...hidden, webgpu: software }))
    expect(b.info.name).toBe("tfjs:wasm")
    expect(b.info.precision).toBe("float32")
    const c = await openFirstAvailable(
      fakeLoader({ ...hidden, webgpu: noAdapter, "@tensorflow/tfjs-backend-wasm": undefined })
    )
    expect(c.info.name).toBe("tfjs:cpu")
  })

  it("a forced variant that is unavailable fails with its reason", async () => {
    await expect(openVariant("webgpu", fakeLoader({ webgpu: noAdapter }))).rejects.toThrow(/found no adapter/)
    await expect(openVariant("node", fakeLoader(hidden))).rejects.toBeInstanceOf(EngineUnavailable)
  })

  it("lists every variant in discovery order with a reason", async () => {
    const list = await tfjsAvailability(fakeLoader({ ...hidden, webgpu: noAdapter }))
    expect(list.map((a) => a.backend)).toEqual([
      "tfjs:node-gpu",
      "tfjs:node",
      "tfjs:webgpu",
      "tfjs:wasm",
      "tfjs:cpu"
    ])
    expect(list.map((a) => a.available)).toEqual([false, false, false, true, true])
    for (const a of list) expect(a.reason.length).toBeGreaterThan(10)
  })
})
