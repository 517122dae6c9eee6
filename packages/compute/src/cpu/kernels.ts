/**
 * The TypeScript engine's kernels (float64): plain functions on row-major arrays, the hot loops
 * written for V8 (contiguous inner loops, register blocking). The worker threads of ./threads.ts
 * import this same module (./worker.ts), so a band computed there runs exactly this code.
 */
import { activations, type ActivationId } from "../activations.js"
import { syrkUpperWasm } from "./wasm/syrk.js"

/**
 * Z = X̃ Uᵀ, Φ = σ(Z), Ψ = σ′(Z) for rows [row0, row1) of X̃ (n × dim), U (m × dim).
 * Writes Φ (and Ψ when given) for those rows at offset 0 of the output arrays.
 */
export function features(
  x: Float64Array,
  dim: number,
  u: Float64Array,
  m: number,
  activation: ActivationId,
  row0: number,
  row1: number,
  phi: Float64Array,
  psi: Float64Array | undefined
): void {
  for (let a = row0; a < row1; a++) preActivations(x, a * dim, dim, u, m, phi, (a - row0) * m)
  const count = (row1 - row0) * m
  if (activation === "silu") {
    // s = sigmoid(z), σ = z s, σ′ = s + σ (1 − s): one exp for both
    for (let j = 0; j < count; j++) {
      const z = phi[j]
      const s = 1 / (1 + Math.exp(-z))
      const f = z * s
      phi[j] = f
      if (psi !== undefined) psi[j] = s + f * (1 - s)
    }
    return
  }
  const act = activations[activation]
  for (let j = 0; j < count; j++) {
    const z = phi[j]
    phi[j] = act.value(z)
    if (psi !== undefined) psi[j] = act.derivative(z)
  }
}

/** out[o + i] = x̃_a · u_i for i < m (x̃_a = x[xa .. xa + dim)), four units at a time. */
function preActivations(
  x: Float64Array,
  xa: number,
  dim: number,
  u: Float64Array,
  m: number,
  out: Float64Array,
  o: number
): void {
  let i = 0
  for (; i + 3 < m; i += 4) {
    const u0 = i * dim,
      u1 = u0 + dim,
      u2 = u1 + dim,
      u3 = u2 + dim
    let z0 = 0,
      z1 = 0,
      z2 = 0,
      z3 = 0
    for (let k = 0; k < dim; k++) {
      const xv = x[xa + k]
      z0 += xv * u[u0 + k]
      z1 += xv * u[u1 + k]
      z2 += xv * u[u2 + k]
      z3 += xv * u[u3 + k]
    }
    out[o + i] = z0
    out[o + i + 1] = z1
    out[o + i + 2] = z2
    out[o + i + 3] = z3
  }
  for (; i < m; i++) {
    const ui = i * dim
    let z = 0
    for (let k = 0; k < dim; k++) z += x[xa + k] * u[ui + k]
    out[o + i] = z
  }
}

/**
 * G (m × dim) with G_i = Σ_a z_a Ψ_ai x̃_a (Ψᵀ diag(z) X̃), four data rows at a time so
 * each G_i is loaded and stored once per four rows.
 */
export function psiTransposeX(
  psi: Float64Array,
  x: Float64Array,
  n: number,
  m: number,
  dim: number,
  z: Float64Array
): Float64Array {
  const g = new Float64Array(m * dim)
  psiTransposeXColumns(psi, x, n, m, dim, z, 0, m, g)
  return g
}

/**
 * Hidden units [i0, i1) of {@link psiTransposeX}, written into rows [i0, i1) of g (m × dim, the
 * rest untouched): the part of G a worker thread computes (./threads.ts). Each G_i is summed in
 * the same order whatever the range, so any split gives the same bits.
 */
