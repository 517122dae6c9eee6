/**
 * The gradient flow ẇ = F(w) = −∇L(w) = −(1/N) J* r, r = f − y, integrated by a linearly
 * implicit Rosenbrock–W method whose W matrix is the Gauss–Newton Hessian G = J*J/N, so that
 * every stage is one damped GN solve with the structured Gram A = J J* (gn-direction.ts).
 *
 * GD with step λ is explicit Euler on this flow at t = λk; it needs λ·σmax(A)/N < 2 to be
 * stable, so it takes 10⁷–10⁸ updates to the paper's tolerance. A W-method is stable on the
 * stiff directions (those of large σ(A)) whatever its step, so error control alone sets the
 * step, and it grows far past λ as the loss decays.
 *
 * ROS2 (Verwer, Spee, Blom & Hundsdorfer 1999), γ = 1 + 1/√2, order 2 for ANY W, L-stable:
 *     (I + γhG) k1 = F(w_n)
 *     (I + γhG) k2 = F(w_n + h k1) − 2 k1
 *     w_{n+1} = w_n + (3/2) h k1 + (1/2) h k2
 * with the embedded first-order solution w_n + h k1, whose difference gives the error
 * estimate e = (h/2)(k1 + k2). With c = γh/N, ε = 1/c and Woodbury
 * ((I + cJ*J)⁻¹ = I − cJ*(I + cA)⁻¹J, (I + cA)⁻¹ = ε(A + εI)⁻¹):
 *     k1 = −(ε/N) J* (A + εI)⁻¹ r                  (push-through: (I + cJ*J)⁻¹J* = J*(I + cA)⁻¹)
 *     k2 = b − J* (A + εI)⁻¹ J b,   b = F(w_n + h k1) − 2 k1
 * so a step costs one Gram assembly, one Cholesky factor of A + εI (one more per rejected try:
 * the Gram is reused), three feature evaluations, three J*-products and one J-product. If
 * A + εI must be factored with a larger ε (the shared rule of gn-direction.ts), both stages use
 * that ε: this is W = −(ε_asked/ε_used) G, still a W-method of order 2.
 *
 * Step control (the reference's, ../shared/reference/gradient_flow.py):
 *     err = RMS_i( e_i / (atol + rtol·max(|w_n,i|, |w_{n+1},i|)) ),  accept iff err ≤ 1,
 *     h_new = h · min(facMax, max(0.2, 0.9 err^{−1/2})),  facMax = 5 (1 right after a rejection).
 * Steps are clipped to land on the output times exactly (the proposal is kept for the next
 * one), and an advance stops early at the first accepted point where L ≤ tol·L(w0), the rule
 * GD stops on.
 */
import { lanczosLargest, symmetricMatvec, type SpectrumWarmStart } from "@gnlab/compute"
import { jacobianAdjointMul, jacobianMul, ntkGram, paramDistance, type Params } from "@gnlab/models"
import { factorDamped, SingularSystem } from "./gn-direction.js"
import { flatten, unflatten, type FlowState } from "./methods/flows.js"
import { gnWorkspace } from "./methods/gn.js"
import { evaluateAt, initialState, type Method, type Problem } from "./problem.js"

/** γ of ROS2. */
export const ros2Gamma = 1 + 1 / Math.SQRT2

/** Work counters of a Rosenbrock integration (cumulative over the run). */
export interface Ros2Stats {
  readonly accepted: number
  readonly rejected: number
  readonly gramAssemblies: number
  readonly factorizations: number
  readonly featureEvaluations: number
}

/** The integrator's state between output times (plain numbers: checkpointed as they are). */
export interface Ros2State {
  readonly scheme: "ros2"
  readonly t: number
  /** the step size to try next */
  readonly h: number
  /** the largest growth factor of the next step (1 right after a rejection) */
  readonly facMax: number
  /** tol · L(w0): an advance stops at the first accepted point at or below it (0: never) */
  readonly stopLoss: number
  readonly stats: Ros2Stats
  /**
   * The point whose Gram is the current W and how many steps it has served (gramReuse > 1):
   * kept in the state so a resumed run rebuilds the same W and follows the same steps.
   */
  readonly w?: { readonly u: Float64Array; readonly v: Float64Array; readonly age: number }
}

