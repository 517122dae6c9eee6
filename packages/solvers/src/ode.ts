/**
 * An adaptive explicit Runge–Kutta integrator for the continuous-time flows: Dormand–Prince
 * 5(4) ("DOPRI5", the method of ode45 and of Hairer–Nørsett–Wanner, Solving ODEs I, §II.4–5),
 * with error control per step, the FSAL property (the last stage is the derivative at the new
 * point, so an accepted step costs 6 right-hand-side evaluations) and Hairer's stabilised
 * (PI) step-size controller and initial-step heuristic.
 *
 * It is resumable on purpose: {@link dopri5Init} returns the integrator's whole state
 * (t, y, y′(t), the next step size, the controller's memory), and {@link dopri5Advance} takes
 * it to an output time tOut — the last step is shortened to land on tOut exactly — and
 * returns the new state. A flow method keeps that state in its train state, so one `step` of
 * the training loop is "advance to the next output time" and the loop's stopping rules,
 * recording and checkpointing wrap a flow unchanged.
 *
 * Error norm (Hairer): err = sqrt( (1/n) Σ_i (e_i / sc_i)² ), sc_i = atol + rtol·max(|y_i|, |ŷ_i|),
 * where e = h Σ_s (b_s − b̂_s) k_s is the difference of the 5th- and 4th-order solutions; a
 * step is accepted when err ≤ 1 and the solution advanced with the 5th-order one (local
 * extrapolation).
 */
import { Data } from "effect"

/** y′ = f(t, y). Must return a new array of y's length; may return non-finite values where f is undefined. */
export type OdeRhs = (t: number, y: Float64Array) => Float64Array

/** Tolerances and limits of the integrator. */
export interface OdeOptions {
  /** relative tolerance (per component) */
  readonly rtol: number
  /** absolute tolerance (per component) */
  readonly atol: number
  /** largest step (default ∞) */
  readonly hMax?: number
  /** first step (default: Hairer's heuristic) */
  readonly hInit?: number
  /** most steps (accepted + rejected) one advance may take (default 100 000) */
  readonly maxSteps?: number
}

/** Work counters of an integration. */
export interface OdeStats {
  readonly accepted: number
  readonly rejected: number
  readonly evaluations: number
}

/** The integrator's state between advances. */
export interface Dopri5State {
  readonly t: number
  readonly y: Float64Array
  /** y′(t) (FSAL: the next step's first stage) */
  readonly f: Float64Array
  /** the step size to try next */
  readonly h: number
  /** the controller's memory: the error of the last accepted step (≥ 1e-4) */
  readonly errPrev: number
  readonly stats: OdeStats
}

/** The integration cannot go on: step size underflow, too many steps, or f not finite at y. */
export class OdeFailure extends Data.TaggedError("OdeFailure")<{
  /** the last time reached (the state there is `last`) */
  readonly t: number
  readonly reason: string
  readonly last: Dopri5State
}> {
  override get message(): string {
    return `ODE integration stopped at t = ${this.t}: ${this.reason}`
  }
}

// Dormand–Prince 5(4) tableau (c_s, a_sj, the 5th-order weights b = a_7j, and e = b − b̂)
const C2 = 1 / 5
const C3 = 3 / 10
const C4 = 4 / 5
const C5 = 8 / 9
const A21 = 1 / 5
const A31 = 3 / 40
const A32 = 9 / 40
const A41 = 44 / 45
const A42 = -56 / 15
const A43 = 32 / 9
const A51 = 19372 / 6561
const A52 = -25360 / 2187
const A53 = 64448 / 6561
const A54 = -212 / 729
const A61 = 9017 / 3168
const A62 = -355 / 33
const A63 = 46732 / 5247
const A64 = 49 / 176
const A65 = -5103 / 18656
const A71 = 35 / 384
const A73 = 500 / 1113
const A74 = 125 / 192
const A75 = -2187 / 6784
const A76 = 11 / 84
const E1 = 71 / 57600
const E3 = -71 / 16695
const E4 = 71 / 1920
const E5 = -17253 / 339200
const E6 = 22 / 525
const E7 = -1 / 40

// Hairer's controller constants (dopri5.f defaults)
const SAFE = 0.9
const FAC_MIN = 0.2 // h_new ≥ 0.2 h
const FAC_MAX = 10 // h_new ≤ 10 h
const BETA = 0.04 // PI stabilisation
const EXPO1 = 0.2 - BETA * 0.75

const allFinite = (x: Float64Array): boolean => {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false
  return true
}

/** Hairer's weighted RMS norm of `e` with scales atol + rtol·max(|y|, |ŷ|). */
function errorNorm(e: Float64Array, y0: Float64Array, y1: Float64Array, o: OdeOptions): number {
  let s = 0
  for (let i = 0; i < e.length; i++) {
    const sc = o.atol + o.rtol * Math.max(Math.abs(y0[i]), Math.abs(y1[i]))
    s += (e[i] / sc) ** 2
  }
  return Math.sqrt(s / Math.max(1, e.length))
}

/**
 * Hairer's initial step (dopri5.f `hinit`, order 5): h0 = 0.01 ‖y0‖/‖f0‖, an explicit Euler
 * step to estimate ‖y″‖, then h = min(100 h0, (0.01 / max(‖f0‖, ‖y″‖))^{1/5}).
 */
