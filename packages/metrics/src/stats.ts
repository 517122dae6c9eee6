/**
 * Small-sample statistics for results over seeds: Student-t quantiles, the mean with its
 * confidence interval, and least-squares lines. Pure functions on plain arrays.
 */

/**
 * ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; |relative error| < 1e-14 on the range used here).
 */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
  ]
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x) // reflection
  const z = x - 1
  let s = c[0]
  for (let i = 1; i < 9; i++) s += c[i] / (z + i)
  const t = z + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s)
}

/**
 * The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), by the
 * continued fraction of Numerical Recipes §6.4 (modified Lentz), using the symmetry
 * I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x))
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a)
  const tiny = 1e-300
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  if (Math.abs(d) < tiny) d = tiny
  d = 1 / d
  let f = d
  for (let m = 1; m <= 500; m++) {
    // even step: d_{2m} = m (b − m) x / ((a + 2m − 1)(a + 2m))
    let num = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
    d = 1 + num * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + num / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    f *= d * c
    // odd step: d_{2m+1} = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
    num = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))
    d = 1 + num * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + num / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    f *= delta
    if (Math.abs(delta - 1) < 1e-15) break
  }
  return (front * f) / a
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom: 1 − ½ I_{df/(df+t²)}(df/2, ½) for t ≥ 0. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5)
  return t >= 0 ? 1 - tail : tail
}

/**
 * The p-quantile of Student's t with `df` > 0 degrees of freedom (bisection on the CDF to
 * machine precision). studentTQuantile(0.975, 1) = 12.706…, (0.975, 4) = 2.776…, → 1.960 as df → ∞.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN
  if (p === 0.5) return 0
  if (p < 0.5) return -studentTQuantile(1 - p, df)
  let lo = 0
  let hi = 1
  while (studentTCdf(hi, df) < p) hi *= 2
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = 0.5 * (lo + hi)
    if (studentTCdf(mid, df) < p) lo = mid
    else hi = mid
  }
  return 0.5 * (lo + hi)
}

/** The mean of values with a two-sided confidence interval. */
export interface MeanInterval {
  /** number of values */
  readonly n: number
  readonly mean: number
  /** sample standard deviation (n − 1 in the denominator); NaN when n < 2 */
  readonly sd: number
  /** the interval mean ± t_{(1+level)/2, n−1} · sd/√n; null when n < 2 */
  readonly lo: number | null
  readonly hi: number | null
}

/**
 * Mean and Student-t confidence interval of independent replicates (e.g. one value per seed):
 *
 *   x̄ = (1/n) Σ x_s,  s² = Σ (x_s − x̄)² / (n − 1),  x̄ ± t_{(1+level)/2, n−1} · s / √n
 *
 * exact when the replicates are i.i.d. normal, which is what the paper's 95% bands assume.
 */
export function meanInterval(values: ReadonlyArray<number>, level = 0.95): MeanInterval {
  const n = values.length
  if (n === 0) return { n, mean: NaN, sd: NaN, lo: null, hi: null }
  const mean = values.reduce((s, x) => s + x, 0) / n
  if (n < 2) return { n, mean, sd: NaN, lo: null, hi: null }
  const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1))
  const half = (studentTQuantile((1 + level) / 2, n - 1) * sd) / Math.sqrt(n)
  return { n, mean, sd, lo: mean - half, hi: mean + half }
}

/** An aggregate over seeds in the scale the value is plotted in. */
export interface SeedBand {
  readonly n: number
  /** arithmetic mean (linear) or geometric mean (log) */
  readonly center: number
  /** confidence bounds (null with fewer than 2 values) */
  readonly lo: number | null
  readonly hi: number | null
}

/**
 * Aggregate positive or signed values over seeds. With `log` (for quantities drawn on log
 * axes: losses, σ*), the interval is taken on log10 of the values and mapped back:
 *
 *   center = 10^{mean(log10 x)} (geometric mean),  [lo, hi] = 10^{mean ± t·sd/√n of log10 x}
 *
 * so the band stays positive and symmetric on the axis it is drawn on (a linear-space band
 * around a loss often crosses zero with 2–5 seeds). Non-finite values (and non-positive ones
 * with `log`) are dropped: they come from diverged runs, which the report lists separately.
 */
export function seedBand(values: ReadonlyArray<number>, log: boolean, level = 0.95): SeedBand {
  const ok = values.filter((x) => Number.isFinite(x) && (!log || x > 0))
  const m = meanInterval(log ? ok.map(Math.log10) : ok, level)
  const back = (x: number | null) => (x === null ? null : log ? 10 ** x : x)
  return { n: m.n, center: m.n === 0 ? NaN : back(m.mean)!, lo: back(m.lo), hi: back(m.hi) }
}

/** A least-squares line y ≈ intercept + slope · x. */
export interface LineFit {
  readonly slope: number
  readonly intercept: number
  /** number of points */
  readonly n: number
}

/**
 * Ordinary least squares: slope = Σ (x − x̄)(y − ȳ) / Σ (x − x̄)², intercept = ȳ − slope x̄.
 * NaN slope when the x's do not vary.
 */
export function fitLine(x: ReadonlyArray<number>, y: ReadonlyArray<number>): LineFit {
  const n = x.length
  const mx = x.reduce((s, v) => s + v, 0) / n
  const my = y.reduce((s, v) => s + v, 0) / n
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my)
    sxx += (x[i] - mx) ** 2
  }
  const slope = sxx > 0 ? sxy / sxx : NaN
  return { slope, intercept: my - slope * mx, n }
}
