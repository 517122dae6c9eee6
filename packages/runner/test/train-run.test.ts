/** Resource safety of a run: the feature kernels are released on success, failure and interruption. */
import { assert, describe, it } from "@effect/vitest"
import { Compute, cpuBackend, type ComputeBackend } from "@gnlab/compute"
import { readResults } from "@gnlab/report"
import { Effect, Exit, Fiber, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runTraining } from "../src/train-run.js"
import { trainCellOf } from "./train-flags.js"

/** The CPU backend, counting bindings and disposals; `failGram` makes GN's Gram throw. */
function countingBackend(failGram = false) {
  const counts = { bound: 0, disposed: 0 }
  const backend: ComputeBackend = {
    ...cpuBackend,
    bind(x, n, dim, act) {
      const k = cpuBackend.bind(x, n, dim, act)
      counts.bound++
      return {
        ...k,
        get m() {
          return k.m
        },
        setHidden: (u) => k.setHidden(u),
        gram: (a, b) => {
          if (failGram) throw new Error("device lost")
          return k.gram(a, b)
        },
        dispose: () => {
          counts.disposed++
          k.dispose()
        }
      }
    }
  }
  return { counts, layer: Layer.succeed(Compute, backend) }
}

const flags = (method: string, maxIter: number) =>
  trainCellOf({ method, nTrain: 20, width: 30, nTest: 50, tol: 0, maxIter })

describe("runTraining releases the feature kernels", () => {
  it.live("on success", () =>
    Effect.gen(function* () {
      const { counts, layer } = countingBackend()
      const r = yield* runTraining(flags("gd", 25)).pipe(Effect.scoped, Effect.provide(layer))
      assert.strictEqual(r.summary.iterations, 25)
      assert.strictEqual(r.summary.stopReason, "maxIter")
      assert.deepStrictEqual(counts, { bound: 1, disposed: 1 })
    })
  )

  it.live("on failure", () =>
    Effect.gen(function* () {
      const { counts, layer } = countingBackend(true)
      const exit = yield* runTraining(flags("gn", 5)).pipe(Effect.scoped, Effect.provide(layer), Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(counts, { bound: 1, disposed: 1 })
    })
  )

  it.live("on interruption", () =>
    Effect.gen(function* () {
      const { counts, layer } = countingBackend()
      const fiber = yield* runTraining(flags("gd", 10_000_000)).pipe(
        Effect.scoped,
        Effect.provide(layer),
        Effect.forkChild
      )
      yield* Effect.sleep("300 millis")
      assert.strictEqual(counts.disposed, 0)
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(counts, { bound: 1, disposed: 1 })
    })
  )
})

describe("a gnlab train --out folder", () => {
  it.live("records its provenance and reads as a results folder of one cell (gnlab report)", () =>
    Effect.gen(function* () {
      const out = join(mkdtempSync(join(tmpdir(), "gnlab-train-out-")), "run")
      const r = yield* runTraining(flags("gn", 5), {}, out).pipe(
        Effect.scoped,
        Effect.provide(Layer.succeed(Compute, cpuBackend))
      )
      assert.strictEqual(r.summary.provenance?.backend, "cpu")
      assert.strictEqual(typeof r.summary.provenance?.machine.cores, "number")
      const folder = yield* readResults(out)
      assert.strictEqual(folder.pipeline.name, "run")
      assert.deepStrictEqual(
        folder.pipeline.report?.plots?.map((p) => p.plugin),
        ["curves"]
      )
      assert.strictEqual(folder.cells.length, 1)
      assert.strictEqual(folder.cells[0].status, "done")
      assert.strictEqual(folder.cells[0].state, r.summary.stopReason)
      assert.strictEqual(folder.cells[0].rows.length, r.rows.length)
    })
  )
})
