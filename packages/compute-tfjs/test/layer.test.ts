/** The Effect surface: a scoped backend, and BackendUnavailable for one this machine lacks. */
import { Compute } from "@gnlab/compute"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { tfjsAvailability } from "../src/discovery.js"
import { acquireTfjsBackend, TfjsBackendLive } from "../src/layer.js"
import { startWorkerBackend } from "../src/worker/client.js"

describe("TfjsBackendLive", () => {
  it("provides Compute with a float32 tfjs backend", async () => {
    const info = await Effect.runPromise(
      Effect.gen(function* () {
        return (yield* Compute).info
      }).pipe(Effect.provide(TfjsBackendLive("cpu")))
    )
    expect(info).toMatchObject({ name: "tfjs:cpu", precision: "float32" })
  })

  it("fails with BackendUnavailable exactly for the variants listed as unavailable", async () => {
    const list = await tfjsAvailability()
    for (const a of list.filter((x) => x.variant !== "webgpu")) {
      const exit = await Effect.runPromiseExit(Effect.scoped(acquireTfjsBackend(a.variant)))
      expect(Exit.isSuccess(exit), a.backend).toBe(a.available)
      if (Exit.isFailure(exit)) {
        const err = exit.cause.reasons.find((r) => r._tag === "Fail")?.error
        expect(err).toMatchObject({ _tag: "BackendUnavailable", backend: a.backend, reason: a.reason })
      }
    }
  })

  it("closes a worker-backed backend when its scope closes", async () => {
    const b = await Effect.runPromise(
      Effect.scoped(acquireTfjsBackend("cpu", () => startWorkerBackend("cpu")))
    )
    expect(b.info.details.host).toBe("worker thread")
    expect(() => b.numTensors()).toThrow(/closed/)
  })
})
