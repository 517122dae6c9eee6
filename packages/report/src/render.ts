/**
 * Headless rendering: Vega-Lite → Vega (compile, warnings collected) → SVG (Vega's string
 * renderer, no browser, no canvas) → PNG (resvg, with the shipped DejaVu fonts only).
 *
 * Vega measures text through `textMetrics.width`; here it is the real advance widths of the
 * font resvg draws with (font.ts), set once when this module loads. The SVG written to disk
 * is resvg's normalised SVG, in which text is converted to outlines: it looks the same in
 * every viewer and needs no font installed.
 */
import { Resvg } from "@resvg/resvg-js"
import { Data, Effect } from "effect"
import * as vega from "vega"
import * as vl from "vega-lite"
import type { TopLevelSpec } from "vega-lite"
import { fontFiles, reportFontMetrics } from "./font.js"

/** A figure that could not be compiled or rendered. */
export class RenderFailed extends Data.TaggedError("RenderFailed")<{
  readonly figure: string
  readonly reason: string
}> {
  override get message(): string {
    return `figure ${this.figure}: ${this.reason}`
  }
}

const isBold = (w: unknown) => w === "bold" || w === "bolder" || (typeof w === "number" && w >= 600)
// vega exports vega-scenegraph's textMetrics at run time; its typings do not declare it
const textMetrics = (vega as unknown as { textMetrics: { width: (item: unknown, text: unknown) => number } })
  .textMetrics
textMetrics.width = (item: unknown, text: unknown): number => {
  const it = item as { fontSize?: number; fontWeight?: unknown }
  const size = it.fontSize != null ? +it.fontSize || 0 : 11
  const s = text == null ? "" : String(text).trim()
  const metrics = reportFontMetrics() // read once, on first use
  return (isBold(it.fontWeight) ? metrics.bold : metrics.regular).width(s, size)
}

/** Compile a Vega-Lite spec, returning the Vega spec and every warning Vega-Lite logged. */
export function compileSpec(spec: TopLevelSpec): { vega: vega.Spec; warnings: string[] } {
  const warnings: string[] = []
  const collect = (...args: unknown[]) => void warnings.push(args.map(String).join(" "))
  const logger = {
    level: function (this: unknown) {
      return this
    },
    error(...a: unknown[]) {
      collect(...a)
      return this
    },
    warn(...a: unknown[]) {
      collect(...a)
      return this
    },
    info() {
      return this
    },
    debug() {
      return this
    }
  }
  const out = vl.compile(spec, {
    logger: logger as unknown as NonNullable<Parameters<typeof vl.compile>[1]>["logger"]
  })
  return { vega: out.spec, warnings }
}

/** A rendered figure. */
export interface Rendered {
  /** Vega's SVG (text as <text>, font-family DejaVu Sans) */
  readonly svgText: string
  /** the same figure with text as outlines (resvg's normalised SVG): self-contained */
  readonly svg: string
  readonly png: Uint8Array
  /** size of the figure in CSS pixels (the PNG is `scale` times larger) */
  readonly width: number
  readonly height: number
  readonly warnings: ReadonlyArray<string>
}

/** Render a Vega-Lite spec to SVG and PNG (`scale`× pixels, 2 by default: sharp in print and on screens). */
export const renderSpec = (
  id: string,
  spec: TopLevelSpec,
  scale = 2
): Effect.Effect<Rendered, RenderFailed> =>
  Effect.gen(function* () {
    const compiled = yield* Effect.try({
      try: () => compileSpec(spec),
      catch: (e) => new RenderFailed({ figure: id, reason: `Vega-Lite: ${(e as Error).message}` })
    })
    const vegaWarnings: string[] = []
    const svgText = yield* Effect.tryPromise({
      try: async () => {
        const view = new vega.View(vega.parse(compiled.vega), { renderer: "none" })
        view.logger({
          level: () => view.logger(),
          error: (...a: unknown[]) => void vegaWarnings.push(a.map(String).join(" ")),
          warn: (...a: unknown[]) => void vegaWarnings.push(a.map(String).join(" ")),
          info: () => view.logger(),
          debug: () => view.logger()
        } as unknown as vega.LoggerInterface)
        const svg = await view.toSVG()
        view.finalize()
        return svg
      },
      catch: (e) => new RenderFailed({ figure: id, reason: `Vega: ${(e as Error).message}` })
    })
    return yield* Effect.try({
      try: () => {
        const font = {
          loadSystemFonts: false,
          fontFiles: [fontFiles.regular, fontFiles.bold],
          defaultFontFamily: "DejaVu Sans",
          sansSerifFamily: "DejaVu Sans"
        }
        const resvg = new Resvg(svgText, { font, fitTo: { mode: "zoom", value: scale }, background: "white" })
        const png = resvg.render().asPng()
        const outlined = new Resvg(svgText, { font }).toString()
        return {
          svgText,
          svg: outlined,
          png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength),
          width: resvg.width,
          height: resvg.height,
          warnings: [...compiled.warnings, ...vegaWarnings]
        }
      },
      catch: (e) => new RenderFailed({ figure: id, reason: `resvg: ${(e as Error).message}` })
    })
  })
