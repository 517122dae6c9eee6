/**
 * The tables in an in-memory DuckDB: `summaries` and `trajectories` loaded with DuckDB's
 * appender (typed columns, no temporary files), queried with SQL, written to Parquet or CSV
 * by DuckDB's own `COPY … TO`. The database lives in a Scope and is closed with it.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api"
import { Effect, type Scope } from "effect"
import { QueryFailed } from "./errors.js"
import type { Table } from "./tables.js"

/** A value of a query's result, as JSON would carry it. */
export type ResultValue = null | boolean | number | string | ResultValue[] | { [k: string]: ResultValue }

/** What a query returned. */
export interface QueryResult {
  readonly columns: ReadonlyArray<string>
  /** DuckDB's type of each column (DOUBLE, BIGINT, VARCHAR, …) */
  readonly types: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<ResultValue>>
}

/** An open in-memory database holding the tables. */
export interface ResultsDb {
  /** Run SQL (several statements: the last one's rows); DuckDB's message on failure. */
  readonly query: (sql: string) => Effect.Effect<QueryResult, QueryFailed>
}

/** A SQL identifier, quoted (column names have dots: `"model.width"`). */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`

/** A SQL string literal. */
export const quoteString = (s: string): string => `'${s.replaceAll("'", "''")}'`

/** DuckDB's message, without the "Error: " of the JS wrapper. */
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).trim()

/** A JS value DuckDB returned, as JSON carries it (bigints as numbers while exact, else text). */
function toResultValue(v: unknown): ResultValue {
  if (v === null || v === undefined) return null
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex")
  if (Array.isArray(v)) return v.map(toResultValue)
  if (typeof v === "object")
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toResultValue(x)])
    )
  return String(v)
}

const runSql = (conn: DuckDBConnection, sql: string): Effect.Effect<QueryResult, QueryFailed> =>
  Effect.tryPromise({
    try: async () => {
      const reader = await conn.runAndReadAll(sql)
      return {
        columns: reader.deduplicatedColumnNames(),
        types: reader.columnTypes().map((t) => t.toString()),
        rows: reader.getRowsJS().map((row) => row.map(toResultValue))
      }
    },
    catch: (e) => new QueryFailed({ sql, problem: messageOf(e) })
  })

/** Create `table` in the database and append its rows. */
async function load(conn: DuckDBConnection, table: Table): Promise<void> {
  const columns = table.columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ")
  await conn.run(`CREATE TABLE ${quoteIdent(table.name)} (${columns})`)
  const appender = await conn.createAppender(table.name)
  try {
    for (const row of table.rows) {
      for (const [i, v] of row.entries()) {
        if (v === null) appender.appendNull()
        else
          switch (table.columns[i].type) {
            case "BOOLEAN":
              appender.appendBoolean(v as boolean)
              break
            case "BIGINT":
              appender.appendBigInt(BigInt(v as number))
              break
            case "DOUBLE":
              appender.appendDouble(v as number)
              break
            case "VARCHAR":
              appender.appendVarchar(String(v))
          }
      }
      appender.endRow()
    }
    appender.flushSync()
  } finally {
    appender.closeSync()
  }
}

/**
 * An in-memory DuckDB holding `tables`, closed when the Scope ends. DuckDB runs on 2 threads:
 * the tables are small, and gnlab's cells may be computing beside it.
 */
export const openResultsDb = (
  tables: ReadonlyArray<Table>
): Effect.Effect<ResultsDb, QueryFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const instance = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => DuckDBInstance.create(":memory:", { threads: "2" }),
        catch: (e) => new QueryFailed({ sql: "", problem: `DuckDB did not start: ${messageOf(e)}` })
      }),
      (db) => Effect.sync(() => db.closeSync())
    )
    const conn = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => instance.connect(),
        catch: (e) => new QueryFailed({ sql: "", problem: `DuckDB did not connect: ${messageOf(e)}` })
      }),
      (c) => Effect.sync(() => c.closeSync())
    )
    for (const table of tables)
      yield* Effect.tryPromise({
        try: () => load(conn, table),
        catch: (e) => new QueryFailed({ sql: `load ${table.name}`, problem: messageOf(e) })
      })
    return { query: (sql: string) => runSql(conn, sql) }
  })
