/**
 * Dense Cholesky factorisation and solves on row-major float64 matrices.
 *
 * Every GN step solves (A + εI) z = g with A a symmetric PSD Gram matrix (N up to ~2000), and the
 * spectrum estimate needs (A + sI)⁻¹ x repeatedly; Cholesky is the cheapest stable factorisation
 * for both (n³/3 flops, half of LU, no pivoting needed for positive definite matrices).
 *
 * With the native engine (../cpu/native-engine.ts) the factorisation is a blocked LAPACK/BLAS
 * Cholesky (dpotrf on diagonal blocks, dtrsm/dsyrk/dgemm tiles) and the solve LAPACK's dpotrs; the
 * TypeScript routines below are the other engine's. Same contract, results equal up to rounding.
 */
import { currentRoutines } from "../cpu/current.js"
import type { LinalgRoutines } from "./routines.js"

/**
 * Cholesky factor of a symmetric positive definite matrix: the lower-triangular L with A = L Lᵀ.
 *
 * Only the lower triangle of `a` (row-major n×n) is read; it is not modified. Returns a new row-major
 * n×n array with the upper part zero, or `undefined` when a pivot a_ii − Σ_k l_ik² is ≤ 0 or not
 * finite, i.e. A is not numerically positive definite (callers then shift the diagonal and retry).
 *
 * Method: Cholesky–Crout by rows, l_ij = (a_ij − Σ_{k<j} l_ik l_jk) / l_jj, where both l_i· and l_j·
 * are contiguous rows, so the inner loop is a unit-stride dot product. Two rows of L are produced
 * at once against two rows of the already-computed part (a 2×2 register block): each loaded value
 * feeds two multiply-adds, which roughly halves the memory traffic of the naive loop.
 */
export function cholesky(
  a: Float64Array,
  n: number,
  out?: Float64Array,
  routines: LinalgRoutines = currentRoutines()
): Float64Array | undefined {
  checkSquare(a, n, "cholesky")
  if (out !== undefined) checkOut(out, a, n, "cholesky")
  const l = out ?? new Float64Array(n * n)
  return routines.factor(a, n, l) ? l : undefined
}

/** The TypeScript engine's `factor`: the Cholesky–Crout rows of {@link cholesky}. */
export function choleskyFactorTypescript(a: Float64Array, n: number, l: Float64Array): boolean {
  // the factorisation writes the lower triangle only: the buffer starts from zeros
  l.fill(0)
  let i = 0
  for (; i + 3 < n; i += 4) {
    if (!rowQuad(a, l, n, i)) return false
  }
  for (; i + 1 < n; i += 2) {
    if (!rowPair(a, l, n, i)) return false
  }
  if (i < n && !singleRow(a, l, n, i)) return false
  return true
}

