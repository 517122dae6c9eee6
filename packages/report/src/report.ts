/**
 * `writeReport(resultsDir, outDir)`: read a results folder, build and render every declared
 * figure, and write
 *
 *   outDir/index.html            self-contained page: interactive figures (vega-embed inlined,
 *                                no network), the PNGs as fallback, every table
 *   outDir/report.md             the same tables, figures linked
 *   outDir/figures/<id>.png      2× PNG (for slides and papers)
 *   outDir/figures/<id>.svg      vector, text as outlines (no font needed)
 *   outDir/figures/<id>.vl.json  the Vega-Lite spec with its data (to restyle a figure)
 *
 * A folder that is not a results folder fails with `ResultsInvalid` (nothing written); an
 * incomplete one gives a report that says what is missing and how to complete it.
 */
import { Effect } from "effect"
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, isAbsolute, join, relative, resolve } from "node:path"
import * as vega from "vega"
import * as vl from "vega-lite"
import type { FigureOutput, ReportContent } from "./document.js"
import { renderHtml, renderMarkdown } from "./document.js"
import { buildFigures } from "./figures.js"
import { interactiveSpec } from "./interactive.js"
import { renderSpec } from "./render.js"
import { readResults, type ResultsFolder, ResultsInvalid } from "./results.js"
import {
  cellTable,
  countsLine,
  featureTable,
  finalTable,
  provenanceTable,
  rateTable,
  stateCounts
} from "./tables.js"
import { viewerScript } from "./viewer.js"

const require = createRequire(import.meta.url)

/** Versions of the tools that drew the report. */
export function toolVersions(): Record<string, string> {
  const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version
  // vega-embed exports no package.json: read the one above its entry point
  const embed = JSON.parse(
    readFileSync(join(dirname(require.resolve("vega-embed")), "..", "package.json"), "utf8")
  ) as { version: string }
  return {
    "vega-lite": vl.version,
    vega: vega.version,
    "vega-embed": embed.version,
    "resvg-js": version("@resvg/resvg-js"),
    node: process.versions.node
  }
}

/** What `writeReport` wrote. */
export interface ReportOutput {
  readonly outDir: string
  readonly html: string
  readonly markdown: string
  /** per declared figure: its files, or why it has none */
  readonly figures: ReadonlyArray<{
    readonly id: string
    readonly png?: string
    readonly svg?: string
    readonly missing?: string
  }>
  readonly counts: string
  /** rendering warnings (none expected) */
  readonly problems: ReadonlyArray<string>
}

/** The status lines at the top: counts, and what to do when cells are missing. */
function statusLines(folder: ResultsFolder): string[] {
  const k = stateCounts(folder)
  const done = k.converged + k.maxIter + k.diverged
  const lines = [`${countsLine(folder)}.`]
  if (folder.cells.length === 0) lines.push("The pipeline has no cells.")
  else if (done === 0)
    lines.push(
      "No cell has finished yet, so there is nothing to plot: run `gnlab run` on the pipeline (or wait for the running one); this report then fills in."
    )
  else if (done < folder.cells.length)
    lines.push(
      `Partial results: ${done} of ${folder.cells.length} cells finished. Figures and tables use the finished cells; run \`gnlab run\` on the pipeline to compute the rest${k.failed > 0 ? " (failed cells are retried)" : ""}.`
    )
  return lines
}

