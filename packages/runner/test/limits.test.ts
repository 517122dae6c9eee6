/**
 * Resource limits and the metadata of `gnlab train`, in process: memory estimates and their
 * one-line refusals, the --yes threshold checked before cells are expanded, and flags
 * resolved against --data / --init files.
 */
import { validatePipeline, type Pipeline } from "@gnlab/pipeline"
import { Effect, Exit } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { InvalidArgument } from "../src/errors.js"
import { expandWithinLimits } from "../src/pipeline-run.js"
import { registry } from "../src/plugins.js"
import { arrayScript } from "../src/slurm.js"
import {
  estimateMemory,
  largeSweepCells,
  memoryProblem,
  parseMemory,
  type CellSizes
} from "../src/resources.js"
import { defaultTrainFlags, trainCellOf, type TrainFlags } from "./train-flags.js"

const sizes = (o: Partial<CellSizes>): CellSizes => ({
  nTrain: 100,
  nTest: 10000,
  d: 10,
  width: 1000,
  pool: 2000,
  method: "gn",
  backend: "cpu",
  ...o
})
const limit = (bytes: number) => ({ bytes, source: "--max-memory" })

describe("memory estimates", () => {
  it("count N × N buffers only for the methods that assemble A", () => {
    const n = 20_000
    const gd = estimateMemory(sizes({ nTrain: n, width: 10, method: "gd" })).bytes
    const gn = estimateMemory(sizes({ nTrain: n, width: 10, method: "gn" })).bytes
    expect(gd).toBeLessThan(n * n * 8)
    expect(gn).toBeGreaterThan(4 * n * n * 8)
  })

  it("grow with N, M, d and the test set", () => {
    const base = estimateMemory(sizes({})).bytes
    for (const o of [{ nTrain: 200 }, { width: 2000 }, { d: 20 }, { nTest: 20000 }])
      expect(estimateMemory(sizes(o)).bytes, JSON.stringify(o)).toBeGreaterThan(base)
  })

  it("refuse in one line naming the sizes and the estimate", () => {
    const p = memoryProblem(sizes({ width: 1e9 }), limit(16 * 2 ** 30), "this run")!
    expect(p).toMatch(
      /^this run with N = 100, M = 1000000000, d = 10, N_test = 10000 \(gn, cpu\) needs about/
    )
    expect(p).toMatch(/more than the limit of 16 GiB \(--max-memory\)$/)
    expect(p).not.toContain("\n")
    expect(memoryProblem(sizes({}), limit(16 * 2 ** 30))).toBeUndefined()
  })

  it("refuse an array longer than a typed array can be, whatever the memory", () => {
    expect(memoryProblem(sizes({ nTest: 1e9 }), limit(Number.MAX_VALUE))).toMatch(
      /N_test = 1000000000.*needs an array of 1\.10e\+10 numbers/
    )
  })

  it("--max-memory sizes", () => {
    expect(parseMemory("16G")).toBe(16 * 2 ** 30)
    expect(parseMemory("512MiB")).toBe(512 * 2 ** 20)
    expect(parseMemory("1e9")).toBe(1e9)
    for (const bad of ["", "x", "-1G", "0", "1Q"]) expect(parseMemory(bad), bad).toBeUndefined()
  })
})

describe("a large sweep", () => {
  // the plugin is unknown: expanding these cells would throw, so a ResourceLimit proves they were only counted
  const huge = {
    name: "huge",
    dataset: { plugin: "not-a-plugin", params: {} },
    model: { plugin: "finite-width", params: { width: 10 } },
    methods: [{ plugin: "gd" }],
    seeds: [1, 2],
    sweep: {
      grid: {
        "model.initStd": Array.from({ length: 1000 }, (_, i) => i + 1),
        "dataset.nTrain": Array.from({ length: 500 }, (_, i) => i + 1)
      }
    }
  } as unknown as Pipeline

  it("needs --yes, and is refused before its cells are expanded", async () => {
    const exit = await Effect.runPromiseExit(
      expandWithinLimits("huge.json", huge, undefined, { yes: false, maxMemory: undefined, command: "run" })
    )
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause.toString() : ""
    expect(error).toContain("ResourceLimit")
    expect(error).toContain(
      `huge.json: 1,000,000 cells, more than ${largeSweepCells.toLocaleString("en-US")}: add --yes to run them`
    )
  })
})

describe("a pipeline cell that cannot fit", () => {
  it("is refused at expansion in one line naming the cell's sizes and the estimate", async () => {
    const p = {
      name: "wide",
      dataset: { plugin: "teacher-student", params: { nTrain: 100 } },
      model: { plugin: "finite-width", params: {} },
      methods: [{ plugin: "gn" }],
      seeds: [1],
      sweep: { grid: { "model.width": [10, 1e9] } }
    } as unknown as Pipeline
    const limits = { yes: false, maxMemory: 2 ** 30, command: "run" }
    const exit = await Effect.runPromiseExit(expandWithinLimits("wide.json", p, undefined, limits))
    const error = Exit.isFailure(exit) ? exit.cause.toString() : ""
    expect(error).toMatch(
      /wide\.json: cell [0-9a-f]{24} with N = 100, M = 1000000000, d = 10, N_test = 10000 \(gn, cpu\) needs about .* more than the limit of 1\.0 GiB \(--max-memory\)/
    )
    const narrow = { ...p, sweep: { grid: { "model.width": [10] } } } as unknown as Pipeline
    const cells = await Effect.runPromise(expandWithinLimits("wide.json", narrow, undefined, limits))
    expect(cells).toHaveLength(1)
  })
})