// Rows i..i+3 of L together (i is a multiple of 4, so the columns j < i pair up exactly). A 4×2
// block of dot products per column pair: 6 loads feed 8 multiply-adds, and every pass over the
// already-factored rows j serves four new rows, which matters once L no longer fits in cache.
function rowQuad(a: Float64Array, l: Float64Array, n: number, i: number): boolean {
  const r0 = i * n
  const r1 = r0 + n
  const r2 = r1 + n
  const r3 = r2 + n
  for (let j = 0; j < i; j += 2) {
    const c0 = j * n
    const c1 = c0 + n
    let s00 = 0
    let s01 = 0
    let s10 = 0
    let s11 = 0
    let s20 = 0
    let s21 = 0
    let s30 = 0
    let s31 = 0
    for (let k = 0; k < j; k++) {
      const y0 = l[c0 + k]
      const y1 = l[c1 + k]
      const x0 = l[r0 + k]
      const x1 = l[r1 + k]
      const x2 = l[r2 + k]
      const x3 = l[r3 + k]
      s00 += x0 * y0
      s01 += x0 * y1
      s10 += x1 * y0
      s11 += x1 * y1
      s20 += x2 * y0
      s21 += x2 * y1
      s30 += x3 * y0
      s31 += x3 * y1
    }
    const d0 = l[c0 + j]
    const d1 = l[c1 + j + 1]
    const lj1j = l[c1 + j]
    const v0 = (a[r0 + j] - s00) / d0
    const v1 = (a[r1 + j] - s10) / d0
    const v2 = (a[r2 + j] - s20) / d0
    const v3 = (a[r3 + j] - s30) / d0
    l[r0 + j] = v0
    l[r1 + j] = v1
    l[r2 + j] = v2
    l[r3 + j] = v3
    l[r0 + j + 1] = (a[r0 + j + 1] - s01 - v0 * lj1j) / d1
    l[r1 + j + 1] = (a[r1 + j + 1] - s11 - v1 * lj1j) / d1
    l[r2 + j + 1] = (a[r2 + j + 1] - s21 - v2 * lj1j) / d1
    l[r3 + j + 1] = (a[r3 + j + 1] - s31 - v3 * lj1j) / d1
  }
  // the 4×4 diagonal block, column by column (O(i) work, negligible next to the loop above)
  for (let c = i; c < i + 4; c++) {
    const rc = c * n
    const p = a[rc + c] - dot(l, rc, l, rc, c)
    if (!(p > 0) || p === Infinity) return false
    const d = Math.sqrt(p)
    l[rc + c] = d
    for (let r = c + 1; r < i + 4; r++) {
      const rr = r * n
      l[rr + c] = (a[rr + c] - dot(l, rr, l, rc, c)) / d
    }
  }
  return true
}

// Rows i and i+1 of L together. Off-diagonal columns come in pairs j, j+1 (< i): the four dot
// products over k < j share their loads; the k = j term of column j+1 is added afterwards because
// it needs l_i,j, which is only known once column j is finished.
function rowPair(a: Float64Array, l: Float64Array, n: number, i: number): boolean {
  const r0 = i * n
  const r1 = r0 + n
  let j = 0
  for (; j + 1 < i; j += 2) {
    const c0 = j * n
    const c1 = c0 + n
    let s00 = 0
    let s01 = 0
    let s10 = 0
    let s11 = 0
    for (let k = 0; k < j; k++) {
      const x0 = l[r0 + k]
      const x1 = l[r1 + k]
      const y0 = l[c0 + k]
      const y1 = l[c1 + k]
      s00 += x0 * y0
      s01 += x0 * y1
      s10 += x1 * y0
      s11 += x1 * y1
    }
    const d0 = l[c0 + j]
    const d1 = l[c1 + j + 1]
    const lj1j = l[c1 + j]
    const v00 = (a[r0 + j] - s00) / d0
    const v10 = (a[r1 + j] - s10) / d0
    l[r0 + j] = v00
    l[r1 + j] = v10
    l[r0 + j + 1] = (a[r0 + j + 1] - s01 - v00 * lj1j) / d1
    l[r1 + j + 1] = (a[r1 + j + 1] - s11 - v10 * lj1j) / d1
  }
  if (j < i) {
    // one column left over when i is odd
    const c0 = j * n
    let s0 = 0
    let s1 = 0
    for (let k = 0; k < j; k++) {
      const y = l[c0 + k]
      s0 += l[r0 + k] * y
      s1 += l[r1 + k] * y
    }
    const d0 = l[c0 + j]
    l[r0 + j] = (a[r0 + j] - s0) / d0
    l[r1 + j] = (a[r1 + j] - s1) / d0
  }
  // the 2×2 diagonal block
  let s00 = 0
  let s10 = 0
  let s11 = 0
  for (let k = 0; k < i; k++) {
    const x0 = l[r0 + k]
    const x1 = l[r1 + k]
    s00 += x0 * x0
    s10 += x1 * x0
    s11 += x1 * x1
  }
  const p0 = a[r0 + i] - s00
  if (!(p0 > 0) || p0 === Infinity) return false
  const d0 = Math.sqrt(p0)
  l[r0 + i] = d0
  const v = (a[r1 + i] - s10) / d0
  l[r1 + i] = v
  const p1 = a[r1 + i + 1] - s11 - v * v
  if (!(p1 > 0) || p1 === Infinity) return false
  l[r1 + i + 1] = Math.sqrt(p1)
  return true
}

