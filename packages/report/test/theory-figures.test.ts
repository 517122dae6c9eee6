/** The figures of the theory checks: particle convergence (MC vs RQMC) and flows against Prop. 3's bound. */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { buildFigures, readResults, type Figure } from "../src/index.js"
import { flowFixture, particleFixture, particleOrders } from "./fixture.js"

type Datum = Record<string, unknown>
const data = (f: Figure): Datum[] => (f.spec as unknown as { data: { values: Datum[] } }).data.values

describe("the convergence plot", () => {
  it("recovers the order each quadrature's trajectories were made with, per method", async () => {
    const { figures } = buildFigures(await Effect.runPromise(readResults(particleFixture())))
    const f = figures.find((x) => x.id === "particles")!
    expect(f.missing).toBeUndefined()
    // notes: "GN, quadrature = mc: order β = 0.49 [0.47, 0.51]" for each method and rule
    for (const method of ["GN", "GD"])
      for (const [rule, beta] of Object.entries(particleOrders)) {
        const note = f.notes.find((n) => n.startsWith(`${method}, quadrature = ${rule}:`))
        expect(note, `${method} ${rule}`).toBeDefined()
        const fitted = Number(/β = ([0-9.]+)/.exec(note!)![1])
        // d = log10(1 + cM^−β) is a power law up to the curvature of log(1 + x): within 0.1 of β
        expect(Math.abs(fitted - beta)).toBeLessThan(0.1)
      }
    const mc = f.notes.find((n) => n.startsWith("GN, quadrature = mc"))!
    const rqmc = f.notes.find((n) => n.startsWith("GN, quadrature = rqmc"))!
    expect(Number(/β = ([0-9.]+)/.exec(rqmc)![1])).toBeGreaterThan(Number(/β = ([0-9.]+)/.exec(mc)![1]))
    // one panel per method, the reference (M = 8000) itself not drawn
    const values = data(f)
    expect([...new Set(values.map((v) => v.panel))].sort()).toEqual(["GD", "GN"])
    expect(values.filter((v) => v.kind === "mean").every((v) => (v.x as number) < 8000)).toBe(true)
    // means of 3 seeds with a band
    expect(values.filter((v) => v.kind === "mean").every((v) => v.seeds === 3)).toBe(true)
  })

  it("with referenceColor compares every rule with the reference rule's largest M", async () => {
    const { figures } = buildFigures(await Effect.runPromise(readResults(particleFixture())))
    const f = figures.find((x) => x.id === "particles-vs-rqmc")!
    const mean = data(f).filter((v) => v.kind === "mean")
    // the MC run at M = 8000 is now compared too (against RQMC's)
    expect(mean.some((v) => v.x === 8000 || (v.x as number) === 4000)).toBe(true)
    const mc250 = mean.find((v) => v.panel === "GN" && v.x === 250 && String(v.series).startsWith("mc"))!
    const rq250 = mean.find((v) => v.panel === "GN" && v.x === 250 && String(v.series).startsWith("rqmc"))!
    // max-rel of (1 + cM^−β) against (1 + c 8000^−1): MC's is the larger at M = 250
    expect(mc250.center as number).toBeGreaterThan(rq250.center as number)
  })

  it("says what to sweep when there is one M", async () => {
    const folder = await Effect.runPromise(readResults(particleFixture()))
    const one = { ...folder, cells: folder.cells.filter((c) => c.entry.point["model.width"] === 1000) }
    const f = buildFigures(one).figures[0]
    expect(f.spec).toBeUndefined()
    expect(f.missing).toContain('"model.width"')
  })
})

describe("curves against flow time", () => {
  it("draw t on the x axis and Prop. 3's bound L(0)e^{−2ηt} for theory-damped GN flows only", async () => {
    const { figures } = buildFigures(await Effect.runPromise(readResults(flowFixture())))
    const f = figures.find((x) => x.id === "flow-loss")!
    expect(f.caption).toContain("Proposition 3")
    const values = data(f)
    const bound = values.filter((v) => v.bound === true)
    expect(new Set(bound.map((v) => v.method))).toEqual(new Set(["GN flow η = 0.25", "GN flow η = 0.5"]))
    // L(0) is the geometric mean of the seeds' 0.11 and 0.12
    const l0 = Math.sqrt(0.11 * 0.12)
    for (const v of bound) {
      const eta = v.method === "GN flow η = 0.25" ? 0.25 : 0.5
      expect(v.center as number).toBeCloseTo(l0 * Math.exp(-2 * eta * (v.iter as number)), 12)
    }
    // the curves lie below their bound at every time
    for (const v of values.filter((x) => x.bound === false && x.method !== "gradient flow")) {
      const b = bound.find((x) => x.method === v.method && x.iter === v.iter)!
      expect(v.center as number).toBeLessThanOrEqual(b.center as number)
    }
    // x is the time grid (0 < t ≤ 20), not the row index
    const ts = values.map((v) => v.iter as number)
    expect(Math.max(...ts)).toBeCloseTo(20, 12)
    expect(Math.min(...ts)).toBeGreaterThan(0)
    expect(ts.some((t) => !Number.isInteger(t))).toBe(true)
  })

  it("draw no bound when it is not asked for, and σ* along the flow", async () => {
    const { figures } = buildFigures(await Effect.runPromise(readResults(flowFixture())))
    const f = figures.find((x) => x.id === "flow-sigma")!
    expect(data(f).some((v) => v.bound === true)).toBe(false)
    expect(new Set(data(f).map((v) => v.method))).toEqual(new Set(["GN flow η = 0.25", "GN flow η = 0.5"]))
  })
})
