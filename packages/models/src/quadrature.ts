/**
 * Quadrature rules for the base measure of the mean-field network (SPEC.md "Mean-field model
 * by particle quadrature"): particles c_j and weights ω_j, Σ_j ω_j = 1, with
 *
 *     ∫ h(c) dμ(c) ≈ Σ_j ω_j h(c_j),   μ = N(0, τ0² I_D).
 *
 * A rule returns standard-normal nodes z_j ∈ R^D and the weights ω_j; the model sets
 * c_j = τ0 z_j. A rule is a value implementing {@link QuadratureRule}, so another rule is
 * another plugin:
 *
 * - {@link monteCarlo}: z_j i.i.d. N(0, I_D) from the random source (gnlab's `Rng` "init"
 *   stream), ω_j = 1/M — error O(M^{-1/2}).
 * - {@link randomizedQmc}: scrambled Sobol points s_j ∈ [0, 1)^D (Joe–Kuo direction numbers
 *   new-joe-kuo-6.21201, Matoušek's random linear scrambling plus a random digital shift),
 *   mapped coordinatewise through the normal inverse CDF z = Φ⁻¹(s), ω_j = 1/M. For smooth
 *   integrands the error decays faster than M^{-1/2} (Owen: O(M^{-3/2+δ}) RMSE for scrambled
 *   nets), and the estimator stays unbiased.
 */
import erfcinv from "@stdlib/math-base-special-erfcinv"
import { Data } from "effect"
import { joeKuoTable, sobolMaxDim } from "./sobol-directions.js"

export { sobolMaxDim } from "./sobol-directions.js"

/** Random numbers a rule may draw (gnlab's `Rng` from @gnlab/data-gen satisfies it). */
export interface RandomSource {
  /** a uniform double in [0, 1) */
  uniform(): number
  /** `count` independent N(0, 1) draws */
  normals(count: number): Float64Array
}

/** Nodes z_j (standard normal scale) and weights ω_j of a quadrature rule. */
export interface QuadratureNodes {
  /** M × D row-major: row j = z_j */
  readonly points: Float64Array
  /** ω_j > 0, Σ_j ω_j = 1 */
  readonly weights: Float64Array
}

/** A quadrature rule for N(0, I_D): M nodes in dimension D from a random source. */
export interface QuadratureRule {
  /** "mc", "rqmc", … (recorded with results) */
  readonly id: string
  nodes(m: number, dim: number, random: RandomSource): QuadratureNodes
}

/** A rule cannot give the nodes asked for (bad M or D, D above the rule's table). */
export class InvalidQuadrature extends Data.TaggedError("InvalidQuadrature")<{
  readonly rule: string
  readonly problem: string
}> {
  override get message(): string {
    return `quadrature ${this.rule}: ${this.problem}`
  }
}

const checkSizes = (rule: string, m: number, dim: number): void => {
  if (!Number.isInteger(m) || m < 1)
    throw new InvalidQuadrature({ rule, problem: `M must be a positive integer, got ${m}` })
  if (!Number.isInteger(dim) || dim < 1)
    throw new InvalidQuadrature({ rule, problem: `D must be a positive integer, got ${dim}` })
}

/** Equal weights ω_j = 1/M. */
const equalWeights = (m: number): Float64Array => new Float64Array(m).fill(1 / m)

/**
 * Monte Carlo: z_j i.i.d. N(0, I_D), drawn as `random.normals(M·D)` read row by row;
 * ω_j = 1/M.
 */
export const monteCarlo: QuadratureRule = {
  id: "mc",
  nodes(m, dim, random) {
    checkSizes("mc", m, dim)
    return { points: random.normals(m * dim), weights: equalWeights(m) }
  }
}

// ---------------------------------------------------------------------------------------
// Sobol points as 32-bit integers: coordinate x ∈ [0, 2^32) stands for x / 2^32.
// ---------------------------------------------------------------------------------------

/** Bits of every Sobol coordinate. */
const BITS = 32

let parsedTable: ReadonlyArray<{ s: number; a: number; m: ReadonlyArray<number> }> | undefined
const table = () =>
  (parsedTable ??= joeKuoTable
    .trim()
    .split("\n")
    .map((line) => {
      const [s, a, ...m] = line.trim().split(/\s+/).map(Number)
      return { s, a, m }
    }))

/**
 * Direction numbers V (D × 32, row-major; V[k][i−1] = v_{k,i} = m_{k,i} 2^{32−i}) of the
 * first D Sobol coordinates, by the Joe–Kuo recurrence
 *     v_{k,i} = v_{k,i−s} ⊕ (v_{k,i−s} ≫ s) ⊕ ⊕_{r=1}^{s−1} a_r v_{k,i−r}   (i > s).
 * Coordinate 1 is the van der Corput sequence (v_{1,i} = 2^{32−i}).
 */
export function sobolDirections(dim: number): Uint32Array {
  if (!Number.isInteger(dim) || dim < 1 || dim > sobolMaxDim)
    throw new InvalidQuadrature({
      rule: "rqmc",
      problem: `Sobol points are tabulated for D ≤ ${sobolMaxDim}, got D = ${dim}`
    })
  const v = new Uint32Array(dim * BITS)
  for (let i = 1; i <= BITS; i++) v[i - 1] = 2 ** (BITS - i)
  for (let k = 1; k < dim; k++) {
    const { s, a, m } = table()[k - 1]
    const row = k * BITS
    for (let i = 1; i <= Math.min(s, BITS); i++) v[row + i - 1] = m[i - 1] * 2 ** (BITS - i)
    for (let i = s + 1; i <= BITS; i++) {
      let x = v[row + i - s - 1] ^ (v[row + i - s - 1] >>> s)
      for (let r = 1; r < s; r++) if (((a >>> (s - 1 - r)) & 1) === 1) x ^= v[row + i - r - 1]
      v[row + i - 1] = x >>> 0
    }
  }
  return v
}