/** Options of the Rosenbrock gradient flow. */
export interface RosenbrockFlowOptions {
  /** output times 0 < t_1 < t_2 < … (rows land on them exactly) */
  readonly times: ReadonlyArray<number>
  /** tolerances of the mixed absolute/relative error norm on w */
  readonly rtol: number
  readonly atol: number
  /** stop at the first accepted point with L ≤ tol·L(w0) (0: only the output times end a run) */
  readonly tol: number
  /** first step size (default 1, as the reference) */
  readonly h0?: number
  /** most tries (accepted + rejected) one advance may take (default 100 000) */
  readonly maxSteps?: number
  /** λ of the GD this flow stands in for (rows: gdIter = t/λ, gdStability = λσmax/N) */
  readonly gdLr?: number
  /**
   * The most steps one Gram assembly serves as W (default 1: a fresh W at every step). A
   * W-method keeps its order with any W, so W = G(w_m) of an earlier point m is allowed; the
   * stages then use J(w_m) in the Woodbury solve (one more feature evaluation per stage), W is
   * refreshed after a rejected step, and rows observe σmax of the W in use.
   */
  readonly gramReuse?: number
}

const FAC_MAX = 5
const FAC_MIN = 0.2
const SAFETY = 0.9

/** The same weights, by identity or by value (a checkpoint's copy of the state shares no arrays). */
function sameParams(a: Params, b: { readonly u: Float64Array; readonly v: Float64Array }): boolean {
  if (a.u === b.u && a.v === b.v) return true
  if (a.u.length !== b.u.length || a.v.length !== b.v.length) return false
  for (let i = 0; i < a.u.length; i++) if (a.u[i] !== b.u[i]) return false
  for (let i = 0; i < a.v.length; i++) if (a.v[i] !== b.v[i]) return false
  return true
}

/** A point of the integration: weights, residual and loss there (the kernels hold its features). */
interface Point {
  readonly params: Params
  readonly residual: Float64Array
  readonly loss: number
}

