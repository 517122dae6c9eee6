/**
 * Where float32 device arithmetic limits gnlab (the figures of src/precision.ts and the
 * README's "Precision"), measured on tfjs:wasm against the float64 CPU backend:
 *  - σ*(A) of a float32 Gram is off by at most ~1e-7·σmax: fine at σ* / σmax ≥ 1e-6, noise far below;
 *  - GN's relative train loss bottoms out between 1e-16 and 1e-12 (float64: far below);
 *  - with the float64 defaults RF inverts the float32 noise of a rank-deficient K (N > M),
 *    with the float32 defaults (ε0 and cut-off 1e-6) it matches the CPU backend.
 */
import { cpuBackend, symmetricEigen, type ComputeBackend } from "@gnlab/compute"
import { Rng, teacherStudent } from "@gnlab/data-gen"
import { augmentInputs, finiteWidth, halfMeanSquare, initParams, ntkGram, predict } from "@gnlab/models"
import { gd, gn, rf, trainSteps, type Method, type TrainState } from "@gnlab/solvers"
import { beforeAll, describe, expect, it } from "vitest"
import { inProcessBackend, type TfjsComputeBackend } from "../src/backend.js"
import { initEngine } from "../src/engines.js"
import { float32Limits } from "../src/precision.js"
import { loadTf } from "../src/tf.js"

let wasm: TfjsComputeBackend

beforeAll(async () => {
  const tf = await loadTf()
  const engine = await initEngine(tf, "wasm")
  wasm = inProcessBackend(tf, "wasm", engine.engineName, engine.details)
})

function problemOf(n: number, m: number, tau: number) {
  const data = teacherStudent({ seed: 1, nTrain: n, nTest: 500, d: 10 })
  const net = finiteWidth({ width: m, inputDim: 10, bias: true, activation: "silu" })
  const rng = Rng.stream(1, "init")
  const params0 = initParams(net, tau, (k) => rng.normals(k))
  return { data, net, params0, xt: augmentInputs(net, data.xTrain, n) }
}

/** Run `method` for `updates` steps on a backend: the loss ratios and the final test loss. */
function run(backend: ComputeBackend, n: number, m: number, method: Method<TrainState>, updates: number) {
  const { data, net, params0, xt } = problemOf(n, m, 1)
  const kernels = backend.bind(xt, n, net.dim, "silu")
  try {
    const problem = { net, kernels, y: data.yTrain }
    const s0 = method.init(problem, params0)
    const ratios: number[] = []
    let last = s0
    for (const e of trainSteps(method, problem, s0, s0.loss, {
      tol: 0,
      maxIter: updates,
      divergenceFactor: 1e6
    })) {
      ratios.push(e.state.loss / s0.loss)
      last = e.state
    }
    const xtTest = augmentInputs(net, data.xTest, data.nTest)
    const f = predict(backend, net, last.params, xtTest, data.nTest)
    return { ratios, test: halfMeanSquare(f.map((fa, a) => fa - data.yTest[a])) }
  } finally {
    kernels.dispose()
  }
}

describe("float32 limits", () => {
  it.each([
    [100, 500, 1], // σ* / σmax ≈ 1e-4
    [400, 60, 1], // ≈ 1e-7
    [300, 500, 0.02] // ≈ 7e-14: A is singular to float32
  ])("σ*(A) at fixed weights is within 2e-7·σmax of float64 (N=%i, M=%i, τ0=%f)", (n, m, tau) => {
    const { data, net, params0, xt } = problemOf(n, m, tau)
    const k64 = cpuBackend.bind(xt, n, net.dim, "silu")
    const k32 = wasm.bind(xt, n, net.dim, "silu")
    // a few GD steps so that v ≠ 0 and both terms of A are present
    const method = gd({ lr: 10 })
    let s = method.init({ net, kernels: k64, y: data.yTrain }, params0)
    for (let i = 0; i < 5; i++) s = method.step({ net, kernels: k64, y: data.yTrain }, s).state
    k32.setHidden(s.params.u)
    const e64 = symmetricEigen(ntkGram(k64, net, s.params), n).values
    const e32 = symmetricEigen(ntkGram(k32, net, s.params), n).values
    k32.dispose()
    const sigmaMax = e64[n - 1]
    const error = Math.abs(e32[0] - e64[0])
    expect(error / sigmaMax).toBeLessThan(2e-7)
    const ratio = e64[0] / sigmaMax
    // above the floor σ* is accurate to ~10%; far below it, the float32 σ* is noise
    if (ratio >= float32Limits.sigmaRatioFloor) expect(error / e64[0]).toBeLessThan(0.2)
    if (ratio < 1e-10) expect(error / Math.abs(e64[0])).toBeGreaterThan(1)
  })

  it("GN's relative train loss has a float32 floor between 1e-16 and the tol floor 1e-12", () => {
    const method = gn({ lr: 10, damping: { rule: "max-sigma-min", eps0: 1e-7 } })
    const f32 = Math.min(...run(wasm, 100, 500, method, 300).ratios)
    const f64 = Math.min(...run(cpuBackend, 100, 500, method, 300).ratios)
    expect(f32).toBeLessThan(float32Limits.tolFloor)
    expect(f32).toBeGreaterThan(1e-16)
    expect(f64).toBeLessThan(1e-17)
  })

  it("RF with N > M needs the float32 defaults of ε0 and the cut-off", () => {
    const rfWith = (eps0: number, relCutoff: number) =>
      rf({ lr: 100, damping: { rule: "max-sigma-min", eps0 }, relCutoff })
    const ref = run(cpuBackend, 300, 100, rfWith(1e-7, 1e-10), 5).test
    const float64Defaults = run(wasm, 300, 100, rfWith(1e-7, 1e-10), 5).test
    const float32Defaults = run(wasm, 300, 100, rfWith(float32Limits.eps0, float32Limits.rfCutoff), 5).test
    expect(Math.abs(float64Defaults - ref) / ref).toBeGreaterThan(0.1)
    expect(Math.abs(float32Defaults - ref) / ref).toBeLessThan(1e-2)
  })
})
