/** Errors of the command line, as tagged values. */
import { Data } from "effect"

/** A flag or file the user gave cannot be used; `field` names it, `problem` says what to fix. */
export class InvalidArgument extends Data.TaggedError("InvalidArgument")<{
  readonly field: string
  readonly problem: string
}> {
  override get message(): string {
    return `${this.field}: ${this.problem}`
  }
}

/**
 * The results folder cannot be written (a full disk, a folder gone read-only): the run stops
 * with this one line and exit code 1. A single cell that cannot be written is a failed cell
 * instead, and the run goes on.
 */
export class ResultsUnwritable extends Data.TaggedError("ResultsUnwritable")<{
  readonly folder: string
  readonly problem: string
}> {
  override get message(): string {
    return `${this.folder}: ${this.problem}`
  }
}
