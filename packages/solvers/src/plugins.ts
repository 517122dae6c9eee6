/**
 * Method plugins for pipelines: a method (init/step pair) and its stopping rules from
 * validated params. Defaults are the authors': λ = 10 (RF refinement 100), tol 1e-8,
 * ε = max(1e-7, σ*).
 */
import {
  param,
  paramsSchema,
  type Infer,
  type JsonSchema,
  type ParamDecls,
  type ParamProblem
} from "@gnlab/pipeline"
import type { Damping } from "./damping.js"
import { gd } from "./methods/gd.js"
import { gn } from "./methods/gn.js"
import { rf } from "./methods/rf.js"
import { defaultFlowMuH, flowTimeGrid, gnFlow, gradientFlow, hessianChoices } from "./methods/flows.js"
import { logScheduleUpTo } from "@gnlab/metrics"
import type { Method, TrainState } from "./problem.js"
import { gradientFlowRosenbrock } from "./rosenbrock.js"
import type { StopRules } from "./stopping.js"

/**
 * What a method's cost estimate (`gnlab plan`) may use: the cell's sizes, the CPU kernels'
 * speeds (flop/s) and the seconds of the common passes at those speeds.
 */
export interface CostContext {
  readonly nTrain: number
  readonly width: number
  readonly nTest: number
  /** input dimension with the bias column */
  readonly dim: number
  readonly speeds: { readonly gram: number; readonly factor: number; readonly features: number }
  /** seconds of one pass of features and products with J, J* (≈ 3·N·M·D flop) */
  readonly featurePass: number
  /** seconds of one GN step: the Gram 2N²M, a Cholesky 2·N³/3, one feature pass */
  readonly gnStep: number
  /** rows the trajectory records (≈ 10 + 20 per decade of the update cap) */
  readonly rows: number
}

/** A method plugin (params validated, defaults filled in, by the time its functions see them). */
export interface MethodPlugin {
  readonly kind: "method"
  readonly id: string
  readonly description: string
  readonly params: ParamDecls
  readonly schema: JsonSchema
  /** The method and its stopping rules (`problem.nTrain` = N). */
  create(
    params: Readonly<Record<string, unknown>>,
    problem: { readonly nTrain: number }
  ): {
    readonly method: Method<TrainState>
    readonly rules: StopRules
  }
  /** rough seconds of a cell on the CPU, test evaluations excluded (default: `maxIter` feature passes) */
  cost?(params: Readonly<Record<string, unknown>>, c: CostContext): number
  /** problems of schema-valid params (validate reports each at params/<param>) */
  readonly check?: (params: Readonly<Record<string, unknown>>) => ReadonlyArray<ParamProblem>
  /** what it holds in memory beyond the N × M features (default: no Gram, 8 weight vectors) */
  readonly memory?: MethodMemory
  /** its colour in every figure (default: the report's palette) */
  readonly color?: string
  /**
   * Gram assemblies of a finished cell whose summary does not record them (the frontier's
   * cost axis), from the summary's iterations; undefined: unknown.
   */
  gramAssemblies?(iterations: number): number | undefined
  /** the rate η of a proved bound L(t) ≤ L(0)·e^{−2ηt}, when the params give one (the curves plot draws it) */
  decayRate?(params: Readonly<Record<string, unknown>>): number | undefined
}

/** Memory a method needs beyond the data and two N × M feature arrays. */
export interface MethodMemory {
  /** it assembles and factors the N × N Gram matrix A (and a scaled N × M copy) */
  readonly gram?: boolean
  /** copies of the weight vector it holds (a flow's Dormand–Prince stages: 16) */
  readonly weightCopies?: number
}

/** A method plugin as written: its functions get the params typed from the declaration. */
export interface MethodDeclaration<P extends ParamDecls> {
  readonly id: string
  readonly description: string
  readonly params: P
  /** object-level schema rules beyond the per-param ones (e.g. if/then) */
  readonly rules?: JsonSchema
  create(
    params: Infer<P>,
    problem: { readonly nTrain: number }
  ): { readonly method: Method<TrainState>; readonly rules: StopRules }
  cost?(params: Infer<P>, c: CostContext): number
  readonly memory?: MethodMemory
  readonly color?: string
  gramAssemblies?(iterations: number): number | undefined
  decayRate?(params: Infer<P>): number | undefined
  /** problems of valid params (defaults filled in) that the schema cannot say, e.g. params that exclude each other */
  check?(params: Infer<P>): ReadonlyArray<ParamProblem>
}

/** Declare a method plugin: its schema is derived from `params`. */
export const defineMethod = <const P extends ParamDecls>(d: MethodDeclaration<P>): MethodPlugin => ({
  kind: "method",
  ...d,
  // validate calls it with params its schema accepted, i.e. an Infer<P>
  check: d.check as ((params: Readonly<Record<string, unknown>>) => ReadonlyArray<ParamProblem>) | undefined,
  schema: paramsSchema(d.params, d.rules)
})

