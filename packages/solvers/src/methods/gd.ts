/**
 * Gradient descent (SPEC.md): w ← w − λ J* g, g = (f − y)/N, λ = 10 by default.
 */
import { jacobianAdjointMul, paramNorm } from "@gnlab/models"
import {
  descend,
  evaluateAt,
  functionGradient,
  initialState,
  type Method,
  type TrainState
} from "../problem.js"

/** Options of GD. */
export interface GdOptions {
  /** learning rate λ (default 10) */
  readonly lr: number
}

/** GD as an init/step pair. */
export function gd(options: GdOptions): Method<TrainState> {
  return {
    id: "gd",
    init: initialState,
    step(problem, s) {
      const dw = jacobianAdjointMul(problem.kernels, problem.net, s.params, functionGradient(s.residual))
      const params = descend(s.params, options.lr, dw)
      const state = { iter: s.iter + 1, params, params0: s.params0, ...evaluateAt(problem, params) }
      return { state, diagnostics: { stepNorm: options.lr * paramNorm(problem.net, dw.u, dw.v) } }
    }
  }
}