// The last row when n is odd.
function singleRow(a: Float64Array, l: Float64Array, n: number, i: number): boolean {
  const r0 = i * n
  for (let j = 0; j < i; j++) {
    const c0 = j * n
    const s = dot(l, r0, l, c0, j)
    l[r0 + j] = (a[r0 + j] - s) / l[c0 + j]
  }
  const p = a[r0 + i] - dot(l, r0, l, r0, i)
  if (!(p > 0) || p === Infinity) return false
  l[r0 + i] = Math.sqrt(p)
  return true
}

/**
 * Solves L Lᵀ x = b given the Cholesky factor L from {@link cholesky}; returns a new x.
 *
 * Forward substitution L y = b is a unit-stride dot product per row. The back substitution Lᵀ x = y
 * would read L by columns, so it is done column-oriented instead: once x_i is known, its
 * contribution l_ik x_i is subtracted from every y_k (k < i) using row i of L, again unit stride.
 */
export function choleskySolve(
  l: Float64Array,
  n: number,
  b: Float64Array,
  routines: LinalgRoutines = currentRoutines()
): Float64Array {
  checkSquare(l, n, "choleskySolve")
  if (b.length !== n) throw new Error(`choleskySolve: b has length ${b.length}, expected ${n}`)
  const x = Float64Array.from(b)
  routines.solve(l, n, x)
  return x
}

/** The TypeScript engine's `solve`: forward then column-oriented back substitution, in place. */
export function choleskySolveTypescript(l: Float64Array, n: number, y: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const r = i * n
    y[i] = (y[i] - dot(l, r, y, 0, i)) / l[r + i]
  }
  // back substitution, overwriting y with x from the last entry up
  for (let i = n - 1; i >= 0; i--) {
    const r = i * n
    const xi = y[i] / l[r + i]
    y[i] = xi
    for (let k = 0; k < i; k++) y[k] -= l[r + k] * xi
  }
}

/**
 * Returns a copy of the row-major n×n matrix A with s added to every diagonal entry: A + sI
 * (written into `out` when given, so that a loop over steps does not allocate).
 */
export function addToDiagonal(a: Float64Array, n: number, s: number, out?: Float64Array): Float64Array {
  checkSquare(a, n, "addToDiagonal")
  if (out !== undefined) checkOut(out, a, n, "addToDiagonal")
  const o = out === undefined ? Float64Array.from(a) : (out.set(a), out)
  for (let i = 0; i < n; i++) o[i * n + i] += s
  return o
}

/** An output buffer must be n×n and distinct from the input. */
function checkOut(out: Float64Array, a: Float64Array, n: number, where: string): void {
  if (out.length !== n * n) throw new Error(`${where}: out has length ${out.length}, expected ${n * n}`)
  if (out.buffer === a.buffer && out.byteOffset === a.byteOffset)
    throw new Error(`${where}: out must not be the input matrix`)
}

/** Σ_{k<len} x[xo+k] y[yo+k], four accumulators so the additions do not serialise on one register. */
export function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, len: number): number {
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let k = 0
  for (; k + 3 < len; k += 4) {
    s0 += x[xo + k] * y[yo + k]
    s1 += x[xo + k + 1] * y[yo + k + 1]
    s2 += x[xo + k + 2] * y[yo + k + 2]
    s3 += x[xo + k + 3] * y[yo + k + 3]
  }
  for (; k < len; k++) s0 += x[xo + k] * y[yo + k]
  return s0 + s1 + (s2 + s3)
}

/** Throws unless `a` holds a row-major n×n matrix. */
export function checkSquare(a: Float64Array, n: number, where: string): void {
  if (!Number.isInteger(n) || n < 0 || a.length !== n * n) {
    throw new Error(`${where}: expected an ${n}×${n} matrix (length ${n * n}), got length ${a.length}`)
  }
}
