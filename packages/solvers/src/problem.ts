/**
 * A training problem: a network, the train data bound to a backend, and the targets.
 * Methods read it; they never own the kernels (the caller binds and disposes them).
 */
import type { FeatureKernels } from "@gnlab/compute"
import { forward, halfMeanSquare, paramDistance, type Network, type Params } from "@gnlab/models"

/** The train problem of one run. */
export interface Problem {
  readonly net: Network
  /** the train inputs X̃ bound to a backend */
  readonly kernels: FeatureKernels
  /** targets y (length N) */
  readonly y: Float64Array
}

/**
 * What every method's state carries: the parameters after `iter` updates, their residual
 * r = f − y and loss L = |r|²/2N, and the initial parameters. Invariant: `problem.kernels`
 * holds the features of `params` (methods call setHidden after changing U).
 */
export interface TrainState {
  readonly iter: number
  readonly params: Params
  readonly params0: Params
  readonly residual: Float64Array
  readonly loss: number
  /** set when the method could not go on from this state (the run then stops as `failed`) */
  readonly failure?: string
}

/** Diagnostics of one update (the system solved, the step taken). */
export interface StepDiagnostics {
  /** σ*(A), σmax(A) of the matrix A solved in this update (GN, RF); undefined for GD */
  readonly sigmaMin?: number
  readonly sigmaMax?: number
  readonly cond?: number
  /** damping ε used in this update */
  readonly eps?: number
  /** ‖w_k − w_{k−1}‖ */
  readonly stepNorm: number
}

/** A method à la optax: `init` builds the state, `step` applies one update. */
export interface Method<S extends TrainState = TrainState> {
  readonly id: string
  init(problem: Problem, params0: Params): S
  step(problem: Problem, state: S): { readonly state: S; readonly diagnostics: StepDiagnostics }
  /**
   * Method-specific numbers for the run's summary, from its last state (e.g. a flow's
   * integrator steps and Gram assemblies). Optional: the runner adds whatever it returns.
   */
  summarize?(state: S): Readonly<Record<string, number | string | null>>
}

/**
 * Residual and loss at `params`, refreshing the kernels' features first unless the hidden
 * weights did not change (`hiddenChanged: false`, e.g. random features).
 */
export function evaluateAt(
  problem: Problem,
  params: Params,
  hiddenChanged = true
): { residual: Float64Array; loss: number } {
  if (hiddenChanged) problem.kernels.setHidden(params.u)
  const f = forward(problem.kernels, problem.net, params)
  const residual = f.map((fa, a) => fa - problem.y[a])
  return { residual, loss: halfMeanSquare(residual) }
}

/** The state at the initial parameters (shared by all methods' `init`). */
export function initialState(problem: Problem, params0: Params): TrainState {
  const params = { u: Float64Array.from(params0.u), v: Float64Array.from(params0.v) }
  return { iter: 0, params, params0, ...evaluateAt(problem, params) }
}

/** The function-space gradient g = ∇L(f) = (f − y)/N. */
export function functionGradient(residual: Float64Array): Float64Array {
  const n = residual.length
  return residual.map((r) => r / n)
}

/** w − λ δw. */
export function descend(p: Params, lr: number, d: Params): Params {
  return { u: p.u.map((x, i) => x - lr * d.u[i]), v: p.v.map((x, i) => x - lr * d.v[i]) }
}

/** ‖w − w0‖ in the network's metric (the `distInit` diagnostic). */
export function distanceFromInit(problem: Problem, s: TrainState): number {
  return paramDistance(problem.net, s.params, s.params0)
}
