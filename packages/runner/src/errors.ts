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
 * The results folder (or the cache) cannot be written: the store's error, re-exported (main.ts
 * matches its tag: one line, exit code 1).
 */
export { ResultsUnwritable } from "@gnlab/store"
