/**
 * Continuous-time flows (SPEC.md "Continuous time", paper §3–4) as methods of the generic
 * training loop, integrated by the adaptive Dormand–Prince 5(4) solver of ode.ts.
 *
 * Generalized Gauss–Newton flow (eq. 3), computed in its N×N (Woodbury) form
 *
 *     ẇ = −(J* H J + ε(w) I)⁻¹ J* ∇L  =  −J* (J J* + ε H⁻¹)⁻¹ H⁻¹ ∇L,
 *
 * with ∇L = g = (f − y)/N, A = J J* the NTK in the model's metric, and H = h I:
 * `hessian: "loss"` is H = ∇²L = I/N (h = 1/N, the generalized GN flow), `"identity"` is H = I.
 * ε(w) comes from a damping rule of damping.ts, evaluated on σ*(A_w) at every right-hand
 * side; the theory's rule is ε(w) = ((1 − η)/η) μ_H σ*(A_w).
 *
 * Which μ_H makes Proposition 3 hold. With H = hI and c = ε/h,
 *     dL/dt = ⟨g, J ẇ⟩ = −(1/h) gᵀ A (A + cI)⁻¹ g ≤ −(1/h) σ* / (σ* + c) |g|²,
 * since λ ↦ λ/(λ + c) is increasing. The theory's ε with μ_H = h gives c = ((1−η)/η) σ*, so
 * σ* / (σ* + c) = η and dL/dt ≤ −(η/h)|g|² = −(2η/(hN)) L (|g|² = 2L/N for L = |f − y|²/2N).
 * Hence
 *     H = I/N, μ_H = 1/N:  L(t) ≤ L(0) e^{−2ηt}       (μ = 1/N, L_H = 1/N: μ̃ = ημ/L_H = η),
 *     H = I,   μ_H = 1:    L(t) ≤ L(0) e^{−2ηt/N}.
 * μ_H must be the smallest eigenvalue of H (or below it): the damping of the H = ∇²L flow uses
 * μ_H = 1/N, not the discrete GN's default 1 (with μ_H = 1 and H = I/N, c is N times larger
 * and the rate drops to 2η/(1 + N(1−η)/η)). `defaultFlowMuH` gives μ_H for each H.
 *
 * Discrete GN is explicit Euler on this flow. GN's update w ← w − λ J*(A + ε_d I)⁻¹ g is one
 * Euler step of length Δt of the H = I/N flow, ẇ = −N J*(A + N ε I)⁻¹ g, with
 *     Δt = λ/N  and  ε_d = N ε   (theory rule: discrete μ_H = 1 ↔ flow μ_H = 1/N),
 * so after k steps of size λ discrete GN approximates the flow at t = kλ/N (error O(λ/N)).
 * For the H = I flow the same update is an Euler step of Δt = λ (t = kλ, ε_d = ε).
 *
 * Gradient flow: ẇ = −J* ∇L (GD with step λ is its Euler step of Δt = λ).
 *
 * One `step` of a flow advances to the next output time of `times`; `iter` counts output
 * points and the state carries t, so the loop's stopping rules (tol, maxIter — maxIter =
 * times.length stops at the last output time) and recording wrap a flow unchanged. At every
 * output point the state records A_t's σ*, σmax, cond, ε and the pseudo-inverse norm
 * a_t = ‖J_t†‖_F = sqrt(trace(A_t⁻¹)) of Propositions 4–5. A flow that cannot go on (A_t
 * singular — the finite-time blow-up of Prop. 2 — or the step size underflows) ends with the
 * state at the last time reached and its `failure`, which the loop reports as `failed`.
 */
import {
  cholesky,
  extremeEigenvalues,
  type LinalgRoutines,
  type Spectrum,
  type SpectrumWarmStart
} from "@gnlab/compute"
import { jacobianAdjointMul, ntkGram, paramDistance, type Params } from "@gnlab/models"
import { dampingValue, type Damping } from "../damping.js"
import { factorDamped, gnDirection, SingularSystem, type DampedFactor } from "../gn-direction.js"
import { gnWorkspace } from "./gn.js"
import { dopri5Advance, dopri5Init, OdeFailure, type Dopri5State, type OdeOptions } from "../ode.js"
import type { Ros2State } from "../rosenbrock.js"
import {
  evaluateAt,
  functionGradient,
  initialState,
  type Method,
  type Problem,
  type StepDiagnostics,
  type TrainState
} from "../problem.js"

