/**
 * The worker-thread backend (how tfjs:webgpu runs in Node, where GPU memory can only be read
 * asynchronously), exercised with the wasm engine: synchronous calls give the in-process
 * results, device memory is released, failures come back as errors, and close ends it all.
 */
import { cpuBackend } from "@gnlab/compute"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { EngineUnavailable, nodeModuleLoader } from "../src/engines.js"
import { startWorkerBackend, type WorkerBackend } from "../src/worker/client.js"
import { allPrimitives, relMaxError, uniform } from "./helpers.js"

const n = 30
const m = 40
const dim = 11
let backend: WorkerBackend

beforeAll(async () => {
  backend = await startWorkerBackend("wasm")
})

afterAll(async () => {
  await backend.close()
})

describe("the tfjs worker backend", () => {
  it("reports the engine it runs", () => {
    expect(backend.info).toMatchObject({ name: "tfjs:wasm", precision: "float32" })
    expect(backend.info.details.host).toBe("worker thread")
  })

  it("computes what the CPU backend computes, synchronously", () => {
    const x = uniform(n * dim, 1)
    const u = uniform(m * dim, 2)
    const ref = cpuBackend.bind(x, n, dim, "silu")
    const k = backend.bind(x, n, dim, "silu")
    ref.setHidden(u)
    k.setHidden(u)
    expect(k.m).toBe(m)
    const want = allPrimitives(ref, m, dim, 3)
    const got = allPrimitives(k, m, dim, 3)
    for (const key of Object.keys(want) as (keyof typeof want)[])
      expect(relMaxError(want[key], got[key]), key).toBeLessThan(1e-5)
    const c = uniform(m, 4)
    expect(
      relMaxError(
        cpuBackend.featureMatVec(x, n, dim, u, m, c, "silu"),
        backend.featureMatVec(x, n, dim, u, m, c, "silu")
      )
    ).toBeLessThan(1e-5)
    k.dispose()
  })

  it("releases device memory on dispose and after a failed call", () => {
    const base = backend.numTensors()
    const k = backend.bind(uniform(n * dim, 1), n, dim, "tanh")
    k.setHidden(uniform(m * dim, 2))
    // X̃, Φ and Ψ; the data Gram X̃X̃ᵀ is made by the first Gram matrix that needs it
    expect(backend.numTensors()).toBe(base + 3)
    expect(() => k.phiMul(new Float64Array(m + 3))).toThrow(/tfjs:wasm/)
    expect(backend.numTensors()).toBe(base + 3)
    k.gram(new Float64Array(m).fill(1), new Float64Array(m).fill(1))
    expect(backend.numTensors()).toBe(base + 4)
    k.dispose()
    k.dispose()
    expect(backend.numTensors()).toBe(base)
  })

  it("an engine the worker cannot initialise is reported, and the worker ended", async () => {
    // tfjs-node is an optional dependency whose install fails without network access
    if (nodeModuleLoader.resolve("@tensorflow/tfjs-node") !== undefined) return
    await expect(startWorkerBackend("node")).rejects.toBeInstanceOf(EngineUnavailable)
  })

  it("refuses calls once closed", async () => {
    const b = await startWorkerBackend("cpu")
    const k = b.bind(uniform(n * dim, 1), n, dim, "relu")
    await b.close()
    expect(() => b.numTensors()).toThrow(/closed/)
    // disposing after close is a no-op: the worker's memory went with it
    expect(() => k.dispose()).not.toThrow()
  })
})
