/**
 * Stopping rules, written once for every method (optax's wrappers idea): relative loss
 * tolerance, iteration cap, divergence guard. A diverged run is a result, not an error.
 */

/**
 * Why a run ended. `failed`: the method could not go on for a numerical reason it names
 * (a damped system that no ε within rounding makes factorable, a flow's step size underflow);
 * the state is the last one reached. `diverged`: the loss grew past the guard or stopped
 * being finite.
 */
export type StopReason = "converged" | "maxIter" | "diverged" | "failed"

/** The rules a run stops on. */
export interface StopRules {
  /** stop when L ≤ tol · L(w0) (tol = 0 disables it) */
  readonly tol: number
  /** at most this many updates */
  readonly maxIter: number
  /** diverged when L is not finite or L > divergenceFactor · L(w0) */
  readonly divergenceFactor: number
}

/** The authors' defaults: tol 1e-8, divergence at 1e6 × the initial loss. */
export const defaultStopRules = (maxIter: number): StopRules => ({
  tol: 1e-8,
  maxIter,
  divergenceFactor: 1e6
})

/** `diverged` if the loss is not finite or exceeds factor × initial. */
export const guardDivergence = (loss: number, loss0: number, factor: number): StopReason | undefined =>
  !Number.isFinite(loss) || loss > factor * loss0 ? "diverged" : undefined

/** `converged` once L ≤ tol · L0 (never when tol = 0). */
export const untilRelativeLoss = (loss: number, loss0: number, tol: number): StopReason | undefined =>
  tol > 0 && loss <= tol * loss0 ? "converged" : undefined

/** `maxIter` once `iter` updates have been applied. */
export const capIterations = (iter: number, maxIter: number): StopReason | undefined =>
  iter >= maxIter ? "maxIter" : undefined

/** The first rule that fires, in the order failure, divergence, convergence, cap. */
export const stopReason = (
  iter: number,
  loss: number,
  loss0: number,
  rules: StopRules,
  failure?: string
): StopReason | undefined =>
  (failure !== undefined ? "failed" : undefined) ??
  guardDivergence(loss, loss0, rules.divergenceFactor) ??
  untilRelativeLoss(loss, loss0, rules.tol) ??
  capIterations(iter, rules.maxIter)
