/** A results folder's tables, and SQL over them. */
import { Effect } from "effect"
import { openResultsDb, type QueryResult } from "./duckdb.js"
import type { QueryFailed } from "./errors.js"
import type { ResultsFolder } from "./folder.js"
import { summariesTable, trajectoriesTable, type Table } from "./tables.js"

/** The tables `summaries` and `trajectories` of a results folder's done cells. */
export const resultsTables = (results: ResultsFolder): ReadonlyArray<Table> => [
  summariesTable(results.cells),
  trajectoriesTable(results.cells)
]

/** Run `sql` over the tables `summaries` and `trajectories` of `results` (in memory). */
export const queryResults = (results: ResultsFolder, sql: string): Effect.Effect<QueryResult, QueryFailed> =>
  Effect.gen(function* () {
    const db = yield* openResultsDb(resultsTables(results))
    return yield* db.query(sql)
  }).pipe(Effect.scoped)
