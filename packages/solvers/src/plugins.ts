/**
 * Method plugins for pipelines: a method (init/step pair) and its stopping rules from
 * validated params. Defaults are the authors': λ = 10 (RF refinement 100), tol 1e-8,
 * ε = max(1e-7, σ*).
 */
import type { Damping } from "./damping.js"
import { gd } from "./methods/gd.js"
import { gn } from "./methods/gn.js"
import { rf } from "./methods/rf.js"
import {
  defaultFlowMuH,
  flowTimeGrid,
  gnFlow,
  gradientFlow,
  hessianChoices,
  type HessianChoice
} from "./methods/flows.js"
import { logScheduleUpTo } from "@gnlab/metrics"
import type { Method, TrainState } from "./problem.js"
import { gradientFlowRosenbrock } from "./rosenbrock.js"
import type { StopRules } from "./stopping.js"

/** A method plugin. */
export interface MethodPlugin {
  readonly kind: "method"
  readonly id: string
  readonly description: string
  readonly schema: { readonly [k: string]: unknown }
  /** The method and its stopping rules (params validated, defaults filled in; `problem.nTrain` = N). */
  create(
    params: Readonly<Record<string, unknown>>,
    problem: { readonly nTrain: number }
  ): {
    readonly method: Method<TrainState>
    readonly rules: StopRules
  }
}

const stopping = (maxIter: number) => ({
  tol: { type: "number", minimum: 0, default: 1e-8, description: "stop when L ≤ tol·L(w0); 0 disables" },
  maxIter: { type: "integer", minimum: 0, default: maxIter, description: "at most this many updates" },
  divergenceFactor: {
    type: "number",
    exclusiveMinimum: 1,
    default: 1e6,
    description: "diverged when L > factor·L(w0) or not finite"
  }
})

const damping = {
  damping: {
    enum: ["max-sigma-min", "fixed", "theory"],
    default: "max-sigma-min",
    description: "rule for ε"
  },
  eps0: { type: "number", minimum: 0, default: 1e-7, description: "floor ε0 of max(ε0, σ*)" },
  eps: { type: "number", exclusiveMinimum: 0, description: "ε of the fixed rule" },
  eta: {
    type: "number",
    exclusiveMinimum: 0,
    exclusiveMaximum: 1,
    default: 0.5,
    description: "η of the theory rule"
  },
  muH: { type: "number", exclusiveMinimum: 0, default: 1, description: "μ_H of the theory rule" }
}

/** The Damping value of validated params. */
export function dampingOf(p: Readonly<Record<string, unknown>>): Damping {
  switch (p.damping) {
    case "fixed":
      if (typeof p.eps !== "number") throw new Error("damping fixed needs eps")
      return { rule: "fixed", eps: p.eps }
    case "theory":
      return { rule: "theory", eta: p.eta as number, muH: p.muH as number }
    default:
      return { rule: "max-sigma-min", eps0: p.eps0 as number }
  }
}

const rulesOf = (p: Readonly<Record<string, unknown>>): StopRules => ({
  tol: p.tol as number,
  maxIter: p.maxIter as number,
  divergenceFactor: p.divergenceFactor as number
})

/** Gradient descent. */
export const gdPlugin: MethodPlugin = {
  kind: "method",
  id: "gd",
  description: "gradient descent w ← w − λ Jᵀ g",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: {
      lr: { type: "number", exclusiveMinimum: 0, default: 10, description: "learning rate λ" },
      ...stopping(100_000)
    }
  },
  create: (p) => ({ method: gd({ lr: p.lr as number }), rules: rulesOf(p) })
}

/** Regularised Gauss–Newton. */
export const gnPlugin: MethodPlugin = {
  kind: "method",
  id: "gn",
  description: "Gauss–Newton (A + εI) z = g, w ← w − λ Jᵀ z",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: {
      lr: { type: "number", exclusiveMinimum: 0, default: 10, description: "learning rate λ" },
      ...damping,
      ...stopping(10_000)
    }
  },
  create: (p) => ({ method: gn({ lr: p.lr as number, damping: dampingOf(p) }), rules: rulesOf(p) })
}

/** Random features. */
export const rfPlugin: MethodPlugin = {
  kind: "method",
  id: "rf",
  description: "random features: min-norm last layer (pseudo-inverse), then GN steps on the last layer",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: {
      lr: {
        type: "number",
        exclusiveMinimum: 0,
        default: 100,
        description: "learning rate of the refinement steps"
      },
      relCutoff: {
        type: "number",
        exclusiveMinimum: 0,
        default: 1e-10,
        description: "relative eigenvalue cut-off of the pseudo-inverse"
      },
      ...damping,
      ...stopping(1_000)
    }
  },
  create: (p) => ({
    method: rf({ lr: p.lr as number, damping: dampingOf(p), relCutoff: p.relCutoff as number }),
    rules: rulesOf(p)
  })
}

const flowParams = {
  tEnd: { type: "number", exclusiveMinimum: 0, description: "final time t_end of the flow" },
  perDecade: {
    type: "number",
    exclusiveMinimum: 0,
    // billions of output times are a V8 fatal error, not a slow run
    maximum: 1000,
    default: 20,
    description: "output times per decade (4 decades below t_end, then t_end)"
  },
  odeRtol: {
    type: "number",
    exclusiveMinimum: 0,
    default: 1e-7,
    description: "relative tolerance of the Dormand–Prince 5(4) integrator (atol = 1e-3·rtol)"
  },
  tol: { type: "number", minimum: 0, default: 1e-8, description: "stop when L ≤ tol·L(w0); 0 disables" },
  divergenceFactor: {
    type: "number",
    exclusiveMinimum: 1,
    default: 1e6,
    description: "diverged when L > factor·L(w0) or not finite"
  }
}

