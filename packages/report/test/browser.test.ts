/**
 * The interactive report in a real browser: headless Chromium from the system's packages,
 * driven by playwright-core (which downloads no browser). The quickstart's report (its
 * pipeline's plots on a synthetic results folder of the same shape, see quickstartFixture)
 * is opened from file:// with the network off, and checked as a reader would use it:
 * it loads without console errors or warnings, every figure is drawn with one line and one
 * end mark per cell and quantity (curves) or one mark per seed and mean (final), hovering the
 * end of a run shows its cell, seed and value, the wheel zooms and a double-click resets, and
 * clicking a legend entry hides that method (and clicking it again shows it).
 *
 * Chromium is $GNLAB_CHROMIUM when set, else found under its usual names; where there is
 * none the suite says why (in its name and in the output) and is skipped (.ci/run installs it).
 * $GNLAB_REPORT_RESULTS names a real quickstart results folder to check instead of the
 * synthetic one (`npx gnlab run pipelines/quickstart.json` first: minutes, so not in CI).
 */
import { Effect } from "effect"
import { accessSync, constants } from "node:fs"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { pathToFileURL } from "node:url"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { readResults, writeReport, type ResultsFolder } from "../src/index.js"
import { quickstartFixture } from "./fixture.js"

const executable = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The system Chromium (or Chrome): $GNLAB_CHROMIUM when set (a path that is not an
 * executable skips the suite, saying so), else the first of the usual names in /usr/bin and
 * on the PATH; or why there is none.
 */
function findChromium(): { readonly path: string } | { readonly skip: string } {
  const chosen = process.env.GNLAB_CHROMIUM
  if (chosen !== undefined && chosen !== "")
    return executable(chosen) ? { path: chosen } : { skip: `GNLAB_CHROMIUM=${chosen} is not an executable` }
  const names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
  const dirs = ["/usr/bin", ...(process.env.PATH ?? "").split(delimiter).filter((d) => d !== "")]
  const path = names.flatMap((n) => dirs.map((d) => join(d, n))).find(executable)
  return path !== undefined
    ? { path }
    : { skip: "no Chromium found (set GNLAB_CHROMIUM, or `apt-get install chromium` as .ci/run does)" }
}

const found = findChromium()
const chromiumPath = "path" in found ? found.path : undefined
const skipReason = "skip" in found ? found.skip : undefined
// said in the output too, where the default reporter does not print a skipped suite's name
if (skipReason !== undefined) console.log(`the report's browser test is skipped: ${skipReason}`)

/** Counts of what a figure's Vega view drew, read from its scenegraph. */
interface Drawn {
  /** line marks with at least one point, by the data's kind (seed, mean) */
  readonly lines: Record<string, number>
  /** visible symbols (opacity > 0), by kind */
  readonly symbols: Record<string, number>
  /** visible line and symbol items of each series (method) */
  readonly visibleBySeries: Record<string, number>
}

/** What the page's scripts define, and the DOM used here (the tests compile without DOM types). */
interface PageGlobals {
  gnlabReady: Promise<unknown>
  gnlabViews: Record<string, unknown>
  document: {
    querySelector(selector: string): {
      querySelectorAll(selector: string): Iterable<{
        getBoundingClientRect(): { left: number; top: number; width: number; height: number }
      }>
    } | null
  }
}

