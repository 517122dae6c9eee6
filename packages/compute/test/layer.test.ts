/**
 * The CPU backend as a Layer (issue #16): the engine it opens holds its resources — the TypeScript
 * engine's worker threads, the native engine's thread share — only while the Layer's scope is
 * open, whether the program succeeds, fails or is interrupted; two Layers with different engines
 * in one process each compute with their own; the configuration comes from the environment.
 */
import { loadNative } from "@gnlab/compute-native"
import { ConfigProvider, Effect, Exit, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import {
  cholesky,
  Compute,
  CpuBackend,
  CpuBackendLive,
  cpuEngineStatus,
  liveWorkers,
  openCpuEngine,
  type ComputeBackend
} from "../src/index.js"
import { randomGram } from "./linalg/fixtures.js"
import { providers } from "./providers.js"

const native = providers.find((p) => p.choice === "native")!
const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1

// large enough for the TypeScript engine to hand bands to its workers (n²m/2 ≥ 2e7, n·m ≥ 2e5)
const [n, m, dim] = [300, 800, 11]
const r = lcg(7)
const x = Float64Array.from({ length: n * dim }, r)
const u = Float64Array.from({ length: m * dim }, r)
const a = Float64Array.from({ length: m }, () => Math.abs(r()) / m)
const b = Float64Array.from({ length: m }, () => Math.abs(r()) / m)

/** Bind, evaluate the features and a Gram matrix with a Ψ part (on workers with 2 threads). */
const compute = (backend: ComputeBackend): Float64Array => {
  const k = backend.bind(x, n, dim, "silu")
  try {
    k.setHidden(u)
    return k.gram(a, b)
  } finally {
    k.dispose()
  }
}

const gramIn = Effect.gen(function* () {
  const backend = yield* Compute
  return { kernels: backend.info.details.kernels, gram: compute(backend), workers: liveWorkers() }
})

describe("the TypeScript engine's worker threads", () => {
  const layer = CpuBackend({ engine: "typescript", threads: 2 })

  it("run while the Layer is open and are terminated when its scope closes (success)", async () => {
    const before = liveWorkers()
    const out = await Effect.runPromise(Effect.provide(gramIn, layer))
    expect(out.kernels).toBe("typescript")
    expect(out.workers).toBe(before + 1)
    expect(liveWorkers()).toBe(before)
    // and the workers gave the one-thread results
    const one = await Effect.runPromise(
      Effect.provide(gramIn, CpuBackend({ engine: "typescript", threads: 1 }))
    )
    expect(one.workers).toBe(before)
    expect(Array.from(out.gram)).toEqual(Array.from(one.gram))
  })

  it("are terminated when the program fails", async () => {
    const before = liveWorkers()
    let during = -1
    const exit = await Effect.runPromiseExit(
      Effect.provide(
        Effect.flatMap(gramIn, (o) => {
          during = o.workers
          return Effect.fail("boom" as const)
        }),
        layer
      )
    )
    expect(Exit.isFailure(exit)).toBe(true)
    expect(during).toBe(before + 1)
    expect(liveWorkers()).toBe(before)
  })

  it("are terminated when the program is interrupted", async () => {
    const before = liveWorkers()
    let during = -1
    const program = Effect.provide(
      Effect.flatMap(gramIn, (o) => {
        during = o.workers
        return Effect.never
      }),
      layer
    )
    await Effect.runPromise(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(program)
        while (during < 0) yield* Effect.sleep(10)
        yield* Fiber.interrupt(fiber)
      })
    )
    expect(during).toBe(before + 1)
    expect(liveWorkers()).toBe(before)
  })
})