/** Flow output grid and stopping: one "iteration" per output time, the cap at t_end. */
const flowSetup = (p: Readonly<Record<string, unknown>>) => {
  const times = flowTimeGrid(p.tEnd as number, p.perDecade as number, 4)
  const rtol = p.odeRtol as number
  return {
    times,
    ode: { rtol, atol: 1e-3 * rtol },
    rules: { tol: p.tol as number, maxIter: times.length, divergenceFactor: p.divergenceFactor as number }
  }
}

/** The generalized GN flow of eq. 3. */
export const gnFlowPlugin: MethodPlugin = {
  kind: "method",
  id: "gn-flow",
  description: "generalized GN flow ẇ = −J*(JJ* + εH⁻¹)⁻¹H⁻¹∇L (eq. 3), adaptive Dormand–Prince 5(4)",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["tEnd"],
    properties: {
      ...flowParams,
      hessian: {
        enum: [...hessianChoices],
        default: "loss",
        description: "H = ∇²L = I/N (loss) or I (identity)"
      },
      ...damping,
      damping: {
        enum: ["max-sigma-min", "fixed", "theory"],
        default: "theory",
        description: "rule for ε (default: the theory's ((1−η)/η) μ_H σ*)"
      },
      muH: {
        type: "number",
        exclusiveMinimum: 0,
        description: "μ_H of the theory rule (default λ_min(H): 1/N for H = ∇²L, 1 for H = I)"
      }
    }
  },
  create(p, { nTrain }) {
    const { times, ode, rules } = flowSetup(p)
    const hessian = p.hessian as HessianChoice
    const muH = typeof p.muH === "number" ? p.muH : defaultFlowMuH(hessian, nTrain)
    return { method: gnFlow({ times, ode, hessian, damping: dampingOf({ ...p, muH }) }), rules }
  }
}

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
export const gradientFlowPlugin: MethodPlugin = {
  kind: "method",
  id: "gradient-flow",
  description:
    "gradient flow ẇ = −J*∇L (GD's λ → 0 limit): adaptive Dormand–Prince 5(4), or Rosenbrock–W (ROS2 with the GN Hessian as W, one damped GN solve per stage)",
  schema: {
    type: "object",
    additionalProperties: false,
    // a horizon: tEnd or gdSteps (Rosenbrock defaults to gdSteps = 10⁸ and stops at tol, as GD)
    if: { properties: { integrator: { const: "rosenbrock" } }, required: ["integrator"] },
    else: { anyOf: [{ required: ["tEnd"] }, { required: ["gdSteps"] }] },
    properties: {
      ...flowParams,
      tEnd: {
        type: "number",
        exclusiveMinimum: 0,
        maximum: 1e15,
        description: "final time t_end of the flow (or give gdSteps)"
      },
      integrator: {
        enum: ["dopri5", "rosenbrock"],
        default: "dopri5",
        description:
          "dopri5: explicit, odeRtol (as many steps as the flow is stiff); rosenbrock: linearly implicit ROS2 with W = GN Hessian, rtol/atol (steps grow far past GD's)"
      },
      lr: {
        type: "number",
        exclusiveMinimum: 0,
        maximum: 1e6,
        default: 10,
        description: "λ of the GD the flow stands in for: rows record t/λ and gdStability = λσmax(A)/N"
      },
      gdSteps: {
        type: "integer",
        minimum: 1,
        maximum: 1e12,
        description:
          "end at t = λ·gdSteps (what GD with step λ reaches after that many updates), rows at t = λk on GD's log schedule (rosenbrock default: 1e8)"
      },
      rtol: {
        type: "number",
        exclusiveMinimum: 0,
        exclusiveMaximum: 1,
        default: 1e-4,
        description: "rosenbrock: relative tolerance of the error norm on w"
      },
      atol: {
        type: "number",
        minimum: 0,
        maximum: 1,
        description: "rosenbrock: absolute tolerance of the error norm on w (default: rtol)"
      },
      gramReuse: {
        type: "integer",
        minimum: 1,
        maximum: 1000,
        default: 1,
        description:
          "rosenbrock: the most steps one Gram assembly serves as W (refreshed after a rejection); 1 = a fresh W every step"
      }
    }
  },
  create(p) {
    const lr = p.lr as number
    const perDecade = p.perDecade as number
    const gdSteps =
      typeof p.gdSteps === "number"
        ? p.gdSteps
        : typeof p.tEnd === "number"
          ? undefined
          : defaultRosenbrockGdSteps
    const times =
      gdSteps !== undefined
        ? gdTimeGrid(lr, gdSteps, perDecade)
        : flowTimeGrid(p.tEnd as number, perDecade, 4)
    const rules = {
      tol: p.tol as number,
      maxIter: times.length,
      divergenceFactor: p.divergenceFactor as number
    }
    if (p.integrator === "rosenbrock") {
      const rtol = p.rtol as number
      const atol = typeof p.atol === "number" ? p.atol : rtol
      const gramReuse = p.gramReuse as number
      return {
        method: gradientFlowRosenbrock({ times, rtol, atol, tol: rules.tol, gdLr: lr, gramReuse }),
        rules
      }
    }
    const rtol = p.odeRtol as number
    return { method: gradientFlow({ times, ode: { rtol, atol: 1e-3 * rtol }, gdLr: lr }), rules }
  }
}

/** The method plugins of this package. */
export const methodPlugins: ReadonlyArray<MethodPlugin> = [
  gdPlugin,
  gnPlugin,
  rfPlugin,
  gnFlowPlugin,
  gradientFlowPlugin
]
