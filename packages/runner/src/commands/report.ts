/**
 * `gnlab report RESULTS_DIR [--out DIR]`: the figures the pipeline declares and the report
 * (self-contained HTML, Markdown, PNG/SVG figures) from a results folder, complete or not.
 * A folder that is not a results folder ends with one line naming the problem and exit code 2.
 * @gnlab/report (Vega, resvg) is loaded when the command runs, not at every `gnlab` start.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { InvalidArgument } from "../errors.js"
import { prepareOutFolder } from "../out-folder.js"
import { usePipelinePlugins } from "../pipeline-run.js"

const results = Argument.String("results").pipe(
  Argument.withDescription("results folder of a pipeline (results/<name>, holding pipeline.json)")
)

/** `gnlab report RESULTS_DIR` */
export const report = Command.make(
  "report",
  {
    results,
    out: Flag.optional(
      Flag.String("out").pipe(Flag.withDescription("report folder (default RESULTS_DIR/report)"))
    )
  },
  (f) =>
    Effect.gen(function* () {
      // an explicit --out is checked like gnlab run's before anything is drawn
      if (Option.isSome(f.out)) yield* prepareOutFolder("--out", f.out.value)
      yield* writeReportFor(f.results, Option.getOrUndefined(f.out))
    }).pipe(
      // not a results folder: one line, exit code 2 (as main.ts does for invalid input)
      Effect.catchTag("ResultsInvalid", (e) =>
        Effect.sync(() => {
          process.stderr.write(`gnlab: ${e.message}\n`)
          process.exitCode = 2
        })
      )
    )
).pipe(
  Command.withDescription(
    "Draw the pipeline's figures and write an HTML/Markdown report from a results folder"
  )
)

/**
 * Write the report of a results folder (into `out`, default RESULTS_DIR/report) and print
 * where it went; `gnlab report` and the end of `gnlab run` share it. @gnlab/report is loaded
 * on demand so that other commands do not pay for vega.
 */
export const writeReportFor = (results: string, out: string | undefined) =>
  Effect.gen(function* () {
    const lib = yield* Effect.tryPromise({
      try: () => import("@gnlab/report"),
      // the self-contained device kit (tools/device) leaves the report out
      catch: (e) =>
        new InvalidArgument({
          field: "report",
          problem: `@gnlab/report cannot be loaded here (${(e as Error).message.split("\n")[0]}): run \`gnlab report\` where the project's node_modules are installed`
        })
    })
    const { defaultReportDir, shown, writeReport } = lib
    // the plot (and method) plugins of the pipeline's plugin files, named by absolute path in the folder's copy
    const copy = join(results, "pipeline.json")
    if (existsSync(copy)) yield* usePipelinePlugins(copy)
    const outDir = out ?? defaultReportDir(results)
    const r = yield* writeReport(results, outDir)
    for (const fig of r.figures)
      yield* Console.log(
        fig.png !== undefined
          ? `figure ${fig.id}: ${shown(fig.png)}`
          : `figure ${fig.id}: not drawn — ${fig.missing}`
      )
    for (const p of r.problems) yield* Console.error(`warning: ${p}`)
    yield* Console.log(`${r.counts} — report in ${shown(r.html)} and ${shown(r.markdown)}`)
  })