/** The stopping params of the discrete methods (with the method's update cap). */
export const stoppingParams = <const K extends number>(maxIter: K) => ({
  tol: param.number({ minimum: 0, default: 1e-8, description: "stop when L ≤ tol·L(w0); 0 disables" }),
  maxIter: param.integer({
    minimum: 0,
    default: maxIter,
    unit: "updates",
    description: "at most this many updates"
  }),
  divergenceFactor: param.number({
    exclusiveMinimum: 1,
    default: 1e6,
    description: "diverged when L > factor·L(w0) or not finite"
  })
})

const dampingRules = ["max-sigma-min", "fixed", "theory"] as const

/** The damping params of GN-like methods (ε of A + εI). */
export const dampingParams = {
  damping: param.literal(dampingRules, { default: "max-sigma-min", description: "rule for ε" }),
  eps0: param.number({ minimum: 0, default: 1e-7, description: "floor ε0 of max(ε0, σ*)" }),
  eps: param.number({ exclusiveMinimum: 0, description: "ε of the fixed rule" }),
  eta: param.number({
    exclusiveMinimum: 0,
    exclusiveMaximum: 1,
    default: 0.5,
    description: "η of the theory rule"
  }),
  muH: param.number({ exclusiveMinimum: 0, default: 1, description: "μ_H of the theory rule", flag: "mu-h" })
}

/** The damping params once resolved (`muH` may be left to the method's own default). */
export interface DampingParams {
  readonly damping: (typeof dampingRules)[number]
  readonly eps0: number
  readonly eps?: number
  readonly eta: number
  readonly muH?: number
}

/** The Damping value of validated params. */
export function dampingOf(p: DampingParams): Damping {
  switch (p.damping) {
    case "fixed":
      if (p.eps === undefined) throw new Error("damping fixed needs eps")
      return { rule: "fixed", eps: p.eps }
    case "theory":
      return { rule: "theory", eta: p.eta, muH: p.muH ?? 1 }
    default:
      return { rule: "max-sigma-min", eps0: p.eps0 }
  }
}

const rulesOf = (p: { tol: number; maxIter: number; divergenceFactor: number }): StopRules => ({
  tol: p.tol,
  maxIter: p.maxIter,
  divergenceFactor: p.divergenceFactor
})

/** Gradient descent. */
export const gdPlugin = defineMethod({
  id: "gd",
  description: "gradient descent w ← w − λ Jᵀ g",
  params: {
    lr: param.number({ exclusiveMinimum: 0, default: 10, description: "learning rate λ" }),
    ...stoppingParams(100_000)
  },
  create: (p) => ({ method: gd({ lr: p.lr }), rules: rulesOf(p) }),
  // every step one feature pass, all the way to its cap (GD rarely reaches tol)
  cost: (p, c) => p.maxIter * c.featurePass,
  color: "#1f77b4",
  gramAssemblies: () => 0
})

/** Regularised Gauss–Newton. */
export const gnPlugin = defineMethod({
  id: "gn",
  description: "Gauss–Newton (A + εI) z = g, w ← w − λ Jᵀ z",
  params: {
    lr: param.number({ exclusiveMinimum: 0, default: 10, description: "learning rate λ" }),
    ...dampingParams,
    ...stoppingParams(10_000)
  },
  create: (p) => ({ method: gn({ lr: p.lr, damping: dampingOf(p) }), rules: rulesOf(p) }),
  cost(p, c) {
    // the paper's damping: ≈ 0.92·N·(10/λ) updates to tol 1e-8 (91, 456, 916 at N = 100, 500,
    // 1 000 with λ = 10, M = 5 000, τ0 = 1: pipelines/paper/table1-flow.json); a fixed ε well
    // above σ* turns GN into a preconditioned GD that runs to its cap (docs/frontier.md)
    const updates =
      p.damping === "fixed" ? p.maxIter : Math.min(p.maxIter, Math.max(50, (9.2 * c.nTrain) / p.lr))
    return updates * c.gnStep
  },
  memory: { gram: true },
  color: "#d62728",
  // one Gram A = JJᵀ per update
  gramAssemblies: (iterations) => iterations
})

