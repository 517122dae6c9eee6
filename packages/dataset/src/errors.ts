/** Errors of reading, querying and exporting a results folder, as tagged values (one line each). */
import { Data } from "effect"

/** `folder` is missing, or is not a results folder of `gnlab run` or `gnlab train --out`. */
export class NotResultsFolder extends Data.TaggedError("NotResultsFolder")<{
  readonly folder: string
  readonly problem: string
}> {
  override get message(): string {
    return `${this.folder}: ${this.problem}`
  }
}

/** DuckDB refused a statement (bad SQL, an unknown column or table): its own message. */
export class QueryFailed extends Data.TaggedError("QueryFailed")<{
  readonly sql: string
  readonly problem: string
}> {
  override get message(): string {
    return this.problem
  }
}

/** The export could not be written (the output folder, DuckDB's COPY, the final rename). */
export class ExportFailed extends Data.TaggedError("ExportFailed")<{
  readonly path: string
  readonly problem: string
}> {
  override get message(): string {
    return `${this.path}: ${this.problem}`
  }
}
