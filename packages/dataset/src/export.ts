/**
 * Export a results folder's tables: `summaries.<ext>` and `trajectories.<ext>` (Parquet or
 * CSV), written by DuckDB's `COPY … TO` into temporary files in the output folder and renamed
 * into place, so a reader never sees a half-written file and a failed export leaves the
 * previous files as they were.
 */
import { Effect } from "effect"
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import { openResultsDb, quoteIdent, quoteString } from "./duckdb.js"
import { ExportFailed } from "./errors.js"
import type { ResultsFolder } from "./folder.js"
import { resultsTables } from "./results.js"

export const exportFormats = ["parquet", "csv"] as const
export type ExportFormat = (typeof exportFormats)[number]

/** A file the export wrote. */
export interface ExportedFile {
  readonly table: string
  readonly path: string
  readonly rows: number
}

/** The COPY options of a format: Parquet compressed with zstd; CSV with a header line. */
const copyOptions: Readonly<Record<ExportFormat, string>> = {
  parquet: "FORMAT parquet, COMPRESSION zstd",
  csv: "FORMAT csv, HEADER true"
}

/** Where `gnlab export DIR` writes by default. */
export const defaultExportDir = (folder: string): string => join(folder, "export")

/** Write the tables of `results` into `outDir` as `<table>.<format>`. */
export const exportResults = (
  results: ResultsFolder,
  outDir: string,
  format: ExportFormat
): Effect.Effect<ReadonlyArray<ExportedFile>, ExportFailed> =>
  Effect.gen(function* () {
    yield* Effect.try({
      try: () => {
        if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new Error("is a file, not a folder")
        mkdirSync(outDir, { recursive: true })
      },
      catch: (e) => new ExportFailed({ path: outDir, problem: (e as Error).message })
    })
    const tables = resultsTables(results)
    const db = yield* openResultsDb(tables).pipe(
      Effect.mapError((e) => new ExportFailed({ path: outDir, problem: e.problem }))
    )
    const tag = `.tmp-${process.pid}-${Date.now()}`
    const written = tables.map((t) => ({
      table: t.name,
      path: join(outDir, `${t.name}.${format}`),
      rows: t.rows.length
    }))
    const temps = written.map((w) => w.path + tag)
    yield* Effect.gen(function* () {
      for (const [i, w] of written.entries())
        yield* db
          .query(`COPY ${quoteIdent(w.table)} TO ${quoteString(temps[i])} (${copyOptions[format]})`)
          .pipe(Effect.mapError((e) => new ExportFailed({ path: w.path, problem: e.problem })))
      // both written: move them into place
      for (const [i, w] of written.entries())
        yield* Effect.try({
          try: () => renameSync(temps[i], w.path),
          catch: (e) => new ExportFailed({ path: w.path, problem: (e as Error).message })
        })
    }).pipe(Effect.ensuring(Effect.sync(() => temps.forEach((p) => rmSync(p, { force: true })))))
    return written
  }).pipe(Effect.scoped)