/** Random features. */
export const rfPlugin = defineMethod({
  id: "rf",
  description: "random features: min-norm last layer (pseudo-inverse), then GN steps on the last layer",
  params: {
    lr: param.number({
      exclusiveMinimum: 0,
      default: 100,
      description: "learning rate of the refinement steps"
    }),
    relCutoff: param.number({
      exclusiveMinimum: 0,
      default: 1e-10,
      flag: "rf-cutoff",
      description: "relative eigenvalue cut-off of the pseudo-inverse"
    }),
    ...dampingParams,
    ...stoppingParams(1_000)
  },
  create: (p) => ({
    method: rf({ lr: p.lr, damping: dampingOf(p), relCutoff: p.relCutoff }),
    rules: rulesOf(p)
  }),
  // ≈ one N³ eigendecomposition and one last-layer Gram
  cost: (_, c) => (10 * c.nTrain ** 3) / c.speeds.factor + (c.nTrain * c.nTrain * c.width) / c.speeds.gram,
  memory: { gram: true },
  color: "#2ca02c",
  // the last layer's Gram, once, for its min-norm solve and refinement
  gramAssemblies: () => 1
})

const flowParams = {
  tEnd: param.number({ exclusiveMinimum: 0, unit: "flow time", description: "final time t_end of the flow" }),
  perDecade: param.number({
    exclusiveMinimum: 0,
    // billions of output times are a V8 fatal error, not a slow run
    maximum: 1000,
    default: 20,
    unit: "points per decade",
    description: "output times per decade (4 decades below t_end, then t_end)"
  }),
  odeRtol: param.number({
    exclusiveMinimum: 0,
    default: 1e-7,
    description: "relative tolerance of the Dormand–Prince 5(4) integrator (atol = 1e-3·rtol)"
  }),
  tol: param.number({ minimum: 0, default: 1e-8, description: "stop when L ≤ tol·L(w0); 0 disables" }),
  divergenceFactor: param.number({
    exclusiveMinimum: 1,
    default: 1e6,
    description: "diverged when L > factor·L(w0) or not finite"
  })
}

/** The generalized GN flow of eq. 3. */
export const gnFlowPlugin = defineMethod({
  id: "gn-flow",
  description: "generalized GN flow ẇ = −J*(JJ* + εH⁻¹)⁻¹H⁻¹∇L (eq. 3), adaptive Dormand–Prince 5(4)",
  params: {
    ...flowParams,
    tEnd: param.number({
      exclusiveMinimum: 0,
      required: true,
      unit: "flow time",
      description: "final time t_end of the flow"
    }),
    hessian: param.literal(hessianChoices, {
      default: "loss",
      description: "H = ∇²L = I/N (loss) or I (identity)"
    }),
    ...dampingParams,
    damping: param.literal(dampingRules, {
      default: "theory",
      description: "rule for ε (default: the theory's ((1−η)/η) μ_H σ*)"
    }),
    muH: param.number({
      exclusiveMinimum: 0,
      flag: "mu-h",
      description: "μ_H of the theory rule (default λ_min(H): 1/N for H = ∇²L, 1 for H = I)"
    })
  },
  create(p, { nTrain }) {
    // flow output grid and stopping: one "iteration" per output time, the cap at t_end
    const times = flowTimeGrid(p.tEnd, p.perDecade, 4)
    const rules = { tol: p.tol, maxIter: times.length, divergenceFactor: p.divergenceFactor }
    const ode = { rtol: p.odeRtol, atol: 1e-3 * p.odeRtol }
    const muH = p.muH ?? defaultFlowMuH(p.hessian, nTrain)
    return { method: gnFlow({ times, ode, hessian: p.hessian, damping: dampingOf({ ...p, muH }) }), rules }
  },
  // ≈ 2 000 GN-sized steps (measured on pipelines/theory/flows.json; stiff flows take more)
  cost: (_, c) => 2000 * c.gnStep,
  memory: { gram: true, weightCopies: 16 },
  color: "#9467bd",
  // Prop. 3: with the theory damping the loss decays at least as e^{−2ηt}
  decayRate: (p) => (p.damping === "theory" ? p.eta : undefined)
})

/**
 * The output times of a flow that stands in for GD with step λ capped at K updates: t = λk for
 * k on GD's own log schedule (so its rows sit at the iterations GD's rows would), then λK.
 */
export function gdTimeGrid(lr: number, gdSteps: number, perDecade: number): number[] {
  const ks = logScheduleUpTo(gdSteps, perDecade).filter((k) => k > 0)
  if (ks[ks.length - 1] !== gdSteps) ks.push(gdSteps)
  return ks.map((k) => lr * k)
}

/** The horizon of a Rosenbrock gradient flow given neither tEnd nor gdSteps: t = λ·10⁸ (10× the paper's GD cap). */
export const defaultRosenbrockGdSteps = 1e8

