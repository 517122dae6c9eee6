import { activations } from "@gnlab/compute"
import { Rng } from "@gnlab/data-gen"
import { describe, expect, it } from "vitest"
import {
  monteCarlo,
  normalQuantile,
  randomizedQmc,
  scrambleSobol,
  sobolDirections,
  sobolIntegers,
  type QuadratureRule
} from "../src/index.js"

describe("Sobol points (Joe–Kuo new-joe-kuo-6.21201, Gray-code order)", () => {
  // Published values: the first points of the unscrambled Sobol sequence with the Joe–Kuo
  // direction numbers, as scipy.stats.qmc.Sobol(d, scramble=False).random(n) gives them
  // (SciPy 1.17.1), times 2^32.
  const d11: ReadonlyArray<[number, ReadonlyArray<number>]> = [
    [0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    [1, Array(11).fill(2147483648)],
    [
      2,
      [
        3221225472, 1073741824, 1073741824, 1073741824, 3221225472, 3221225472, 1073741824, 3221225472,
        3221225472, 3221225472, 3221225472
      ]
    ],
    [
      3,
      [
        1073741824, 3221225472, 3221225472, 3221225472, 1073741824, 1073741824, 3221225472, 1073741824,
        1073741824, 1073741824, 1073741824
      ]
    ],
    [
      4,
      [
        1610612736, 1610612736, 2684354560, 3758096384, 1610612736, 536870912, 1610612736, 3758096384,
        3758096384, 2684354560, 3758096384
      ]
    ],
    [
      8,
      [
        805306368, 1342177280, 4026531840, 1879048192, 2415919104, 1342177280, 1879048192, 4026531840,
        4026531840, 1342177280, 2952790016
      ]
    ],
    [
      10,
      [
        4026531840, 268435456, 2952790016, 805306368, 1342177280, 2415919104, 805306368, 805306368, 805306368,
        2415919104, 1879048192
      ]
    ],
    [
      100,
      [
        1778384896, 1107296256, 3321888768, 3120562176, 3791650816, 3187671040, 100663296, 2046820352,
        2717908992, 2986344448, 1979711488
      ]
    ],
    [
      1000,
      [
        943718400, 415236096, 2227175424, 2906652672, 1203765248, 3896508416, 197132288, 3862953984,
        2151677952, 297795584, 364904448
      ]
    ],
    [
      4095,
      [
        1048576, 4042260480, 1435500544, 3872391168, 4038066176, 338690048, 4077912064, 1678770176, 823132160,
        1058013184, 2446327808
      ]
    ]
  ]

  it("match the published points in D = 11", () => {
    const x = sobolIntegers(4096, 11)
    for (const [i, want] of d11) expect(Array.from(x.subarray(i * 11, (i + 1) * 11))).toEqual(want)
  })

  it("match the published points in the last dimensions of the table (D = 256)", () => {
    const x = sobolIntegers(1024, 256)
    const last5 = (i: number) => Array.from(x.subarray(i * 256 + 251, (i + 1) * 256))
    expect(last5(777)).toEqual([448790528, 1581252608, 1237319680, 2487222272, 2730491904])
    expect(last5(1023)).toEqual([4089446400, 155189248, 2663383040, 1463812096, 3619684352])
    expect(() => sobolDirections(257)).toThrow(/D ≤ 256/)
  })

  /** Each of the 2^a × 2^b boxes (a + b = k) of coordinates (p, q) holds exactly one of 2^k points. */
  const isNet = (x: Uint32Array, dim: number, k: number, p: number, q: number): boolean => {
    for (let a = 0; a <= k; a++) {
      const b = k - a
      const seen = new Set<number>()
      for (let n = 0; n < 2 ** k; n++) {
        const i = a === 0 ? 0 : Math.floor(x[n * dim + p] / 2 ** (32 - a))
        const j = b === 0 ? 0 : Math.floor(x[n * dim + q] / 2 ** (32 - b))
        seen.add(i * 2 ** b + j)
      }
      if (seen.size !== 2 ** k) return false
    }
    return true
  }

  it("scrambled points keep the net property of coordinates 1–2 (t = 0) and stratify each coordinate", () => {
    const dim = 11
    const { directions, shift } = scrambleSobol(dim, Rng.stream(5, "init"))
    const x = sobolIntegers(256, dim, directions, shift)
    expect(isNet(x, dim, 8, 0, 1)).toBe(true)
    // every coordinate: one point in each cell [i/256, (i+1)/256)
    for (let p = 0; p < dim; p++) {
      const cells = new Set<number>()
      for (let n = 0; n < 256; n++) cells.add(Math.floor(x[n * dim + p] / 2 ** 24))
      expect(cells.size).toBe(256)
    }
    // the scramble moves the points (no point at the origin) and depends on the seed
    expect(Array.from(x.subarray(0, dim))).not.toEqual(Array(dim).fill(0))
    const other = scrambleSobol(dim, Rng.stream(6, "init"))
    expect(sobolIntegers(4, dim, other.directions, other.shift)).not.toEqual(x.subarray(0, 4 * dim))
    // a broken scramble (random bits on the diagonal's other side) would break the net: check that
    // the test can fail on a non-net
    const bad = Uint32Array.from(x)
    bad[0] = bad[dim]
    expect(isNet(bad, dim, 8, 0, 1)).toBe(false)
  })
})

describe("normal quantile Φ⁻¹", () => {
  it("matches reference values (mpmath, 30 digits) in the centre and the tails", () => {
    const cases: ReadonlyArray<[number, number]> = [
      [0.975, 1.9599639845400538],
      [0.3, -0.5244005127080408],
      [1e-10, -6.361340902404056],
      [2 ** -33, -6.337957754553789],
      [3 * 2 ** -33, -6.16642951781975],
      [1 - 2 ** -33, 6.337957754553789]
    ]
    for (const [p, want] of cases)
      expect(Math.abs(normalQuantile(p) - want)).toBeLessThan(4e-15 * Math.abs(want))
    expect(normalQuantile(0.5)).toBe(0)
    expect(Math.abs(normalQuantile(0.2) + normalQuantile(0.8))).toBeLessThan(1e-15)
  })
})

// ---------------------------------------------------------------------------------------
// RQMC vs MC on smooth Gaussian integrals of the model: E[σ(u·x̃)] and the initial NTK
// entries A_ab = E[σ(u·x̃_a) σ(u·x̃_b)] (v = 0), u ~ N(0, τ0² I_D).
// ---------------------------------------------------------------------------------------

const silu = activations.silu.value

/** ∫∫ h(z1, z2) φ(z1) φ(z2) by the trapezoid rule on [−10, 10]² (spectrally accurate here). */
function gauss2(h: (z1: number, z2: number) => number, nodes = 801): number {
  const step = 20 / (nodes - 1)
  const w = new Float64Array(nodes)
  const z = new Float64Array(nodes)
  for (let i = 0; i < nodes; i++) {
    z[i] = -10 + i * step
    w[i] = (step * Math.exp(-0.5 * z[i] * z[i])) / Math.sqrt(2 * Math.PI)
  }
  let s = 0
  for (let i = 0; i < nodes; i++) for (let j = 0; j < nodes; j++) s += w[i] * w[j] * h(z[i], z[j])
  return s
}

/** The exact integrals for inputs x̃ (n × D) and τ0: E[σ(u·x̃_a)] and E[σ(u·x̃_a)σ(u·x̃_b)]. */
function exactIntegrals(xt: Float64Array, n: number, dim: number, tau: number) {
  const dot = (a: number, b: number) => {
    let s = 0
    for (let k = 0; k < dim; k++) s += xt[a * dim + k] * xt[b * dim + k]
    return s
  }
  const mean: number[] = []
  const gram: number[] = []
  for (let a = 0; a < n; a++) {
    const ra = tau * Math.sqrt(dot(a, a))
    mean.push(gauss2((z1) => silu(ra * z1), 201))
    for (let b = a; b < n; b++) {
      // (u·x̃_a, u·x̃_b) = (ra z1, rb(ρ z1 + sqrt(1−ρ²) z2))
      const rb = tau * Math.sqrt(dot(b, b))
      const rho = Math.min(1, dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b)))
      const c = Math.sqrt(Math.max(0, 1 - rho * rho))
      gram.push(gauss2((z1, z2) => silu(ra * z1) * silu(rb * (rho * z1 + c * z2))))
    }
  }
  return { mean, gram }
}