export function psiTransposeXColumns(
  psi: Float64Array,
  x: Float64Array,
  n: number,
  m: number,
  dim: number,
  z: Float64Array,
  i0: number,
  i1: number,
  g: Float64Array
): void {
  g.fill(0, i0 * dim, i1 * dim)
  let a = 0
  for (; a + 3 < n; a += 4) {
    const o0 = a * m,
      o1 = o0 + m,
      o2 = o1 + m,
      o3 = o2 + m
    const x0 = a * dim,
      x1 = x0 + dim,
      x2 = x1 + dim,
      x3 = x2 + dim
    const z0 = z[a],
      z1 = z[a + 1],
      z2 = z[a + 2],
      z3 = z[a + 3]
    for (let i = i0; i < i1; i++) {
      const w0 = z0 * psi[o0 + i],
        w1 = z1 * psi[o1 + i],
        w2 = z2 * psi[o2 + i],
        w3 = z3 * psi[o3 + i]
      const gi = i * dim
      for (let k = 0; k < dim; k++)
        g[gi + k] += w0 * x[x0 + k] + w1 * x[x1 + k] + w2 * x[x2 + k] + w3 * x[x3 + k]
    }
  }
  for (; a < n; a++) {
    const o = a * m,
      xa = a * dim,
      za = z[a]
    for (let i = i0; i < i1; i++) {
      const w = za * psi[o + i]
      const gi = i * dim
      for (let k = 0; k < dim; k++) g[gi + k] += w * x[xa + k]
    }
  }
}

/** h (n) with h_a = Σ_i c_i Ψ_ai (x̃_a · δu_i), the hidden-layer part of J δw. */
export function psiXDirection(
  psi: Float64Array,
  x: Float64Array,
  n: number,
  m: number,
  dim: number,
  c: Float64Array,
  du: Float64Array
): Float64Array {
  const h = new Float64Array(n)
  const dots = new Float64Array(m)
  for (let a = 0; a < n; a++) {
    preActivations(x, a * dim, dim, du, m, dots, 0)
    const o = a * m
    let s = 0
    for (let i = 0; i < m; i++) s += c[i] * psi[o + i] * dots[i]
    h[a] = s
  }
  return h
}

/**
 * Upper triangle (q ≥ p) of C += P Pᵀ for P (n × m): the SYRK of BLAS; the lower triangle of C
 * is not touched. It dominates the Gauss–Newton step, so it runs the WebAssembly SIMD kernel of
 * wasm/syrk.ts (f64x2, 4–5× the plain JS below) where the engine has WebAssembly SIMD, and
 * `syrkUpperJs` otherwise (or when n is too large for a 4 GiB wasm32 memory, n ≳ 23 000).
 * `panel` tunes the JS kernel only. Both are deterministic; they agree to rounding (their
 * summation orders differ).
 */
export function syrkUpper(pm: Float64Array, n: number, m: number, c: Float64Array, panel = 512): void {
  if (!syrkUpperWasm(pm, n, m, c)) syrkUpperJs(pm, n, m, c, panel)
}

/**
 * Plain-JS `syrkUpper`, the fallback without WebAssembly SIMD:
 * 4 × 4 register blocks of row dot products, the inner dimension cut in panels of
 * `panel` columns so that the 8 rows being read stay in L1/L2.
 */
