/**
 * A method plugin from outside the repository: gradient descent with heavy-ball momentum,
 *   v ← β v + J* g,  w ← w − λ v.
 * Its params are declared once; `create` receives them typed (p.lr: number, no casts).
 */
import { jacobianAdjointMul, paramNorm } from "@gnlab/models"
import { param } from "@gnlab/pipeline"
import {
  defineMethod,
  descend,
  evaluateAt,
  functionGradient,
  initialState,
  stoppingParams,
  type Method,
  type TrainState
} from "@gnlab/solvers"

/** The state of heavy-ball GD: the velocity rides along (checkpoints save it with the weights). */
interface MomentumState extends TrainState {
  readonly velocity: { readonly u: Float64Array; readonly v: Float64Array }
}

export const gdMomentum = defineMethod({
  id: "gd-momentum",
  description: "gradient descent with heavy-ball momentum: v ← βv + J*g, w ← w − λv",
  params: {
    lr: param.number({ exclusiveMinimum: 0, default: 5, description: "learning rate λ" }),
    beta: param.number({ minimum: 0, exclusiveMaximum: 1, default: 0.9, description: "momentum β" }),
    ...stoppingParams(10_000)
  },
  create(p) {
    const method: Method<MomentumState> = {
      id: "gd-momentum",
      init: (problem, params0) => {
        const s = initialState(problem, params0)
        return {
          ...s,
          velocity: { u: new Float64Array(s.params.u.length), v: new Float64Array(s.params.v.length) }
        }
      },
      step(problem, s) {
        const g = jacobianAdjointMul(problem.kernels, problem.net, s.params, functionGradient(s.residual))
        const velocity = {
          u: s.velocity.u.map((x, i) => p.beta * x + g.u[i]),
          v: s.velocity.v.map((x, i) => p.beta * x + g.v[i])
        }
        const params = descend(s.params, p.lr, velocity)
        const state = {
          iter: s.iter + 1,
          params,
          params0: s.params0,
          velocity,
          ...evaluateAt(problem, params)
        }
        return { state, diagnostics: { stepNorm: p.lr * paramNorm(problem.net, velocity.u, velocity.v) } }
      }
    }
    return {
      method: method as Method<TrainState>,
      rules: { tol: p.tol, maxIter: p.maxIter, divergenceFactor: p.divergenceFactor }
    }
  },
  // one feature pass per update, like GD, up to the cap (what `gnlab plan` estimates)
  cost: (p, c) => p.maxIter * c.featurePass,
  color: "#e377c2",
  // no Gram matrix is ever assembled (the frontier plot's cost axis)
  gramAssemblies: () => 0
})