/** The gradient flow ẇ = −J*∇L. */
export const gradientFlowPlugin = defineMethod({
  id: "gradient-flow",
  description:
    "gradient flow ẇ = −J*∇L (GD's λ → 0 limit): adaptive Dormand–Prince 5(4), or Rosenbrock–W (ROS2 with the GN Hessian as W, one damped GN solve per stage)",
  params: {
    ...flowParams,
    tEnd: param.number({
      exclusiveMinimum: 0,
      maximum: 1e15,
      unit: "flow time",
      description: "final time t_end of the flow (or give gdSteps)"
    }),
    integrator: param.literal(["dopri5", "rosenbrock"], {
      default: "dopri5",
      description:
        "dopri5: explicit, odeRtol (as many steps as the flow is stiff); rosenbrock: linearly implicit ROS2 with W = GN Hessian, rtol/atol (steps grow far past GD's)"
    }),
    lr: param.number({
      exclusiveMinimum: 0,
      maximum: 1e6,
      default: 10,
      description: "λ of the GD the flow stands in for: rows record t/λ and gdStability = λσmax(A)/N"
    }),
    gdSteps: param.integer({
      minimum: 1,
      maximum: 1e12,
      description:
        "end at t = λ·gdSteps (what GD with step λ reaches after that many updates), rows at t = λk on GD's log schedule (rosenbrock default: 1e8)"
    }),
    rtol: param.number({
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 1e-4,
      description: "rosenbrock: relative tolerance of the error norm on w"
    }),
    atol: param.number({
      minimum: 0,
      maximum: 1,
      description: "rosenbrock: absolute tolerance of the error norm on w (default: rtol)"
    }),
    gramReuse: param.integer({
      minimum: 1,
      maximum: 1000,
      default: 1,
      description:
        "rosenbrock: the most steps one Gram assembly serves as W (refreshed after a rejection); 1 = a fresh W every step"
    })
  },
  // a horizon: tEnd or gdSteps (Rosenbrock defaults to gdSteps = 10⁸ and stops at tol, as GD)
  rules: {
    if: { properties: { integrator: { const: "rosenbrock" } }, required: ["integrator"] },
    else: { anyOf: [{ required: ["tEnd"] }, { required: ["gdSteps"] }] }
  },
  // params that would be silently ignored: two horizons, or the Rosenbrock tolerance with dopri5
  check: (p) => [
    ...(p.tEnd !== undefined && p.gdSteps !== undefined
      ? [
          {
            param: "gdSteps",
            expected: "either tEnd or gdSteps (each sets the horizon), not both",
            found: `both (tEnd = ${String(p.tEnd)}, gdSteps = ${String(p.gdSteps)})`
          }
        ]
      : []),
    ...(p.integrator !== "rosenbrock" && p.atol !== undefined
      ? [
          {
            param: "atol",
            expected: 'atol only with integrator "rosenbrock" (dopri5 takes odeRtol)',
            found: `atol = ${String(p.atol)} with integrator "${String(p.integrator)}"`
          }
        ]
      : [])
  ],
  create(p) {
    // a horizon tEnd, else t = λ·gdSteps (rosenbrock's default gdSteps: 10⁸); validate checked one is given
    const times =
      p.tEnd !== undefined && p.gdSteps === undefined
        ? flowTimeGrid(p.tEnd, p.perDecade, 4)
        : gdTimeGrid(p.lr, p.gdSteps ?? defaultRosenbrockGdSteps, p.perDecade)
    const rules = { tol: p.tol, maxIter: times.length, divergenceFactor: p.divergenceFactor }
    if (p.integrator === "rosenbrock") {
      const atol = p.atol ?? p.rtol
      return {
        method: gradientFlowRosenbrock({
          times,
          rtol: p.rtol,
          atol,
          tol: rules.tol,
          gdLr: p.lr,
          gramReuse: p.gramReuse
        }),
        rules
      }
    }
    return {
      method: gradientFlow({ times, ode: { rtol: p.odeRtol, atol: 1e-3 * p.odeRtol }, gdLr: p.lr }),
      rules
    }
  },
  cost(p, c) {
    // Dormand–Prince ≈ 20 000 GD steps (right-hand sides with σ* and output rows, measured on
    // pipelines/theory/flows.json; the adaptive solver decides: stiff flows, large τ0, take more)
    if (p.integrator !== "rosenbrock") return 20000 * c.featurePass
    // ROS2: one Gram, one factorization and ~4 feature passes per step; ~100 steps at
    // rtol 1e-3, ×10^0.47 per decade of rtol (measured at N = 20…2 000, τ0 ≤ 1, docs/flows.md),
    // plus the steps clipped to land on the output rows
    const steps = 100 * (1e-3 / p.rtol) ** 0.47 + c.rows / 2
    return steps * (c.gnStep + c.featurePass)
  },
  memory: { weightCopies: 16 },
  color: "#8c564b"
})

/** The method plugins of this package. */
export const methodPlugins: ReadonlyArray<MethodPlugin> = [
  // the first is `gnlab train`'s default method
  gnPlugin,
  gdPlugin,
  rfPlugin,
  gnFlowPlugin,
  gradientFlowPlugin
]