/**
 * The first M points of the D-dimensional Sobol sequence in Gray-code order (Antonov–Saleev:
 * x_0 = 0, x_n = x_{n−1} ⊕ v_{c(n−1)}, c(n) = 1 + the number of trailing ones of n), as
 * integers (M × D row-major, coordinate x / 2^32), from direction numbers `v`
 * ({@link sobolDirections}, possibly scrambled) and a starting point `x0` (a digital shift).
 */
export function sobolIntegers(
  m: number,
  dim: number,
  v: Uint32Array = sobolDirections(dim),
  x0: Uint32Array = new Uint32Array(dim)
): Uint32Array {
  if (m > 2 ** BITS)
    throw new InvalidQuadrature({ rule: "rqmc", problem: `at most 2^32 Sobol points, got ${m}` })
  const out = new Uint32Array(m * dim)
  const x = Uint32Array.from(x0)
  for (let n = 0; n < m; n++) {
    if (n > 0) {
      let c = 0
      for (let q = n - 1; (q & 1) === 1; q = Math.floor(q / 2)) c++
      for (let k = 0; k < dim; k++) x[k] ^= v[k * BITS + c]
    }
    out.set(x, n * dim)
  }
  return out
}

/** Parity of the set bits of a 32-bit integer. */
const parity = (x: number): number => {
  x ^= x >>> 16
  x ^= x >>> 8
  x ^= x >>> 4
  x ^= x >>> 2
  x ^= x >>> 1
  return x & 1
}

/** 32 random bits from a uniform double. */
const randomBits = (random: RandomSource): number => Math.floor(random.uniform() * 2 ** BITS) >>> 0

/**
 * Matoušek's random linear scrambling with a random digital shift, applied to direction
 * numbers: for each coordinate a random lower-triangular binary matrix L with unit diagonal
 * (acting on the digits, most significant first) and a random shift e; the scrambled point is
 * L x ⊕ e. L is linear over GF(2), so L x_n = ⊕ L v_{c} and it suffices to scramble the 32
 * direction numbers of each coordinate; the shift is the start point x0 = e. The result is
 * again a (t, m, s)-net in base 2 with the same t, and each point is uniform on [0, 1)^D.
 * Draws, in order: for each coordinate, its 32 matrix rows (digit 1 first), then its shift.
 */
export function scrambleSobol(
  dim: number,
  random: RandomSource
): { readonly directions: Uint32Array; readonly shift: Uint32Array } {
  const v = sobolDirections(dim)
  const out = new Uint32Array(dim * BITS)
  const shift = new Uint32Array(dim)
  const rows = new Uint32Array(BITS)
  for (let k = 0; k < dim; k++) {
    // row r (digit r + 1 ↔ bit 31 − r): ones on the diagonal, random bits on the digits before it
    for (let r = 0; r < BITS; r++) {
      const diag = 2 ** (BITS - 1 - r)
      const before = r === 0 ? 0 : (0xffffffff - (2 * diag - 1)) >>> 0
      rows[r] = ((randomBits(random) & before) | diag) >>> 0
    }
    for (let i = 0; i < BITS; i++) {
      const x = v[k * BITS + i]
      let y = 0
      for (let r = 0; r < BITS; r++) if (parity(rows[r] & x) === 1) y += 2 ** (BITS - 1 - r)
      out[k * BITS + i] = y
    }
    shift[k] = randomBits(random)
  }
  return { directions: out, shift }
}

/**
 * Φ⁻¹(p), the standard normal quantile, as −√2 erfc⁻¹(2p) with stdlib's erfcinv (Boost's
 * rational approximations, double precision): 2p is exact, so the tails keep full relative
 * accuracy (Φ⁻¹(1e−10) = −6.361340902404056).
 */
export function normalQuantile(p: number): number {
  return -Math.SQRT2 * erfcinv(2 * p) + 0 // + 0: Φ⁻¹(½) = +0, not −0
}

/**
 * Randomized quasi-Monte Carlo: the first M points of a scrambled Sobol sequence
 * ({@link scrambleSobol}, drawn from `random`), each coordinate x ∈ [0, 2^32) mapped to the
 * cell centre s = (x + ½)/2^32 ∈ (0, 1) and then to z = Φ⁻¹(s) (|z| ≤ 6.34); ω_j = 1/M.
 * Balance is best when M is a power of 2 (the points then form a scrambled (t, m, D)-net).
 */
export const randomizedQmc: QuadratureRule = {
  id: "rqmc",
  nodes(m, dim, random) {
    checkSizes("rqmc", m, dim)
    const { directions, shift } = scrambleSobol(dim, random)
    const ints = sobolIntegers(m, dim, directions, shift)
    const points = new Float64Array(m * dim)
    for (let i = 0; i < points.length; i++) points[i] = normalQuantile((ints[i] + 0.5) / 2 ** BITS)
    return { points, weights: equalWeights(m) }
  }
}

/** The rules by id (the CLI's `--quadrature`). */
export const quadratureRules = { mc: monteCarlo, rqmc: randomizedQmc } as const
export type QuadratureId = keyof typeof quadratureRules
export const quadratureIds = Object.keys(quadratureRules) as ReadonlyArray<QuadratureId>
