/**
 * Largest eigenpair of a symmetric PSD operator by Lanczos with full reorthogonalisation and thick
 * restarts. Only the operator x ↦ M x is needed, so the same routine gives σmax(A) (M = A) and
 * σmin(A) (M = (A + sI)⁻¹ through a Cholesky factor), and a previous step's eigenvector can be
 * passed as the start vector: a warm start that is already nearly converged.
 */
import { dot } from "./cholesky.js"
import type { LinalgRoutines } from "./routines.js"
import { symmetricEigen } from "./symmetric-eigen.js"

/** Options of {@link lanczosLargest}. */
export interface LanczosOptions {
  /** start vector (warm start), e.g. the eigenvector from the previous GN step; any scale */
  start?: Float64Array
  /** Krylov basis size per cycle (default 60, capped at n); a cycle that ends unconverged restarts */
  maxIter?: number
  /** convergence when the Ritz residual ‖M y − θ y‖ = |β_k e_kᵀ s| ≤ tol·θ (default 1e-10) */
  tol?: number
  /** restarts after the first cycle (default 10) */
  maxRestarts?: number
  /** the engine's dense routines for the small Ritz problems (default: the one in force here) */
  routines?: LinalgRoutines
}

/** Result of {@link lanczosLargest}. */
export interface LanczosResult {
  /** the largest Ritz value θ */
  value: number
  /** its unit Ritz vector */
  vector: Float64Array
  /** operator applications used */
  iterations: number
  /** whether the residual test (or an exact invariant subspace) was reached */
  converged: boolean
}

const EPS = Number.EPSILON
// Share of the deterministic start vector mixed into a warm start: negligible next to the error of
// a warm start from a slightly different matrix (a re-run on the same matrix still converges in a
// few steps), but it keeps the Krylov space from being stuck in an invariant subspace when the warm
// vector happens to be an exact eigenvector of a lower eigenvalue (the residual then starts at
// ≈ 1e-8·gap, above tol·θ unless that gap is under ~1% of θ).
const WARM_MIX = 1e-8

/**
 * Largest eigenvalue θ and unit eigenvector of a symmetric positive semi-definite operator.
 *
 * Lanczos builds an orthonormal Krylov basis V of span{v, Mv, M²v, …} and takes the top eigenpair
 * (θ, s) of the projection H = Vᵀ M V (the Ritz pair θ, y = V s). Basis vectors are
 * reorthogonalised against all previous ones (classical Gram–Schmidt, twice), so no spurious copies
 * of converged eigenvalues appear and H is the exact projection. Converged when the residual
 * ‖M y − θ y‖ = β_k |e_kᵀ s| ≤ tol·θ. If the basis reaches `maxIter` vectors first, the cycle is
 * thick-restarted: the top half of the Ritz vectors and the current residual direction are kept, so
 * a restart loses little of the Krylov information (unlike restarting from the single Ritz vector).
 *
 * The start vector is `start` (plus a tiny deterministic component) when given, else a fixed
 * deterministic vector, so results are reproducible. A breakdown β ≈ 0 means the Krylov space is
 * invariant and its Ritz pairs are exact; that counts as converged. n = 1 is the 1-step case.
 * `matvec` must return a fresh array (it becomes the next basis vector); a `start` of the wrong
 * length or zero norm is ignored.
 */
