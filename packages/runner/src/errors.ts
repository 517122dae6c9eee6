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
