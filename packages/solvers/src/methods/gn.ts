/**
 * Regularised Gauss–Newton (SPEC.md): solve (A + ε I) z = g, then w ← w − λ J* z, with
 * A = J J* the NTK Gram matrix at the current weights and ε from a damping rule.
 * A Cholesky solve plus a warm-started Lanczos estimate of σ*(A) and σmax(A) replace the
 * authors' full SVD per step (same step, far less work). The direction J*(A + εI)⁻¹g and what
 * happens when A + εI cannot be factored are gn-direction.ts's, shared with the other methods.
 */
import { extremeEigenvalues } from "@gnlab/compute"
import { ntkGram, paramNorm } from "@gnlab/models"
import { dampingValue, type Damping } from "../damping.js"
import { factorDamped, gnDirection, type SolveWork } from "../gn-direction.js"
import {
  descend,
  evaluateAt,
  functionGradient,
  initialState,
  type Method,
  type TrainState
} from "../problem.js"

/** Options of GN. */
export interface GnOptions {
  /** learning rate λ (default 10) */
  readonly lr: number
  readonly damping: Damping
}

/** GN's state: the common state plus the eigenvectors that warm-start the next Lanczos. */
export interface GnState extends TrainState {
  readonly warm: { readonly minVector?: Float64Array; readonly maxVector?: Float64Array }
}

/** The N × N buffers of one GN system: A, the Cholesky factor for σ*, and the damped solve's. */
export interface GnWork {
  readonly a: Float64Array
  readonly spectrum: Float64Array
  readonly solve: SolveWork
}

/**
 * `buffers(n)` → the N × N buffers of a GN system, allocated on first use (and when N changes)
 * and then reused, so a loop of GN steps or GN-flow velocities does not allocate N × N arrays.
 * Nothing a step returns may refer to them; results are bit-for-bit those of fresh arrays.
 */
export function gnWorkspace(): (n: number) => GnWork {
  let work: GnWork | undefined
  return (n) => {
    if (work === undefined || work.a.length !== n * n) {
      const f = () => new Float64Array(n * n)
      work = { a: f(), spectrum: f(), solve: { shifted: f(), factor: f() } }
    }
    return work
  }
}

/** GN as an init/step pair (its N × N arrays in a `gnWorkspace`, one per method object). */
export function gn(options: GnOptions): Method<GnState> {
  const buffers = gnWorkspace()
  return {
    id: "gn",
    init: (problem, params0) => ({ ...initialState(problem, params0), warm: {} }),
    step(problem, s) {
      const { kernels, net } = problem
      const n = s.residual.length
      const w = buffers(n)
      const a = ntkGram(kernels, net, s.params, w.a)
      const spectrum = extremeEigenvalues(a, n, s.warm, w.spectrum, kernels.linalg)
      const factor = factorDamped(
        a,
        n,
        dampingValue(options.damping, spectrum.sigmaMin),
        "gn",
        spectrum,
        w.solve,
        kernels.linalg
      )
      const eps = factor.eps
      const dw = gnDirection(kernels, net, s.params, factor, functionGradient(s.residual))
      const params = descend(s.params, options.lr, dw)
      const state: GnState = {
        iter: s.iter + 1,
        params,
        params0: s.params0,
        ...evaluateAt(problem, params),
        warm: { minVector: spectrum.minVector, maxVector: spectrum.maxVector }
      }
      return {
        state,
        diagnostics: {
          sigmaMin: spectrum.sigmaMin,
          sigmaMax: spectrum.sigmaMax,
          cond: spectrum.cond,
          eps,
          stepNorm: options.lr * paramNorm(net, dw.u, dw.v)
        }
      }
    }
  }
}
