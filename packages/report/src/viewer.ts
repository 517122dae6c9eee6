/**
 * The browser side of the interactive report: vega-embed, with the vega, vega-lite and
 * vega-tooltip it imports, bundled by esbuild into one minified script that index.html
 * inlines, so the page works from file:// with no network and no other file.
 *
 * Why a bundle made here rather than files copied from node_modules: vega 6 ships no
 * self-contained browser build (its `vega-core.min.js` expects d3 as separate globals) and
 * vega-embed's UMD expects vega and vega-lite as globals; bundling the installed packages
 * gives exactly their versions — the ones that rendered the static figures — in one script
 * (≈ 0.9 MB, ≈ 0.3 MB gzipped). It is built once per process (≈ 2 s), then reused.
 */
import { Data, Effect } from "effect"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"

/** The viewer script could not be bundled (esbuild missing or failing). */
export class ViewerFailed extends Data.TaggedError("ViewerFailed")<{ readonly reason: string }> {
  override get message(): string {
    return `the interactive figures could not be bundled (${this.reason}); the page shows the static figures`
  }
}

let cached: Promise<string> | undefined

const bundle = async (): Promise<string> => {
  const { build } = await import("esbuild")
  const out = await build({
    stdin: {
      contents: `import embed from "vega-embed"\nglobalThis.vegaEmbed = embed\n`,
      // resolve the report package's own vega-embed, vega and vega-lite
      resolveDir: dirname(fileURLToPath(import.meta.url)),
      loader: "js"
    },
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    legalComments: "none",
    write: false,
    logLevel: "silent"
  })
  return out.outputFiles[0].text
}

/** The minified vega-embed bundle (an IIFE defining `vegaEmbed`), built on first use. */
export const viewerScript: Effect.Effect<string, ViewerFailed> = Effect.tryPromise({
  try: () => {
    cached ??= bundle()
    return cached.catch((e: unknown) => {
      cached = undefined // a later report may try again
      throw e
    })
  },
  catch: (e) => new ViewerFailed({ reason: e instanceof Error ? e.message.split("\n")[0] : String(e) })
})
