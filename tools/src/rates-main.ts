/**
 * `npm run -s rates -- FILE.csv [FILE.csv …] [--cores 2] [--seeds 5] [--json]`: Table 1 (the rate α per
 * method, with its 95% interval over seeds) and the cells' cost, from the `summaries.csv` of one
 * or more `gnlab export --format csv` runs.
 *
 * Why a tool over exported files and not `gnlab report`: a pipeline whose cells take longer than
 * one sitting (Table 1 at the paper's sizes is ≈ 7 h of CPU here) is run in parts, on machines
 * that do not keep their results folders; the parts' summaries are kept (docs/data/) and combined
 * here. A cell id in two files is counted once (ids are content hashes: the same id is the same
 * computation); a seed enters a method's fit only when it has every N that method has in the
 * data, so a half-finished seed cannot tilt α. α and its interval are @gnlab/metrics' `fitRate`,
 * the same as the report's rate table.
 *
 * Cost: the sum of the cells' wall seconds per method, and the makespan of those cells on
 * `--cores` workers scheduled longest first (what `gnlab run --concurrency K` approaches when
 * each cell runs on one core), so runs made in parts still say how long one run would take.
 */
import { DuckDBInstance } from "@duckdb/node-api"
import { fitRate, paperRates, type RateFit } from "@gnlab/metrics"
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { parseArgs } from "node:util"

/** One finished cell of a summaries table. */
export interface RateCell {
  readonly cellId: string
  readonly label: string
  readonly method: string
  readonly seed: number
  readonly n: number
  readonly finalTestLoss: number
  readonly wallSeconds: number
}

/** One method's row of the table. */
export interface RateRowOut {
  readonly label: string
  readonly method: string
  readonly fit: RateFit | undefined
  /** seeds left out because they lack some N of this method */
  readonly partialSeeds: ReadonlyArray<number>
  readonly paper: number | undefined
  readonly cells: number
  readonly cellSeconds: number
}

/** Longest-first schedule of `durations` on `cores` workers: when the last one finishes. */
export function makespan(durations: ReadonlyArray<number>, cores: number): number {
  const load = new Array<number>(cores).fill(0)
  for (const d of [...durations].sort((a, b) => b - a)) {
    let k = 0
    for (let i = 1; i < cores; i++) if (load[i] < load[k]) k = i
    load[k] += d
  }
  return Math.max(...load)
}

/** Each cell once: a cell id met in several files is the same computation. */
export const uniqueCells = (cells: ReadonlyArray<RateCell>): RateCell[] => [
  ...new Map(cells.map((c) => [c.cellId, c])).values()
]

const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)

/**
 * The cost of the whole table when every (label, N) has `seeds` cells, each taking the mean
 * seconds of that (label, N)'s cells in `unique` (each cell once): total cell seconds and the
 * longest-first makespan on `cores` — the estimate for a table measured only in part.
 */
function projectedCost(
  unique: ReadonlyArray<RateCell>,
  seeds: number,
  cores: number
): { cellSeconds: number; makespanSeconds: number } {
  const groups = new Map<string, number[]>()
  for (const c of unique) {
    const key = JSON.stringify([c.label, c.n])
    const seconds = groups.get(key) ?? []
    seconds.push(c.wallSeconds)
    groups.set(key, seconds)
  }
  const durations = [...groups.values()].flatMap((v) => new Array<number>(seeds).fill(sum(v) / v.length))
  return { cellSeconds: sum(durations), makespanSeconds: makespan(durations, cores) }
}

/** The rows of Table 1 in the order the labels first appear (cells counted once per id). */
export function rateRows(cells: ReadonlyArray<RateCell>): RateRowOut[] {
  const unique = uniqueCells(cells)
  const labels = [...new Set(unique.map((c) => c.label))]
  return labels.map((label) => {
    const mine = unique.filter((c) => c.label === label)
    const sizes = new Set(mine.map((c) => c.n))
    const bySeed = new Map<number, RateCell[]>()
    for (const c of mine) bySeed.set(c.seed, [...(bySeed.get(c.seed) ?? []), c])
    const complete = [...bySeed].filter(([, cs]) => new Set(cs.map((c) => c.n)).size === sizes.size)
    const partialSeeds = [...bySeed.keys()]
      .filter((s) => !complete.some(([k]) => k === s))
      .sort((a, b) => a - b)
    const fit = fitRate(
      complete.flatMap(([, cs]) => cs.map((c) => ({ n: c.n, loss: c.finalTestLoss, seed: c.seed })))
    )
    return {
      label,
      method: mine[0].method,
      fit,
      partialSeeds,
      paper: paperRates[mine[0].method],
      cells: mine.length,
      cellSeconds: sum(mine.map((c) => c.wallSeconds))
    }
  })
}

const REQUIRED = [
  "cellId",
  "label",
  "method",
  "seed",
  "dataset.nTrain",
  "finalTestLoss",
  "wallSeconds",
  "stopReason"
]

