/**
 * Which iterations a trajectory records: every update up to 10, then a log-spaced grid of
 * about `perDecade` points per decade (iterations round(10^(k/perDecade))), and always the
 * last one (the caller adds it). The same grid as the authors' and the reference's logs.
 */

/** True when `iter` is on the log grid with `perDecade` points per decade. */
export function onLogSchedule(iter: number, perDecade = 20): boolean {
  if (iter <= 10) return true
  if (perDecade <= 0) return false
  const k = Math.round(perDecade * Math.log10(iter))
  for (let j = k - 1; j <= k + 1; j++) if (Math.round(10 ** (j / perDecade)) === iter) return true
  return false
}

/** The iterations ≤ maxIter on the grid (for tests and plotting). */
export function logScheduleUpTo(maxIter: number, perDecade = 20): number[] {
  const out: number[] = []
  for (let i = 0; i <= Math.min(maxIter, 10); i++) out.push(i)
  for (let k = Math.ceil(perDecade); ; k++) {
    const it = Math.round(10 ** (k / perDecade))
    if (it > maxIter) break
    if (it > 10 && it !== out[out.length - 1]) out.push(it)
  }
  return out
}
