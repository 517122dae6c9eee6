/** Errors of the result store, as tagged values. */
import { Data } from "effect"

/**
 * The results folder (or the cache) cannot be written: a full disk, a folder gone read-only.
 * `gnlab run` stops with this one line and exit code 1 when it is the folder's index; a single
 * cell that cannot be written is a failed cell instead, and the run goes on.
 */
export class ResultsUnwritable extends Data.TaggedError("ResultsUnwritable")<{
  readonly folder: string
  readonly problem: string
}> {
  override get message(): string {
    return `${this.folder}: ${this.problem}`
  }
}

/**
 * A results folder holds another pipeline's results: running this pipeline into it would
 * replace its index (pipeline.json, cells.json) and orphan its cells. Nothing was written.
 */
export class PipelineConflict extends Data.TaggedError("PipelineConflict")<{
  readonly folder: string
  readonly existing: string
  readonly incoming: string
}> {
  override get message(): string {
    return (
      `${this.folder} holds the results of pipeline "${this.existing}" (its pipeline.json); ` +
      `pipeline "${this.incoming}" would replace them: give it its own folder (--out results/${this.incoming}) — ` +
      `cells the two share are taken from the cache, not recomputed`
    )
  }
}
