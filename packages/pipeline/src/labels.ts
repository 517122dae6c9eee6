/**
 * Names of cells for people: the method's label, the swept values that tell the cell from the
 * others of its pipeline, and the seed — `GN N=40 activation=relu seed=1`. One function for
 * `plan`, the progress lines, events.jsonl, `status` and the report, so a cell reads the same
 * everywhere, and two cells never read the same.
 */
/** What naming a cell needs: the fields of a Cell, or of a row of a results folder's cells.json. */
export interface NameableCell {
  /** the method's label */
  readonly label: string
  /** the swept values of the cell, by path (model.initStd …) */
  readonly point: Readonly<Record<string, unknown>>
  readonly seed: number
  /** whether a swept path is a parameter of this cell's plugins (a flow has no method.lr); default yes */
  readonly has?: (path: string) => boolean
  /** the cell id, to tell apart what nothing else does */
  readonly id?: string
}

/** Short names of the parameters the old labels showed (the paper's symbols); others by their name. */
const symbols: Readonly<Record<string, string>> = {
  "dataset.nTrain": "N",
  "model.width": "M",
  "model.initStd": "τ0"
}

/** The short name of a swept path in a cell name: N, M, τ0, or the parameter's own name. */
export const pathSymbol = (path: string): string => symbols[path] ?? path.slice(path.lastIndexOf(".") + 1)

const valueText = (v: unknown): string =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : (JSON.stringify(v) ?? String(v))

// sweep values are numbers, strings and small lists: their JSON text tells them apart
const keyOf = (v: unknown): string => JSON.stringify(v) ?? String(v)

/**
 * The name of every cell, in order: label, then each swept path whose value differs between
 * the cells (an axis of one value tells nothing), then the seed. A path that is not a parameter
 * of a cell's plugins is left out of its name. Names that would still be equal get the id's
 * first characters.
 */
export function cellNames(cells: ReadonlyArray<NameableCell>): string[] {
  const values = new Map<string, Set<string>>()
  for (const c of cells)
    for (const [k, v] of Object.entries(c.point)) {
      let set = values.get(k)
      if (set === undefined) values.set(k, (set = new Set()))
      set.add(keyOf(v))
    }
  const varying = [...values].filter(([, vs]) => vs.size > 1).map(([k]) => k)
  const names = cells.map((c) =>
    [
      c.label,
      ...varying
        .filter((k) => k in c.point && (c.has?.(k) ?? true))
        .map((k) => `${pathSymbol(k)}=${valueText(c.point[k])}`),
      `seed=${c.seed}`
    ].join(" ")
  )
  const count = new Map<string, number>()
  for (const n of names) count.set(n, (count.get(n) ?? 0) + 1)
  return names.map((n, i) => {
    const id = cells[i].id
    return (count.get(n) ?? 0) > 1 && id !== undefined ? `${n} #${id.slice(0, 6)}` : n
  })
}
