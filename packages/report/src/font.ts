/**
 * The report's font, shipped through npm (`dejavu-fonts-ttf`): resvg renders with it and
 * nothing else (no system fonts), and Vega lays out text with its real advance widths, so
 * figures look the same on every machine and labels are measured, not guessed.
 *
 * Vega measures text with a canvas when one is installed and otherwise estimates
 * 0.8 × font size per character; neither matches the font resvg draws with. `fontMetrics`
 * reads advance widths straight from the TrueType tables (head, hhea, hmtx, cmap formats
 * 4 and 12); kerning is ignored (a fraction of a pixel per label).
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

const require = createRequire(import.meta.url)

/**
 * Folder of the DejaVu TrueType files, resolved on first use: the plot plugins' declarations
 * (@gnlab/report/plugins, loaded by every gnlab command) import this module without drawing.
 */
const fontDir = () => join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf")

/** The family name Vega writes into the SVG and resvg resolves to the files below. */
export const fontFamily = "DejaVu Sans"

/** Regular and bold faces (titles are bold). */
export const fontFiles: { readonly regular: string; readonly bold: string } = {
  get regular() {
    return join(fontDir(), "DejaVuSans.ttf")
  },
  get bold() {
    return join(fontDir(), "DejaVuSans-Bold.ttf")
  }
}

/** Advance widths of one font face. */
export interface FontMetrics {
  readonly unitsPerEm: number
  /** advance width of a code point in font units (the .notdef glyph's when unmapped) */
  advance(codePoint: number): number
  /** width of a string in pixels at `size` px */
  width(text: string, size: number): number
}

/** Parse the tables of a TrueType file needed for advance widths. */
export function fontMetrics(buf: Uint8Array): FontMetrics {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const u16 = (o: number) => view.getUint16(o)
  const i16 = (o: number) => view.getInt16(o)
  const u32 = (o: number) => view.getUint32(o)
  const tables = new Map<string, number>()
  const numTables = u16(4)
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i
    const tag = String.fromCharCode(buf[rec], buf[rec + 1], buf[rec + 2], buf[rec + 3])
    tables.set(tag, u32(rec + 8))
  }
  const table = (tag: string): number => {
    const o = tables.get(tag)
    if (o === undefined) throw new Error(`font has no ${tag} table`)
    return o
  }
  const unitsPerEm = u16(table("head") + 18)
  const numberOfHMetrics = u16(table("hhea") + 34)
  const hmtx = table("hmtx")
  const glyphAdvance = (g: number) => u16(hmtx + 4 * Math.min(g, numberOfHMetrics - 1))

  // cmap: prefer the full-Unicode subtable (3, 10) format 12, else (3, 1) format 4
  const cmap = table("cmap")
  let format4 = -1
  let format12 = -1
  for (let i = 0; i < u16(cmap + 2); i++) {
    const rec = cmap + 4 + 8 * i
    const [platform, encoding, sub] = [u16(rec), u16(rec + 2), cmap + u32(rec + 4)]
    const format = u16(sub)
    if (format === 12 && (platform === 3 || platform === 0)) format12 = sub
    if (format === 4 && ((platform === 3 && encoding === 1) || platform === 0)) format4 = sub
  }
  const glyphOf = (c: number): number => {
    if (format12 >= 0) {
      const groups = u32(format12 + 12)
      for (let g = 0; g < groups; g++) {
        const rec = format12 + 16 + 12 * g
        if (c >= u32(rec) && c <= u32(rec + 4)) return u32(rec + 8) + (c - u32(rec))
      }
      return 0
    }
    if (format4 < 0 || c > 0xffff) return 0
    const segX2 = u16(format4 + 6)
    const ends = format4 + 14
    const starts = ends + segX2 + 2
    const deltas = starts + segX2
    const ranges = deltas + segX2
    for (let s = 0; s < segX2; s += 2) {
      if (c > u16(ends + s)) continue
      const start = u16(starts + s)
      if (c < start) return 0
      const rangeOffset = u16(ranges + s)
      if (rangeOffset === 0) return (c + i16(deltas + s)) & 0xffff
      const g = u16(ranges + s + rangeOffset + 2 * (c - start))
      return g === 0 ? 0 : (g + i16(deltas + s)) & 0xffff
    }
    return 0
  }
  const cache = new Map<number, number>()
  const advance = (c: number): number => {
    let a = cache.get(c)
    if (a === undefined) {
      a = glyphAdvance(glyphOf(c))
      cache.set(c, a)
    }
    return a
  }
  return {
    unitsPerEm,
    advance,
    width(text, size) {
      let units = 0
      for (const ch of text) units += advance(ch.codePointAt(0)!)
      return (units * size) / unitsPerEm
    }
  }
}

let loaded: { regular: FontMetrics; bold: FontMetrics } | undefined

/** The metrics of the report's regular and bold faces (read once). */
export function reportFontMetrics(): { regular: FontMetrics; bold: FontMetrics } {
  loaded ??= {
    regular: fontMetrics(readFileSync(fontFiles.regular)),
    bold: fontMetrics(readFileSync(fontFiles.bold))
  }
  return loaded
}
