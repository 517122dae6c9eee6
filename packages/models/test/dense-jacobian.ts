/**
 * The dense N × M(D+1) Jacobian — for tests only: the structured NTK and Jacobian products
 * are checked against it, and it against central finite differences of the forward map.
 * Parameter order: U row-major (u_i with bias), then v.
 */
import { activations } from "@gnlab/compute"
import type { Network, Params } from "../src/index.js"

/** f(x_a) = Σ_i ω_i v_i σ(u_i · x̃_a), computed directly from the definition. */
export function forwardDirect(net: Network, p: Params, xt: Float64Array, n: number): Float64Array {
  const act = activations[net.spec.activation]
  const dim = net.dim
  const f = new Float64Array(n)
  for (let a = 0; a < n; a++)
    for (let i = 0; i < net.spec.width; i++) {
      let z = 0
      for (let j = 0; j < dim; j++) z += p.u[i * dim + j] * xt[a * dim + j]
      f[a] += net.outputWeights[i] * p.v[i] * act.value(z)
    }
  return f
}

/** J (n × (M·D + M)), row-major. */
export function denseJacobian(net: Network, p: Params, xt: Float64Array, n: number): Float64Array {
  const act = activations[net.spec.activation]
  const { dim } = net
  const m = net.spec.width
  const cols = m * dim + m
  const j = new Float64Array(n * cols)
  for (let a = 0; a < n; a++)
    for (let i = 0; i < m; i++) {
      let z = 0
      for (let k = 0; k < dim; k++) z += p.u[i * dim + k] * xt[a * dim + k]
      const w = net.outputWeights[i]
      for (let k = 0; k < dim; k++)
        j[a * cols + i * dim + k] = w * p.v[i] * act.derivative(z) * xt[a * dim + k]
      j[a * cols + m * dim + i] = w * act.value(z)
    }
  return j
}

/** Central finite differences of forwardDirect with step h. */
export function finiteDifferenceJacobian(
  net: Network,
  p: Params,
  xt: Float64Array,
  n: number,
  h = 1e-6
): Float64Array {
  const m = net.spec.width
  const nu = m * net.dim
  const cols = nu + m
  const j = new Float64Array(n * cols)
  for (let c = 0; c < cols; c++) {
    const plus = { u: Float64Array.from(p.u), v: Float64Array.from(p.v) }
    const minus = { u: Float64Array.from(p.u), v: Float64Array.from(p.v) }
    if (c < nu) {
      plus.u[c] += h
      minus.u[c] -= h
    } else {
      plus.v[c - nu] += h
      minus.v[c - nu] -= h
    }
    const fp = forwardDirect(net, plus, xt, n)
    const fm = forwardDirect(net, minus, xt, n)
    for (let a = 0; a < n; a++) j[a * cols + c] = (fp[a] - fm[a]) / (2 * h)
  }
  return j
}
