/**
 * The `frontier` figure (issue 12, item 5) on results folders built in code whose cells'
 * costs and test losses are set exactly, so that the reference matching, the relative
 * errors and the Pareto set are known in advance.
 */
import { digestCell } from "@gnlab/metrics/cell-files"
import { Ajv } from "ajv"
import { Effect } from "effect"
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import {
  buildFigures,
  compileSpec,
  interactiveSpec,
  readResults,
  type Figure,
  type PlotDeclaration
} from "../src/index.js"
import { paretoFrontier } from "../src/plots/frontier.js"
import { writeFixture, type FixtureCell } from "./fixture.js"

const REF = "flow rtol 1e-6 (reference)"

/** A fixture cell with its summary's cost fields and final test loss set exactly. */
interface Cell extends FixtureCell {
  readonly summary?: Record<string, unknown>
}

/**
 * Write a folder, then overwrite the summaries' fields (wall seconds, Gram assemblies, the
 * exact final test loss) and re-digest the cells, as the runner would have written them.
 */
function folder(cells: ReadonlyArray<Cell>, plots: ReadonlyArray<PlotDeclaration>): string {
  const dir = writeFixture({ name: "fixture-frontier", cells, plots })
  const entries = JSON.parse(readFileSync(join(dir, "cells.json"), "utf8")) as Array<{ id: string }>
  cells.forEach((c, i) => {
    if (c.state !== "converged" && c.state !== "maxIter") return
    const cellDir = join(dir, "cells", entries[i].id)
    const path = join(cellDir, "summary.json")
    const summary = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>
    writeFileSync(path, JSON.stringify({ ...summary, finalTestLoss: c.testLoss, ...c.summary }, null, 2))
    writeFileSync(join(cellDir, "digest.json"), JSON.stringify(digestCell(cellDir, entries[i].id), null, 2))
  })
  return dir
}

async function figures(dir: string): Promise<Figure[]> {
  return [...buildFigures(await Effect.runPromise(readResults(dir))).figures]
}

type Point = Record<string, unknown> & { series: string; cost: number; error: number; frontier: boolean }
const pointsOf = (f: Figure): Point[] => (f.spec as unknown as { data: { values: Point[] } }).data.values

/** |T/T_ref − 1| per method of the single-panel example, and each method's wall seconds. */
const example: ReadonlyArray<{
  label: string
  method: string
  seconds: number
  error: number
  below?: true
}> = [
  { label: "A", method: "gn", seconds: 1, error: 0.5 }, // frontier: the cheapest
  { label: "B", method: "gn", seconds: 2, error: 0.6 }, // beaten by A in both
  { label: "C", method: "gn", seconds: 3, error: 0.1 }, // frontier
  { label: "D", method: "gn", seconds: 3, error: 0.2 }, // C costs the same and is closer
  { label: "E", method: "gd", seconds: 10, error: 0.1 }, // as close as C, dearer
  { label: "F", method: "gradient-flow", seconds: 20, error: 0.001, below: true }, // frontier: the closest
  { label: "G", method: "gradient-flow", seconds: 50, error: 0.01, below: true } // beaten by F
]

/** The reference's test loss per seed: different, so a cell matched to another seed's reference shows. */
const refLoss = (seed: number) => 1e-3 * seed

function exampleCells(): Cell[] {
  const cells: Cell[] = []
  for (const seed of [1, 2]) {
    cells.push({
      method: "gradient-flow",
      label: REF,
      point: {},
      seed,
      state: "converged",
      testLoss: refLoss(seed),
      summary: { wallSeconds: 500, gramAssemblies: 3000 }
    })
    for (const m of example)
      cells.push({
        method: m.method,
        label: m.label,
        point: {},
        seed,
        state: "converged",
        testLoss: refLoss(seed) * (m.below === true ? 1 - m.error : 1 + m.error),
        summary: { wallSeconds: m.seconds }
      })
  }
  return cells
}

const wallPlot: PlotDeclaration = { id: "wall", plugin: "frontier", params: { reference: REF } }