/** Build the report's content and the figure files (in memory). */
const buildReport = (folder: ResultsFolder, generatedAt: string) =>
  Effect.gen(function* () {
    const { figures, rates } = buildFigures(folder)
    const outputs: Array<FigureOutput & { svg?: string }> = []
    for (const figure of figures) {
      if (figure.spec === undefined) {
        outputs.push({ figure, problems: [] })
        continue
      }
      const rendered = yield* renderSpec(figure.id, figure.spec).pipe(
        Effect.map((r) => ({ ok: true as const, r })),
        Effect.catchTag("RenderFailed", (e) => Effect.succeed({ ok: false as const, message: e.message }))
      )
      if (!rendered.ok) {
        outputs.push({ figure, problems: [rendered.message] })
        continue
      }
      outputs.push({
        figure,
        svg: rendered.r.svg,
        files: {
          png: `figures/${figure.id}.png`,
          svg: `figures/${figure.id}.svg`,
          spec: `figures/${figure.id}.vl.json`,
          pngData: rendered.r.png,
          width: rendered.r.width,
          height: rendered.r.height
        },
        interactive: interactiveSpec(figure.spec),
        problems: rendered.r.warnings.map((w) => `rendering warning: ${w}`)
      })
    }
    // no bundle (esbuild missing): the page shows the static figures and says why
    const viewer = outputs.some((o) => o.interactive !== undefined)
      ? yield* viewerScript.pipe(
          Effect.map((script) => ({ script, problem: undefined })),
          Effect.catchTag("ViewerFailed", (e) => Effect.succeed({ script: undefined, problem: e.message }))
        )
      : { script: undefined, problem: undefined }
    const features = featureTable(folder)
    const rate = rateTable(rates)
    const content: ReportContent = {
      title: folder.pipeline.report?.title ?? `Report: ${folder.pipeline.name}`,
      ...(folder.pipeline.description === undefined ? {} : { description: folder.pipeline.description }),
      status: [...statusLines(folder), ...(viewer.problem === undefined ? [] : [`Note: ${viewer.problem}.`])],
      figures: outputs,
      tables: [
        ...(rate === undefined ? [] : [rate]),
        finalTable(folder),
        features,
        cellTable(folder),
        provenanceTable(folder, toolVersions(), generatedAt)
      ],
      ...(viewer.script === undefined ? {} : { viewer: viewer.script })
    }
    return { content, outputs }
  })

/** Write a file atomically (temporary name, then rename); on an error (a full disk) no temporary is left. */
function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`
  try {
    writeFileSync(tmp, data)
    renameSync(tmp, path)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}

/**
 * Read `resultsDir`, render its figures and write the report into `outDir`
 * (default for the CLI: `<resultsDir>/report`). Fails with `ResultsInvalid` when
 * `resultsDir` is not a results folder; a folder with missing cells still gives a report.
 */
export const writeReport = (
  resultsDir: string,
  outDir: string
): Effect.Effect<ReportOutput, ResultsInvalid> =>
  Effect.gen(function* () {
    const folder = yield* readResults(resultsDir)
    const { content, outputs } = yield* buildReport(folder, new Date().toISOString())
    yield* Effect.try({
      try: () => {
        mkdirSync(join(outDir, "figures"), { recursive: true })
        for (const o of outputs) {
          if (o.files === undefined || o.svg === undefined) continue
          writeAtomic(join(outDir, o.files.png), o.files.pngData)
          writeAtomic(join(outDir, o.files.svg), o.svg)
          writeAtomic(join(outDir, o.files.spec), JSON.stringify(o.figure.spec, null, 1) + "\n")
        }
        writeAtomic(join(outDir, "index.html"), renderHtml(content))
        writeAtomic(join(outDir, "report.md"), renderMarkdown(content))
      },
      catch: (e) =>
        new ResultsInvalid({
          dir: outDir,
          problem: `cannot write the report (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
          fix: "pass a writable folder with --out"
        })
    })
    return {
      outDir,
      html: join(outDir, "index.html"),
      markdown: join(outDir, "report.md"),
      figures: outputs.map((o) =>
        o.files === undefined
          ? { id: o.figure.id, missing: o.figure.missing ?? o.problems.join("; ") }
          : { id: o.figure.id, png: join(outDir, o.files.png), svg: join(outDir, o.files.svg) }
      ),
      counts: countsLine(folder),
      problems: outputs.flatMap((o) => o.problems.map((p) => `${o.figure.id}: ${p}`))
    } satisfies ReportOutput
  })

/** The report folder of a results folder when no --out is given. */
export const defaultReportDir = (resultsDir: string): string => join(resultsDir, "report")

/** A path for messages: relative to the working directory when inside it. */
export function shown(path: string): string {
  const r = relative(process.cwd(), path)
  return r === "" ? "." : r.startsWith("..") || isAbsolute(r) ? resolve(path) : r
}
