/**
 * The one-hidden-layer network of eq. 4 and its parameters.
 *
 *   f_w(x) = Σ_i ω_i v_i σ(u_i · x̃),  x̃ = (x, 1) with a bias (D = d + 1), else x̃ = x (D = d)
 *
 * The finite-width network is ω_i = 1/M with the Euclidean metric on w = (U, v). The
 * mean-field network (eq. 5) is the same formula with quadrature weights ω_i and the
 * L2(μ) metric g_i = ω_i: one definition of features and NTK serves both (neural-tangents'
 * "one definition, two views").
 */
import type { ActivationId } from "@gnlab/compute"

/** What defines the network's shape. */
export interface NetworkSpec {
  /** width M */
  readonly width: number
  /** input dimension d (without the bias column) */
  readonly inputDim: number
  /** hidden units have a bias (default in gnlab, as in the authors' code) */
  readonly bias: boolean
  readonly activation: ActivationId
}

/** A network: its spec, output weights ω and parameter metric g (both of length M). */
export interface Network {
  readonly spec: NetworkSpec
  /** D = d + 1 with a bias, d without */
  readonly dim: number
  /** f = Σ_i ω_i v_i σ(u_i · x̃) */
  readonly outputWeights: Float64Array
  /** ⟨w, w'⟩ = Σ_i g_i (u_i · u'_i + v_i v'_i) */
  readonly metric: Float64Array
}

/** Parameters w = (U, v): U is M × D row-major (row i = (u_i, b_i)), v has length M. */
export interface Params {
  readonly u: Float64Array
  readonly v: Float64Array
}

/** The finite-width network of eq. 4: ω_i = 1/M, Euclidean metric. */
export function finiteWidth(spec: NetworkSpec): Network {
  const m = spec.width
  return {
    spec,
    dim: spec.inputDim + (spec.bias ? 1 : 0),
    outputWeights: new Float64Array(m).fill(1 / m),
    metric: new Float64Array(m).fill(1)
  }
}

/** X̃: the inputs (n × d) with a column of ones appended when the network has a bias. */
export function augmentInputs(net: Network, x: Float64Array, n: number): Float64Array {
  const d = net.spec.inputDim
  if (!net.spec.bias) return Float64Array.from(x)
  const out = new Float64Array(n * (d + 1))
  for (let a = 0; a < n; a++) {
    out.set(x.subarray(a * d, (a + 1) * d), a * (d + 1))
    out[a * (d + 1) + d] = 1
  }
  return out
}

/**
 * Initialisation: u_i (weights and bias) ~ N(0, τ0² I_D), v = 0. `normals(k)` supplies k
 * standard normal draws; weights (M × d) are drawn first, then the M biases, so the
 * init for two τ0 is the same draw rescaled.
 */
export function initParams(net: Network, initStd: number, normals: (count: number) => Float64Array): Params {
  const { width: m, inputDim: d, bias } = net.spec
  const w = normals(m * d)
  const b = bias ? normals(m) : undefined
  return { u: assembleHidden(net, w, b).map((x) => x * initStd), v: new Float64Array(m) }
}

/** U (M × D) from hidden weights (M × d) and optional biases. */
export function assembleHidden(
  net: Network,
  weights: Float64Array,
  bias: Float64Array | undefined
): Float64Array {
  const { width: m, inputDim: d } = net.spec
  const dim = net.dim
  const u = new Float64Array(m * dim)
  for (let i = 0; i < m; i++) {
    u.set(weights.subarray(i * d, (i + 1) * d), i * dim)
    if (net.spec.bias) u[i * dim + d] = bias === undefined ? 0 : bias[i]
  }
  return u
}

/** ‖δw‖ in the network's metric: sqrt(Σ_i g_i (|δu_i|² + δv_i²)). */
export function paramNorm(net: Network, du: Float64Array, dv: Float64Array): number {
  const dim = net.dim
  let s = 0
  for (let i = 0; i < dv.length; i++) {
    let t = dv[i] * dv[i]
    for (let j = 0; j < dim; j++) t += du[i * dim + j] * du[i * dim + j]
    s += net.metric[i] * t
  }
  return Math.sqrt(s)
}

/** ‖w − w'‖ in the network's metric. */
export function paramDistance(net: Network, a: Params, b: Params): number {
  const du = a.u.map((x, i) => x - b.u[i])
  const dv = a.v.map((x, i) => x - b.v[i])
  return paramNorm(net, du, dv)
}
