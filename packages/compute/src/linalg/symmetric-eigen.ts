/**
 * Full symmetric eigendecomposition (reference path) and the eigen-based pseudo-inverse solve.
 *
 * These are O(n³) with a large constant (ml-matrix's tred2 + tql2, or LAPACK's dsyevd with the native
 * engine); the per-step spectrum uses
 * Cholesky + Lanczos instead (see spectrum.ts). They serve as the reference the fast path is tested
 * against and as the solver for rank-deficient systems, where Cholesky does not apply.
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix"
import { currentRoutines } from "../cpu/current.js"
import { checkSquare } from "./cholesky.js"
import type { LinalgRoutines } from "./routines.js"

/** Eigenvalues (ascending) and eigenvectors of a symmetric matrix. */
export interface SymmetricEigen {
  /** λ_0 ≤ λ_1 ≤ … ≤ λ_{n−1} */
  values: Float64Array
  /** row-major n×n; column j is the unit eigenvector of values[j] */
  vectors: Float64Array
}

/**
 * Full eigendecomposition A = Q diag(λ) Qᵀ of a symmetric row-major n×n matrix, values ascending.
 *
 * Uses ml-matrix's `EigenvalueDecomposition` with `assumeSymmetric` (Householder tridiagonalisation
 * + implicit QL), which is backward stable: every λ is exact for some A + E with ‖E‖ ≈ ε‖A‖.
 */
export function symmetricEigen(
  a: Float64Array,
  n: number,
  routines: LinalgRoutines = currentRoutines()
): SymmetricEigen {
  checkSquare(a, n, "symmetricEigen")
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) }
  // LAPACK's iteration may fail to converge (info > 0): the TypeScript path below decides
  return routines.eigen(a, n) ?? symmetricEigenTypescript(a, n)
}

/** The TypeScript engine's `eigen`: ml-matrix's tred2 + tql2, values sorted ascending. */
export function symmetricEigenTypescript(a: Float64Array, n: number): SymmetricEigen {
  const rows: number[][] = []
  for (let i = 0; i < n; i++) rows.push(Array.from(a.subarray(i * n, (i + 1) * n)))
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true })
  const lam = evd.realEigenvalues
  const q = evd.eigenvectorMatrix
  // tql2 already sorts ascending; sorting here keeps the contract independent of that detail
  const order = Array.from({ length: n }, (_, i) => i).sort((p, r) => lam[p] - lam[r])
  const values = new Float64Array(n)
  const vectors = new Float64Array(n * n)
  for (let j = 0; j < n; j++) {
    const src = order[j]
    values[j] = lam[src]
    for (let i = 0; i < n; i++) vectors[i * n + j] = q.get(i, src)
  }
  return { values, vectors }
}

/** Result of {@link pinvSolveSymmetric}. */
export interface PinvSolve {
  /** x = A⁺ y restricted to the kept eigenvalues */
  x: Float64Array
  /** how many eigenvalues were treated as zero */
  dropped: number
  /** smallest and largest eigenvalue of A (all of them, before the cutoff) */
  lambdaMin: number
  lambdaMax: number
}

/**
 * Minimum-norm solution x = A⁺ y of a symmetric PSD system, through the eigendecomposition:
 * x = Σ_{λ_i ≥ c·λmax, λ_i > 0} q_i (q_iᵀ y) / λ_i with c = relCutoff (numpy:
 * `lam, Q = eigh(K); keep = lam >= rel_cut*lam[-1]; x = Q @ (inv * (Q.T @ y))`).
 *
 * Eigenvalues below the cutoff are rounding noise of a (numerically) singular A; dropping them
 * instead of inverting them keeps x in the range of A and of a size set by the kept spectrum.
 */
export function pinvSolveSymmetric(
  a: Float64Array,
  n: number,
  y: Float64Array,
  relCutoff: number,
  routines: LinalgRoutines = currentRoutines()
): PinvSolve {
  if (y.length !== n) throw new Error(`pinvSolveSymmetric: y has length ${y.length}, expected ${n}`)
  const { values, vectors } = symmetricEigen(a, n, routines)
  const x = new Float64Array(n)
  if (n === 0) return { x, dropped: 0, lambdaMin: NaN, lambdaMax: NaN }
  const lambdaMax = values[n - 1]
  const cut = relCutoff * lambdaMax
  let dropped = 0
  // coefficient c_j = (q_jᵀ y) / λ_j for kept j; Q is row-major so accumulate qᵀy row by row
  const coef = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const yi = y[i]
    const r = i * n
    for (let j = 0; j < n; j++) coef[j] += vectors[r + j] * yi
  }
  for (let j = 0; j < n; j++) {
    const lam = values[j]
    // λ > 0 as well: with λmax ≤ 0 the relative cutoff alone would keep zeros and divide by them
    if (lam >= cut && lam > 0) coef[j] /= lam
    else {
      coef[j] = 0
      dropped++
    }
  }
  for (let i = 0; i < n; i++) {
    const r = i * n
    let s = 0
    for (let j = 0; j < n; j++) s += vectors[r + j] * coef[j]
    x[i] = s
  }
  return { x, dropped, lambdaMin: values[0], lambdaMax }
}
