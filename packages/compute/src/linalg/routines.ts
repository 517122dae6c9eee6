/**
 * The four dense routines the host linear algebra is built on, one implementation per CPU engine
 * (../cpu/engine.ts: LAPACK/BLAS through the native addon, or the TypeScript loops of this
 * folder). The public functions (`cholesky`, `choleskySolve`, `symmetricMatvec`,
 * `symmetricEigen`, and `extremeEigenvalues`, `pinvSolveSymmetric`, `lanczosLargest` built on
 * them) check their arguments and call these; their last, optional argument names the routines
 * to use, by default those of the engine in force in this thread (../cpu/current.ts).
 */
import type { SymmetricEigen } from "./symmetric-eigen.js"

export interface LinalgRoutines {
  /**
   * The lower Cholesky factor of the symmetric positive definite `a` (n × n, lower triangle read)
   * into `l` (n × n, distinct from `a`, any contents; its upper triangle is zeroed). False when a
   * pivot is ≤ 0 or not finite (`l` is then garbage).
   */
  factor(a: Float64Array, n: number, l: Float64Array): boolean
  /** x ← (L Lᵀ)⁻¹ x in place, L from `factor`. */
  solve(l: Float64Array, n: number, x: Float64Array): void
  /** y = A x for the symmetric `a` (n × n, lower triangle read); y is overwritten. */
  symv(a: Float64Array, n: number, x: Float64Array, y: Float64Array): void
  /** A = Q diag(λ) Qᵀ, λ ascending, column j of Q for λ_j; undefined when it did not converge. */
  eigen(a: Float64Array, n: number): SymmetricEigen | undefined
}
