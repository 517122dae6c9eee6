/**
 * The damped Gauss–Newton direction, written once for every method that needs it:
 *
 *     δw = J* (A + ε I)⁻¹ g,    A = J J*  (the structured N × N Gram, SPEC.md)
 *
 * GN (w ← w − λ δw), the GN flow (ẇ = −J*(A + εH⁻¹)⁻¹H⁻¹g), random features (A = K, the
 * last-layer Gram) and the Rosenbrock stages of the gradient flow (Woodbury:
 * (I + cJ*J)⁻¹J*z = J*(I + cA)⁻¹z, i.e. ε = 1/c) all solve this system. They share its
 * factorization and its one behaviour when the factorization fails:
 *
 *   A + εI is factored by Cholesky. If it is not numerically positive definite — ε below the
 *   rounding level of A, about n·u·σmax(A) — ε is raised to that level (or to the spectrum's
 *   shift when one is known) and then ×100 at most 10 times; the ε actually used is returned
 *   (and recorded by the methods). If no ε in that range works, {@link SingularSystem} is thrown:
 *   a tagged value the training loop turns into a `failed` stop, never a stack trace.
 *
 * Raising ε only within rounding keeps the direction what the method asked for: the components
 * it changes are those of A's numerical null space, where J* z ≈ 0 anyway.
 */
import { addToDiagonal, cholesky, choleskySolve } from "@gnlab/compute"
import { jacobianAdjointMul, type Network, type Params } from "@gnlab/models"
import type { FeatureKernels, LinalgRoutines } from "@gnlab/compute"
import { Data } from "effect"

/** A + εI could not be factored for any ε up to `eps` (A not finite, or far from PSD). */
export class SingularSystem extends Data.TaggedError("SingularSystem")<{
  /** the largest ε tried */
  readonly eps: number
  readonly n: number
  /** which system (e.g. "gn", "rf", "rosenbrock stage") */
  readonly where: string
}> {
  override get message(): string {
    return `${this.where}: the damped system A + εI (N = ${this.n}) is not positive definite even with ε = ${this.eps.toExponential(2)}`
  }
}

/** N × N buffers for A + εI and its Cholesky factor, reused from step to step. */
export interface SolveWork {
  readonly shifted: Float64Array
  readonly factor: Float64Array
}

/** A + εI factored: `solve(g)` = (A + εI)⁻¹ g for as many right-hand sides as needed. */
export interface DampedFactor {
  readonly n: number
  /** the ε used (≥ the ε asked for; larger only when that one was below rounding) */
  readonly eps: number
  /** the lower Cholesky factor L (row-major), L Lᵀ = A + εI */
  readonly l: Float64Array
  solve(g: Float64Array): Float64Array
}

/**
 * What is known of A's scale, to place the rounding floor of ε (a cheap bound is used
 * otherwise), and whether ε may be raised at all.
 */
export interface SystemScale {
  /**
   * ε is part of a vector field (the GN flow): never raise it, fail instead — a raised ε
   * would make the ODE's right-hand side jump, and the flow is undefined where A + εI is
   * singular (Prop. 2's blow-up), which the run must report rather than smooth over.
   */
  readonly exact?: boolean
  /** σmax(A), or an upper bound */
  readonly sigmaMax?: number
  /** the diagonal shift that made A + sI factorable when σ* was estimated */
  readonly shift?: number
}

/** max_i A_ii ≤ σmax(A) ≤ n max_i A_ii for a PSD A: a scale for the rounding floor. */
function maxDiagonal(a: Float64Array, n: number): number {
  let m = 0
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i * n + i]))
  return m
}

/**
 * Factor A + εI (see the module comment for the rule when it is not positive definite).
 * `work` holds A + εI and the factor (no N × N allocation); the result does not depend on it,
 * but the returned factor refers to `work.factor` until the next factorization in it.
 * @throws SingularSystem
 */
export function factorDamped(
  a: Float64Array,
  n: number,
  eps: number,
  where: string,
  scale: SystemScale = {},
  work?: SolveWork,
  routines?: LinalgRoutines
): DampedFactor {
  const attempt = (e: number) => cholesky(addToDiagonal(a, n, e, work?.shifted), n, work?.factor, routines)
  let used = eps
  let l = Number.isFinite(eps) && eps >= 0 ? attempt(eps) : undefined
  if (l === undefined && Number.isFinite(eps) && eps >= 0 && scale.exact !== true) {
    const sigmaMax = scale.sigmaMax ?? maxDiagonal(a, n)
    used = Math.max(eps, scale.shift ?? 0, 1e-15 * sigmaMax * n)
    for (let tries = 0; l === undefined && tries < 10 && Number.isFinite(used) && used > 0; tries++) {
      l = attempt(used)
      if (l === undefined) used *= 100
    }
  }
  if (l === undefined) throw new SingularSystem({ eps: used, n, where })
  const factor = l
  return { n, eps: used, l: factor, solve: (g) => choleskySolve(factor, n, g, routines) }
}

/** The GN direction δw = J* (A + εI)⁻¹ g at `params` (the kernels hold their features). */
export function gnDirection(
  kernels: FeatureKernels,
  net: Network,
  params: Params,
  factor: DampedFactor,
  g: Float64Array
): Params {
  return jacobianAdjointMul(kernels, net, params, factor.solve(g))
}
