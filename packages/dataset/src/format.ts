/** Printing a query's result as an aligned text table. */
import type { QueryResult, ResultValue } from "./duckdb.js"

const needsExponent = (x: number): boolean => {
  const a = Math.abs(x)
  return Number.isFinite(x) && !Number.isInteger(x) && a !== 0 && (a < 1e-3 || a >= 1e6)
}

/**
 * A number as a table shows it: integers in full, others with 6 significant digits, or in
 * exponent form with 5 (`exponent`: the table uses it for every number of a column where one
 * value is below 1e-3 or from 1e6, so losses line up). `--json` gives the exact values.
 */
export function formatNumber(x: number, exponent = needsExponent(x)): string {
  if (!Number.isFinite(x)) return String(x)
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x)
  return exponent ? x.toExponential(4) : String(Number(x.toPrecision(6)))
}

/** A value as a table shows it (NULL for null). */
export function formatValue(v: ResultValue, exponent?: boolean): string {
  if (v === null) return "NULL"
  if (typeof v === "number") return formatNumber(v, exponent)
  if (typeof v === "string") return v
  return JSON.stringify(v)
}

const numericType =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/

/**
 * Columns aligned under their names (numbers to the right), a rule under the header, and a
 * last line counting the rows.
 */
export function formatTable(
  columns: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  rightAligned: ReadonlyArray<boolean> = []
): string {
  const widths = columns.map((c, j) => Math.max(c.length, ...rows.map((r) => r[j].length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((s, j) => (rightAligned[j] ? s.padStart(widths[j]) : s.padEnd(widths[j])))
      .join("  ")
      .trimEnd()
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

/** A query's result as text: the aligned table, then "(N rows)". */
export function formatQueryResult(r: QueryResult): string {
  const exponent = r.columns.map((_, j) =>
    r.rows.some((row) => typeof row[j] === "number" && needsExponent(row[j]))
  )
  const rows = r.rows.map((row) => row.map((v, j) => formatValue(v, exponent[j])))
  const right = r.types.map((t) => numericType.test(t))
  const count = `(${r.rows.length} row${r.rows.length === 1 ? "" : "s"})`
  return r.columns.length === 0 ? count : `${formatTable(r.columns, rows, right)}\n${count}`
}

/** A query's result as JSON: an array of objects, one per row (columns in order). */
export function queryResultJson(r: QueryResult): string {
  return JSON.stringify(
    r.rows.map((row) => Object.fromEntries(r.columns.map((c, j) => [c, row[j]]))),
    null,
    2
  )
}