describe.skipIf(native.skip !== undefined)(
  `the native engine's thread share${native.skip !== undefined ? ` — skipped: ${native.skip}` : ""}`,
  () => {
    const active = () => (loadNative() as { addon: { threads(): { active: number } } }).addon.threads().active
    const layer = CpuBackend({ engine: "native" })

    it("is held while the Layer is open and released on success, failure and interruption", async () => {
      const before = active()
      let during = -1
      const observe = Effect.map(gramIn, (o) => {
        during = active()
        return o
      })
      await Effect.runPromise(Effect.provide(observe, layer))
      expect(during).toBe(before + 1)
      expect(active()).toBe(before)

      during = -1
      const failed = await Effect.runPromiseExit(
        Effect.provide(
          Effect.flatMap(observe, () => Effect.fail("boom" as const)),
          layer
        )
      )
      expect(Exit.isFailure(failed)).toBe(true)
      expect(during).toBe(before + 1)
      expect(active()).toBe(before)

      during = -1
      await Effect.runPromise(
        Effect.gen(function* () {
          const fiber = yield* Effect.forkChild(
            Effect.provide(
              Effect.flatMap(observe, () => Effect.never),
              layer
            )
          )
          while (during < 0) yield* Effect.sleep(10)
          yield* Fiber.interrupt(fiber)
        })
      )
      expect(during).toBe(before + 1)
      expect(active()).toBe(before)
    })

    it("two Layers with different engines, nested and concurrent, each compute with their own", async () => {
      // references: each engine opened directly
      const ref = async (engine: "native" | "typescript") => {
        const e = openCpuEngine({ engine, threads: 1 }, true)
        try {
          const k = e.bind(x, n, dim, "silu")
          k.setHidden(u)
          return { gram: k.gram(a, b), chol: cholesky(randomGram(40, 60, 3), 40, undefined, e.routines)! }
        } finally {
          await e.close()
        }
      }
      const refs = { native: await ref("native"), typescript: await ref("typescript") }
      expect(refs.native.gram.some((v, i) => v !== refs.typescript.gram[i])).toBe(true)
      const inForce = Effect.map(gramIn, (o) => ({
        ...o,
        engine: cpuEngineStatus().engine,
        // the host linear algebra without explicit routines: the engine in force
        chol: cholesky(randomGram(40, 60, 3), 40)!
      }))
      const nested = await Effect.runPromise(
        Effect.provide(
          Effect.gen(function* () {
            const outer = yield* inForce
            const inner = yield* Effect.provide(inForce, CpuBackend({ engine: "native" }))
            const after = yield* inForce
            return { outer, inner, after }
          }),
          CpuBackend({ engine: "typescript", threads: 1 })
        )
      )
      expect([nested.outer.kernels, nested.inner.kernels, nested.after.kernels]).toEqual([
        "typescript",
        "openblas",
        "typescript"
      ])
      expect(nested.inner.engine).toBe("openblas")
      expect(nested.after.engine).toBe("typescript")
      for (const o of [nested.outer, nested.after]) {
        expect(Array.from(o.gram)).toEqual(Array.from(refs.typescript.gram))
        expect(Array.from(o.chol)).toEqual(Array.from(refs.typescript.chol))
      }
      expect(Array.from(nested.inner.gram)).toEqual(Array.from(refs.native.gram))
      expect(Array.from(nested.inner.chol)).toEqual(Array.from(refs.native.chol))

      // concurrently: each program's backend and its `linalg` are its own Layer's
      const viaService = Effect.gen(function* () {
        const backend = yield* Compute
        yield* Effect.sleep(5)
        return {
          gram: compute(backend),
          chol: cholesky(randomGram(40, 60, 3), 40, undefined, backend.linalg)!
        }
      })
      const [t, nat] = await Effect.runPromise(
        Effect.all(
          [
            Effect.provide(viaService, CpuBackend({ engine: "typescript", threads: 1 })),
            Effect.provide(viaService, CpuBackend({ engine: "native" }))
          ],
          { concurrency: 2 }
        )
      )
      expect(Array.from(t.gram)).toEqual(Array.from(refs.typescript.gram))
      expect(Array.from(t.chol)).toEqual(Array.from(refs.typescript.chol))
      expect(Array.from(nat.gram)).toEqual(Array.from(refs.native.gram))
      expect(Array.from(nat.chol)).toEqual(Array.from(refs.native.chol))
    })
  }
)

describe("CpuBackendLive", () => {
  const withEnv = (env: Record<string, string>) =>
    Effect.provide(
      Effect.gen(function* () {
        return (yield* Compute).info.details
      }),
      CpuBackendLive.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
    )

  it("takes the engine and threads from GNLAB_CPU_KERNELS and GNLAB_THREADS", async () => {
    const d = await Effect.runPromise(withEnv({ GNLAB_CPU_KERNELS: "typescript", GNLAB_THREADS: "3" }))
    expect(d.kernels).toBe("typescript")
    expect(d.threads).toMatch(/^3 max per call/)
  })

  it("fails with BackendUnavailable on a bad value", async () => {
    const exit = await Effect.runPromiseExit(withEnv({ GNLAB_CPU_KERNELS: "gpu" }))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(JSON.stringify(exit)).toContain("BackendUnavailable")
  })
})