export function lanczosLargest(
  matvec: (x: Float64Array) => Float64Array,
  n: number,
  options: LanczosOptions = {}
): LanczosResult {
  if (!Number.isInteger(n) || n < 1) throw new Error(`lanczosLargest: n must be a positive integer, got ${n}`)
  const tol = options.tol ?? 1e-10
  const m = Math.min(n, Math.max(2, options.maxIter ?? 60))
  const maxRestarts = options.maxRestarts ?? 10
  const keep = Math.max(1, Math.floor(m / 2))

  const basis: Float64Array[] = [startVector(n, options.start)]
  // projected matrix H = Vᵀ M V, dense m×m (thick restarts make it arrowhead, not tridiagonal)
  const h = new Float64Array(m * m)
  let iterations = 0
  let restarts = 0

  for (;;) {
    const j = basis.length - 1
    const w = matvec(basis[j])
    iterations++
    if (w.length !== n) throw new Error(`lanczosLargest: matvec returned length ${w.length}, expected ${n}`)
    const coef = orthogonalize(w, basis)
    for (let i = 0; i <= j; i++) {
      h[i * m + j] = coef[i]
      h[j * m + i] = coef[i]
    }
    const beta = Math.sqrt(dot(w, 0, w, 0, n))
    const size = j + 1
    const ritz = ritzPairs(h, m, size, options.routines)
    const top = size - 1
    const theta = ritz.values[top]
    if (!Number.isFinite(theta) || !Number.isFinite(beta)) {
      throw new Error("lanczosLargest: the operator produced non-finite values")
    }
    const residual = beta * Math.abs(ritz.vectors[(size - 1) * size + top])
    const scale = Math.max(Math.abs(ritz.values[0]), Math.abs(theta))
    const invariant = beta <= 4 * EPS * scale || size === n
    const converged = invariant || residual <= tol * Math.abs(theta)
    if (converged || (size === m && restarts >= maxRestarts)) {
      return { value: theta, vector: combine(basis, ritz.vectors, size, top, n), iterations, converged }
    }
    const next = w
    for (let k = 0; k < n; k++) next[k] /= beta
    if (size < m) {
      basis.push(next)
      continue
    }
    // thick restart: the `keep` largest Ritz vectors span the new start of the basis, H becomes
    // diag(θ) there, and the residual direction continues the expansion; its couplings β s_{m,i}
    // to the kept vectors are recomputed by the next orthogonalisation.
    restarts++
    const kept: Float64Array[] = []
    h.fill(0)
    for (let r = 0; r < keep; r++) {
      const col = size - 1 - r
      kept.push(combine(basis, ritz.vectors, size, col, n))
      h[r * m + r] = ritz.values[col]
    }
    kept.push(next)
    basis.length = 0
    basis.push(...kept)
  }
}

// Deterministic default start: all ones plus a fixed aperiodic perturbation, so that it has a
// component along every eigenvector of the operators met in practice and never uses Math.random.
function defaultStart(n: number): Float64Array {
  const v = new Float64Array(n)
  for (let i = 0; i < n; i++) v[i] = 1 + 0.5 * Math.sin(1.618033988749895 * (i + 1) * (i + 1))
  return v
}

function startVector(n: number, start: Float64Array | undefined): Float64Array {
  const d = defaultStart(n)
  normalize(d)
  if (start === undefined || start.length !== n) return d
  const v = Float64Array.from(start)
  const norm = Math.sqrt(dot(v, 0, v, 0, n))
  if (!(norm > 0) || !Number.isFinite(norm)) return d
  for (let i = 0; i < n; i++) v[i] = v[i] / norm + WARM_MIX * d[i]
  normalize(v)
  return v
}

function normalize(v: Float64Array): void {
  const norm = Math.sqrt(dot(v, 0, v, 0, v.length))
  for (let i = 0; i < v.length; i++) v[i] /= norm
}

// w ← (I − V Vᵀ) w by classical Gram–Schmidt, repeated ("twice is enough", Giraud et al.; a third
// pass only when the second still removed a large share, i.e. w was nearly in span V). Returns the
// accumulated coefficients Vᵀ w_original.
function orthogonalize(w: Float64Array, basis: Float64Array[]): Float64Array {
  const n = w.length
  const coef = new Float64Array(basis.length)
  const c = new Float64Array(basis.length)
  let before = Math.sqrt(dot(w, 0, w, 0, n))
  for (let pass = 0; pass < 3; pass++) {
    // classical: all projections against the same w, then one update per basis vector
    for (let i = 0; i < basis.length; i++) c[i] = dot(basis[i], 0, w, 0, n)
    for (let i = 0; i < basis.length; i++) {
      coef[i] += c[i]
      const ci = c[i]
      const v = basis[i]
      for (let k = 0; k < n; k++) w[k] -= ci * v[k]
    }
    const after = Math.sqrt(dot(w, 0, w, 0, n))
    if (pass >= 1 && after > 0.5 * before) break
    before = after
  }
  return coef
}

// Eigenpairs of the leading size×size block of H (ascending), through the dense symmetric EVD:
// size ≤ maxIter is small, so this costs little next to one operator application at large n.
function ritzPairs(
  h: Float64Array,
  m: number,
  size: number,
  routines: LinalgRoutines | undefined
): { values: Float64Array; vectors: Float64Array } {
  const block = new Float64Array(size * size)
  for (let i = 0; i < size; i++) block.set(h.subarray(i * m, i * m + size), i * size)
  return symmetricEigen(block, size, routines)
}

// y = V s_col normalised, s_col = column `col` of the row-major size×size eigenvector matrix.
function combine(basis: Float64Array[], s: Float64Array, size: number, col: number, n: number): Float64Array {
  const y = new Float64Array(n)
  for (let i = 0; i < size; i++) {
    const c = s[i * size + col]
    const v = basis[i]
    for (let k = 0; k < n; k++) y[k] += c * v[k]
  }
  normalize(y)
  return y
}