describe("gnlab train's flags are the chosen plugins' params", () => {
  const refusal = (f: TrainFlags): InvalidArgument => {
    try {
      trainCellOf({ ...defaultTrainFlags, ...f })
    } catch (e) {
      if (e instanceof InvalidArgument) return e
      throw e
    }
    throw new Error("expected InvalidArgument")
  }

  it("--data chooses the data-file dataset, whose file gives N, d and the test set: --d and --n-test are refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "gnlab-train-data-"))
    const data = join(dir, "d.json")
    writeFileSync(data, JSON.stringify({ xTrain: [[1, 2, 3]], yTrain: [1], xTest: [[1, 2, 3]], yTest: [0] }))
    const cell = trainCellOf({ width: 4, data })
    expect(cell.config.dataset).toEqual({ plugin: "data-file", params: { file: data } })
    expect(refusal({ nTrain: undefined, nTest: undefined, data, d: 10 }).field).toBe("--d")
    expect(refusal({ nTrain: undefined, data }).field).toBe("--n-test")
  })

  it("refuses points per decade that would make grids of billions of points", () => {
    expect(refusal({ method: "gn-flow", tEnd: 1, perDecade: 1e9 }).field).toBe("--per-decade")
    expect(refusal({ recordPerDecade: 1e9 }).field).toBe("--record-per-decade")
    expect(refusal({ testPerDecade: 1e9 }).field).toBe("--test-per-decade")
  })
})

describe("validate with the registered plugins", () => {
  const dir = mkdtempSync(join(tmpdir(), "gnlab-limits-"))
  const file = (name: string, content: unknown) => {
    const path = join(dir, name)
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content))
    return path
  }
  const base = {
    name: "t",
    dataset: { plugin: "teacher-student", params: { nTrain: 5 } },
    model: { plugin: "finite-width", params: { width: 3 } },
    methods: [{ plugin: "gd" }],
    seeds: [1]
  }
  const issues = (doc: unknown) => {
    const v = validatePipeline(JSON.stringify(doc), registry)
    return v.ok ? [] : v.issues.map((i) => `${i.path}: expected ${i.expected}, found ${i.found}`)
  }

  it("bounds points per decade (a flow's output grid, the trajectory's rows)", () => {
    expect(
      issues({ ...base, methods: [{ plugin: "gn-flow", params: { tEnd: 1, perDecade: 1e9 } }] })
    ).toEqual(["/methods/0/params/perDecade: expected a number ≤ 1000, found 1000000000"])
    expect(issues({ ...base, metrics: { plugin: "trajectory", params: { recordPerDecade: 1e9 } } })).toEqual([
      "/metrics/params/recordPerDecade: expected a number ≤ 1000, found 1000000000"
    ])
  })

  it("refuses a finite-width model without width or initFile", () => {
    expect(issues({ ...base, model: { plugin: "finite-width", params: { initStd: 2 } } })).toEqual([
      "/model/params/width: expected this required field, found nothing"
    ])
  })

  it("refuses an initFile without hiddenBias unless bias is false, and reads data files", () => {
    const init = file("init.json", { hiddenWeights: [[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]], outputWeights: [0] })
    const model = (params: object) => ({
      ...base,
      model: { plugin: "finite-width", params: { initFile: init, ...params } }
    })
    expect(issues(model({}))).toEqual([
      "/model/params/bias: expected bias: false (the initFile has no hiddenBias, so the network has no bias), found true"
    ])
    expect(issues(model({ bias: false }))).toEqual([])
    const data = file("data.json", '{"xTrain": [[1, 2]], "yTrain": [1], "xTest": [[1, 2]],\n "yTest": [1,]}')
    const found = issues({ ...base, dataset: { plugin: "data-file", params: { file: data } } })
    expect(found).toEqual([
      `/dataset/params/file: expected data in the --data format, found ${data}: $: not valid JSON at line 2, column 14`
    ])
  })
})

describe("Slurm tasks of a large sweep", () => {
  it("run with --yes (accepted at submit) and the submitted --max-memory", () => {
    const paths = { node: "/n", gnlab: "/g.js", pipeline: "/p.json", results: "/r", workdir: "/w" }
    const options = { tasks: 2, cpusPerTask: 1, extra: [], requeue: false }
    expect(arrayScript("p", paths, options)).not.toContain("--yes")
    expect(arrayScript("p", paths, { ...options, yes: true, maxMemory: "16G" })).toContain(
      " --max-memory 16G --yes --quiet\n"
    )
  })
})