/** What figure `id` drew (runs in the page). */
const drawn = (page: Page, id: string): Promise<Drawn> =>
  page.evaluate((figure) => {
    interface Item {
      datum?: Record<string, unknown>
      opacity?: number
      items?: Node[]
    }
    interface Node {
      marktype: string
      items: Item[]
    }
    const view = (globalThis as unknown as PageGlobals).gnlabViews[figure] as { scenegraph(): { root: Node } }
    const out = {
      lines: {} as Record<string, number>,
      symbols: {} as Record<string, number>,
      visibleBySeries: {} as Record<string, number>
    }
    const add = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1)
    const visit = (node: Node) => {
      for (const item of node.items) {
        const d = item.datum ?? {}
        const visible = item.opacity === undefined || item.opacity > 0
        if (node.marktype === "line" && node.items[0] === item && typeof d.kind === "string")
          add(out.lines, d.kind)
        if (node.marktype === "symbol" && typeof d.kind === "string" && visible) add(out.symbols, d.kind)
        if (
          (node.marktype === "line" || node.marktype === "symbol") &&
          typeof d.series === "string" &&
          visible
        )
          add(out.visibleBySeries, d.series)
        for (const child of item.items ?? []) visit(child)
      }
    }
    visit(view.scenegraph().root)
    return out
  }, id)

/**
 * Page coordinates of the centre of the end mark of a cell's trajectory in figure `id`: the
 * SVG element Vega drew for it (Vega's SVG renderer keeps each element's scenegraph item).
 */
const endMarkAt = (page: Page, id: string, cell: string, quantity: string) =>
  page.evaluate(
    ({ figure, cell, quantity }) => {
      const root = (globalThis as unknown as PageGlobals).document.querySelector(
        `#figure-${figure} svg.marks`
      )!
      for (const el of root.querySelectorAll(".mark-symbol path")) {
        const d = (el as unknown as { __data__?: { datum?: Record<string, unknown> } }).__data__?.datum
        if (d?.cell !== cell || d.end !== true || d.quantity !== quantity) continue
        const box = el.getBoundingClientRect()
        return { x: box.left + box.width / 2, y: box.top + box.height / 2 }
      }
      return undefined
    },
    { figure: id, cell, quantity }
  )