/** The same integrals by a quadrature rule. */
function ruleIntegrals(
  rule: QuadratureRule,
  m: number,
  seed: number,
  xt: Float64Array,
  n: number,
  dim: number,
  tau: number
) {
  const { points, weights } = rule.nodes(m, dim, Rng.stream(seed, "init"))
  const feats = new Float64Array(n * m)
  for (let a = 0; a < n; a++)
    for (let j = 0; j < m; j++) {
      let z = 0
      for (let k = 0; k < dim; k++) z += tau * points[j * dim + k] * xt[a * dim + k]
      feats[a * m + j] = silu(z)
    }
  const mean: number[] = []
  const gram: number[] = []
  for (let a = 0; a < n; a++) {
    let s = 0
    for (let j = 0; j < m; j++) s += weights[j] * feats[a * m + j]
    mean.push(s)
    for (let b = a; b < n; b++) {
      let t = 0
      for (let j = 0; j < m; j++) t += weights[j] * feats[a * m + j] * feats[b * m + j]
      gram.push(t)
    }
  }
  return { mean, gram }
}

describe("RQMC vs MC", () => {
  it("scrambled Sobol has a smaller RMS error than Monte Carlo at the same M (8 scrambles)", () => {
    const n = 4
    const d = 10
    const dim = d + 1
    const tau = 1
    const rng = Rng.stream(21, "trainInputs")
    const x = rng.normals(n * d)
    const xt = new Float64Array(n * dim)
    for (let a = 0; a < n; a++) {
      xt.set(x.subarray(a * d, (a + 1) * d), a * dim)
      xt[a * dim + d] = 1
    }
    const exact = exactIntegrals(xt, n, dim, tau)
    const reps = 8
    const rmse = (rule: QuadratureRule, m: number) => {
      let sm = 0
      let sg = 0
      for (let r = 0; r < reps; r++) {
        const est = ruleIntegrals(rule, m, 100 + r, xt, n, dim, tau)
        est.mean.forEach((v, i) => (sm += (v - exact.mean[i]) ** 2))
        est.gram.forEach((v, i) => (sg += (v - exact.gram[i]) ** 2))
      }
      return { mean: Math.sqrt(sm / (reps * n)), gram: Math.sqrt(sg / (reps * exact.gram.length)) }
    }
    for (const m of [256, 1024]) {
      const mc = rmse(monteCarlo, m)
      const qmc = rmse(randomizedQmc, m)
      console.log(
        `M = ${m}: RMSE of E[σ(u·x̃)] MC ${mc.mean.toExponential(2)} RQMC ${qmc.mean.toExponential(2)}; ` +
          `of the NTK entries MC ${mc.gram.toExponential(2)} RQMC ${qmc.gram.toExponential(2)}`
      )
      expect(qmc.mean).toBeLessThan(0.5 * mc.mean)
      expect(qmc.gram).toBeLessThan(0.5 * mc.gram)
      // MC's error is its standard error √(Var/M): Var σ(u·x̃) ≈ 4 here
      expect(mc.mean).toBeLessThan(4 / Math.sqrt(m))
    }
  })
})
