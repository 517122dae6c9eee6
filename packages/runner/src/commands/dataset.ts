/**
 * What `gnlab export`, `query` and `compare` share: @gnlab/dataset (DuckDB, a native module)
 * loaded when one of them runs, not at every `gnlab` start, and their one-line errors.
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"

/** @gnlab/dataset, imported on demand. */
export const loadDataset = Effect.tryPromise({
  try: () => import("@gnlab/dataset"),
  catch: (e) =>
    new InvalidArgument({
      field: "@gnlab/dataset",
      problem: `cannot be loaded here (${(e as Error).message.split("\n")[0]}): DuckDB (@duckdb/node-api) needs the project's node_modules installed by npm ci on this platform`
    })
})

/** A refusal of the invocation: one line on stderr, exit code 2 (nothing was written). */
export const refuse = (message: string) =>
  Effect.sync(() => {
    process.stderr.write(`gnlab: ${message}\n`)
    process.exitCode = 2
  })

/** A failure of the command itself (a write that failed): one line on stderr, exit code 1. */
export const failed = (message: string) =>
  Effect.sync(() => {
    process.stderr.write(`gnlab: ${message}\n`)
    process.exitCode = 1
  })

/** A note on stderr (stdout stays the table or the JSON). */
export const note = (message: string) => Effect.sync(() => void process.stderr.write(`note: ${message}\n`))

/** DuckDB's message on one line: its lines joined, the caret line dropped. */
export const oneLine = (message: string): string =>
  message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^\^+$/.test(l))
    .join(" — ")