describe.skipIf(skipReason !== undefined)(
  `the interactive report in headless Chromium${skipReason === undefined ? "" : ` (SKIPPED: ${skipReason})`}`,
  () => {
    let browser: Browser
    let page: Page
    let folder: ResultsFolder
    const messages: string[] = []

    beforeAll(async () => {
      const dir = process.env.GNLAB_REPORT_RESULTS ?? quickstartFixture()
      folder = await Effect.runPromise(readResults(dir))
      const out = mkdtempSync(join(tmpdir(), "gnlab-report-browser-"))
      const report = await Effect.runPromise(writeReport(dir, out))
      expect(report.problems).toEqual([])
      const { chromium } = await import("playwright-core")
      // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
      browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] })
      // offline: the page must need nothing but itself
      const context = await browser.newContext({ offline: true, viewport: { width: 1300, height: 1000 } })
      page = await context.newPage()
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") messages.push(`${m.type()}: ${m.text()}`)
      })
      page.on("pageerror", (e) => messages.push(`page error: ${e.message}`))
      await page.goto(pathToFileURL(report.html).href)
      await page.evaluate(() => (globalThis as unknown as PageGlobals).gnlabReady)
    }, 120_000)

    afterAll(async () => {
      await browser?.close()
    })

    it("loads from file:// with no network, no console error or warning, every figure drawn interactively", async () => {
      expect(messages).toEqual([])
      const ids = await page.evaluate(() =>
        Object.keys((globalThis as unknown as PageGlobals).gnlabViews).sort()
      )
      expect(ids).toEqual(["losses", "test-vs-tau"])
      // the static PNG is only the fallback: hidden once the figure is drawn
      expect(await page.locator(".vis.live").count()).toBe(2)
      expect(await page.locator(".vis.live img.static").first().isVisible()).toBe(false)
    })

    it("draws one line and one end mark per cell and quantity, and each seed's value with the means", async () => {
      const cells = folder.cells
      // 2 seeds: each seed's own line, no band (curves); each seed's value, no interval (final).
      // A line per cell and quantity with a point on the log–log axes (iteration 0 is not on them)
      const drawable = (field: "trainLoss" | "testLoss") =>
        cells.filter((c) => c.rows.some((r) => r.iter > 0 && (r[field] ?? 0) > 0)).length
      const expectedLines = drawable("trainLoss") + drawable("testLoss")
      const losses = await drawn(page, "losses")
      expect(losses.lines).toEqual({ seed: expectedLines })
      // end marks, plus the invisible hover points (opacity 0) that are not counted
      expect(losses.symbols).toEqual({ seed: expectedLines })
      const methods = new Set(cells.map((c) => c.entry.label)).size
      const taus = new Set(cells.map((c) => c.entry.point["model.initStd"])).size
      const final = await drawn(page, "test-vs-tau")
      expect(final.lines).toEqual({ mean: methods })
      expect(final.symbols).toEqual({ seed: cells.length, mean: methods * taus })
    })

    it("shows a cell's id, seed and value in a tooltip on hover", async () => {
      const cell = folder.cells.find((c) => c.entry.label === "GN" && c.entry.seed === 2)!
      const at = await endMarkAt(page, "losses", cell.entry.id, "test loss")
      expect(at).toBeDefined()
      await page.mouse.move(at!.x, at!.y)
      const tooltip = page.locator("#vg-tooltip-element")
      await tooltip.waitFor({ state: "visible", timeout: 5_000 })
      const text = await tooltip.innerText()
      const last = cell.rows.filter((r) => r.testLoss !== null && r.iter > 0).at(-1)!
      expect(text).toContain(cell.entry.id)
      expect(text).toMatch(/seed\s+2/)
      expect(text).toContain(last.testLoss!.toExponential(3))
      await page.mouse.move(5, 5)
    })

    it("zooms with the mouse wheel and resets on a double-click", async () => {
      // the first row's zoom: the interval selection bound to its scales (no ranges: not zoomed)
      const zoom = () =>
        page.evaluate(() => {
          const view = (globalThis as unknown as PageGlobals).gnlabViews.losses as {
            signal(name: string): Record<string, [number, number] | null | undefined>
          }
          return view.signal("zoom0")
        })
      const zoomed = async () => Object.values(await zoom()).some((r) => Array.isArray(r))
      expect(await zoomed()).toBe(false)
      const end = await endMarkAt(page, "losses", folder.cells[0].entry.id, "train loss L(w)")
      expect(end).toBeDefined()
      // inside the first panel, up and left of the end of a run
      await page.mouse.move(end!.x - 40, end!.y - 40)
      await page.mouse.wheel(0, -400)
      await expect.poll(zoomed).toBe(true)
      const [lo, hi] = (await zoom()).iter!
      const iters = folder.cells.flatMap((c) => c.rows.map((r) => r.iter)).filter((k) => k > 0)
      expect(Math.log10(hi / lo)).toBeLessThan(Math.log10(Math.max(...iters) / Math.min(...iters)))
      await page.mouse.dblclick(end!.x - 40, end!.y - 40)
      await expect.poll(zoomed).toBe(false)
      await page.mouse.move(5, 5)
    })

    it("hides a method when its legend entry is clicked, and shows it again on a second click", async () => {
      const before = await drawn(page, "losses")
      expect(before.visibleBySeries.GN).toBeGreaterThan(0)
      const entry = page.locator("#figure-losses .role-legend-label text", { hasText: /^GN$/ })
      await entry.click()
      const hidden = await drawn(page, "losses")
      expect(hidden.visibleBySeries.GN ?? 0).toBe(0)
      expect(hidden.visibleBySeries.GD).toBe(before.visibleBySeries.GD)
      expect(hidden.visibleBySeries.RF).toBe(before.visibleBySeries.RF)
      // the other figure has a legend of its own
      expect((await drawn(page, "test-vs-tau")).visibleBySeries.GN).toBeGreaterThan(0)
      await entry.click()
      expect((await drawn(page, "losses")).visibleBySeries).toEqual(before.visibleBySeries)
      expect(messages).toEqual([])
    })
  }
)
