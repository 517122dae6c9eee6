/** writeReport on results folders built in code: complete, partial, empty and broken ones. */
import { Effect, Exit } from "effect"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { readResults, writeReport, type ReportOutput, type ResultsInvalid } from "../src/index.js"
import { mixedFixture, rateFixture, trueAlpha, writeFixture } from "./fixture.js"

const out = () => mkdtempSync(join(tmpdir(), "gnlab-report-out-"))
const report = (dir: string, to = out()): Promise<ReportOutput> => Effect.runPromise(writeReport(dir, to))
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** The error of a report that must fail. */
async function failure(dir: string): Promise<ResultsInvalid> {
  const exit = await Effect.runPromiseExit(writeReport(dir, out()))
  if (Exit.isSuccess(exit)) throw new Error("expected ResultsInvalid")
  const e = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (e === undefined || e._tag !== "Fail") throw new Error(`unexpected failure: ${String(exit.cause)}`)
  return e.error
}

describe("the report of a complete results folder", () => {
  it("draws every declared figure as PNG and SVG and inlines it in one HTML page", async () => {
    const dir = rateFixture()
    const r = await report(dir)
    expect(r.problems).toEqual([])
    expect(r.figures.map((f) => f.id)).toEqual(["rate", "losses", "test-vs-n"])
    const html = readFileSync(r.html, "utf8")
    const md = readFileSync(r.markdown, "utf8")
    for (const f of r.figures) {
      expect(f.missing).toBeUndefined()
      const png = readFileSync(f.png!)
      expect([...png.subarray(0, 8)]).toEqual(PNG)
      expect(png.readUInt32BE(16)).toBeGreaterThan(400) // width in pixels (IHDR)
      const svg = readFileSync(f.svg!, "utf8")
      expect(svg).toMatch(/^<svg/)
      expect(svg).not.toContain("<text") // text drawn as outlines: no font needed to view it
      expect(html).toContain(`id="figure-${f.id}"`)
      expect(md).toContain(`figures/${f.id}.png`)
      expect(existsSync(join(r.outDir, "figures", `${f.id}.vl.json`))).toBe(true)
    }
    expect(html.match(/<img [^>]*src="data:image\/png;base64,/g)).toHaveLength(3)
    // self-contained: the interactive figures' scripts are inlined, nothing is fetched
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*\shref=|<img[^>]*\ssrc="http/)
    expect(html.match(/<script type="application\/json" id="spec-/g)).toHaveLength(3)
    expect(html).toContain("window.gnlabReady")
    expect(html).toContain("36 cells: 36 converged")
  })

  it("gives Table 1: α per method near the rates the data were made with, and the paper's values", async () => {
    const r = await report(rateFixture())
    const md = readFileSync(r.markdown, "utf8")
    const rows = md.split("\n").filter((l) => /^\| (RF|GD|GN) \| \d/.test(l))
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      const [method, alpha, ci, seeds, sizes, paper] = row
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim())
      const plugin = method.toLowerCase()
      expect(Math.abs(Number(alpha) - trueAlpha[plugin])).toBeLessThan(0.05)
      const [lo, hi] = ci.slice(1, -1).split(",").map(Number)
      expect(lo).toBeLessThan(Number(alpha))
      expect(hi).toBeGreaterThan(Number(alpha))
      expect(seeds).toBe("3")
      expect(sizes).toBe("100, 200, 400, 800")
      expect(Number(paper)).toBe({ rf: 0.46, gd: 2, gn: 1.76 }[plugin])
    }
    // the legend of the rate figure carries α
    const spec = JSON.parse(readFileSync(join(r.outDir, "figures", "rate.vl.json"), "utf8"))
    expect(JSON.stringify(spec)).toMatch(/GN: α = 1\.7\d \[/)
  })
})

describe("incomplete folders", () => {
  it("a partial folder lists every cell's status and draws from the finished cells", async () => {
    const r = await report(mixedFixture())
    const html = readFileSync(r.html, "utf8")
    for (const status of [
      "converged",
      "capped (maxIter)",
      "diverged",
      "failed: boom: the solver threw",
      "running or interrupted (at update",
      "pending",
      "corrupt (recomputed by the next run)"
    ])
      expect(html).toContain(status)
    expect(html).toContain("Partial results: 8 of 12 cells finished")
    expect(r.figures.filter((f) => f.png !== undefined).map((f) => f.id)).toEqual([
      "losses",
      "test-vs-tau",
      "sigma"
    ])
    // a plot plugin the report does not know is named, not a broken image
    expect(r.figures.find((f) => f.id === "heatmap")!.missing).toMatch(/Unknown plot plugin "heatmap"/)
    expect(html).toContain('id="figure-heatmap"')
    expect(html).toContain("1 diverged cell(s) left out")
    // no weights and no recorded distances: the feature-learning table says why
    expect(html).toContain("Not available: the distances of the hidden units")
    expect(html).toContain("backend</td><td>cpu")
    expect(html).toMatch(/wall time<\/td><td>2\.5 min over 1 run/)
  })

  it("a folder where no cell has finished gives a page that says so, with a placeholder per figure", async () => {
    const dir = writeFixture({
      name: "nothing-yet",
      cells: [
        { method: "gn", label: "GN", point: { "model.initStd": 1 }, seed: 1, state: "pending" },
        { method: "gd", label: "GD", point: { "model.initStd": 1 }, seed: 1, state: "partial" }
      ],
      plots: [
        { id: "losses", plugin: "curves" },
        { id: "rate", plugin: "rate" }
      ]
    })
    const r = await report(dir)
    expect(r.figures.every((f) => f.png === undefined && f.missing !== undefined)).toBe(true)
    expect(r.figures[0].missing).toMatch(
      /No finished cell to draw yet \(0 of 2 done: 1 pending, 1 running or interrupted\)/
    )
    const html = readFileSync(r.html, "utf8")
    expect(html).toContain("No cell has finished yet")
    expect(html).toContain('id="figure-losses"')
    expect(html).toContain('id="figure-rate"')
    expect(html).not.toContain("<img")
    expect(html.trimEnd().endsWith("</html>")).toBe(true)
    expect(readdirSync(join(r.outDir, "figures"))).toEqual([])
  })

  it("a rate plot over a single N says what to sweep", async () => {
    const dir = writeFixture({
      name: "one-n",
      cells: [{ method: "gn", label: "GN", point: {}, seed: 1, state: "converged" }],
      plots: [{ id: "rate", plugin: "rate" }]
    })
    const r = await report(dir)
    expect(r.figures[0].missing).toMatch(/at least two positive values of dataset\.nTrain .*"sweep"/)
  })
})

describe("folders that are not results folders", () => {
  it("fail with one line naming the problem and the fix", async () => {
    const empty = mkdtempSync(join(tmpdir(), "gnlab-empty-"))
    const e1 = await failure(empty)
    expect(e1._tag).toBe("ResultsInvalid")
    expect(e1.message).toMatch(
      /not a gnlab results folder \(no pipeline\.json\) — run `gnlab run PIPELINE\.json` first/
    )
    expect(e1.message).not.toContain("\n")

    expect((await failure(join(empty, "nope"))).message).toMatch(/no such folder/)

    const bad = mkdtempSync(join(tmpdir(), "gnlab-bad-"))
    writeFileSync(join(bad, "pipeline.json"), "{ not json")
    expect((await failure(bad)).message).toMatch(/pipeline\.json is not valid JSON — rerun/)

    writeFileSync(
      join(bad, "pipeline.json"),
      JSON.stringify({ name: "x", methods: [], report: { plots: [{}] } })
    )
    expect((await failure(bad)).message).toMatch(/report\.plots\[0\] needs an id and a plugin/)

    writeFileSync(join(bad, "pipeline.json"), JSON.stringify({ name: "x", methods: [] }))
    expect((await failure(bad)).message).toMatch(/no cells\.json/)
    // nothing is written for a bad folder
    const target = join(bad, "report")
    await Effect.runPromiseExit(writeReport(bad, target))
    expect(existsSync(target)).toBe(false)
  })

  it("skips a trajectory line being written and reads the rest", async () => {
    const dir = mixedFixture()
    const folder = await Effect.runPromise(readResults(dir))
    const running = folder.cells.find((c) => c.state === "partial")!
    expect(running.rows.length).toBe(20)
    mkdirSync(join(dir, "cells", "stray"), { recursive: true }) // folders not in cells.json are ignored
    expect((await Effect.runPromise(readResults(dir))).cells).toHaveLength(12)
  })
})