/** The curvature H of eq. 3: ∇²L = I/N ("loss") or I ("identity"). */
export type HessianChoice = "loss" | "identity"
export const hessianChoices: ReadonlyArray<HessianChoice> = ["loss", "identity"]

/** h with H = h I: 1/N for H = ∇²L of L = |f − y|²/2N, 1 for H = I. */
export const hessianScale = (hessian: HessianChoice, n: number): number => (hessian === "loss" ? 1 / n : 1)

/** μ_H = λ_min(H), the μ_H of the theory's damping for which Prop. 3's bound holds. */
export const defaultFlowMuH = hessianScale

/** Options every flow takes. */
export interface FlowOptions {
  /** output times 0 < t_1 < t_2 < … (t_0 = 0 is the initial state) */
  readonly times: ReadonlyArray<number>
  /** integrator tolerances (default rtol 1e-7, atol 1e-10) */
  readonly ode?: OdeOptions
}

/** Options of the GN flow. */
export interface GnFlowOptions extends FlowOptions {
  readonly damping: Damping
  readonly hessian: HessianChoice
}

/** Default integrator tolerances of the flows. */
export const defaultFlowOde: OdeOptions = { rtol: 1e-7, atol: 1e-10 }

/** A_t at an output point. */
export interface FlowSystem {
  readonly sigmaMin: number
  readonly sigmaMax: number
  readonly cond: number
  /** ε(w_t) (undefined for the gradient flow) */
  readonly eps: number | undefined
}

/** A flow's state: the common state at time t, A_t's numbers there, and the integrator's state. */
export interface FlowState extends TrainState {
  /** flow time of this state */
  readonly t: number
  /** a_t = ‖J_t†‖_F = sqrt(trace(A_t⁻¹)) (∞ when A_t is singular; NaN where not computed) */
  readonly pinvNorm: number
  readonly system: FlowSystem
  /** the integrator's state: Dormand–Prince (dopri5) or Rosenbrock–W (rosenbrock.ts) */
  readonly ode: Dopri5State | Ros2State
  /** Lanczos warm start (the last σ*, σmax eigenvectors) */
  readonly warm: SpectrumWarmStart
  /**
   * λ of the GD this flow stands in for (gradient flow): its rows carry the GD-equivalent
   * update count t/λ and gdStability = λ σmax(A_t)/N (GD with step λ follows the flow only
   * where that stays below 2).
   */
  readonly gdLr?: number
}

/** A Dormand–Prince flow's state. */
export type Dopri5FlowState = FlowState & { readonly ode: Dopri5State }

/** True for the states of a flow method. */
export const isFlowState = (s: TrainState): s is FlowState => "t" in s && "ode" in s

/**
 * The default output grid: `perDecade` points per decade over `decades` decades below t_end,
 * t_j = t_end · 10^{−j/perDecade} (j = perDecade·decades, …, 1), then t_end itself. The grid
 * scales with t_end (a flow run in rescaled time has the same grid, rescaled).
 */
export function flowTimeGrid(tEnd: number, perDecade = 20, decades = 4): number[] {
  if (!(tEnd > 0) || !Number.isFinite(tEnd)) throw new RangeError(`t_end must be finite and > 0, got ${tEnd}`)
  const k = Math.max(0, Math.round(perDecade * decades))
  const out: number[] = []
  for (let j = k; j >= 1; j--) out.push(tEnd * 10 ** (-j / perDecade))
  out.push(tEnd)
  return out
}

/**
 * a = ‖J†‖_F = sqrt(trace(A⁻¹)) for A = J J* (N × N, SPD): with A = L Lᵀ,
 * trace(A⁻¹) = ‖L⁻¹‖_F², the columns of L⁻¹ by forward substitution (n³/6 flops).
 * Infinity when A is not numerically positive definite.
 */
export function pseudoInverseNorm(a: Float64Array, n: number, routines?: LinalgRoutines): number {
  const l = cholesky(a, n, undefined, routines)
  if (l === undefined) return Infinity
  const x = new Float64Array(n)
  let s = 0
  for (let j = 0; j < n; j++) {
    // column j of L⁻¹: L x = e_j, x_i = 0 for i < j
    x[j] = 1 / l[j * n + j]
    s += x[j] * x[j]
    for (let i = j + 1; i < n; i++) {
      let t = 0
      for (let k = j; k < i; k++) t += l[i * n + k] * x[k]
      x[i] = -t / l[i * n + i]
      s += x[i] * x[i]
    }
  }
  return Math.sqrt(s)
}

