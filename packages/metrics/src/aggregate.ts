/**
 * Trajectories of several seeds on one iteration grid, and their mean and 95% band.
 *
 * Alignment: every seed of a cell records the same log grid (iterations round(10^{k/r}),
 * schedule.ts), so the seeds' rows mostly fall on the same iterations. The grid used here is
 * the union of the seeds' recorded iterations; a seed's value at a grid iteration g is its
 * row at g when it has one, else the linear interpolation between its neighbouring rows
 * a < g < b in log-iteration (and in log-value for quantities drawn on log axes):
 *
 *   θ = (log g − log a) / (log b − log a),   y(g) = y_a^{1−θ} y_b^θ   (or (1−θ) y_a + θ y_b)
 *
 * (linear in g when a = 0). Interpolation only fills what one seed skipped and another has:
 * each seed's last row (runs stop at different iterations) and test-loss gaps
 * (`testPerDecade` < `recordPerDecade`).
 *
 * Runs stop at different iterations (GN converges after 180 updates on one seed, 200 on
 * another). With `carryForward` (the default) a run that stopped keeps its last value up to
 * the end of the longest run — its training is over and its weights stay where they are —
 * so the mean does not jump when one seed after another drops out. Without it a seed
 * contributes only up to its last row and `n` falls towards the end of a curve. The band
 * needs n ≥ 2.
 */
import { seedBand, type SeedBand } from "./stats.js"

/** One recorded value of a field at an iteration (null: not recorded there). */
export interface IterValue {
  readonly iter: number
  readonly value: number | null
}

/** The aggregate over seeds at one grid iteration. */
export interface BandPoint extends SeedBand {
  readonly iter: number
}

/** Clean one seed's series: finite values (positive with `logY`), sorted, the last row of a repeated iteration. */
export function cleanSeries(
  series: ReadonlyArray<IterValue>,
  logY: boolean
): Array<{ iter: number; value: number }> {
  const byIter = new Map<number, number>()
  for (const r of series)
    if (r.value !== null && Number.isFinite(r.value) && (!logY || r.value > 0) && r.iter >= 0)
      byIter.set(r.iter, r.value)
  return [...byIter.entries()].sort((p, q) => p[0] - q[0]).map(([iter, value]) => ({ iter, value }))
}

/**
 * The value of a cleaned series at iteration g (first ≤ g ≤ last), interpolated in
 * log-iteration (and log-value with `logY`) as described above; undefined outside its range.
 */
export function interpolateAt(
  series: ReadonlyArray<{ readonly iter: number; readonly value: number }>,
  g: number,
  logY: boolean
): number | undefined {
  const n = series.length
  if (n === 0 || g < series[0].iter || g > series[n - 1].iter) return undefined
  let lo = 0
  let hi = n - 1
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (series[mid].iter <= g) lo = mid
    else hi = mid
  }
  const a = series[lo]
  if (a.iter === g) return a.value
  const b = series[hi]
  if (b.iter === g) return b.value
  const theta =
    a.iter >= 1 ? Math.log(g / a.iter) / Math.log(b.iter / a.iter) : (g - a.iter) / (b.iter - a.iter)
  return logY ? a.value ** (1 - theta) * b.value ** theta : (1 - theta) * a.value + theta * b.value
}

/**
 * Mean and confidence band over seeds of one field along training: `series[s]` is seed s's
 * rows. Returns one point per grid iteration (the union of recorded iterations) with the
 * seeds that cover it; `logY` aggregates in log10 (geometric mean, see `seedBand`);
 * `carryForward` (default true) holds a stopped run at its last value (see above).
 */
export function aggregateTrajectories(
  series: ReadonlyArray<ReadonlyArray<IterValue>>,
  logY: boolean,
  options: { readonly level?: number; readonly carryForward?: boolean } = {}
): BandPoint[] {
  const level = options.level ?? 0.95
  const carry = options.carryForward ?? true
  const cleaned = series.map((s) => cleanSeries(s, logY)).filter((s) => s.length > 0)
  const grid = [...new Set(cleaned.flatMap((s) => s.map((r) => r.iter)))].sort((a, b) => a - b)
  return grid.map((iter) => {
    const values = cleaned.flatMap((s) => {
      const last = s[s.length - 1]
      const v = carry && iter > last.iter ? last.value : interpolateAt(s, iter, logY)
      return v === undefined ? [] : [v]
    })
    return { iter, ...seedBand(values, logY, level) }
  })
}