export function syrkUpperJs(pm: Float64Array, n: number, m: number, c: Float64Array, panel = 512): void {
  const last = n - 1
  for (let k0 = 0; k0 < m; k0 += panel) {
    const k1 = Math.min(m, k0 + panel)
    for (let p = 0; p < n; p += 4) {
      // rows beyond n are clamped to the last row; their results are discarded below
      const p1 = Math.min(p + 1, last),
        p2 = Math.min(p + 2, last),
        p3 = Math.min(p + 3, last)
      const a0 = p * m,
        a1 = p1 * m,
        a2 = p2 * m,
        a3 = p3 * m
      for (let q = p; q < n; q += 4) {
        const q1 = Math.min(q + 1, last),
          q2 = Math.min(q + 2, last),
          q3 = Math.min(q + 3, last)
        const b0 = q * m,
          b1 = q1 * m,
          b2 = q2 * m,
          b3 = q3 * m
        let s00 = 0,
          s01 = 0,
          s02 = 0,
          s03 = 0,
          s10 = 0,
          s11 = 0,
          s12 = 0,
          s13 = 0
        let s20 = 0,
          s21 = 0,
          s22 = 0,
          s23 = 0,
          s30 = 0,
          s31 = 0,
          s32 = 0,
          s33 = 0
        for (let i = k0; i < k1; i++) {
          const y0 = pm[b0 + i],
            y1 = pm[b1 + i],
            y2 = pm[b2 + i],
            y3 = pm[b3 + i]
          let xv = pm[a0 + i]
          s00 += xv * y0
          s01 += xv * y1
          s02 += xv * y2
          s03 += xv * y3
          xv = pm[a1 + i]
          s10 += xv * y0
          s11 += xv * y1
          s12 += xv * y2
          s13 += xv * y3
          xv = pm[a2 + i]
          s20 += xv * y0
          s21 += xv * y1
          s22 += xv * y2
          s23 += xv * y3
          xv = pm[a3 + i]
          s30 += xv * y0
          s31 += xv * y1
          s32 += xv * y2
          s33 += xv * y3
        }
        // write only the distinct (row, column) pairs with column ≥ row
        addBlockRow(c, n, p, q, q1, q2, q3, s00, s01, s02, s03)
        if (p1 > p) addBlockRow(c, n, p1, q, q1, q2, q3, s10, s11, s12, s13)
        if (p2 > p1) addBlockRow(c, n, p2, q, q1, q2, q3, s20, s21, s22, s23)
        if (p3 > p2) addBlockRow(c, n, p3, q, q1, q2, q3, s30, s31, s32, s33)
      }
    }
  }
}

function addBlockRow(
  c: Float64Array,
  n: number,
  row: number,
  q0: number,
  q1: number,
  q2: number,
  q3: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number
): void {
  const r = row * n
  if (q0 >= row) c[r + q0] += s0
  if (q1 > q0 && q1 >= row) c[r + q1] += s1
  if (q2 > q1 && q2 >= row) c[r + q2] += s2
  if (q3 > q2 && q3 >= row) c[r + q3] += s3
}

/** P (n × m) with column i scaled by s_i, into `out` (a new array unless given). */
export function scaleColumns(
  pm: Float64Array,
  n: number,
  m: number,
  s: Float64Array,
  out: Float64Array = new Float64Array(n * m)
): Float64Array {
  for (let a = 0; a < n; a++) {
    const o = a * m
    for (let i = 0; i < m; i++) out[o + i] = pm[o + i] * s[i]
  }
  return out
}

/** Fill the lower triangle of a square matrix from its upper triangle. */
export function mirrorUpper(c: Float64Array, n: number): void {
  for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) c[q * n + p] = c[p * n + q]
}

/** y = P c for P (n × m). */
export function matVec(
  pm: Float64Array,
  n: number,
  m: number,
  c: Float64Array,
  out = new Float64Array(n)
): Float64Array {
  for (let a = 0; a < n; a++) {
    const o = a * m
    let s = 0
    for (let i = 0; i < m; i++) s += pm[o + i] * c[i]
    out[a] = s
  }
  return out
}

/** y = Pᵀ z for P (n × m). */
export function matTVec(pm: Float64Array, n: number, m: number, z: Float64Array): Float64Array {
  const out = new Float64Array(m)
  for (let a = 0; a < n; a++) {
    const za = z[a]
    if (za === 0) continue
    const o = a * m
    for (let i = 0; i < m; i++) out[i] += za * pm[o + i]
  }
  return out
}

/** The buffer a Gram matrix is written into: the caller's (checked to be N × N) or a new one. */
export function gramOut(into: Float64Array | undefined, n: number): Float64Array {
  if (into === undefined) return new Float64Array(n * n)
  if (into.length !== n * n) throw new Error(`gram: out has length ${into.length}, expected ${n * n}`)
  return into
}
