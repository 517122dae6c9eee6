/**
 * The `gnlab` command line (effect/cli). Bad flags or files end with one line on stderr
 * naming the problem and exit code 2, before anything is written.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { CliOutput, Command } from "effect/cli"
import { plan, plugins, run, schema, validate } from "./commands/pipeline.js"
import { backends } from "./commands/backends.js"
import { report } from "./commands/report.js"
import { status } from "./commands/status.js"
import { submit } from "./commands/submit.js"
import { train } from "./commands/train.js"
import { gnlabVersion } from "./version.js"

const gnlab = Command.make("gnlab").pipe(
  Command.withDescription("Gauss–Newton vs gradient descent on over-parameterized networks"),
  Command.withSubcommands([train, backends, validate, plan, run, submit, status, report, plugins, schema])
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

const program = Command.runWith(gnlab, { version: gnlabVersion })(process.argv.slice(2)).pipe(
  Effect.catchTags({
    InvalidArgument: (e) => usage(e.message),
    InvalidFile: (e) => usage(e.message),
    // each command provides its own backend (backends.ts); a forced one that is missing ends here
    BackendUnavailable: (e) => usage(`--backend ${e.backend} is not available: ${e.reason}`),
    PipelineInvalid: (e) => usage(e.message),
    ShowHelp: (e) => Effect.sync(() => void (process.exitCode = e.errors.length > 0 ? EXIT_USAGE : 0))
  }),
  Effect.provide(CliOutput.layerPresenter(presenter)),
  Effect.provide(NodeServices.layer)
)

function usage(message: string) {
  return Effect.sync(() => {
    process.stderr.write(`gnlab: ${message}\n`)
    process.exitCode = EXIT_USAGE
  })
}

NodeRuntime.runMain(program)