/** w = (U, v) as one vector [U (M·D, row-major) | v (M)], the integrator's y. */
export const flatten = (p: Params): Float64Array => {
  const y = new Float64Array(p.u.length + p.v.length)
  y.set(p.u)
  y.set(p.v, p.u.length)
  return y
}
/** The inverse of {@link flatten}. */
export const unflatten = (y: Float64Array, uLength: number): Params => ({
  u: y.slice(0, uLength),
  v: y.slice(uLength)
})
const negFlat = (d: Params): Float64Array => {
  const y = flatten(d)
  for (let i = 0; i < y.length; i++) y[i] = -y[i]
  return y
}

/** The velocity ẇ = F(w) of a flow, with the Lanczos warm start it updates. */
type Velocity = (problem: Problem, p: Params, warm: { current: SpectrumWarmStart }) => Float64Array

/**
 * GN flow velocity (eq. 3, N×N form): ẇ = −J* (A + ε H⁻¹)⁻¹ H⁻¹ g with ε = ε(σ*(A_w)).
 * NaN where the damped system is not positive definite (the flow is undefined there).
 */
function gnVelocity(damping: Damping, hessian: HessianChoice): Velocity {
  // the N × N arrays of each evaluation (several per ODE step) reuse GN's buffers
  const buffers = gnWorkspace()
  return (problem, p, warm) => {
    const { kernels, net } = problem
    const { residual } = evaluateAt(problem, p)
    const n = residual.length
    const hInv = 1 / hessianScale(hessian, n)
    const w = buffers(n)
    const a = ntkGram(kernels, net, p, w.a)
    let spectrum: Spectrum
    try {
      spectrum = extremeEigenvalues(a, n, warm.current, w.spectrum, kernels.linalg)
    } catch {
      return new Float64Array(p.u.length + p.v.length).fill(NaN)
    }
    warm.current = { minVector: spectrum.minVector, maxVector: spectrum.maxVector }
    const eps = dampingValue(damping, spectrum.sigmaMin)
    let factor: DampedFactor
    try {
      factor = factorDamped(a, n, eps * hInv, "gn-flow", { exact: true }, w.solve, kernels.linalg)
    } catch (e) {
      if (e instanceof SingularSystem) return new Float64Array(p.u.length + p.v.length).fill(NaN)
      throw e
    }
    const g = functionGradient(residual).map((x) => x * hInv)
    return negFlat(gnDirection(kernels, net, p, factor, g))
  }
}

/** Gradient flow velocity: ẇ = −J* g. */
const gradientVelocity: Velocity = (problem, p) => {
  const { residual } = evaluateAt(problem, p)
  return negFlat(jacobianAdjointMul(problem.kernels, problem.net, p, functionGradient(residual)))
}

/**
 * The numbers recorded at an output point: residual and loss, A_t's spectrum, ε(w_t) and a_t.
 * Leaves the kernels holding the features of `p` (the TrainState invariant).
 */
function observe(
  problem: Problem,
  p: Params,
  damping: Damping | undefined,
  warm: SpectrumWarmStart
): Pick<FlowState, "residual" | "loss" | "pinvNorm" | "system" | "warm"> {
  const { residual, loss } = evaluateAt(problem, p)
  const n = residual.length
  const a = ntkGram(problem.kernels, problem.net, p)
  let spectrum: Spectrum | undefined
  try {
    spectrum = extremeEigenvalues(a, n, warm, undefined, problem.kernels.linalg)
  } catch {
    spectrum = undefined
  }
  return {
    residual,
    loss,
    pinvNorm: pseudoInverseNorm(a, n, problem.kernels.linalg),
    system: {
      sigmaMin: spectrum?.sigmaMin ?? NaN,
      sigmaMax: spectrum?.sigmaMax ?? NaN,
      cond: spectrum?.cond ?? NaN,
      eps:
        damping === undefined || spectrum === undefined ? undefined : dampingValue(damping, spectrum.sigmaMin)
    },
    warm: spectrum === undefined ? warm : { minVector: spectrum.minVector, maxVector: spectrum.maxVector }
  }
}

