/**
 * The `gnlab` command line (effect/cli). Bad flags or files end with one line on stderr
 * naming the problem and exit code 2, before anything is written.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Cause, Effect, Runtime } from "effect"
import { CliOutput, Command } from "effect/cli"
import { plan, plugins, run, schema, validate } from "./commands/pipeline.js"
import { backends } from "./commands/backends.js"
import { compare } from "./commands/compare.js"
import { exportCommand } from "./commands/export.js"
import { query } from "./commands/query.js"
import { report } from "./commands/report.js"
import { status } from "./commands/status.js"
import { submit } from "./commands/submit.js"
import { makeTrain } from "./commands/train.js"
import { InvalidArgument } from "./errors.js"
import { pluginPath, splitPluginFlags, usePluginFiles } from "./plugin-files.js"
import { gnlabVersion } from "./version.js"

/** The command tree (built once the plugins are known). */
const gnlabCommand = () =>
  Command.make("gnlab").pipe(
    Command.withDescription("Gauss–Newton vs gradient descent on over-parameterized networks"),
    Command.withSubcommands([
      makeTrain(),
      backends,
      validate,
      plan,
      run,
      submit,
      status,
      report,
      plugins,
      schema,
      exportCommand,
      query,
      compare
    ])
  )

/** Exit code of invalid input. */
const EXIT_USAGE = 2

// A parse error prints one line on stderr, not the whole help page.
const presenter: CliOutput.Presenter = {
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Effect.sync(
          () =>
            void process.stderr.write(
              `gnlab: ${event.errors.map((e) => e.message.trim().replace(/\s*\n\s*/g, " ")).join("; ")}\n`
            )
        )
      : CliOutput.defaultPresenter.present(event)
}

// --debug (anywhere on the line) prints the stack of an unexpected failure; without it, one line
const debug = process.argv.includes("--debug")
// --plugin FILE (anywhere on the line, any command): plugin modules loaded before the command runs
const pluginFlags = splitPluginFlags(process.argv.slice(2).filter((a) => a !== "--debug"))

const program = Effect.gen(function* () {
  if (pluginFlags.missing)
    return yield* new InvalidArgument({ field: "--plugin", problem: "expected a file after --plugin" })
  yield* usePluginFiles(pluginFlags.files.map((f) => pluginPath(f, process.cwd())))
  // the command tree after the plugins: `gnlab train`'s flags come from the registered plugins
  return yield* Command.runWith(gnlabCommand(), { version: gnlabVersion })(pluginFlags.rest)
}).pipe(
  Effect.catchTags({
    // a plugin file that does not load, exports no plugin or clashes with another's id
    PluginFileInvalid: (e) => usage(e.message),
    InvalidArgument: (e) => usage(e.message),
    // each command provides its own backend (backends.ts); a forced one that is missing ends here
    BackendUnavailable: (e) => usage(`--backend ${e.backend} is not available: ${e.reason}`),
    PipelineInvalid: (e) => usage(e.message),
    // a cell that would not fit in memory, or a huge sweep without --yes: nothing was allocated
    ResourceLimit: (e) => usage(e.message),
    // another run holds the results folder and --no-wait: nothing was done
    FolderBusy: (e) => usage(e.message),
    // the results folder holds another pipeline: nothing was written
    PipelineConflict: (e) => usage(e.message),
    ResultsUnwritable: (e) =>
      Effect.sync(() => {
        process.stderr.write(`gnlab: ${e.message}\n`)
        process.exitCode = 1
      }),
    ShowHelp: (e) => Effect.sync(() => void (process.exitCode = e.errors.length > 0 ? EXIT_USAGE : 0))
  }),
  // whatever else escaped (a bug, or a limit met outside the checks) is a failure of the run:
  // one line and exit code 1, never a stack trace without --debug; interruption keeps its exit
  Effect.catchCause((cause) => (Cause.hasInterrupts(cause) ? Effect.failCause(cause) : unexpected(cause))),
  Effect.provide(CliOutput.layerPresenter(presenter)),
  Effect.provide(NodeServices.layer)
)

/** An unexpected failure: its first line (the stack with --debug) and exit code 1. */
function unexpected(cause: Cause.Cause<unknown>) {
  return Effect.sync(() => {
    const e = Cause.squash(cause)
    const text = e instanceof Error ? (e.name === "Error" ? e.message : `${e.name}: ${e.message}`) : String(e)
    process.stderr.write(
      debug ? `gnlab: ${Cause.pretty(cause)}\n` : `gnlab: ${text.split("\n")[0]} (--debug: the stack trace)\n`
    )
    process.exitCode = 1
  })
}

function usage(message: string) {
  return Effect.sync(() => {
    process.stderr.write(`gnlab: ${message}\n`)
    process.exitCode = EXIT_USAGE
  })
}

// Interrupted by a signal: 130 for SIGINT, 143 for SIGTERM (128 + the signal's number, the shell
// convention schedulers such as Slurm report); Effect's runtime says 130 for both.
let signal: "SIGINT" | "SIGTERM" | undefined
process.once("SIGINT", () => (signal ??= "SIGINT"))
process.once("SIGTERM", () => (signal ??= "SIGTERM"))
const teardown: Runtime.Teardown = (exit, onExit) =>
  Runtime.defaultTeardown(exit, (code) => onExit(code === 130 && signal === "SIGTERM" ? 143 : code))

NodeRuntime.runMain(program, { teardown })
