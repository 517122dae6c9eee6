/**
 * Accepted-looking input that used to crash, allocate until the OOM killer, or reuse stale
 * results (issue 15, part B), as a user runs it: one line on stderr, exit code 2, nothing
 * written — and input files that enter the cell id by content.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../bin/gnlab.js", import.meta.url))
const gnlab = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const tmp = () => mkdtempSync(join(tmpdir(), "gnlab-hostile-"))
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split("\n")
  expect(lines, stderr).toHaveLength(1)
  expect(stderr).not.toMatch(/\n\s+at /)
  return lines[0]
}

describe("sizes that cannot fit", () => {
  for (const [name, flag, sizes] of [
    ["--width 1e9", ["--width", "1e9", "--n-test", "100"], /M = 1000000000/],
    ["--n-test 1e9", ["--width", "5", "--n-test", "1e9"], /N_test = 1000000000/]
  ] as const)
    it(`${name} is refused before allocating: one line naming the sizes, exit 2, also with --json`, () => {
      const dir = tmp()
      const r = gnlab(dir, "train", "--n-train", "10", ...flag, "--json", "--quiet", "--out", join(dir, "o"))
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^gnlab: this run with N = 10, .*${sizes.source}.*needs`))
      expect(existsSync(join(dir, "o"))).toBe(false)
    })

  it("gn-flow --record-per-decade 1e9 gets a range error, not a V8 fatal error", () => {
    const r = gnlab(
      tmp(),
      "train",
      "--method",
      "gn-flow",
      "--t-end",
      "1",
      "--n-train",
      "10",
      "--width",
      "5",
      "--record-per-decade",
      "1e9"
    )
    expect(r.code).toBe(2)
    expect(oneLine(r.stderr)).toBe("gnlab: --record-per-decade: expected a number ≤ 1000, found 1000000000")
  })
})

const pipeline = (o: Record<string, unknown> = {}) =>
  JSON.stringify({
    name: "hostile",
    dataset: { plugin: "teacher-student", params: { nTrain: 10, nTest: 20 } },
    model: { plugin: "finite-width", params: { width: 8 } },
    methods: [{ plugin: "gd", params: { maxIter: 5 } }],
    seeds: [1],
    ...o
  })

describe("pipelines", () => {
  it('"lr": 1e999 is refused by validate and run with its JSON path; run writes nothing', () => {
    const dir = tmp()
    writeFileSync(join(dir, "p.json"), pipeline().replace('"maxIter":5', '"maxIter":5,"lr":1e999'))
    const v = gnlab(dir, "validate", "p.json")
    expect(v.code).toBe(2)
    expect(oneLine(v.stderr)).toMatch(
      /p\.json:1:\d+: \/methods\/0\/params\/lr: expected a value of type number, found Infinity/
    )
    const r = gnlab(dir, "run", "p.json", "--out", "out", "--quiet")
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("/methods/0/params/lr")
    expect(existsSync(join(dir, "out"))).toBe(false)
  })

  it("a sweep of more than 100 000 cells needs --yes, and nothing is written before", () => {
    const dir = tmp()
    const values = (n: number) => Array.from({ length: n }, (_, i) => i + 1)
    writeFileSync(
      join(dir, "p.json"),
      pipeline({ sweep: { grid: { "model.initStd": values(1000), "dataset.nTrain": values(1000) } } })
    )
    const v = gnlab(dir, "validate", "p.json")
    expect(v.code).toBe(0)
    expect(v.stdout).toMatch(/1000000 cells \(more than 100000: plan and run need --yes\)/)
    const r = gnlab(dir, "run", "p.json", "--out", "out", "--quiet")
    expect(r.code).toBe(2)
    expect(oneLine(r.stderr)).toBe("gnlab: p.json: 1,000,000 cells, more than 100,000: add --yes to run them")
    expect(existsSync(join(dir, "out"))).toBe(false)
  })

  it("an edited data file is recomputed: the file enters the cell id by content", () => {
    const dir = tmp()
    const data = (shift: number) =>
      JSON.stringify({
        xTrain: [
          [0, 1, 2],
          [1, 0, 2],
          [2, 1, 0],
          [0, 2, 1],
          [1, 1, 1]
        ],
        yTrain: [0.1, 0.2, 0.3, 0.4, 0.5 + shift],
        xTest: [
          [1, 2, 3],
          [3, 2, 1]
        ],
        yTest: [0.1, 0.2]
      })
    writeFileSync(join(dir, "data.json"), data(0))
    writeFileSync(
      join(dir, "p.json"),
      pipeline({ dataset: { plugin: "data-file", params: { file: "data.json" } } })
    )
    const first = gnlab(dir, "run", "p.json", "--out", "out", "--quiet")
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/1 computed, 0 already done/)
    const again = gnlab(dir, "run", "p.json", "--out", "out", "--quiet")
    expect(again.stdout).toMatch(/0 computed, 1 already done/)
    writeFileSync(join(dir, "data.json"), data(1))
    const edited = gnlab(dir, "run", "p.json", "--out", "out", "--quiet")
    expect(edited.code, edited.stderr).toBe(0)
    expect(edited.stdout).toMatch(/1 computed, 0 already done/)
    const cells = JSON.parse(readFileSync(join(dir, "out", "cells.json"), "utf8")) as Array<{ id: string }>
    const cell = JSON.parse(readFileSync(join(dir, "out", "cells", cells[0].id, "cell.json"), "utf8"))
    expect(cell.inputs["dataset.file"]).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe("gnlab train records the truth about its files", () => {
  it("the data file's test set, a bias-free net from an --init without hiddenBias (--no-bias says so); --d is refused with --data", () => {
    const dir = tmp()
    writeFileSync(
      join(dir, "data.json"),
      JSON.stringify({
        xTrain: [
          [0, 1, 2],
          [1, 0, 2],
          [2, 1, 0],
          [0, 2, 1]
        ],
        yTrain: [0.1, 0.2, 0.3, 0.4],
        xTest: [
          [1, 2, 3],
          [3, 2, 1],
          [0, 0, 1],
          [1, 0, 0],
          [0, 1, 0]
        ],
        yTest: [0.1, 0.2, 0.3, 0.4, 0.5]
      })
    )
    writeFileSync(
      join(dir, "init.json"),
      JSON.stringify({
        hiddenWeights: [
          [1, 0, 0],
          [0, 1, 0]
        ],
        outputWeights: [0, 0]
      })
    )
    const files = [
      "--data",
      "data.json",
      "--init",
      "init.json",
      "--method",
      "gd",
      "--max-iter",
      "3",
      "--no-bias",
      "--quiet"
    ]
    // --debug is accepted anywhere and changes nothing on success
    const r = gnlab(dir, "train", ...files, "--json", "--debug")
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s.config.dataset).toEqual({ plugin: "data-file", params: { file: "data.json" } })
    expect(s.config.model.params).toMatchObject({ initFile: "init.json", bias: false })
    expect(s.config.model.params.bias).toBe(false)
    expect(s.config.inputs).toMatchObject({
      "dataset.file": expect.any(String),
      "model.initFile": expect.any(String)
    })
    const d10 = gnlab(dir, "train", ...files, "--d", "10")
    expect(d10.code).toBe(2)
    expect(oneLine(d10.stderr)).toMatch(/^gnlab: --d: is not a parameter of dataset data-file/)
    // the file's truth is checked: an --init without hiddenBias needs --no-bias
    const biased = gnlab(dir, "train", ...files.filter((f) => f !== "--no-bias"))
    expect(biased.code).toBe(2)
    expect(oneLine(biased.stderr)).toMatch(
      /^gnlab: --no-bias: expected bias: false \(the initFile has no hiddenBias/
    )
  })
})
