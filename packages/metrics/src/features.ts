/**
 * Feature-learning measures (SPEC.md "Metrics the authors' code also logs": distances of the
 * hidden units to the teacher's and to the initial ones, cosine, weighted).
 *
 * A hidden unit i of eq. 4 is u_i ∈ R^D (its input weights and bias, a row of U) with output
 * weight v_i. Its direction u_i/‖u_i‖ is the feature it computes; for SiLU (≈ ReLU away from
 * 0, positively 1-homogeneous) its contribution v_i σ(u_i·x̃) to f scales as |v_i| ‖u_i‖. So
 * the network is a measure on feature directions with mass
 *
 *   m_i = |v_i| ‖u_i‖₂                                              (the mean-field picture)
 *
 * and the distances below are mass-weighted averages of a cosine distance
 * d_cos(a, b) = 1 − a·b / (‖a‖ ‖b‖) ∈ [0, 2] (d_cos(a, 0) = 1: a zero vector has no direction):
 *
 *   teacherDistance = Σ_i m_i min_k d_cos(u_i, u*_k) / Σ_i m_i       (u*_k: teacher units, k ≤ M*)
 *   initDistance    = Σ_i m_i d_cos(u_i, u_i(0)) / Σ_i m_i
 *
 * teacherDistance is the share of the output mass that does not point at some teacher unit
 * (0: every unit that matters is aligned with a teacher feature — feature learning has
 * found the teacher); initDistance is how far, in angle, the units that matter turned away
 * from where they started (≈ 0 in the kernel/lazy regime, large in the feature-learning
 * regime). Cosine distances ignore the norm growth that ‖w − w0‖ (`distInit`) already
 * measures. Weighting by the mass keeps units with v_i ≈ 0 — which do not affect f — from
 * dominating; at initialisation (v = 0, every mass 0) the weights fall back to uniform, the
 * distribution of the initial directions.
 *
 * Layouts are row-major as in @gnlab/models: U is M × D (row i = (u_i, b_i)), teacher
 * units K × D with the same D (use `teacherUnits` to append the teacher's biases).
 */

/** 1 − cos(a, b) of rows a (in x at offset ia) and b (in y at offset ib), length D. */
function cosineDistance(x: Float64Array, ia: number, y: Float64Array, ib: number, dim: number): number {
  let ab = 0
  let aa = 0
  let bb = 0
  for (let j = 0; j < dim; j++) {
    const p = x[ia + j]
    const q = y[ib + j]
    ab += p * q
    aa += p * p
    bb += q * q
  }
  return aa > 0 && bb > 0 ? 1 - ab / Math.sqrt(aa * bb) : 1
}

/** Masses m_i = |v_i| ‖u_i‖ (uniform when all are 0), normalised to sum 1. */
function unitMasses(hiddenU: Float64Array, v: Float64Array, dim: number): Float64Array {
  const m = v.length
  const w = new Float64Array(m)
  let total = 0
  for (let i = 0; i < m; i++) {
    let s = 0
    for (let j = 0; j < dim; j++) s += hiddenU[i * dim + j] ** 2
    w[i] = Math.abs(v[i]) * Math.sqrt(s)
    total += w[i]
  }
  if (!(total > 0) || !Number.isFinite(total)) return w.fill(1 / m)
  for (let i = 0; i < m; i++) w[i] /= total
  return w
}

function dimOf(hiddenU: Float64Array, v: Float64Array): number {
  const m = v.length
  if (m === 0 || hiddenU.length % m !== 0)
    throw new RangeError(`U has ${hiddenU.length} entries, not a multiple of M = ${m}`)
  return hiddenU.length / m
}

/**
 * Teacher units as K × D rows (u*_k, b*_k), the layout of the student's U; without a bias
 * (`bias` false) the rows are u*_k. `teacher` is @gnlab/data-gen's `drawTeacher(seed, d, width)`.
 */
export function teacherUnits(
  teacher: {
    readonly d: number
    readonly width: number
    readonly weights: Float64Array
    readonly bias: Float64Array
  },
  bias = true
): Float64Array {
  const { d, width } = teacher
  const dim = d + (bias ? 1 : 0)
  const out = new Float64Array(width * dim)
  for (let k = 0; k < width; k++) {
    out.set(teacher.weights.subarray(k * d, (k + 1) * d), k * dim)
    if (bias) out[k * dim + d] = teacher.bias[k]
  }
  return out
}

/**
 * Mass-weighted cosine distance of the hidden units to their nearest teacher unit, in [0, 2]:
 * Σ_i m_i min_k (1 − cos(u_i, u*_k)) / Σ_i m_i with m_i = |v_i| ‖u_i‖ (uniform when v = 0).
 * `teacherUnits`: K × D, `hiddenU`: M × D, `v`: M (D = hiddenU.length / M).
 */
export function teacherDistance(teacherUnits: Float64Array, hiddenU: Float64Array, v: Float64Array): number {
  const dim = dimOf(hiddenU, v)
  if (teacherUnits.length === 0 || teacherUnits.length % dim !== 0)
    throw new RangeError(`teacher units have ${teacherUnits.length} entries, not a multiple of D = ${dim}`)
  const k = teacherUnits.length / dim
  const w = unitMasses(hiddenU, v, dim)
  let s = 0
  for (let i = 0; i < v.length; i++) {
    if (w[i] === 0) continue
    let best = Infinity
    for (let t = 0; t < k; t++)
      best = Math.min(best, cosineDistance(hiddenU, i * dim, teacherUnits, t * dim, dim))
    s += w[i] * best
  }
  return s
}

/**
 * Mass-weighted cosine distance of the hidden units to their initial values, in [0, 2]:
 * Σ_i m_i (1 − cos(u_i, u_i(0))) / Σ_i m_i with m_i = |v_i| ‖u_i‖ (current weights; uniform
 * when v = 0). `hiddenU`, `initialU`: M × D, `v`: M.
 */
export function initDistance(hiddenU: Float64Array, initialU: Float64Array, v: Float64Array): number {
  const dim = dimOf(hiddenU, v)
  if (initialU.length !== hiddenU.length)
    throw new RangeError(`U0 has ${initialU.length} entries, U has ${hiddenU.length}`)
  const w = unitMasses(hiddenU, v, dim)
  let s = 0
  for (let i = 0; i < v.length; i++)
    if (w[i] > 0) s += w[i] * cosineDistance(hiddenU, i * dim, initialU, i * dim, dim)
  return s
}
