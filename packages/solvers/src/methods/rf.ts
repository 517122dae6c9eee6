/**
 * Random features (SPEC.md): the hidden layer stays at its initial value; the first update
 * sets the last layer to the minimum-norm interpolant
 *     v = v0 + J_v* K⁺ (y − f0),   K = J_v J_v* = Φ diag(ω²/g) Φᵀ
 * (pseudo-inverse by eigendecomposition, eigenvalues below relCutoff·λmax dropped), and the
 * following updates are damped GN steps on v alone, v ← v − λ J_v* (K + εI)⁻¹ g, until the
 * stopping rule holds (λ = 100 as in the authors' code, ε = max(ε0, λmin(K))).
 */
import { choleskySolve, pinvSolveSymmetric } from "@gnlab/compute"
import { lastLayerAdjointMul, lastLayerGram } from "@gnlab/models"
import { dampingValue, type Damping } from "../damping.js"
import { factorDamped } from "../gn-direction.js"
import { evaluateAt, functionGradient, initialState, type Method, type TrainState } from "../problem.js"

/** Options of RF. */
export interface RfOptions {
  /** learning rate of the refinement steps (default 100) */
  readonly lr: number
  readonly damping: Damping
  /** relative eigenvalue cut-off of the pseudo-inverse (default 1e-10) */
  readonly relCutoff: number
}

/** RF's state: K's Cholesky factor (with damping) once the interpolant is computed. */
export interface RfState extends TrainState {
  readonly factor?: {
    readonly l: Float64Array
    readonly eps: number
    readonly sigmaMin: number
    readonly sigmaMax: number
  }
}

/** RF as an init/step pair. */
export function rf(options: RfOptions): Method<RfState> {
  return {
    id: "rf",
    init: initialState,
    step(problem, s) {
      const { kernels, net, y } = problem
      const n = y.length
      let factor = s.factor
      let dv: Float64Array
      let lr: number
      if (factor === undefined) {
        const k = lastLayerGram(kernels, net)
        const sol = pinvSolveSymmetric(
          k,
          n,
          s.residual.map((r) => -r),
          options.relCutoff,
          kernels.linalg
        )
        dv = lastLayerAdjointMul(kernels, net, sol.x).map((x) => -x)
        lr = 1
        const sigmaMin = Math.max(0, sol.lambdaMin)
        // K + εI by the shared rule (ε raised within rounding when K is singular, e.g. ε0 = 0
        // on duplicate points; SingularSystem otherwise)
        const damped = factorDamped(
          k,
          n,
          dampingValue(options.damping, sigmaMin),
          "rf",
          { sigmaMax: sol.lambdaMax },
          undefined,
          kernels.linalg
        )
        factor = { l: damped.l, eps: damped.eps, sigmaMin, sigmaMax: sol.lambdaMax }
      } else {
        dv = lastLayerAdjointMul(
          kernels,
          net,
          choleskySolve(factor.l, n, functionGradient(s.residual), kernels.linalg)
        )
        lr = options.lr
      }
      const v = s.params.v.map((x, i) => x - lr * dv[i])
      const params = { u: s.params.u, v }
      const state: RfState = {
        iter: s.iter + 1,
        params,
        params0: s.params0,
        ...evaluateAt(problem, params, false),
        factor
      }
      const stepNorm = lr * Math.sqrt(dv.reduce((acc, x, i) => acc + net.metric[i] * x * x, 0))
      return {
        state,
        diagnostics: {
          sigmaMin: factor.sigmaMin,
          sigmaMax: factor.sigmaMax,
          cond: factor.sigmaMin > 0 ? factor.sigmaMax / factor.sigmaMin : Infinity,
          eps: factor.eps,
          stepNorm
        }
      }
    }
  }
}
