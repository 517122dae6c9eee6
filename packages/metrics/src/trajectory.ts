/**
 * The per-step record of a run (`trajectory.jsonl`, one row per recorded step) and its
 * summary (`summary.json`). Field names are the public format: keep them stable.
 */

/** One recorded step. Quantities of the solved system describe the update that led here. */
export interface TrajectoryRow {
  /** updates applied so far */
  readonly iter: number
  readonly trainLoss: number
  /** test loss at this step; null where the test schedule skips it */
  readonly testLoss: number | null
  /** σ*(A), σmax(A), σmax/σ* and damping ε of the system solved in the last update (null for GD and row 0) */
  readonly sigmaMin: number | null
  readonly sigmaMax: number | null
  readonly cond: number | null
  readonly eps: number | null
  /** ‖g‖₂ with g = (f − y)/N, the gradient of L in function space */
  readonly gradNorm: number
  /** ‖w − w0‖ in the model's metric */
  readonly distInit: number
  /** ‖w_k − w_{k−1}‖ (null for row 0) */
  readonly stepNorm: number | null
  /** seconds since the start of training */
  readonly wallSeconds: number
  /**
   * Flows only (null or absent for the discrete methods): the flow time t of the row, and
   * a_t = ‖J_t†‖_F = sqrt(trace(A_t⁻¹)) (Props. 4–5). For a flow, sigmaMin…eps describe A_t
   * at this t (row 0 included) and stepNorm is ‖w(t_k) − w(t_{k−1})‖.
   */
  readonly t?: number | null
  readonly pinvNorm?: number | null
  /**
   * A gradient flow standing in for GD with step λ: the GD-equivalent update count t/λ, and
   * gdStability = λ σmax(A_t)/N — GD with that λ follows the flow only where it stays below 2.
   */
  readonly gdIter?: number | null
  readonly gdStability?: number | null
  /**
   * Feature learning (features.ts), when the run records them: mass-weighted cosine distance
   * of the hidden units to the nearest teacher unit and to their initial values, in [0, 2].
   */
  readonly teacherDistance?: number | null
  readonly initDistance?: number | null
}

/** Field order of a row (for tables and docs). */
export const trajectoryFields = [
  "iter",
  "trainLoss",
  "testLoss",
  "sigmaMin",
  "sigmaMax",
  "cond",
  "eps",
  "gradNorm",
  "distInit",
  "stepNorm",
  "wallSeconds",
  "t",
  "pinvNorm",
  "gdIter",
  "gdStability",
  "teacherDistance",
  "initDistance"
] as const

/** JSON has no Infinity/NaN: write them as null (a cond of a singular A is Infinity). */
export const finiteOrNull = (x: number | undefined): number | null =>
  x === undefined || !Number.isFinite(x) ? null : x

/** The summary of a finished run. */
export interface RunSummary {
  readonly config: Readonly<Record<string, unknown>>
  readonly iterations: number
  /** `failed`: the method could not go on for a numerical reason (see the summary's `failure`) */
  readonly stopReason: "converged" | "maxIter" | "diverged" | "failed"
  readonly initialTrainLoss: number
  readonly finalTrainLoss: number | null
  readonly finalTestLoss: number | null
  readonly initialTestLoss: number | null
  readonly wallSeconds: number
  readonly backend: string
  readonly gnlabVersion: string
}
