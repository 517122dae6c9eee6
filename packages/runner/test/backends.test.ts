/**
 * Backend selection and the tfjs backends in whole runs: the same config trains to the same
 * losses on tfjs (wasm, cpu) as on the float64 CPU backend, and every device tensor of a run
 * is released when it ends, fails or is interrupted.
 *
 * Agreement tolerances (relative, on train and test losses), from float32 arithmetic: each
 * device primitive is within ~3e-7 of float64 (packages/compute-tfjs kernels test).
 *  - GD, 500 updates: GD with λ‖A‖ < 2 does not amplify a perturbation of an update, so K
 *    updates add at most K·3e-7 = 1.5e-4 to f, and the squared loss doubles a relative
 *    error: 3e-4 (measured ≤ 2e-7).
 *  - GN, 50 updates, and RF: the solve (A + εI)z = g amplifies a relative perturbation of A
 *    and g by at most κ = σmax/σ* ≈ 8e3 for this problem (N = 100, M = 500, τ0 = 1), so
 *    3e-7·κ ≈ 2.4e-3 bounds the error of each step: 3e-3 (measured ≤ 3e-5).
 *  - RF's train loss after its interpolating update is rounding error on every backend
 *    (float64 ~1e-31·L0, float32 ~1e-10·L0: the float32 residual is ~κ·u), so it is not
 *    compared; both must reach tol = 1e-8 in the same number of updates.
 */
import { assert, describe, it } from "@effect/vitest"
import { Compute, type ComputeBackend } from "@gnlab/compute"
import { acquireTfjsBackend, startWorkerBackend, type TfjsComputeBackend } from "@gnlab/compute-tfjs"
import { Effect, Exit, Fiber, Layer } from "effect"
import {
  backendLayer,
  backendNames,
  listBackends,
  parseBackend,
  precisionAfterRun,
  precisionDefaults,
  precisionWarnings
} from "../src/backends.js"
import { InvalidArgument } from "../src/errors.js"
import { runTraining } from "../src/train-run.js"
import { trainCellOf } from "./train-flags.js"

const config = (method: string, maxIter: number, tol = 0, size = { nTrain: 100, width: 500, nTest: 1000 }) =>
  trainCellOf({
    method,
    ...size,
    tol,
    maxIter,
    // the test loss of the first 10 and the last rows only: the comparison needs the last
    testPerDecade: 0
  })

const relDiff = (a: number | null, b: number | null): number =>
  a === null || b === null ? Infinity : Math.abs(a - b) / Math.abs(a)

describe("parseBackend", () => {
  it("accepts cpu, tfjs and each tfjs variant", () => {
    assert.deepStrictEqual(parseBackend("cpu"), { kind: "cpu" })
    assert.deepStrictEqual(parseBackend("tfjs"), { kind: "tfjs", variant: "auto" })
    for (const v of ["node-gpu", "node", "webgpu", "wasm", "cpu"] as const)
      assert.deepStrictEqual(parseBackend(`tfjs:${v}`), { kind: "tfjs", variant: v })
    assert.strictEqual(backendNames.length, 7)
  })

  it("names the flag, the choices and the likely typo", () => {
    try {
      parseBackend("tfjs:wsam")
      assert.fail("expected InvalidArgument")
    } catch (e) {
      assert.instanceOf(e, InvalidArgument)
      assert.strictEqual((e as InvalidArgument).field, "--backend")
      assert.match(
        (e as InvalidArgument).problem,
        /expected one of cpu, tfjs, .* \(did you mean "tfjs:wasm"\?\)/
      )
    }
  })

  it.effect("an unknown name given to backendLayer is BackendUnavailable, not a crash", () =>
    Effect.gen(function* () {
      const useBackend = Effect.gen(function* () {
        return (yield* Compute).info.name
      })
      const exit = yield* Effect.exit(Effect.provide(useBackend, backendLayer("gpu")))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause.reasons.find((r) => r._tag === "Fail")?.error
        assert.deepInclude(error, { _tag: "BackendUnavailable", backend: "gpu" })
        assert.match(String((error as { reason: string }).reason), /expected one of cpu, tfjs/)
      }
    })
  )
})

