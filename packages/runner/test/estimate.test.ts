/** The plan's rough cost model: it follows sizes, methods and the kernel provider. */
import { expandCells, type Pipeline } from "@gnlab/pipeline"
import { describe, expect, it } from "vitest"
import { cpuSpeeds, estimateSeconds } from "../src/pipeline-run.js"
import { registry } from "../src/plugins.js"

const cellsOf = (methods: Pipeline["methods"], widths: number[], sizes: number[]) =>
  expandCells(
    {
      name: "estimate",
      dataset: { plugin: "teacher-student", params: { nTrain: 100 } },
      model: { plugin: "mean-field", params: { width: 100 } },
      methods,
      seeds: [1],
      sweep: { grid: { "model.width": widths, "dataset.nTrain": sizes } }
    } as unknown as Pipeline,
    registry
  )

describe("estimateSeconds", () => {
  it("grows with N and M, and is smaller on the native kernels", () => {
    const cells = cellsOf([{ plugin: "gn" }], [1000, 4000], [100, 400])
    const at = (m: number, n: number) =>
      cells.find((c) => c.config.model.params.width === m && c.config.dataset.params.nTrain === n)!
    for (const speeds of [cpuSpeeds.native, cpuSpeeds.typescript]) {
      expect(estimateSeconds(at(4000, 100), speeds)).toBeGreaterThan(estimateSeconds(at(1000, 100), speeds))
      expect(estimateSeconds(at(1000, 400), speeds)).toBeGreaterThan(estimateSeconds(at(1000, 100), speeds))
    }
    expect(estimateSeconds(at(4000, 400), cpuSpeeds.native)).toBeLessThan(
      estimateSeconds(at(4000, 400), cpuSpeeds.typescript)
    )
  })

  it("prices GD by its iteration cap and gives the flows a cost", () => {
    const cells = cellsOf(
      [
        { plugin: "gd", params: { maxIter: 1000 } },
        { plugin: "gd", label: "GD long", params: { maxIter: 10000 } },
        { plugin: "gn-flow", params: { tEnd: 10 } },
        { plugin: "gradient-flow", params: { tEnd: 10 } }
      ],
      [1000],
      [100]
    )
    const [short, long, gnFlow, gradientFlow] = cells.map((c) => estimateSeconds(c, cpuSpeeds.native))
    // ten times the updates; the test-set evaluations (≈ 20 per decade) are shared costs
    expect(long / short).toBeGreaterThan(2)
    expect(gnFlow).toBeGreaterThan(0)
    expect(gradientFlow).toBeGreaterThan(0)
  })
})
