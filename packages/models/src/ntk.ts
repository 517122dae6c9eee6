/**
 * The structured NTK and Jacobian products (SPEC.md "The NTK without forming the Jacobian"),
 * written against the compute backend's FeatureKernels; the kernels must hold the features
 * of the parameters passed (call `kernels.setHidden(params.u)` after changing U).
 *
 * With ω the output weights and g the metric (finite width: ω = 1/M, g = 1):
 *   ∂f_a/∂v_i = ω_i Φ_ai,   ∂f_a/∂u_i = ω_i v_i Ψ_ai x̃_a
 *   J* z = G⁻¹ Jᵀ z:  (J* z)_v = (ω/g) ∘ Φᵀ z,  (J* z)_{u_i} = (ω_i v_i / g_i) Σ_a z_a Ψ_ai x̃_a
 *   A = J J* = Φ diag(ω²/g) Φᵀ + (Ψ diag(ω² v²/g) Ψᵀ) ∘ (X̃ X̃ᵀ)
 * which for the finite width is A = (1/M²)[Φ Φᵀ + (Ψ diag(v²) Ψᵀ) ∘ (X̃ X̃ᵀ)].
 */
import type { ComputeBackend, FeatureKernels } from "@gnlab/compute"
import type { Network, Params } from "./finite-width.js"

/** f(x_a) for the bound data: Φ (ω ∘ v). */
export function forward(k: FeatureKernels, net: Network, p: Params): Float64Array {
  return k.phiMul(p.v.map((v, i) => v * net.outputWeights[i]))
}

/** The NTK Gram matrix A = J J* (N × N), written into `out` when given (CPU kernels). */
export function ntkGram(k: FeatureKernels, net: Network, p: Params, out?: Float64Array): Float64Array {
  const w = net.outputWeights
  const g = net.metric
  const a = w.map((wi, i) => (wi * wi) / g[i])
  const b = p.v.map((vi, i) => (w[i] * w[i] * vi * vi) / g[i])
  return k.gram(a, b, out)
}

/** The last-layer NTK K = J_v J_v* = Φ diag(ω²/g) Φᵀ (random features). */
export function lastLayerGram(k: FeatureKernels, net: Network): Float64Array {
  const w = net.outputWeights
  return k.gram(
    w.map((wi, i) => (wi * wi) / net.metric[i]),
    new Float64Array(w.length)
  )
}

/** J* z: the adjoint of the Jacobian in the network's metric, as (δU, δv). */
export function jacobianAdjointMul(k: FeatureKernels, net: Network, p: Params, z: Float64Array): Params {
  const w = net.outputWeights
  const g = net.metric
  const dim = net.dim
  const dv = k.phiTMul(z)
  const du = k.psiTXMul(z)
  for (let i = 0; i < dv.length; i++) {
    dv[i] *= w[i] / g[i]
    const s = (w[i] * p.v[i]) / g[i]
    for (let j = 0; j < dim; j++) du[i * dim + j] *= s
  }
  return { u: du, v: dv }
}

/** J* z restricted to the last layer: (ω/g) ∘ Φᵀ z. */
export function lastLayerAdjointMul(k: FeatureKernels, net: Network, z: Float64Array): Float64Array {
  const dv = k.phiTMul(z)
  for (let i = 0; i < dv.length; i++) dv[i] *= net.outputWeights[i] / net.metric[i]
  return dv
}

/** J δw = Φ (ω ∘ δv) + Σ_i ω_i v_i Ψ_ai (x̃_a · δu_i). */
export function jacobianMul(k: FeatureKernels, net: Network, p: Params, dw: Params): Float64Array {
  const w = net.outputWeights
  const out = k.phiMul(dw.v.map((x, i) => x * w[i]))
  const h = k.psiXMul(
    p.v.map((x, i) => x * w[i]),
    dw.u
  )
  for (let a = 0; a < out.length; a++) out[a] += h[a]
  return out
}

/** The network's output on inputs it does not keep (a test set): x̃ (n × D) already augmented. */
export function predict(
  backend: ComputeBackend,
  net: Network,
  p: Params,
  xt: Float64Array,
  n: number
): Float64Array {
  return backend.featureMatVec(
    xt,
    n,
    net.dim,
    p.u,
    net.spec.width,
    p.v.map((v, i) => v * net.outputWeights[i]),
    net.spec.activation
  )
}

/** L = (1/2n) Σ_a r_a² for a residual r = f − y. */
export function halfMeanSquare(r: Float64Array): number {
  let s = 0
  for (let a = 0; a < r.length; a++) s += r[a] * r[a]
  return (0.5 * s) / r.length
}
