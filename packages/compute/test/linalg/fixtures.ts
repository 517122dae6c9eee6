/**
 * Deterministic test matrices for the linalg tests: a seeded PRNG (mulberry32 + Box–Muller, written
 * here so the fixtures depend on nothing else) and builders for SPD, ill-conditioned and
 * rank-deficient Gram matrices. Row-major Float64Arrays throughout.
 */
import { Matrix, QrDecomposition } from "ml-matrix"

/** mulberry32: a 32-bit-state PRNG, uniform on [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal samples by Box–Muller on mulberry32. */
export function gaussian(seed: number): () => number {
  const u = mulberry32(seed)
  let spare: number | undefined
  return () => {
    if (spare !== undefined) {
      const z = spare
      spare = undefined
      return z
    }
    const u1 = 1 - u() // (0, 1]: log stays finite
    const u2 = u()
    const r = Math.sqrt(-2 * Math.log(u1))
    spare = r * Math.sin(2 * Math.PI * u2)
    return r * Math.cos(2 * Math.PI * u2)
  }
}

/** rows×cols matrix of N(0, 1) entries. */
export function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  const g = gaussian(seed)
  const out = new Float64Array(rows * cols)
  for (let i = 0; i < out.length; i++) out[i] = g()
  return out
}

/** Random vector of N(0, 1) entries. */
export function randomVector(n: number, seed: number): Float64Array {
  return randomMatrix(n, 1, seed)
}

/** B Bᵀ / k for B (n×k, row-major): exactly symmetric (only the lower triangle is computed). */
export function gram(b: Float64Array, n: number, k: number): Float64Array {
  const a = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0
      for (let t = 0; t < k; t++) s += b[i * k + t] * b[j * k + t]
      a[i * n + j] = s / k
      a[j * n + i] = s / k
    }
  }
  return a
}

/** Random Gram matrix B Bᵀ / k with B n×k Gaussian: SPD for k ≥ n, rank k for k < n. */
export function randomGram(n: number, k: number, seed: number): Float64Array {
  return gram(randomMatrix(n, k, seed), n, k)
}

/** Random orthogonal n×n Q from the QR factorisation of a Gaussian matrix (ml-matrix). */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  const g = randomMatrix(n, n, seed)
  const rows: number[][] = []
  for (let i = 0; i < n; i++) rows.push(Array.from(g.subarray(i * n, (i + 1) * n)))
  const q = new QrDecomposition(new Matrix(rows)).orthogonalMatrix
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = q.get(i, j)
  return out
}

/** Q diag(λ) Qᵀ with a random orthogonal Q, symmetrised exactly. */
export function withSpectrum(lambda: Float64Array, seed: number): Float64Array {
  const n = lambda.length
  const q = randomOrthogonal(n, seed)
  const a = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0
      for (let t = 0; t < n; t++) s += q[i * n + t] * lambda[t] * q[j * n + t]
      a[i * n + j] = s
      a[j * n + i] = s
    }
  }
  return a
}

/** Dense y = A x (reference matvec, deliberately naive). */
export function matvec(a: Float64Array, n: number, x: Float64Array): Float64Array {
  const cols = x.length
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let j = 0; j < cols; j++) s += a[i * cols + j] * x[j]
    y[i] = s
  }
  return y
}

export function norm(x: Float64Array): number {
  let s = 0
  for (const v of x) s += v * v
  return Math.sqrt(s)
}

export function dotv(x: Float64Array, y: Float64Array): number {
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i] * y[i]
  return s
}

export function maxAbs(x: Float64Array): number {
  let m = 0
  for (const v of x) m = Math.max(m, Math.abs(v))
  return m
}

/** ‖A v − λ v‖ for a unit v. */
export function eigenResidual(a: Float64Array, n: number, lambda: number, v: Float64Array): number {
  const av = matvec(a, n, v)
  for (let i = 0; i < n; i++) av[i] -= lambda * v[i]
  return norm(av)
}

/** Log-spaced eigenvalues from lo to hi (n ≥ 2). */
export function logSpaced(n: number, lo: number, hi: number): Float64Array {
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = lo * Math.pow(hi / lo, i / (n - 1))
  return out
}
