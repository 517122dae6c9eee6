import { fitRate } from "@gnlab/metrics"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { cost, makespan, rateRows, readSummaries, type RateCell } from "../src/rates-main.js"

const dir = mkdtempSync(join(tmpdir(), "gnlab-rates-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const header = "cellId,label,method,seed,dataset.nTrain,finalTestLoss,wallSeconds,stopReason"
/** test loss 0.5·N^−α·(1 + seed/10): α exactly `alpha` for every seed */
const rows = (alpha: number, seeds: number[], sizes: number[], label = "GN", method = "gn") =>
  seeds.flatMap((s) =>
    sizes.map(
      (n) =>
        `${label}-${s}-${n},${label},${method},${s},${n},${0.5 * n ** -alpha * (1 + s / 10)},${n / 100},converged`
    )
  )

describe("Table 1 from exported summaries", () => {
  it("combines parts, counts a repeated cell once and leaves out partial seeds", async () => {
    const a = join(dir, "a.csv")
    const b = join(dir, "b.csv")
    // seeds 1–2 in one part, seed 3 and a repeat of seed 2 in the other; seed 4 lacks N = 400
    writeFileSync(a, [header, ...rows(1.5, [1, 2], [100, 200, 400])].join("\n"))
    writeFileSync(
      b,
      [
        header,
        ...rows(1.5, [2, 3], [100, 200, 400]),
        ...rows(1.5, [4], [100, 200]),
        "RF-1-100,RF,rf,1,100,0.01,1,failed"
      ].join("\n")
    )
    const cells = await readSummaries([a, b])
    expect(cells.some((c) => c.label === "RF")).toBe(false) // a failed cell is not a result
    const [gn] = rateRows(cells)
    expect(gn.cells).toBe(11) // 3 seeds × 3 N + seed 4's two, the repeated seed 2 once
    expect(gn.partialSeeds).toEqual([4])
    expect(gn.fit?.seeds).toBe(3)
    expect(gn.fit?.alpha).toBeCloseTo(1.5, 10)
    expect(gn.paper).toBe(1.76)
    expect(gn.cellSeconds).toBeCloseTo(3 * 7 + 3, 10)
  })

  it("gives fitRate's α and interval for noisy per-seed rates", () => {
    const cells: RateCell[] = [1, 2, 3].flatMap((seed) =>
      [100, 500, 2000].map((n) => ({
        cellId: `${seed}-${n}`,
        label: "flow",
        method: "gradient-flow",
        seed,
        n,
        finalTestLoss: n ** -(1.9 + seed / 20),
        wallSeconds: 1
      }))
    )
    const [row] = rateRows(cells)
    const direct = fitRate(cells.map((c) => ({ n: c.n, loss: c.finalTestLoss, seed: c.seed })))
    expect(row.fit).toEqual(direct)
    expect(row.fit?.alpha).toBeCloseTo(2, 10)
    expect(row.fit?.lo).toBeLessThan(2)
  })

  it("projects the whole table from the mean cell time of each (method, N)", () => {
    const cells: RateCell[] = [
      { cellId: "a", label: "GN", method: "gn", seed: 1, n: 100, finalTestLoss: 1, wallSeconds: 10 },
      { cellId: "b", label: "GN", method: "gn", seed: 2, n: 100, finalTestLoss: 1, wallSeconds: 30 },
      { cellId: "b", label: "GN", method: "gn", seed: 2, n: 100, finalTestLoss: 1, wallSeconds: 30 },
      { cellId: "c", label: "GN", method: "gn", seed: 1, n: 200, finalTestLoss: 1, wallSeconds: 50 }
    ]
    const c = cost(cells, 2, 3)
    expect([c.cells, c.cellSeconds, c.makespanSeconds]).toEqual([3, 90, 50])
    // 3 seeds: 20 s ×3 at N = 100, 50 s ×3 at N = 200 → 210 s; longest first on 2: {50, 50} {50, 20, 20, 20}
    expect(c.projected).toEqual({ seeds: 3, cellSeconds: 210, makespanSeconds: 110 })
    expect(cost(cells, 2).projected).toBeUndefined()
  })

  it("schedules longest first", () => {
    expect(makespan([5, 4, 3, 3, 3], 2)).toBe(10) // {5, 3, 3} {4, 3}: LPT's answer (optimum 9)
    expect(makespan([7, 1, 1], 2)).toBe(7)
    expect(makespan([2, 2], 1)).toBe(4)
  })

  it("names a file that is not a summaries table, in one line", async () => {
    const bad = join(dir, "bad.csv")
    writeFileSync(bad, "iter,trainLoss\n1,0.5\n")
    await expect(readSummaries([bad])).rejects.toThrow(/no column "cellId".*gnlab export/)
    const r = spawnSync("npx", ["tsx", "src/rates-main.ts", bad], {
      encoding: "utf8",
      cwd: join(__dirname, "..")
    })
    expect(r.status).toBe(2)
    expect(r.stderr.split("\n")[0]).toMatch(/^rates: .*bad\.csv: no column "cellId"/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it("reproduces the Table 1 that docs/flows.md and the README report from the kept summaries", async () => {
    // docs/data/table1-flow/ holds the exported summaries of the paper-sized Table 1 (100 cells,
    // 5 seeds, run in two parts): the α quoted in the docs must follow from them
    const data = join(__dirname, "..", "..", "docs", "data", "table1-flow")
    const cells = await readSummaries(
      readdirSync(data)
        .filter((f) => f.endsWith(".csv"))
        .map((f) => join(data, f))
    )
    const rows = rateRows(cells)
    const quoted: Record<string, [number, number, number]> = {
      RF: [0.5, 0.41, 0.59],
      GN: [1.79, 1.63, 1.94],
      "GD as gradient flow (ROS2), to tol": [2.19, 2.01, 2.38],
      "GD as gradient flow (ROS2), t = λ·10⁷": [2.1, 1.87, 2.34]
    }
    expect(rows.map((r) => r.label).sort()).toEqual(Object.keys(quoted).sort())
    for (const r of rows) {
      const [alpha, lo, hi] = quoted[r.label]
      expect([r.cells, r.fit?.seeds, r.partialSeeds.length]).toEqual([25, 5, 0])
      // the docs print two decimals: each number within half a unit of the last digit
      const fit = [r.fit?.alpha, r.fit?.lo, r.fit?.hi].map(Number)
      fit.forEach((v, i) => expect(Math.abs(v - [alpha, lo, hi][i])).toBeLessThanOrEqual(0.005 + 1e-12))
    }
  })
})
