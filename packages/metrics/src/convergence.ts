/**
 * Convergence of trajectories in a discretisation parameter (the number of particles M of the
 * mean-field quadrature): how far the loss trajectory of a cell is from a reference trajectory
 * (the largest M), and the order of that convergence.
 *
 * Two distances between a trajectory y and the reference r, over the iterations (or times)
 * k ≥ 1 that both record, up to the shorter run's end (rows one of them skipped are
 * interpolated in log-iteration and log-value, as in aggregate.ts):
 *
 *   log-rms   d = sqrt( mean_k (log10 y_k − log10 r_k)² )      (decades; the default)
 *   max-rel   d = max_k |y_k − r_k| / |r_k|
 *
 * log-rms weighs every recorded point of the log-spaced schedule alike, so the decades of a
 * loss that falls over ten orders of magnitude count equally; max-rel is the sup-norm
 * relative error, dominated by the late iterations where the losses are smallest.
 *
 * The order: d ≈ C · M^{−β} per seed, β fitted on log–log by `fitRate` (mean of per-seed
 * slopes with a t interval over seeds). Monte Carlo quadrature gives β ≈ 1/2; randomized
 * QMC is expected to do better.
 */
import { cleanSeries, interpolateAt, type IterValue } from "./aggregate.js"

/** A distance between two trajectories. */
export type TrajectoryDistance = "log-rms" | "max-rel"

/** The distances `trajectoryDistance` knows. */
export const trajectoryDistances: ReadonlyArray<TrajectoryDistance> = ["log-rms", "max-rel"]

/** Finite positive values after the initialisation (k > 0), sorted, the last of a repeated k. */
const positive = (series: ReadonlyArray<IterValue>) => cleanSeries(series, true).filter((r) => r.iter > 0)

/**
 * The distance (see the module comment) between trajectory `y` and reference `ref`, both
 * lists of (iteration or time, value). NaN when they share no point with k > 0.
 */
export function trajectoryDistance(
  y: ReadonlyArray<IterValue>,
  ref: ReadonlyArray<IterValue>,
  kind: TrajectoryDistance = "log-rms"
): number {
  const a = positive(y)
  const b = positive(ref)
  if (a.length === 0 || b.length === 0) return NaN
  const end = Math.min(a[a.length - 1].iter, b[b.length - 1].iter)
  const start = Math.max(a[0].iter, b[0].iter)
  const grid = [...new Set([...a, ...b].map((r) => r.iter))].filter((k) => k >= start && k <= end)
  let sum = 0
  let max = 0
  let n = 0
  for (const k of grid) {
    const u = interpolateAt(a, k, true)
    const v = interpolateAt(b, k, true)
    if (u === undefined || v === undefined) continue
    if (kind === "log-rms") sum += (Math.log10(u) - Math.log10(v)) ** 2
    else max = Math.max(max, Math.abs(u - v) / v)
    n++
  }
  if (n === 0) return NaN
  return kind === "log-rms" ? Math.sqrt(sum / n) : max
}
