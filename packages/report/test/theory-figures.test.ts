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
    // one panel per method; the reference (RQMC, M = 8000) itself is not drawn
    const values = data(f)
    expect([...new Set(values.map((v) => v.panel))].sort()).toEqual(["GD", "GN"])
    const means = values.filter((v) => v.kind === "mean")
    expect(means.some((v) => v.x === 8000 && String(v.series).includes("rqmc"))).toBe(false)
    // means of 3 seeds with a band
    expect(values.filter((v) => v.kind === "mean").every((v) => v.seeds === 3)).toBe(true)
  })

  it("compares RQMC's largest M with MC's, and without referenceColor each rule with its own", async () => {
    const { figures } = buildFigures(await Effect.runPromise(readResults(particleFixture())))
    const meansOf = (id: string) => data(figures.find((x) => x.id === id)!).filter((v) => v.kind === "mean")
    // against RQMC's M = 8000: MC's M = 8000 run is compared too, RQMC's own is not
    const vsRqmc = meansOf("particles")
    expect(vsRqmc.filter((v) => v.x === 8000).map((v) => String(v.series).split(":")[0])).toEqual(
      expect.arrayContaining(["GN, mc", "GD, mc"])
    )
    expect(vsRqmc.filter((v) => v.x === 8000)).toHaveLength(2)
    // each rule against its own M = 8000: nothing at 8000; max-rel of MC's larger error is the larger
    const own = meansOf("particles-own")
    expect(own.some((v) => v.x === 8000)).toBe(false)
    const at250 = (rule: string) =>
      own.find((v) => v.x === 250 && String(v.series).startsWith(`GN, ${rule}:`))!.center as number
    expect(at250("mc")).toBeGreaterThan(at250("rqmc"))
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
    // 2 seeds, each drawn: L(0) is the larger of the seeds' 0.11 and 0.12, so both lie below the bound
    const l0 = 0.12
    for (const v of bound) {
      const eta = v.method === "GN flow η = 0.25" ? 0.25 : 0.5
      expect(v.center as number).toBeCloseTo(l0 * Math.exp(-2 * eta * (v.iter as number)), 12)
    }
    // the curves lie below their bound at every time (2 seeds: each seed's line)
    for (const v of values.filter((x) => x.bound === false && x.method !== "gradient flow")) {
      const b = bound.find((x) => x.method === v.method && x.iter === v.iter)!
      // the value itself: below the tolerance level the drawn point is held at the axis's edge
      expect(v.value as number).toBeLessThanOrEqual(b.center as number)
    }
    // the notes check the bound on each seed's rows: the fixture's L0·e^{−3ηt} is e^{−ηt} × the bound
    const note = (label: string) => f.notes.find((n) => n.startsWith(`${label}:`))!
    const worst = (label: string) => Number(/≤ ([0-9.]+)/.exec(note(label))![1])
    expect(worst("GN flow η = 0.25")).toBeCloseTo(Math.exp(-0.25 * 20 * 10 ** -4), 4)
    expect(note("GN flow η = 0.5")).toContain("the bound holds")
    expect(note("GN flow η = 0.5")).toContain(`${Math.exp(-0.5 * 20).toExponential(2)}`)
    expect(f.notes.some((n) => n.startsWith("gradient flow"))).toBe(false)
    // x is the time grid (0 < t ≤ 20), not the row index
    const ts = values.map((v) => v.iter as number)
    expect(Math.max(...ts)).toBeCloseTo(20, 12)
    expect(Math.min(...ts)).toBeGreaterThan(0)
    expect(ts.some((t) => !Number.isInteger(t))).toBe(true)
  })

  it("give methods of one plugin (GN flows with different η) distinct shades of its colour", async () => {
    const { figures } = buildFigures(await Effect.runPromise(readResults(flowFixture())))
    const spec = JSON.stringify(figures.find((x) => x.id === "flow-loss")!.spec)
    const scale = /"scale":\{"domain":(\[[^\]]*\]),"range":(\[[^\]]*\])/.exec(spec)!
    const [domain, range] = [JSON.parse(scale[1]) as string[], JSON.parse(scale[2]) as string[]]
    expect(domain).toEqual(["GN flow η = 0.25", "GN flow η = 0.5", "gradient flow"])
    expect(new Set(range).size).toBe(3)
  })

  it("put a gradient flow standing in for GD at t/λ with x = gdIter, and say why a GN flow is not drawn", async () => {
    const { figures } = buildFigures(await Effect.runPromise(readResults(flowFixture())))
    const f = figures.find((x) => x.id === "flow-updates")!
    const values = data(f)
    expect(new Set(values.map((v) => v.method))).toEqual(new Set(["gradient flow"]))
    // the fixture's flow stands in for GD with λ = 10 on t ∈ [0, 20]: updates 0 … 2, not row indices
    const xs = values.map((v) => v.iter as number)
    expect(Math.max(...xs)).toBeCloseTo(2, 12)
    expect(Math.min(...xs)).toBe(0)
    for (const label of ["GN flow η = 0.25", "GN flow η = 0.5"])
      expect(f.notes.some((n) => n.startsWith(`${label}: not drawn`) && n.includes('"x": "t"'))).toBe(true)
    expect(JSON.stringify(f.spec)).toContain("updates k (gradient flow: t/λ)")
    // GN flows alone: nothing to draw, and the figure says why instead of "no trainLoss"
    const folder = await Effect.runPromise(readResults(flowFixture()))
    const gnFlows = { ...folder, cells: folder.cells.filter((c) => c.entry.method === "gn-flow") }
    const alone = buildFigures(gnFlows).figures.find((x) => x.id === "flow-updates")!
    expect(alone.spec).toBeUndefined()
    expect(alone.missing).toMatch(
      /^Nothing to draw against updates: GN flow η = 0\.25, GN flow η = 0\.5 .*"x": "t"/
    )
  })

  it("draw no bound when it is not asked for, and σ* along the flow", async () => {
    const { figures } = buildFigures(await Effect.runPromise(readResults(flowFixture())))
    const f = figures.find((x) => x.id === "flow-sigma")!
    expect(data(f).some((v) => v.bound === true)).toBe(false)
    expect(new Set(data(f).map((v) => v.method))).toEqual(new Set(["GN flow η = 0.25", "GN flow η = 0.5"]))
  })
})