/** The gradient flow by ROS2 with the Gauss–Newton W, as an init/step pair of flow states. */
export function gradientFlowRosenbrock(options: RosenbrockFlowOptions): Method<FlowState> {
  const { times, rtol, atol } = options
  if (!(rtol > 0) || !(atol >= 0) || !(rtol < 1))
    throw new RangeError(`rosenbrock: need 0 < rtol < 1 and atol ≥ 0 (rtol = ${rtol}, atol = ${atol})`)
  for (let k = 0; k < times.length; k++)
    if (!(times[k] > (k === 0 ? 0 : times[k - 1])) || !Number.isFinite(times[k]))
      throw new RangeError(
        `gradient-flow: output times must be finite, > 0 and increasing (times[${k}] = ${times[k]})`
      )
  const maxSteps = options.maxSteps ?? 100_000
  const gramReuse = options.gramReuse ?? 1
  if (!(Number.isInteger(gramReuse) && gramReuse >= 1))
    throw new RangeError(`rosenbrock: gramReuse must be an integer ≥ 1, got ${gramReuse}`)
  const buffers = gnWorkspace()
  // A at `gramOf` (by identity): the Gram assembled to observe an output point is the first
  // step's from there, unless the run was resumed from a checkpoint (then it is rebuilt)
  let gramOf: Params | undefined

  /**
   * A at w (assembled unless it is the one in the buffer). The kernels hold the features of
   * `current`; they are switched to w's for the assembly and back.
   */
  const gramAt = (problem: Problem, w: Params, current: Params, count: () => void): Float64Array => {
    const work = buffers(problem.y.length)
    if (gramOf !== w) {
      if (w !== current) problem.kernels.setHidden(w.u)
      const a = ntkGram(problem.kernels, problem.net, w, work.a)
      if (a !== work.a) work.a.set(a) // a backend that returns a fresh array
      if (w !== current) problem.kernels.setHidden(current.u)
      gramOf = w
      count()
    }
    return work.a
  }

  /**
   * The numbers of an output point p: σmax(A) by Lanczos (O(N²) per iteration, no
   * factorization), of A at p — or of the W still in use when gramReuse > 1 — and the W
   * the next step starts from.
   */
  const observe = (
    problem: Problem,
    p: Params,
    w: Ros2State["w"],
    warm: SpectrumWarmStart,
    count: () => void
  ) => {
    const n = problem.y.length
    const keep = w !== undefined && w.age < gramReuse && !sameParams(p, w)
    const wParams = keep && gramOf !== undefined && gramOf.u === w.u ? gramOf : keep ? { u: w.u, v: w.v } : p
    const a = gramAt(problem, wParams, p, count)
    const routines = problem.kernels.linalg
    const max = lanczosLargest((x) => symmetricMatvec(a, n, x, routines), n, {
      start: warm.maxVector,
      routines
    })
    return {
      sigmaMax: max.value,
      warm: { ...warm, maxVector: max.vector },
      w: { u: wParams.u, v: wParams.v, age: keep ? w.age : 0 }
    }
  }

  const stateOf = (
    iter: number,
    point: Point,
    params0: Params,
    ode: Ros2State,
    sigmaMax: number,
    warm: SpectrumWarmStart,
    failure: string | undefined
  ): FlowState => ({
    iter,
    ...point,
    params0,
    t: ode.t,
    ode,
    pinvNorm: NaN,
    system: { sigmaMin: NaN, sigmaMax, cond: NaN, eps: undefined },
    warm,
    ...(options.gdLr === undefined ? {} : { gdLr: options.gdLr }),
    ...(failure === undefined ? {} : { failure })
  })

  return {
    id: "gradient-flow",
    init(problem, params0) {
      const base = initialState(problem, params0)
      let grams = 0
      const seen = observe(problem, base.params, undefined, {}, () => grams++)
      const ode: Ros2State = {
        scheme: "ros2",
        t: 0,
        h: options.h0 ?? 1,
        facMax: FAC_MAX,
        stopLoss: options.tol * base.loss,
        stats: { accepted: 0, rejected: 0, gramAssemblies: grams, factorizations: 0, featureEvaluations: 1 },
        w: seen.w
      }
      return stateOf(0, base, base.params0, ode, seen.sigmaMax, seen.warm, undefined)
    },
    step(problem, s) {
      if (s.iter >= times.length)
        throw new RangeError(`gradient-flow: no output time after t = ${s.t} (${times.length} output times)`)
      const start = s.ode
      if (!("scheme" in start)) throw new TypeError("gradient-flow (rosenbrock): a Dormand–Prince state")
      const run = advance(problem, s, start, times[s.iter])
      let stats = run.ode.stats
      const bump = () => (stats = { ...stats, gramAssemblies: stats.gramAssemblies + 1 })
      const seen =
        run.failure === undefined
          ? observe(problem, run.point.params, run.ode.w, s.warm, bump)
          : { sigmaMax: NaN, warm: s.warm, w: run.ode.w }
      const next = stateOf(
        s.iter + 1,
        run.point,
        s.params0,
        { ...run.ode, stats, ...(seen.w === undefined ? {} : { w: seen.w }) },
        seen.sigmaMax,
        seen.warm,
        run.failure
      )
      return {
        state: next,
        diagnostics: {
          sigmaMax: seen.sigmaMax,
          stepNorm: paramDistance(problem.net, next.params, s.params)
        }
      }
    },
    summarize(s): Readonly<Record<string, number | string | null>> {
      const o = s.ode
      if (!("scheme" in o)) return {}
      return {
        integrator: "rosenbrock",
        integratorSteps: o.stats.accepted,
        rejectedSteps: o.stats.rejected,
        gramAssemblies: o.stats.gramAssemblies,
        factorizations: o.stats.factorizations,
        featureEvaluations: o.stats.featureEvaluations,
        tFinal: o.t
      }
    }
  }

  /**
   * Integrate from `from` (at ode.t) to tOut, or to the first accepted point with
   * L ≤ ode.stopLoss. Returns the point reached (the kernels hold its features), the
   * integrator's state there, and a failure if it could not go on.
   */
  function advance(
    problem: Problem,
    from: Point,
    ode: Ros2State,
    tOut: number
  ): { point: Point; ode: Ros2State; failure?: string } {
    const { kernels, net } = problem
    const n = problem.y.length
    const uLength = from.params.u.length
    let { t, h, facMax } = ode
    let { accepted, rejected, gramAssemblies, factorizations, featureEvaluations } = ode.stats
    let point = from
    let tries = 0
    // W's point and age; a W of an earlier point serves until gramReuse steps or a rejection
    let wParams: Params =
      ode.w === undefined || sameParams(from.params, ode.w)
        ? from.params
        : gramOf !== undefined && gramOf.u === ode.w.u
          ? gramOf
          : { u: ode.w.u, v: ode.w.v }
    let wAge = ode.w?.age ?? 0
    let refresh = false
    const here = (failure?: string) => ({
      point,
      ode: {
        scheme: "ros2" as const,
        t,
        h,
        facMax,
        stopLoss: ode.stopLoss,
        stats: { accepted, rejected, gramAssemblies, factorizations, featureEvaluations },
        w: { u: wParams.u, v: wParams.v, age: wAge }
      },
      ...(failure === undefined ? {} : { failure })
    })
    const work = buffers(n)
    steps: while (t < tOut) {
      if (tries >= maxSteps) return here(`more than ${maxSteps} Rosenbrock steps before t = ${tOut}`)
      const p = point.params
      const y = flatten(p)
      if (refresh || wAge >= gramReuse) {
        wParams = p
        wAge = 0
      }
      refresh = false
      const a = gramAt(problem, wParams, p, () => gramAssemblies++)
      wAge++
      const stale = wParams !== p
      const wp = wParams
      // a stale W: k1 = F0 − J_W*(A_W + εI)⁻¹ J_W F0 with F0 = −(1/N) J* r at w_n
      const f0 = stale ? flatten(jacobianAdjointMul(kernels, net, p, point.residual)).map((x) => -x / n) : y
      // try steps from w_n until one is accepted (the Gram is reused by every try)
      for (;;) {
        tries++
        let hTry = h
        const clipped = t + hTry >= tOut * (1 - 1e-12)
        if (clipped) hTry = tOut - t
        if (!(hTry > 10 * Number.EPSILON * Math.max(1, t)))
          return here(`step size underflow at t = ${t} (h = ${hTry})`)
        let factor
        try {
          factor = factorDamped(
            a,
            n,
            n / (ros2Gamma * hTry),
            "rosenbrock stage",
            {},
            work.solve,
            problem.kernels.linalg
          )
        } catch (e) {
          if (e instanceof SingularSystem) return here(e.message)
          throw e
        }
        factorizations++
        const eps = factor.eps
        let k1: Float64Array
        if (!stale) {
          // k1 = −(ε/N) J*(A + εI)⁻¹ r
          k1 = flatten(jacobianAdjointMul(kernels, net, p, factor.solve(point.residual)))
          for (let i = 0; i < k1.length; i++) k1[i] *= -eps / n
        } else {
          kernels.setHidden(wp.u)
          featureEvaluations++
          const z = factor.solve(jacobianMul(kernels, net, wp, unflatten(f0, uLength)))
          const corr = flatten(jacobianAdjointMul(kernels, net, wp, z))
          k1 = f0.map((x, i) => x - corr[i])
        }
        // b = F(w_n + h k1) − 2 k1
        const w1 = new Float64Array(y.length)
        for (let i = 0; i < y.length; i++) w1[i] = y[i] + hTry * k1[i]
        const p1 = unflatten(w1, uLength)
        const e1 = evaluateAt(problem, p1)
        featureEvaluations++
        const b = flatten(jacobianAdjointMul(kernels, net, p1, e1.residual))
        for (let i = 0; i < b.length; i++) b[i] = -b[i] / n - 2 * k1[i]
        // back to W's features for the stage solve with J(w_W)
        kernels.setHidden(wp.u)
        featureEvaluations++
        let err = Infinity
        let wNew: Float64Array | undefined
        if (Number.isFinite(e1.loss)) {
          // k2 = b − J_W*(A_W + εI)⁻¹ J_W b
          const jb = jacobianMul(kernels, net, wp, unflatten(b, uLength))
          const k2 = b
          const corr = flatten(jacobianAdjointMul(kernels, net, wp, factor.solve(jb)))
          for (let i = 0; i < k2.length; i++) k2[i] -= corr[i]
          wNew = new Float64Array(y.length)
          let sum = 0
          for (let i = 0; i < y.length; i++) {
            wNew[i] = y[i] + hTry * (1.5 * k1[i] + 0.5 * k2[i])
            const e = 0.5 * hTry * (k1[i] + k2[i])
            const sc = atol + rtol * Math.max(Math.abs(y[i]), Math.abs(wNew[i]))
            sum += (e / sc) ** 2
          }
          err = Math.sqrt(sum / Math.max(1, y.length))
          if (!Number.isFinite(err)) err = Infinity
        }
        const fac = err > 0 ? SAFETY * err ** -0.5 : facMax
        if (err <= 1 && wNew !== undefined) {
          const params = unflatten(wNew, uLength)
          const e = evaluateAt(problem, params)
          featureEvaluations++
          point = { params, ...e }
          t = clipped ? tOut : t + hTry
          accepted++
          const hNew = hTry * Math.min(facMax, Math.max(FAC_MIN, fac))
          // a step shortened to land on tOut says little about the step size: keep the larger
          h = clipped ? Math.max(hNew, h) : hNew
          facMax = FAC_MAX
          break
        }
        rejected++
        h = hTry * Math.max(FAC_MIN, Math.min(1, fac))
        facMax = 1
        if (stale) {
          // a rejected step with an old W: retry from w_n with a fresh one
          kernels.setHidden(p.u)
          featureEvaluations++
          refresh = true
          continue steps
        }
        if (tries >= maxSteps) return here(`more than ${maxSteps} Rosenbrock steps before t = ${tOut}`)
      }
      if (!Number.isFinite(point.loss)) return here(`the loss is not finite at t = ${t}`)
      if (point.loss <= ode.stopLoss) break
    }
    return here()
  }
}