describe("float32 defaults and warnings", () => {
  it("raise ε0 and the RF cut-off on float32 only", () => {
    assert.deepStrictEqual(precisionDefaults("float64"), { eps0: 1e-7, rfCutoff: 1e-10 })
    assert.deepStrictEqual(precisionDefaults("float32"), { eps0: 1e-6, rfCutoff: 1e-6 })
  })

  it("warn about a tolerance or ε0 below float32 resolution, and a σ* below it after the run", () => {
    const damping = { rule: "max-sigma-min", eps0: 1e-7 }
    assert.strictEqual(precisionWarnings("float32", { tol: 1e-14, damping }).length, 2)
    assert.strictEqual(
      precisionWarnings("float32", { tol: 1e-8, damping: { ...damping, eps0: 1e-6 } }).length,
      0
    )
    assert.strictEqual(precisionWarnings("float64", { tol: 1e-14, damping }).length, 0)
    const rows = [
      { sigmaMin: null, sigmaMax: null },
      { sigmaMin: 1e-8, sigmaMax: 1 }
    ]
    assert.match(precisionAfterRun("float32", rows)[0], /σ\*\/σmax reached 1\.0e-8/)
    assert.strictEqual(precisionAfterRun("float64", rows).length, 0)
    assert.strictEqual(precisionAfterRun("float32", [{ sigmaMin: 1e-4, sigmaMax: 1 }]).length, 0)
  })
})

describe("gnlab backends", () => {
  it.effect("lists cpu and every tfjs variant, each with a reason", () =>
    Effect.gen(function* () {
      const list = yield* listBackends
      assert.deepStrictEqual(
        list.backends.map((b) => b.backend),
        ["cpu", "tfjs:node-gpu", "tfjs:node", "tfjs:webgpu", "tfjs:wasm", "tfjs:cpu"]
      )
      for (const b of list.backends) assert.isAbove(b.reason.length, 5)
      // the pure-JS tfjs backend needs nothing but @tensorflow/tfjs
      assert.isTrue(list.backends.find((b) => b.backend === "tfjs:cpu")!.available)
      assert.isNotNull(list.tfjs)
    })
  )
})

/** One run of `cfg` on a backend. */
const train = (cfg: ReturnType<typeof config>, layer: Layer.Layer<Compute, unknown>) =>
  runTraining(cfg).pipe(Effect.scoped, Effect.provide(layer))

describe.each(["tfjs:wasm", "tfjs:cpu"])("%s agrees with the float64 CPU backend", (name) => {
  it.live("GD, 500 updates", () =>
    Effect.gen(function* () {
      const cfg = config("gd", 500)
      const cpu = (yield* train(cfg, backendLayer("cpu"))).summary
      const dev = (yield* train(cfg, backendLayer(name))).summary
      assert.strictEqual(dev.backend, name)
      assert.strictEqual(dev.iterations, 500)
      assert.isBelow(relDiff(cpu.finalTrainLoss, dev.finalTrainLoss), 3e-4)
      assert.isBelow(relDiff(cpu.finalTestLoss, dev.finalTestLoss), 3e-4)
    })
  )

  it.live("GN, 50 updates", () =>
    Effect.gen(function* () {
      const cfg = config("gn", 50)
      const cpu = yield* train(cfg, backendLayer("cpu"))
      const dev = yield* train(cfg, backendLayer(name))
      assert.strictEqual(dev.summary.iterations, 50)
      assert.isBelow(relDiff(cpu.summary.finalTrainLoss, dev.summary.finalTrainLoss), 3e-3)
      assert.isBelow(relDiff(cpu.summary.finalTestLoss, dev.summary.finalTestLoss), 3e-3)
      // σ* is well above float32 resolution here: the recorded σ* agree as well
      const last = (r: typeof cpu) => r.rows[r.rows.length - 1]
      assert.isBelow(relDiff(last(cpu).sigmaMin, last(dev).sigmaMin), 3e-3)
    })
  )

  it.live("RF", () =>
    Effect.gen(function* () {
      const cfg = config("rf", 100, 1e-8)
      const cpu = (yield* train(cfg, backendLayer("cpu"))).summary
      const dev = (yield* train(cfg, backendLayer(name))).summary
      assert.strictEqual(dev.stopReason, "converged")
      assert.strictEqual(dev.iterations, cpu.iterations)
      assert.isBelow(dev.finalTrainLoss!, 1e-8 * dev.initialTrainLoss)
      assert.isBelow(relDiff(cpu.finalTestLoss, dev.finalTestLoss), 3e-3)
    })
  )
})