/** Read the finished cells of summaries CSV files (`gnlab export --format csv`). */
export async function readSummaries(files: ReadonlyArray<string>): Promise<RateCell[]> {
  const db = await DuckDBInstance.create(":memory:")
  const conn = await db.connect()
  try {
    const cells: RateCell[] = []
    for (const file of files) {
      const quoted = `'${file.replaceAll("'", "''")}'`
      const reader = await conn.runAndReadAll(`SELECT * FROM read_csv(${quoted}, header = true)`)
      const columns = reader.columnNames()
      const missing = REQUIRED.filter((c) => !columns.includes(c))
      if (missing.length > 0)
        throw new Error(
          `${file}: no column ${missing.map((c) => `"${c}"`).join(", ")} — pass the summaries.csv of \`gnlab export DIR --format csv\``
        )
      const at = (name: string) => columns.indexOf(name)
      for (const row of reader.getRowsJS()) {
        const stopReason = String(row[at("stopReason")])
        if (stopReason !== "converged" && stopReason !== "maxIter") continue
        cells.push({
          cellId: String(row[at("cellId")]),
          label: String(row[at("label")]),
          method: String(row[at("method")]),
          seed: Number(row[at("seed")]),
          n: Number(row[at("dataset.nTrain")]),
          finalTestLoss: Number(row[at("finalTestLoss")]),
          wallSeconds: Number(row[at("wallSeconds")])
        })
      }
    }
    return cells
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}

const hours = (s: number) => `${(s / 3600).toFixed(2)} h`

/** What the cells in the data cost, and (with `seeds`) what the whole table would. */
export interface Cost {
  readonly cells: number
  readonly cellSeconds: number
  readonly cores: number
  readonly makespanSeconds: number
  readonly projected?: {
    readonly seeds: number
    readonly cellSeconds: number
    readonly makespanSeconds: number
  }
}

/** The cost of `cells` (each once) on `cores`, and its projection to `seeds` seeds when given. */
export function cost(cells: ReadonlyArray<RateCell>, cores: number, seeds?: number): Cost {
  const unique = uniqueCells(cells)
  const seconds = unique.map((c) => c.wallSeconds)
  return {
    cells: seconds.length,
    cellSeconds: sum(seconds),
    cores,
    makespanSeconds: makespan(seconds, cores),
    ...(seeds === undefined ? {} : { projected: { seeds, ...projectedCost(unique, seeds, cores) } })
  }
}

/** Table 1 and the cost as Markdown. */
export function formatRates(rows: ReadonlyArray<RateRowOut>, c: Cost): string {
  const lines = [
    "| method | α | 95% CI | seeds | N | paper α | cells | cell time |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |"
  ]
  for (const r of rows) {
    const f = r.fit
    const ci =
      f === undefined ? "—" : f.lo === null ? "— (one seed)" : `[${f.lo.toFixed(2)}, ${f.hi!.toFixed(2)}]`
    const seeds =
      f === undefined
        ? "0"
        : `${f.seeds}${r.partialSeeds.length > 0 ? ` (+${r.partialSeeds.join(", ")} partial, left out)` : ""}`
    lines.push(
      `| ${r.label} | ${f === undefined ? "—" : f.alpha.toFixed(2)} | ${ci} | ${seeds} | ${f === undefined ? "—" : f.sizes.join(", ")} | ${r.paper === undefined ? "—" : r.paper.toFixed(2)} | ${r.cells} | ${hours(r.cellSeconds)} |`
    )
  }
  const on = `on ${c.cores} core${c.cores === 1 ? "" : "s"} (one cell per core, longest first)`
  lines.push("", `${c.cells} cells, ${hours(c.cellSeconds)} of cell time; ${on}: ${hours(c.makespanSeconds)}`)
  if (c.projected !== undefined)
    lines.push(
      `with ${c.projected.seeds} seeds of every (method, N) at its mean cell time: ${hours(c.projected.cellSeconds)} of cell time; ${on}: ${hours(c.projected.makespanSeconds)}`
    )
  return lines.join("\n")
}

/** One line naming the problem, exit 2 — no stack trace. */
function usage(message: string): never {
  process.stderr.write(
    `rates: ${message}\n(npm run -s rates -- docs/data/table1-flow/*.csv --cores 2 --seeds 5)\n`
  )
  process.exit(2)
}

async function main(): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        cores: { type: "string", default: "2" },
        seeds: { type: "string" },
        json: { type: "boolean", default: false }
      }
    })
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e))
  }
  const cores = Number(parsed.values.cores)
  if (!(Number.isInteger(cores) && cores >= 1))
    usage(`--cores: expected a positive integer, got ${parsed.values.cores}`)
  const seeds = parsed.values.seeds === undefined ? undefined : Number(parsed.values.seeds)
  if (seeds !== undefined && !(Number.isInteger(seeds) && seeds >= 1))
    usage(`--seeds: expected a positive integer (the pipeline's seed count), got ${parsed.values.seeds}`)
  if (parsed.positionals.length === 0) usage("no summaries.csv given")
  // `npm run rates` runs in tools/: relative paths are the caller's, npm passes its folder as INIT_CWD
  const files = parsed.positionals.map((f) => resolve(process.env.INIT_CWD ?? process.cwd(), f))
  for (const [i, f] of files.entries()) if (!existsSync(f)) usage(`${parsed.positionals[i]}: no such file`)
  let cells: RateCell[]
  try {
    cells = await readSummaries(files)
  } catch (e) {
    usage(e instanceof Error ? e.message.split("\n")[0] : String(e))
  }
  const rows = rateRows(cells)
  const c = cost(cells, cores, seeds)
  process.stdout.write(
    parsed.values.json ? `${JSON.stringify({ rows, cost: c }, null, 2)}\n` : `${formatRates(rows, c)}\n`
  )
}

if (process.argv[1]?.endsWith("rates-main.ts")) await main()
