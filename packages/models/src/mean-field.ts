/**
 * The mean-field network of eq. 5 by particle quadrature (SPEC.md "Mean-field model by
 * particle quadrature"):
 *
 *   f_w(x) = ∫ v(c) σ(u(c) · x̃) dμ(c) ≈ Σ_j ω_j v_j σ(u_j · x̃),   μ = N(0, τ0² I_D),
 *
 * with particles c_j and weights ω_j (Σ_j ω_j = 1) from a {@link QuadratureRule}, initial
 * u(c) = c (u_j = c_j, the bias included) and v = 0. The parameter space is
 * L2(μ, R^D) × L2(μ), whose inner product the quadrature turns into
 *
 *   ⟨w, w'⟩ = Σ_j ω_j (u_j · u'_j + v_j v'_j),   i.e. the metric g = ω.
 *
 * That is the generic network of finite-width.ts with output weights ω and metric g = ω, so
 * ntk.ts serves it unchanged: J* carries a 1/ω_j and
 *
 *   A = J J* = Φ diag(ω) Φᵀ + (Ψ diag(ω v²) Ψᵀ) ∘ (X̃ X̃ᵀ).
 *
 * Monte Carlo weights ω = 1/M and the finite-width network (eq. 4). With the same particles
 * (u_j(0) = c_j, v = 0) both compute the same f and the same Jacobian J = ∂f/∂w, but their
 * metrics differ by the factor M: g_mf = 1/M, g_fin = 1. Hence
 *
 *   J*_mf = G⁻¹ Jᵀ = M Jᵀ = M J*_fin,   A_mf = J J*_mf = M A_fin,   σ*, σmax × M, cond equal.
 *
 * and the methods map as follows (each side produces the other's iterates exactly):
 *
 * - GD, w ← w − λ J* g:  λ_mf = λ_fin / M.
 * - GN, (A + εI) z = g, w ← w − λ J* z:  λ J*_mf (A_mf + ε_mf I)⁻¹ = λ Jᵀ (A_fin + (ε_mf/M) I)⁻¹,
 *   so λ_mf = λ_fin and ε_mf = M ε_fin — for `max-sigma-min` ε0_mf = M ε0_fin (σ* scales by M
 *   on its own), for `fixed` ε_mf = M ε_fin, and the theory rule ε = ((1−η)/η) μ_H σ* needs no
 *   change.
 * - Gradient flow ẇ = −J* ∇L:  w_mf(t) = w_fin(M t), i.e. t_mf = t_fin / M.
 * - GN flow (eq. 3), ẇ = −J* (A + ε H⁻¹)⁻¹ H⁻¹ ∇L: the same trajectory at the same t with
 *   ε_mf = M ε_fin (the theory rule unchanged).
 * - Recorded quantities: loss, gradNorm (function space) and cond are equal; σ*, σmax, ε are
 *   M times the finite ones; distInit, stepNorm (norms in g) and pinvNorm a_t = sqrt(tr A⁻¹)
 *   are the finite ones divided by √M.
 */
import type { Network, NetworkSpec, Params } from "./finite-width.js"
import { InvalidQuadrature, type QuadratureRule, type RandomSource } from "./quadrature.js"

/** The mean-field network on given quadrature weights: ω = weights, metric g = ω. */
export function meanFieldNetwork(spec: NetworkSpec, weights: Float64Array): Network {
  if (weights.length !== spec.width)
    throw new InvalidQuadrature({
      rule: "weights",
      problem: `${weights.length} weights for ${spec.width} particles`
    })
  let sum = 0
  for (const w of weights) {
    if (!(w > 0) || !Number.isFinite(w))
      throw new InvalidQuadrature({ rule: "weights", problem: `weights must be finite and > 0, got ${w}` })
    sum += w
  }
  if (Math.abs(sum - 1) > 1e-12 * weights.length)
    throw new InvalidQuadrature({ rule: "weights", problem: `weights must sum to 1, got ${sum}` })
  return {
    spec,
    dim: spec.inputDim + (spec.bias ? 1 : 0),
    outputWeights: Float64Array.from(weights),
    metric: Float64Array.from(weights)
  }
}

/** A mean-field network with its particles and initial parameters. */
export interface MeanField {
  readonly net: Network
  /** the rule's id ("mc", "rqmc", …) */
  readonly quadrature: string
  /** particles c_j = τ0 z_j (M × D row-major) */
  readonly particles: Float64Array
  /** u(c) = c, v = 0 */
  readonly params0: Params
}

/**
 * The mean-field network of `spec` (M = spec.width particles) for the base measure
 * N(0, τ0² I_D): nodes and weights from `rule` drawing on `random` (gnlab: the seed's "init"
 * stream), particles c_j = τ0 z_j, initial parameters u = c, v = 0.
 */
export function meanField(
  spec: NetworkSpec,
  rule: QuadratureRule,
  initStd: number,
  random: RandomSource
): MeanField {
  const dim = spec.inputDim + (spec.bias ? 1 : 0)
  const { points, weights } = rule.nodes(spec.width, dim, random)
  const net = meanFieldNetwork(spec, weights)
  const particles = points.map((z) => initStd * z)
  return {
    net,
    quadrature: rule.id,
    particles,
    params0: { u: Float64Array.from(particles), v: new Float64Array(spec.width) }
  }
}
