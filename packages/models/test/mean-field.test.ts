import { cpuBackend } from "@gnlab/compute"
import { Rng } from "@gnlab/data-gen"
import { describe, expect, it } from "vitest"
import {
  augmentInputs,
  finiteWidth,
  InvalidQuadrature,
  jacobianAdjointMul,
  meanField,
  meanFieldNetwork,
  monteCarlo,
  ntkGram,
  paramNorm,
  randomizedQmc,
  type NetworkSpec,
  type Params
} from "../src/index.js"
import { denseJacobian } from "./dense-jacobian.js"

const maxRelErr = (got: ArrayLike<number>, want: ArrayLike<number>): number => {
  let e = 0
  let s = 0
  for (let i = 0; i < want.length; i++) {
    e = Math.max(e, Math.abs(got[i] - want[i]))
    s = Math.max(s, Math.abs(want[i]))
  }
  return e / s
}

const spec: NetworkSpec = { width: 64, inputDim: 5, bias: true, activation: "silu" }

describe("mean-field network (eq. 5)", () => {
  it("particles c = τ0 z from the rule, u(c) = c, v = 0, weights summing to 1", () => {
    for (const rule of [monteCarlo, randomizedQmc]) {
      const mf = meanField(spec, rule, 2.5, Rng.stream(3, "init"))
      expect(mf.quadrature).toBe(rule.id)
      expect(mf.net.dim).toBe(6)
      expect(mf.particles.length).toBe(64 * 6)
      expect(Array.from(mf.params0.u)).toEqual(Array.from(mf.particles))
      expect(mf.params0.v.every((v) => v === 0)).toBe(true)
      expect(mf.net.outputWeights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 14)
      expect(Array.from(mf.net.metric)).toEqual(Array.from(mf.net.outputWeights))
      // the same stream gives the same particles
      expect(meanField(spec, rule, 2.5, Rng.stream(3, "init")).particles).toEqual(mf.particles)
      // the particles are τ0 × the rule's standard-normal nodes
      const z = rule.nodes(64, 6, Rng.stream(3, "init")).points
      expect(
        maxRelErr(
          mf.particles,
          z.map((x) => 2.5 * x)
        )
      ).toBe(0)
    }
  })

  it("RQMC particles have the moments of N(0, τ0² I) far more exactly than MC", () => {
    const big: NetworkSpec = { ...spec, width: 1024 }
    const momentError = (rule: typeof monteCarlo) => {
      const { particles } = meanField(big, rule, 1, Rng.stream(9, "init"))
      let e = 0
      for (let k = 0; k < 6; k++) {
        let m1 = 0
        let m2 = 0
        for (let j = 0; j < 1024; j++) {
          m1 += particles[j * 6 + k] / 1024
          m2 += particles[j * 6 + k] ** 2 / 1024
        }
        e = Math.max(e, Math.abs(m1), Math.abs(m2 - 1))
      }
      return e
    }
    const mc = momentError(monteCarlo)
    const qmc = momentError(randomizedQmc)
    expect(qmc).toBeLessThan(0.2 * mc)
  })

  it("NTK and adjoint in the L2(μ) metric: A = J G⁻¹ Jᵀ with G = diag(ω), for non-uniform ω", () => {
    const rng = Rng.stream(4, "init")
    const s: NetworkSpec = { width: 13, inputDim: 3, bias: true, activation: "tanh" }
    const raw = Array.from({ length: 13 }, () => 0.5 + rng.uniform())
    const total = raw.reduce((a, b) => a + b, 0)
    const net = meanFieldNetwork(
      s,
      Float64Array.from(raw, (w) => w / total)
    )
    const n = 7
    const xt = augmentInputs(net, rng.normals(n * 3), n)
    const p: Params = { u: rng.normals(13 * 4), v: rng.normals(13) }
    const k = cpuBackend.bind(xt, n, net.dim, "tanh")
    k.setHidden(p.u)
    const cols = 13 * 4 + 13
    const j = denseJacobian(net, p, xt, n)
    // G⁻¹ on the parameter (u_i block of D entries, then v_i): 1/ω_i
    const ginv = new Float64Array(cols)
    for (let i = 0; i < 13; i++) {
      for (let c = 0; c < 4; c++) ginv[i * 4 + c] = 1 / net.outputWeights[i]
      ginv[13 * 4 + i] = 1 / net.outputWeights[i]
    }
    const want = new Float64Array(n * n)
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++)
        for (let c = 0; c < cols; c++) want[a * n + b] += j[a * cols + c] * ginv[c] * j[b * cols + c]
    expect(maxRelErr(ntkGram(k, net, p), want)).toBeLessThan(1e-12)
    // and A = Φ diag(ω) Φᵀ + (Ψ diag(ω v²) Ψᵀ) ∘ (X̃ X̃ᵀ) is what the kernels assemble
    const direct = k.gram(
      net.outputWeights,
      net.outputWeights.map((w, i) => w * p.v[i] * p.v[i])
    )
    expect(maxRelErr(ntkGram(k, net, p), direct)).toBeLessThan(1e-14)
    // J* z = G⁻¹ Jᵀ z, and ⟨J* z, δw⟩_G = z · J δw (the adjoint identity)
    const z = rng.normals(n)
    const adj = jacobianAdjointMul(k, net, p, z)
    const wantAdj = new Float64Array(cols)
    for (let a = 0; a < n; a++) for (let c = 0; c < cols; c++) wantAdj[c] += ginv[c] * j[a * cols + c] * z[a]
    expect(maxRelErr([...adj.u, ...adj.v], wantAdj)).toBeLessThan(1e-12)
    // the norm is the L2(μ) one: Σ ω_i (|δu_i|² + δv_i²)
    const du = rng.normals(13 * 4)
    const dv = rng.normals(13)
    let sq = 0
    for (let i = 0; i < 13; i++) {
      let t = dv[i] ** 2
      for (let c = 0; c < 4; c++) t += du[i * 4 + c] ** 2
      sq += net.outputWeights[i] * t
    }
    expect(paramNorm(net, du, dv)).toBeCloseTo(Math.sqrt(sq), 14)
    k.dispose()
  })

  it("Monte Carlo weights give A_mf = M A_finite and J*_mf = M J*_finite on the same particles", () => {
    const mf = meanField(spec, monteCarlo, 1, Rng.stream(5, "init"))
    const fin = finiteWidth(spec)
    const rng = Rng.stream(5, "testInputs")
    const n = 9
    const xt = augmentInputs(fin, rng.normals(n * 5), n)
    const p: Params = { u: mf.params0.u, v: rng.normals(64) }
    const k = cpuBackend.bind(xt, n, fin.dim, "silu")
    k.setHidden(p.u)
    const aFin = ntkGram(k, fin, p)
    // M = 64 is a power of 2: the scaling is exact in floating point
    expect(Array.from(ntkGram(k, mf.net, p))).toEqual(Array.from(aFin, (x) => 64 * x))
    const z = rng.normals(n)
    const adjMf = jacobianAdjointMul(k, mf.net, p, z)
    const adjFin = jacobianAdjointMul(k, fin, p, z)
    expect(Array.from(adjMf.v)).toEqual(Array.from(adjFin.v, (x) => 64 * x))
    expect(Array.from(adjMf.u)).toEqual(Array.from(adjFin.u, (x) => 64 * x))
    k.dispose()
  })

  it("rejects weights that are not a probability vector, with a tagged error", () => {
    const bad = (w: number[]) => () => meanFieldNetwork({ ...spec, width: w.length }, Float64Array.from(w))
    expect(bad([0.5, 0.6])).toThrow(InvalidQuadrature)
    expect(bad([1.5, -0.5])).toThrow(/> 0/)
    expect(bad([1])).not.toThrow()
    try {
      bad([0.2, 0.2])()
    } catch (e) {
      expect((e as InvalidQuadrature)._tag).toBe("InvalidQuadrature")
    }
    expect(() => randomizedQmc.nodes(8, 300, Rng.stream(1, "init"))).toThrow(/D ≤ 256/)
  })
})
