import { activationIds, cpuBackend } from "@gnlab/compute"
import { Rng } from "@gnlab/data-gen"
import { describe, expect, it } from "vitest"
import {
  augmentInputs,
  finiteWidth,
  forward,
  jacobianAdjointMul,
  jacobianMul,
  lastLayerGram,
  ntkGram,
  predict,
  type Network,
  type Params
} from "../src/index.js"
import { denseJacobian, finiteDifferenceJacobian, forwardDirect } from "./dense-jacobian.js"

const maxAbs = (x: ArrayLike<number>): number => Array.from(x).reduce((s, v) => Math.max(s, Math.abs(v)), 0)
const maxRelErr = (got: ArrayLike<number>, want: ArrayLike<number>): number => {
  const scale = maxAbs(want)
  let e = 0
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]))
  return e / scale
}

function setup(n: number, m: number, d: number, bias: boolean, activation: (typeof activationIds)[number]) {
  const rng = Rng.stream(7, "init")
  const net = finiteWidth({ width: m, inputDim: d, bias, activation })
  const x = rng.normals(n * d)
  const xt = augmentInputs(net, x, n)
  // random v ≠ 0 so that the hidden-layer block of J is non-trivial
  const p: Params = { u: rng.normals(m * net.dim), v: rng.normals(m).map((v) => 3 * v) }
  const k = cpuBackend.bind(xt, n, net.dim, activation)
  k.setHidden(p.u)
  return { net, xt, p, k, rng }
}

/** J Jᵀ from the dense Jacobian. */
function denseGram(j: Float64Array, n: number, cols: number): Float64Array {
  const a = new Float64Array(n * n)
  for (let p = 0; p < n; p++)
    for (let q = 0; q < n; q++) {
      let s = 0
      for (let c = 0; c < cols; c++) s += j[p * cols + c] * j[q * cols + c]
      a[p * n + q] = s
    }
  return a
}

describe("structured NTK vs the dense Jacobian", () => {
  for (const activation of activationIds)
    for (const [n, m, d, bias] of [
      [7, 13, 3, true],
      [9, 11, 10, false],
      [30, 40, 10, true]
    ] as const)
      it(`${activation} N=${n} M=${m} d=${d} bias=${bias}`, () => {
        const { net, xt, p, k, rng } = setup(n, m, d, bias, activation)
        const cols = m * net.dim + m
        const j = denseJacobian(net, p, xt, n)
        // A = J Jᵀ
        expect(maxRelErr(ntkGram(k, net, p), denseGram(j, n, cols))).toBeLessThan(1e-10)
        // Jᵀ z
        const z = rng.normals(n)
        const jtz = jacobianAdjointMul(k, net, p, z)
        const want = new Float64Array(cols)
        for (let a = 0; a < n; a++) for (let c = 0; c < cols; c++) want[c] += j[a * cols + c] * z[a]
        expect(maxRelErr([...jtz.u, ...jtz.v], want)).toBeLessThan(1e-10)
        // J δw
        const dw: Params = { u: rng.normals(m * net.dim), v: rng.normals(m) }
        const jdw = jacobianMul(k, net, p, dw)
        const flat = [...dw.u, ...dw.v]
        const wantJdw = new Float64Array(n)
        for (let a = 0; a < n; a++) for (let c = 0; c < cols; c++) wantJdw[a] += j[a * cols + c] * flat[c]
        expect(maxRelErr(jdw, wantJdw)).toBeLessThan(1e-10)
        // forward
        expect(maxRelErr(forward(k, net, p), forwardDirect(net, p, xt, n))).toBeLessThan(1e-12)
      })
})

describe("the dense Jacobian vs central finite differences", () => {
  // relu is not differentiable at 0; a.s. no pre-activation sits within h of 0 here
  for (const activation of activationIds)
    it(activation, () => {
      const { net, xt, p } = setup(6, 9, 4, true, activation)
      const j = denseJacobian(net, p, xt, 6)
      const fd = finiteDifferenceJacobian(net, p, xt, 6)
      // central differences: error O(h²) ≈ 1e-12 plus rounding ε·|f|/h ≈ 1e-10
      expect(maxRelErr(j, fd)).toBeLessThan(1e-7)
    })
})

describe("random-features Gram and predictions", () => {
  it("last-layer Gram is Φ Φᵀ/M² (the v-block of J Jᵀ)", () => {
    const { net, xt, p, k } = setup(10, 17, 5, true, "silu")
    const m = 17
    const cols = m * net.dim + m
    const j = denseJacobian(net, p, xt, 10)
    const want = new Float64Array(100)
    for (let a = 0; a < 10; a++)
      for (let b = 0; b < 10; b++)
        for (let c = m * net.dim; c < cols; c++) want[a * 10 + b] += j[a * cols + c] * j[b * cols + c]
    expect(maxRelErr(lastLayerGram(k, net), want)).toBeLessThan(1e-12)
  })

  it("predict on unbound inputs equals the forward pass (row blocks larger and smaller than one)", () => {
    for (const n of [5, 300, 600]) {
      const rng = Rng.stream(3, "testInputs")
      const net: Network = finiteWidth({ width: 20, inputDim: 4, bias: true, activation: "gelu" })
      const xt = augmentInputs(net, rng.normals(n * 4), n)
      const p: Params = { u: rng.normals(20 * 5), v: rng.normals(20) }
      expect(maxRelErr(predict(cpuBackend, net, p, xt, n), forwardDirect(net, p, xt, n))).toBeLessThan(1e-12)
    }
  })
})
