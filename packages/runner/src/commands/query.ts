/**
 * `gnlab query RESULTS_DIR "SQL" [--json]`: SQL (DuckDB's dialect) over the folder's tables
 * `summaries` and `trajectories`, built in memory from the folder as it is now (no export
 * needed); prints an aligned table, or the rows as JSON objects. Bad SQL or an unknown column:
 * DuckDB's message on one line, exit code 2.
 */
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { loadDataset, note, oneLine, refuse } from "./dataset.js"

/** An unquoted dotted column (`model.initStd`) reads as table.column in SQL: say how to write it. */
const dottedHint = (sql: string): string => {
  const unquoted = sql.replace(/"(?:[^"]|"")*"|'(?:[^']|'')*'/g, " ")
  const m = /\b(dataset|model|method|metrics|inputs)\.([A-Za-z_][\w.]*)/.exec(unquoted)
  return m === null ? "" : ` (columns with dots need double quotes: "${m[1]}.${m[2]}")`
}

/** `gnlab query RESULTS_DIR SQL` */
export const query = Command.make(
  "query",
  {
    results: Argument.String("results").pipe(
      Argument.withDescription("results folder (gnlab run's results/<name>, or gnlab train --out's folder)")
    ),
    sql: Argument.String("sql").pipe(
      Argument.withDescription(
        'SQL over the tables summaries and trajectories, e.g. "SELECT * FROM summaries"'
      )
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("print the rows as a JSON array of objects (exact values)"),
      Flag.withDefault(false)
    )
  },
  (f) =>
    Effect.gen(function* () {
      const lib = yield* loadDataset
      const results = yield* lib.readResults(f.results)
      const left = lib.describeLeftOut(results)
      if (left !== undefined) yield* note(left)
      const r = yield* lib.queryResults(results, f.sql)
      yield* Console.log(f.json ? lib.queryResultJson(r) : lib.formatQueryResult(r))
    }).pipe(
      Effect.catchTags({
        NotResultsFolder: (e) => refuse(e.message),
        QueryFailed: (e) => refuse(`query: ${oneLine(e.message)}${dottedHint(f.sql)}`)
      })
    )
).pipe(
  Command.withDescription(
    "Run SQL (DuckDB) over a results folder's tables summaries and trajectories; print a table or --json"
  )
)