/** A flow as an init/step pair, given its velocity field. */
function flowMethod(
  id: string,
  velocity: Velocity,
  damping: Damping | undefined,
  options: FlowOptions & { readonly gdLr?: number }
): Method<Dopri5FlowState> {
  const gdLr = options.gdLr
  const ode = options.ode ?? defaultFlowOde
  const times = options.times
  for (let k = 0; k < times.length; k++)
    if (!(times[k] > (k === 0 ? 0 : times[k - 1])) || !Number.isFinite(times[k]))
      throw new RangeError(
        `${id}: output times must be finite, > 0 and increasing (times[${k}] = ${times[k]})`
      )
  const rhsOf =
    (problem: Problem, uLength: number, warm: { current: SpectrumWarmStart }) =>
    (_t: number, y: Float64Array) =>
      velocity(problem, unflatten(y, uLength), warm)

  /** The state at params after `iter` outputs, or a failed one (loss NaN). */
  const stateAt = (
    problem: Problem,
    iter: number,
    params: Params,
    params0: Params,
    odeState: Dopri5State,
    warm: SpectrumWarmStart,
    failure: string | undefined
  ): Dopri5FlowState => {
    const seen = observe(problem, params, damping, warm)
    return {
      iter,
      params,
      params0,
      t: odeState.t,
      ode: odeState,
      ...seen,
      ...(gdLr === undefined ? {} : { gdLr }),
      ...(failure === undefined ? {} : { failure })
    }
  }

  return {
    id,
    init(problem, params0) {
      const base = initialState(problem, params0)
      const uLength = base.params.u.length
      const warm = { current: {} as SpectrumWarmStart }
      try {
        const s = dopri5Init(rhsOf(problem, uLength, warm), 0, flatten(base.params), ode)
        return stateAt(problem, 0, base.params, base.params0, s, warm.current, undefined)
      } catch (e) {
        if (!(e instanceof OdeFailure)) throw e
        return stateAt(problem, 0, base.params, base.params0, e.last, warm.current, e.reason)
      }
    },
    step(problem, s) {
      if (s.iter >= times.length)
        throw new RangeError(`${id}: no output time after t = ${s.t} (${times.length} output times)`)
      const uLength = s.params.u.length
      const warm = { current: s.warm }
      let next: Dopri5FlowState
      try {
        const odeState = dopri5Advance(rhsOf(problem, uLength, warm), s.ode, times[s.iter], ode)
        next = stateAt(
          problem,
          s.iter + 1,
          unflatten(odeState.y, uLength),
          s.params0,
          odeState,
          warm.current,
          undefined
        )
      } catch (e) {
        if (!(e instanceof OdeFailure)) throw e
        next = stateAt(
          problem,
          s.iter + 1,
          unflatten(e.last.y, uLength),
          s.params0,
          e.last,
          warm.current,
          e.reason
        )
      }
      const diagnostics: StepDiagnostics = {
        sigmaMin: next.system.sigmaMin,
        sigmaMax: next.system.sigmaMax,
        cond: next.system.cond,
        eps: next.system.eps,
        stepNorm: paramDistance(problem.net, next.params, s.params)
      }
      return { state: next, diagnostics }
    },
    summarize(s) {
      // every output point (row 0 included) assembles A_t once to observe it
      const outputs = s.iter + 1
      const { accepted, rejected, evaluations } = s.ode.stats
      return {
        integrator: "dopri5",
        integratorSteps: accepted,
        rejectedSteps: rejected,
        gramAssemblies: (id === "gn-flow" ? evaluations : 0) + outputs,
        featureEvaluations: evaluations + outputs,
        tFinal: s.t
      }
    }
  }
}

/**
 * The generalized GN flow (eq. 3) with damping rule `damping` and curvature `hessian`,
 * recorded at `times`. For Prop. 3's rate use the theory rule with μ_H = defaultFlowMuH(H, N).
 */
export function gnFlow(options: GnFlowOptions): Method<Dopri5FlowState> {
  return flowMethod("gn-flow", gnVelocity(options.damping, options.hessian), options.damping, options)
}

/** The gradient flow ẇ = −J* ∇L, recorded at `times`. */
export function gradientFlow(options: FlowOptions & { readonly gdLr?: number }): Method<Dopri5FlowState> {
  return flowMethod("gradient-flow", gradientVelocity, undefined, options)
}
