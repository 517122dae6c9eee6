/** "Did you mean": the closest known name to an unknown one (Levenshtein distance). */

/** Edit distance between two strings (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]
}

/** The known name closest to `got` if it is within a third of its length (at least 2 edits), else undefined. */
export function closest(got: string, known: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const k of known) {
    const d = editDistance(got.toLowerCase(), k.toLowerCase())
    if (d < bestD) {
      best = k
      bestD = d
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(got.length / 3)) ? best : undefined
}

/** ` (did you mean "x"?)` or "". */
export const didYouMean = (got: string, known: Iterable<string>): string => {
  const c = closest(got, known)
  return c === undefined ? "" : ` (did you mean "${c}"?)`
}