describe("the frontier figure", () => {
  it("compares each cell with its own seed's reference: |T/T_ref − 1| exact, the reference not drawn", async () => {
    const [f] = await figures(folder(exampleCells(), [wallPlot]))
    expect(f.missing).toBeUndefined()
    const points = pointsOf(f)
    expect(points.map((p) => p.series).sort()).toEqual(["A", "B", "C", "D", "E", "F", "G"])
    for (const m of example) {
      const p = points.find((q) => q.series === m.label)!
      // the same relative error on both seeds: its geometric mean is that error (a cell matched
      // with the other seed's reference would be off by a factor 2 in T/T_ref)
      expect(p.error).toBeCloseTo(m.error, 10)
      expect(p.cost).toBeCloseTo(m.seconds, 10)
      expect(p.seeds).toBe(2)
      expect(p.side).toBe(m.below === true ? "below the reference" : "above the reference")
    }
  })

  it("marks exactly the Pareto points, joins them by cost and lists them in the notes", async () => {
    const [f] = await figures(folder(exampleCells(), [wallPlot]))
    const points = pointsOf(f)
    const front = points.filter((p) => p.frontier).sort((a, b) => (a.order as number) - (b.order as number))
    expect(front.map((p) => p.series)).toEqual(["A", "C", "F"])
    expect(front.map((p) => p.rank)).toEqual(["1", "2", "3"])
    const note = f.notes.find((n) => n.startsWith("Pareto frontier"))!
    expect(note).toBe(
      "Pareto frontier, by wall time: (1) A — 1 s, T/T_ref − 1 = +0.5; (2) C — 3 s, T/T_ref − 1 = +0.1;" +
        " (3) F — 20 s, T/T_ref − 1 = −1.00e-3. Reference test loss T_ref = 1.41e-3."
    )
    expect(note).not.toMatch(/\) [BDEG] —/)
  })

  it("paretoFrontier keeps the points nothing beats in both coordinates, ties included", () => {
    const pts = [
      { cost: 5, error: 1 },
      { cost: 1, error: 3 },
      { cost: 5, error: 1 }, // the same point twice: neither beats the other
      { cost: 2, error: 3 }, // beaten by the second (same error, cheaper)
      { cost: 0, error: 10 }, // free (GD's Gram assemblies)
      { cost: 9, error: 1.5 } // beaten by the first
    ]
    expect(paretoFrontier(pts)).toEqual([4, 1, 0, 2])
    expect(paretoFrontier([])).toEqual([])
  })

  it("matches the reference per sweep point: panels by facet, rows by row, errors exact in each", async () => {
    const cells: Cell[] = []
    // the reference's test loss depends on every swept value and the seed
    const tRef = (seed: number, tau: number, n: number) =>
      1e-3 * seed * (tau === 1 ? 3 : 1) * (n === 200 ? 7 : 1)
    const rel: Readonly<Record<string, number>> = { GN: 0.4, GD: 0.02 }
    for (const seed of [1, 2, 3])
      for (const tau of [0.5, 1])
        for (const n of [100, 200]) {
          const point = { "model.initStd": tau, "dataset.nTrain": n }
          cells.push({
            method: "gradient-flow",
            label: REF,
            point,
            seed,
            state: "converged",
            testLoss: tRef(seed, tau, n),
            summary: { gramAssemblies: 400 }
          })
          // GN's error grows with τ0 here, so a panel mixed up with another would show
          const scale = tau === 1 ? 2 : 1
          cells.push({
            method: "gn",
            label: "GN",
            point,
            seed,
            state: "converged",
            iterations: 150 + n,
            testLoss: tRef(seed, tau, n) * (1 + rel.GN * scale)
          })
          cells.push({
            method: "gd",
            label: "GD",
            point,
            seed,
            state: "maxIter",
            iterations: 20000,
            testLoss: tRef(seed, tau, n) * (1 + rel.GD * scale)
          })
          cells.push({
            method: "rf",
            label: "RF",
            point,
            seed,
            state: "converged",
            iterations: 1,
            testLoss: tRef(seed, tau, n) * 3
          })
          cells.push({
            method: "gradient-flow",
            label: "flow rtol 1e-3",
            point,
            seed,
            state: "converged",
            testLoss: tRef(seed, tau, n) * (1 - 1e-4 * scale),
            summary: { gramAssemblies: 60 }
          })
        }
    const dir = folder(cells, [
      {
        id: "gram",
        plugin: "frontier",
        params: { reference: REF, cost: "gramAssemblies", facet: "model.initStd", row: "dataset.nTrain" }
      }
    ])
    const [f] = await figures(dir)
    expect(f.missing).toBeUndefined()
    const points = pointsOf(f)
    expect(points).toHaveLength(4 * 4) // 4 methods (not the reference) × 4 panels
    for (const p of points) {
      const scale = p.panel === "τ0 = 1" ? 2 : 1
      const expected = {
        GN: { error: rel.GN * scale, cost: 150 + (p.row === "N = 200" ? 200 : 100) },
        GD: { error: rel.GD * scale, cost: 0 },
        RF: { error: 2, cost: 1 },
        "flow rtol 1e-3": { error: 1e-4 * scale, cost: 60 }
      }[p.series]!
      expect(p.panel).toMatch(/^τ0 = (0\.5|1)$/)
      expect(p.row).toMatch(/^N = (100|200)$/)
      expect(p.error).toBeCloseTo(expected.error, 9)
      // Gram assemblies: the summary's count (the flow), GN one per update, GD none, RF one
      expect(p.cost).toBeCloseTo(expected.cost, 9)
      expect(p.seeds).toBe(3)
    }
    // in every panel: GD (free), RF (1 Gram, but 200% off) is beaten by nothing cheaper … the flow closest
    for (const panel of ["τ0 = 0.5", "τ0 = 1"])
      for (const row of ["N = 100", "N = 200"]) {
        const front = points
          .filter((p) => p.panel === panel && p.row === row && p.frontier)
          .sort((a, b) => a.cost - b.cost)
          .map((p) => p.series)
        // RF costs 1 Gram but is further than GD, which costs none: RF and GN are beaten
        expect(front).toEqual(["GD", "flow rtol 1e-3"])
      }
    const spec = f.spec as unknown as Record<string, unknown>
    expect(spec.facet).toMatchObject({ column: { field: "panel" }, row: { field: "row" } })
    expect(JSON.stringify(spec)).toContain('"type":"symlog"') // GD's 0 Gram assemblies on the axis
    expect(f.notes.filter((n) => n.startsWith("Pareto frontier"))).toHaveLength(4)
    expect(
      f.notes.some((n) =>
        n.startsWith("Pareto frontier (τ0 = 1, N = 200), by Gram assemblies: (1) GD — 0 Gram assemblies")
      )
    ).toBe(true)
  })

  it("says what is missing when the reference is absent", async () => {
    const cells = exampleCells()
    // an unknown label
    const [unknown] = await figures(
      folder(cells, [{ id: "x", plugin: "frontier", params: { reference: "flow rtol 1e-9" } }])
    )
    expect(unknown.spec).toBeUndefined()
    expect(unknown.missing).toMatch(/No method is labelled "flow rtol 1e-9"/)
    expect(unknown.missing).toContain(`"${REF}"`)
    // no reference given
    const [none] = await figures(folder(cells, [{ id: "x", plugin: "frontier", params: {} }]))
    expect(none.missing).toMatch(/needs params\.reference/)
    // the reference's cells not finished: nothing to compare with
    const unfinished = cells.map((c) => (c.label === REF ? { ...c, state: "failed" as const } : c))
    const [waiting] = await figures(folder(unfinished, [wallPlot]))
    expect(waiting.spec).toBeUndefined()
    expect(waiting.missing).toMatch(/No finished cell of the reference ".*" yet \(0 of 2 done\)/)
    // one seed's reference missing: that seed's cells are left out and named, the rest drawn
    const halfCells = cells.filter((c) => !(c.label === REF && c.seed === 2))
    const [half] = await figures(folder(halfCells, [wallPlot]))
    expect(half.missing).toBeUndefined()
    const points = pointsOf(half)
    expect(points.every((p) => p.seeds === 1)).toBe(true)
    const left = half.notes.find((n) => n.includes("without a finished reference cell"))!
    expect(left).toMatch(
      /^7 cell\(s\) without a finished reference cell of the same seed and sweep point left out/
    )
    expect(left).toContain("A (seed 2)")
    expect(left).not.toContain("seed 1")
  })

  it("builds specs valid against Vega-Lite's schema that compile without warnings", async () => {
    const require = createRequire(import.meta.url)
    const schema = JSON.parse(readFileSync(require.resolve("vega-lite/vega-lite-schema.json"), "utf8"))
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema)
    const cells = exampleCells().flatMap((c) =>
      [0.5, 1].map((tau) => ({ ...c, point: { "model.initStd": tau } }))
    )
    const figs = await figures(
      folder(cells, [
        { id: "wall", plugin: "frontier", params: { reference: REF, facet: "model.initStd" } },
        { id: "gram", plugin: "frontier", params: { reference: REF, cost: "gramAssemblies" } }
      ])
    )
    expect(figs.map((f) => f.missing)).toEqual([undefined, undefined])
    for (const f of figs) {
      const ok = validate(f.spec)
      expect(
        ok ? [] : validate.errors!.slice(0, 3).map((e) => `${f.id}: ${e.instancePath} ${e.message}`)
      ).toEqual([])
      expect(compileSpec(f.spec!).warnings).toEqual([])
      // and the page's interactive version (legend toggling, zoom, tooltips)
      const live = interactiveSpec(f.spec!)
      expect(validate(live) ? [] : validate.errors!.slice(0, 3).map((e) => `${f.id}: ${e.message}`)).toEqual(
        []
      )
      expect(compileSpec(live).warnings).toEqual([])
    }
  })
})
