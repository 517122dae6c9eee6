/** The shipped font: Vega's layout widths are the widths resvg draws. */
import { Resvg } from "@resvg/resvg-js"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { fontFamily, fontFiles, fontMetrics } from "../src/index.js"

const drawnWidth = (text: string, size: number, bold = false): number => {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="100"><text x="10" y="60" font-family="${fontFamily}" font-size="${size}"${bold ? ' font-weight="bold"' : ""}>${text}</text></svg>`
  const r = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: [fontFiles.regular, fontFiles.bold] }
  })
  return r.getBBox()!.width
}

describe("text metrics", () => {
  const regular = fontMetrics(readFileSync(fontFiles.regular))
  const bold = fontMetrics(readFileSync(fontFiles.bold))

  it("match the ink width resvg draws to within a pixel or two (side bearings)", () => {
    for (const [text, size] of [
      ["iteration k (updates)", 12],
      ["test loss at the end of training", 11],
      ["τ0 = 0.5, σ*(A_w), 10⁻⁵", 12],
      ["GN: α = 1.76 [1.52, 2.00]", 11]
    ] as const) {
      const measured = regular.width(text, size)
      expect(Math.abs(measured - drawnWidth(text, size))).toBeLessThan(2.5)
      // Vega's fallback estimate (0.8 em per character) would be far off
      expect(Math.abs(0.8 * size * text.length - drawnWidth(text, size))).toBeGreaterThan(10)
    }
    expect(
      Math.abs(bold.width("Train and test loss", 14) - drawnWidth("Train and test loss", 14, true))
    ).toBeLessThan(2.5)
    expect(bold.width("Train", 14)).toBeGreaterThan(regular.width("Train", 14))
  })
})
