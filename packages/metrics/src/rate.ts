/**
 * The statistical rate α (paper Fig. 3, Table 1): test loss ≈ C · N^{−α}, fitted by least
 * squares of log test loss against log N, per method.
 *
 * Method. For each seed s with at least two distinct N, fit
 *
 *   log10 L_{s,N} = c_s − α_s log10 N      (ordinary least squares over that seed's N's)
 *
 * and report α = mean_s α_s with the Student-t interval of the seeds' slopes,
 * α ± t_{0.975, S−1} · sd(α_s) / √S (S seeds). When every seed has the same N's (the
 * pipelines' design), mean_s α_s is exactly the pooled least-squares slope of all points.
 *
 * Why not the pooled regression's standard error: the points of one seed share the teacher,
 * the initial weights and nested training sets, so their residuals are correlated and the
 * usual SE (which treats all S × |N| points as independent) is too small. Why not a
 * bootstrap over seeds: with the 3–5 seeds of the pipelines there are only 10–126 distinct
 * resamples and percentile intervals under-cover. Seeds are the independent replicates; the
 * t interval on per-seed slopes uses exactly that independence, is exact when the per-seed
 * slopes are normal, and its coverage is checked by simulation in test/rate.test.ts.
 */
import { fitLine, meanInterval } from "./stats.js"

/** One final test loss: training-set size, loss, seed. */
export interface RatePoint {
  readonly n: number
  readonly loss: number
  readonly seed: number
}

/** One seed's fit. */
export interface SeedRate {
  readonly seed: number
  readonly alpha: number
  /** log10 C_s */
  readonly intercept: number
  readonly points: number
}

/** The rate of one method. */
export interface RateFit {
  /** mean of the per-seed rates α_s (= −slope of log10 L vs log10 N) */
  readonly alpha: number
  /** confidence interval of α (null with one seed) */
  readonly lo: number | null
  readonly hi: number | null
  /** mean of the per-seed log10 C_s: the fitted line is L = 10^intercept · N^{−α} */
  readonly intercept: number
  /** seeds with a fit */
  readonly seeds: number
  readonly perSeed: ReadonlyArray<SeedRate>
  /** the distinct N's used */
  readonly sizes: ReadonlyArray<number>
}

/**
 * Fit α from final test losses of several seeds (non-finite or non-positive losses, e.g.
 * diverged runs, are left out). Undefined when no seed has two distinct N's.
 */
export function fitRate(points: ReadonlyArray<RatePoint>, level = 0.95): RateFit | undefined {
  const ok = points.filter((p) => p.n > 0 && Number.isFinite(p.loss) && p.loss > 0)
  const bySeed = new Map<number, RatePoint[]>()
  for (const p of ok) bySeed.set(p.seed, [...(bySeed.get(p.seed) ?? []), p])
  const perSeed: SeedRate[] = []
  for (const [seed, ps] of [...bySeed.entries()].sort((a, b) => a[0] - b[0])) {
    if (new Set(ps.map((p) => p.n)).size < 2) continue
    const line = fitLine(
      ps.map((p) => Math.log10(p.n)),
      ps.map((p) => Math.log10(p.loss))
    )
    perSeed.push({ seed, alpha: -line.slope, intercept: line.intercept, points: ps.length })
  }
  if (perSeed.length === 0) return undefined
  const fitted = new Set(perSeed.map((s) => s.seed))
  const a = meanInterval(
    perSeed.map((s) => s.alpha),
    level
  )
  return {
    alpha: a.mean,
    lo: a.lo,
    hi: a.hi,
    intercept: perSeed.reduce((s, r) => s + r.intercept, 0) / perSeed.length,
    seeds: perSeed.length,
    perSeed,
    sizes: [...new Set(ok.filter((p) => fitted.has(p.seed)).map((p) => p.n))].sort((x, y) => x - y)
  }
}

/** Rates of Table 1 in the paper (τ0 = 1, M = 5 000), by method plugin id. */
export const paperRates: Readonly<Record<string, number>> = {
  rf: 0.46,
  gn: 1.76,
  gd: 2,
  // the gradient flow stands in for the paper's GD (its λ → 0 limit, run to the same tolerance)
  "gradient-flow": 2
}