/** A tfjs backend whose GN Gram fails on the device (an argument of the wrong length). */
function failingGram(b: TfjsComputeBackend): ComputeBackend {
  return {
    ...b,
    bind(x, n, dim, act) {
      const k = b.bind(x, n, dim, act)
      return {
        ...k,
        get m() {
          return k.m
        },
        setHidden: (u) => k.setHidden(u),
        phiMul: (c) => k.phiMul(c),
        phiTMul: (z) => k.phiTMul(z),
        psiTXMul: (z) => k.psiTXMul(z),
        psiXMul: (c, du) => k.psiXMul(c, du),
        gram: (a, bb) => k.gram(a, bb.subarray(1)),
        dispose: () => k.dispose()
      }
    }
  }
}

const small = { nTrain: 20, width: 30, nTest: 50 }

describe.each([
  ["in-process (tfjs:cpu)", () => acquireTfjsBackend("cpu")],
  ["worker thread (as tfjs:webgpu)", () => acquireTfjsBackend("wasm", () => startWorkerBackend("wasm"))]
])("every tensor of a run is released, %s", (_, acquire) => {
  it.live("when it ends", () =>
    Effect.gen(function* () {
      const b = yield* acquire()
      const base = b.numTensors()
      const r = yield* runTraining(config("gn", 5, 0, small), {}).pipe(
        Effect.scoped,
        Effect.provideService(Compute, b)
      )
      assert.strictEqual(r.summary.iterations, 5)
      assert.strictEqual(b.numTensors(), base)
    }).pipe(Effect.scoped)
  )

  it.live("when it fails on the device", () =>
    Effect.gen(function* () {
      const b = yield* acquire()
      const base = b.numTensors()
      const exit = yield* runTraining(config("gn", 5, 0, small), {}).pipe(
        Effect.scoped,
        Effect.provideService(Compute, failingGram(b)),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(b.numTensors(), base)
    }).pipe(Effect.scoped)
  )

  it.live("when a hook fails", () =>
    Effect.gen(function* () {
      const b = yield* acquire()
      const base = b.numTensors()
      const exit = yield* runTraining(config("gd", 50, 0, small), {
        onRow: (row) => {
          if (row.iter === 3) throw new Error("disk full")
        }
      }).pipe(Effect.scoped, Effect.provideService(Compute, b), Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(b.numTensors(), base)
    }).pipe(Effect.scoped)
  )

  it.live("when it is interrupted", () =>
    Effect.gen(function* () {
      const b = yield* acquire()
      const base = b.numTensors()
      let rows = 0
      const fiber = yield* runTraining(config("gd", 10_000_000, 0, small), { onRow: () => void rows++ }).pipe(
        Effect.scoped,
        Effect.provideService(Compute, b),
        Effect.forkChild
      )
      yield* Effect.sleep("300 millis")
      // mid-run: the binding's tensors are alive
      assert.isAbove(rows, 10)
      assert.isAbove(b.numTensors(), base)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(b.numTensors(), base)
    }).pipe(Effect.scoped)
  )
})
