/**
 * @gnlab/dataset: a results folder as two tables — `summaries` (one row per done cell) and
 * `trajectories` (one row per recorded step) — exported to Parquet or CSV and queried with SQL,
 * both through an in-memory DuckDB; and the comparison of two results folders.
 */
export { compareResults, comparedMetrics, formatComparison } from "./compare.js"
export type { CellPair, CellRef, CompareOptions, Comparison, FolderSide, MetricDiff } from "./compare.js"
export { openResultsDb, quoteIdent, quoteString } from "./duckdb.js"
export type { QueryResult, ResultsDb, ResultValue } from "./duckdb.js"
export { ExportFailed, NotResultsFolder, QueryFailed } from "./errors.js"
export { defaultExportDir, exportFormats, exportResults } from "./export.js"
export type { ExportedFile, ExportFormat } from "./export.js"
export { describeLeftOut, readResults, readResultsFolder } from "./folder.js"
export type { DoneCell, LeftOut, ResultsFolder } from "./folder.js"
export { formatNumber, formatQueryResult, formatTable, formatValue, queryResultJson } from "./format.js"
export { queryResults, resultsTables } from "./results.js"
export { keyColumns, summariesTable, trajectoriesTable } from "./tables.js"
export type { Column, ColumnType, Scalar, Table } from "./tables.js"
