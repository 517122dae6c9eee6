/**
 * `gnlab export RESULTS_DIR [--format parquet|csv] [--out DIR]`: the folder's tables,
 * `summaries.<ext>` (one row per done cell: its parameters as columns, then its summary) and
 * `trajectories.<ext>` (one row per recorded step), written atomically into DIR (default
 * RESULTS_DIR/export). Cells that are not done (failed, running, corrupt) are left out and
 * counted. Not a results folder, or a bad --format or --out: one line, exit code 2.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { relative } from "node:path"
import { InvalidArgument } from "../errors.js"
import { prepareOutFolder } from "../out-folder.js"
import { failed, loadDataset, refuse } from "./dataset.js"

const formats = ["parquet", "csv"] as const

/** A path as printed: relative to the working directory when under it. */
const shown = (p: string): string => {
  const r = relative(process.cwd(), p)
  return r.startsWith("..") || r === "" ? p : r
}

/** `gnlab export RESULTS_DIR` */
export const exportCommand = Command.make(
  "export",
  {
    results: Argument.String("results").pipe(
      Argument.withDescription("results folder (gnlab run's results/<name>, or gnlab train --out's folder)")
    ),
    format: Flag.String("format").pipe(
      Flag.withDescription("parquet (default) or csv"),
      Flag.withDefault("parquet")
    ),
    out: Flag.optional(
      Flag.String("out").pipe(Flag.withDescription("folder for the files (default RESULTS_DIR/export)"))
    )
  },
  (f) =>
    Effect.gen(function* () {
      const format = formats.find((x) => x === f.format)
      if (format === undefined)
        return yield* new InvalidArgument({
          field: "--format",
          problem: `must be parquet or csv, got ${JSON.stringify(f.format)}`
        })
      const lib = yield* loadDataset
      const results = yield* lib.readResults(f.results)
      const outDir = Option.getOrElse(f.out, () => lib.defaultExportDir(f.results))
      yield* prepareOutFolder("--out", outDir)
      const files = yield* lib.exportResults(results, outDir, format)
      for (const file of files) yield* Console.log(`${shown(file.path)}: ${file.rows} rows`)
      const left = lib.describeLeftOut(results)
      yield* Console.log(
        `exported ${results.cells.length} done cell${results.cells.length === 1 ? "" : "s"}` +
          (left !== undefined ? `; ${left}` : "")
      )
    }).pipe(
      Effect.catchTags({
        NotResultsFolder: (e) => refuse(e.message),
        ExportFailed: (e) => failed(`export failed: ${e.message}`)
      })
    )
).pipe(
  Command.withDescription(
    "Write a results folder's tables (summaries, trajectories) as Parquet or CSV, for pandas, polars or DuckDB"
  )
)
