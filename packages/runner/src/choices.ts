/** "one of a, b, c" for a refused choice, with a suggestion when it is close to one. */
/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
  return d[a.length][b.length]
}

/** "one of a, b, c" plus a suggestion when `got` is close to one of them. */
export function oneOf(got: string, choices: ReadonlyArray<string>): string {
  const best = [...choices].sort((x, y) => editDistance(got, x) - editDistance(got, y))[0]
  const hint = best !== undefined && editDistance(got, best) <= 2 ? ` (did you mean "${best}"?)` : ""
  return `expected one of ${choices.join(", ")}, got "${got}"${hint}`
}