function initialStep(rhs: OdeRhs, t0: number, y0: Float64Array, f0: Float64Array, o: OdeOptions): number {
  const n = y0.length
  let dnf = 0
  let dny = 0
  for (let i = 0; i < n; i++) {
    const sk = o.atol + o.rtol * Math.abs(y0[i])
    dnf += (f0[i] / sk) ** 2
    dny += (y0[i] / sk) ** 2
  }
  const hMax = o.hMax ?? Infinity
  let h = dnf <= 1e-10 || dny <= 1e-10 ? 1e-6 : Math.sqrt(dny / dnf) * 0.01
  h = Math.min(h, hMax)
  const y1 = y0.map((y, i) => y + h * f0[i])
  const f1 = rhs(t0 + h, y1)
  let der2 = 0
  for (let i = 0; i < n; i++) {
    const sk = o.atol + o.rtol * Math.abs(y0[i])
    der2 += ((f1[i] - f0[i]) / sk) ** 2
  }
  der2 = Math.sqrt(der2) / h
  const der12 = Math.max(Math.abs(der2), Math.sqrt(dnf))
  const h1 = !Number.isFinite(der12)
    ? h * 1e-3
    : der12 <= 1e-15
      ? Math.max(1e-6, h * 1e-3)
      : (0.01 / der12) ** (1 / 5)
  return Math.min(100 * h, h1, hMax)
}

/** The integrator at (t0, y0): evaluates y′(t0) and the first step size. */
export function dopri5Init(rhs: OdeRhs, t0: number, y0: Float64Array, options: OdeOptions): Dopri5State {
  const f = rhs(t0, y0)
  const y = Float64Array.from(y0)
  const last: Dopri5State = {
    t: t0,
    y,
    f,
    h: 0,
    errPrev: 1e-4,
    stats: { accepted: 0, rejected: 0, evaluations: 1 }
  }
  if (!allFinite(f)) throw new OdeFailure({ t: t0, reason: "y′ is not finite at the initial point", last })
  const h = options.hInit ?? initialStep(rhs, t0, y, f, options)
  return { ...last, h, stats: { accepted: 0, rejected: 0, evaluations: options.hInit === undefined ? 2 : 1 } }
}

/**
 * Integrate from `s.t` to `tOut` (≥ s.t) with error control; returns the state at exactly
 * tOut. Throws {@link OdeFailure} (carrying the last state reached) when the step size
 * underflows, `maxSteps` is exceeded or the solution stops being finite.
 */
export function dopri5Advance(rhs: OdeRhs, s: Dopri5State, tOut: number, options: OdeOptions): Dopri5State {
  if (!(tOut >= s.t)) throw new RangeError(`dopri5Advance: tOut = ${tOut} is before t = ${s.t}`)
  const n = s.y.length
  const maxSteps = options.maxSteps ?? 100_000
  const hMax = options.hMax ?? Infinity
  let { t, y, f, h, errPrev } = s
  let { accepted, rejected, evaluations } = s.stats
  let lastRejected = false
  let steps = 0
  const here = (): Dopri5State => ({ t, y, f, h, errPrev, stats: { accepted, rejected, evaluations } })
  const tmp = new Float64Array(n)
  while (t < tOut) {
    if (steps++ >= maxSteps) throw new OdeFailure({ t, reason: `more than ${maxSteps} steps`, last: here() })
    let hs = Math.min(h, hMax)
    // land on tOut: stretch a step that would stop just short of it (Hairer's 1.01)
    const lands = t + 1.01 * hs >= tOut
    if (lands) hs = tOut - t
    if (hs <= 10 * Number.EPSILON * Math.abs(t) || hs <= 0)
      throw new OdeFailure({ t, reason: `step size underflow (h = ${hs})`, last: here() })
    const k1 = f
    for (let i = 0; i < n; i++) tmp[i] = y[i] + hs * A21 * k1[i]
    const k2 = rhs(t + C2 * hs, tmp)
    for (let i = 0; i < n; i++) tmp[i] = y[i] + hs * (A31 * k1[i] + A32 * k2[i])
    const k3 = rhs(t + C3 * hs, tmp)
    for (let i = 0; i < n; i++) tmp[i] = y[i] + hs * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i])
    const k4 = rhs(t + C4 * hs, tmp)
    for (let i = 0; i < n; i++) tmp[i] = y[i] + hs * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i])
    const k5 = rhs(t + C5 * hs, tmp)
    for (let i = 0; i < n; i++)
      tmp[i] = y[i] + hs * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i])
    const tNew = lands ? tOut : t + hs
    const k6 = rhs(t + hs, tmp)
    const yNew = new Float64Array(n)
    for (let i = 0; i < n; i++)
      yNew[i] = y[i] + hs * (A71 * k1[i] + A73 * k3[i] + A74 * k4[i] + A75 * k5[i] + A76 * k6[i])
    const k7 = rhs(tNew, yNew)
    evaluations += 6
    const e = new Float64Array(n)
    for (let i = 0; i < n; i++)
      e[i] = hs * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i])
    const err = errorNorm(e, y, yNew, options)
    if (Number.isFinite(err) && err <= 1 && allFinite(k7)) {
      // accepted: PI controller h_new = h · err^{−(0.2 − 0.75β)} · errPrev^{β} · safety, clamped
      const fac11 = err ** EXPO1
      const fac = Math.max(1 / FAC_MAX, Math.min(1 / FAC_MIN, fac11 / errPrev ** BETA / SAFE))
      let hNew = hs / fac
      if (lastRejected) hNew = Math.min(hNew, hs)
      errPrev = Math.max(err, 1e-4)
      accepted++
      lastRejected = false
      t = tNew
      y = yNew
      f = k7
      // a step shortened to land on tOut says little about the step size: keep the larger
      h = lands ? Math.max(hNew, h) : hNew
    } else {
      rejected++
      lastRejected = true
      h = Number.isFinite(err) ? hs / Math.min(1 / FAC_MIN, err ** EXPO1 / SAFE) : hs / 10
    }
  }
  return here()
}
