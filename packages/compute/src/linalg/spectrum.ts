/**
 * Extreme eigenvalues of the GN Gram matrix: σmax, σmin and cond = σmax/σmin, every step.
 *
 * A full eigendecomposition costs ~10n³ flops per step; here σmax comes from Lanczos on x ↦ A x and
 * σmin from Lanczos on x ↦ (A + sI)⁻¹ x through one Cholesky factorisation (n³/3 flops), both
 * warm-started from the previous step's eigenvectors. The Cholesky factor of A + sI is also what
 * the damped GN solve needs, so the σmin path costs little extra.
 */
import { currentRoutines } from "../cpu/current.js"
import { addToDiagonal, checkSquare, cholesky, choleskySolve } from "./cholesky.js"
import { lanczosLargest } from "./lanczos.js"
import type { LinalgRoutines } from "./routines.js"

/** Extreme eigenpairs of a symmetric PSD matrix, from {@link extremeEigenvalues}. */
export interface Spectrum {
  /** smallest eigenvalue σ*(A) (may come out as a rounding-size negative for a singular A) */
  sigmaMin: number
  /** largest eigenvalue */
  sigmaMax: number
  /** σmax / σmin, Infinity when σmin ≤ 0 */
  cond: number
  /** unit eigenvector of σmin (warm start for the next step) */
  minVector: Float64Array
  /** unit eigenvector of σmax (warm start for the next step) */
  maxVector: Float64Array
  /** the diagonal shift s whose Cholesky factor gave σmin (0 unless A was singular to rounding) */
  shift: number
  /** operator applications (triangular solve pairs) used for σmin */
  iterationsMin: number
  /** matrix–vector products used for σmax */
  iterationsMax: number
  /** whether both Lanczos runs met their residual tolerance */
  converged: boolean
}

/** Previous step's eigenvectors, used as Lanczos start vectors. */
export interface SpectrumWarmStart {
  minVector?: Float64Array
  maxVector?: Float64Array
}

/**
 * y = A x for a symmetric row-major n×n matrix A.
 *
 * Reads only the lower triangle: row i below the diagonal gives both y_i += Σ_{j<i} a_ij x_j
 * (a dot product) and y_j += a_ij x_i for j < i (an axpy), both unit stride. That halves the memory
 * read per product, which is what bounds a matvec at n in the thousands.
 */
export function symmetricMatvec(
  a: Float64Array,
  n: number,
  x: Float64Array,
  routines: LinalgRoutines = currentRoutines()
): Float64Array {
  const y = new Float64Array(n)
  routines.symv(a, n, x, y)
  return y
}

/** The TypeScript engine's `symv` (y zeroed first): the loop of {@link symmetricMatvec}. */
export function symmetricMatvecTypescript(
  a: Float64Array,
  n: number,
  x: Float64Array,
  y: Float64Array
): void {
  y.fill(0)
  for (let i = 0; i < n; i++) {
    const r = i * n
    const xi = x[i]
    let s0 = 0
    let s1 = 0
    let j = 0
    for (; j + 1 < i; j += 2) {
      const a0 = a[r + j]
      const a1 = a[r + j + 1]
      s0 += a0 * x[j]
      s1 += a1 * x[j + 1]
      y[j] += a0 * xi
      y[j + 1] += a1 * xi
    }
    for (; j < i; j++) {
      const a0 = a[r + j]
      s0 += a0 * x[j]
      y[j] += a0 * xi
    }
    y[i] += s0 + s1 + a[r + i] * xi
  }
}

// Largest factor the σmin shift may reach relative to σmax before giving up: A + sI with
// s ≥ σmax·1e-1 is positive definite for any PSD A plus rounding, so failing beyond it means A is
// indefinite or not finite.
const MAX_SHIFT_RATIO = 1e-1

/**
 * σmin, σmax, their unit eigenvectors and cond = σmax/σmin of a symmetric PSD row-major n×n matrix.
 *
 * σmax: {@link lanczosLargest} on x ↦ A x. σmin: the largest eigenvalue θ of (A + sI)⁻¹ is
 * 1/(σmin + s), so σmin = 1/θ − s, with (A + sI)⁻¹ x applied by two triangular solves with the
 * Cholesky factor. Inverting turns the hard end of the spectrum (σmin, tiny and clustered in
 * relative terms) into the easy one (θ, large and well separated), where Lanczos converges fast.
 * s = 0 first; if A is singular to rounding and Cholesky fails, s = 1e-14·σmax·n, growing ×100
 * until it succeeds. The backward error of Cholesky (≈ nε‖A‖) bounds the absolute error of σmin,
 * so σmin is relatively accurate for well-conditioned A and accurate to ~1e-14·σmax·n otherwise.
 * `warm` passes the previous step's eigenvectors as start vectors; `routines` the engine's
 * (default: the one in force in this thread).
 */
export function extremeEigenvalues(
  a: Float64Array,
  n: number,
  warm: SpectrumWarmStart = {},
  work?: Float64Array,
  routines: LinalgRoutines = currentRoutines()
): Spectrum {
  checkSquare(a, n, "extremeEigenvalues")
  if (n < 1) throw new Error("extremeEigenvalues: empty matrix")
  const max = lanczosLargest((x) => symmetricMatvec(a, n, x, routines), n, {
    start: warm.maxVector,
    routines
  })
  const sigmaMax = max.value
  if (!Number.isFinite(sigmaMax)) throw new Error("extremeEigenvalues: matrix is not finite")
  if (sigmaMax <= 0) {
    // a PSD matrix with no positive eigenvalue is zero: every vector is a σmin = σmax eigenvector
    return {
      sigmaMin: sigmaMax,
      sigmaMax,
      cond: Infinity,
      minVector: max.vector,
      maxVector: Float64Array.from(max.vector),
      shift: 0,
      iterationsMin: 0,
      iterationsMax: max.iterations,
      converged: max.converged
    }
  }

  let shift = 0
  // `work` (n × n, optional) receives the Cholesky factor, so a caller's loop need not allocate it
  let l = cholesky(a, n, work, routines)
  while (l === undefined) {
    shift = shift === 0 ? 1e-14 * sigmaMax * n : shift * 100
    if (shift > MAX_SHIFT_RATIO * sigmaMax) {
      throw new Error(`extremeEigenvalues: A + sI is not positive definite even at s = ${shift}`)
    }
    l = cholesky(addToDiagonal(a, n, shift), n, work, routines)
  }
  const factor = l
  const min = lanczosLargest((x) => choleskySolve(factor, n, x, routines), n, {
    start: warm.minVector,
    routines
  })
  const sigmaMin = 1 / min.value - shift
  return {
    sigmaMin,
    sigmaMax,
    cond: sigmaMin > 0 ? sigmaMax / sigmaMin : Infinity,
    minVector: min.vector,
    maxVector: max.vector,
    shift,
    iterationsMin: min.iterations,
    iterationsMax: max.iterations,
    converged: min.converged && max.converged
  }
}
