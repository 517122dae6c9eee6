/** The `gnlab train` command as a user runs it: a child process, its output and files. */
import { Rng, teacherStudent } from "@gnlab/data-gen"
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../bin/gnlab.js", import.meta.url))
const gnlab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const tmp = () => mkdtempSync(join(tmpdir(), "gnlab-cli-"))
const small = ["--n-train", "30", "--width", "40", "--n-test", "200", "--seed", "3", "--quiet"]

const rows = (m: Float64Array, cols: number) =>
  Array.from({ length: m.length / cols }, (_, r) => Array.from(m.subarray(r * cols, (r + 1) * cols)))

describe("gnlab train", () => {
  it("--json prints one object with the resolved config and the results", () => {
    const r = gnlab("train", "--method", "gn", ...small, "--json")
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining([
        "config",
        "iterations",
        "stopReason",
        "initialTrainLoss",
        "finalTrainLoss",
        "finalTestLoss",
        "wallSeconds",
        "backend",
        "gnlabVersion"
      ])
    )
    // the resolved one-cell pipeline: the flags and every default of the chosen plugins
    expect(s.config).toMatchObject({
      dataset: { plugin: "teacher-student", params: { nTrain: 30, nTest: 200, d: 10 } },
      model: { plugin: "finite-width", params: { width: 40, initStd: 1 } },
      method: { plugin: "gn", params: { lr: 10, tol: 1e-8 } },
      seed: 3
    })
    expect(s.stopReason).toBe("converged")
    expect(s.finalTrainLoss).toBeLessThanOrEqual(1e-8 * s.initialTrainLoss)
    expect(s.backend).toBe("cpu")
  })

  it("--out writes the trajectory on the log schedule and the summary", () => {
    const out = join(tmp(), "run")
    const r = gnlab("train", "--method", "gd", ...small, "--max-iter", "300", "--out", out)
    expect(r.code).toBe(0)
    const lines = readFileSync(join(out, "trajectory.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
    const iters = lines.map((l) => l.iter)
    expect(iters.slice(0, 11)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(iters).toContain(100)
    expect(iters[iters.length - 1]).toBe(300)
    // about 20 rows per decade between 10 and 300: 20·log10(30) ≈ 30
    expect(iters.length).toBeGreaterThan(35)
    expect(iters.length).toBeLessThan(50)
    for (const f of [
      "iter",
      "trainLoss",
      "testLoss",
      "sigmaMin",
      "sigmaMax",
      "cond",
      "eps",
      "gradNorm",
      "distInit",
      "stepNorm"
    ])
      expect(lines[5]).toHaveProperty(f)
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"))
    expect(summary).toMatchObject({ iterations: 300, stopReason: "maxIter" })
    expect(summary.finalTrainLoss).toBe(lines[lines.length - 1].trainLoss)
    expect(lines[0].distInit).toBe(0)
    expect(lines[1].stepNorm).toBeGreaterThan(0)
  })

  it("--data and --init reproduce the seeded run exactly", () => {
    const dir = tmp()
    const data = teacherStudent({ seed: 3, nTrain: 30, nTest: 200 })
    writeFileSync(
      join(dir, "data.json"),
      JSON.stringify({
        xTrain: rows(data.xTrain, 10),
        yTrain: Array.from(data.yTrain),
        xTest: rows(data.xTest, 10),
        yTest: Array.from(data.yTest)
      })
    )
    // the seeded init: weights (M × d) then biases from the init stream, τ0 = 1
    const rng = Rng.stream(3, "init")
    const w = rng.normals(40 * 10)
    const b = rng.normals(40)
    writeFileSync(
      join(dir, "init.json"),
      JSON.stringify({
        hiddenWeights: rows(w, 10),
        hiddenBias: Array.from(b),
        outputWeights: Array(40).fill(0)
      })
    )
    const seeded = JSON.parse(gnlab("train", "--method", "gn", ...small, "--json").stdout)
    const fromFiles = JSON.parse(
      gnlab(
        "train",
        "--method",
        "gn",
        "--data",
        join(dir, "data.json"),
        "--init",
        join(dir, "init.json"),
        "--quiet",
        "--json"
      ).stdout
    )
    expect(fromFiles.iterations).toBe(seeded.iterations)
    expect(fromFiles.finalTrainLoss).toBe(seeded.finalTrainLoss)
    expect(fromFiles.finalTestLoss).toBe(seeded.finalTestLoss)
  })

  it("Ctrl-C stops a long run promptly, keeps the rows recorded so far and writes no summary", async () => {
    const out = join(tmp(), "run")
    const child = spawn(process.execPath, [
      bin,
      "train",
      "--method",
      "gd",
      "--n-train",
      "100",
      "--width",
      "200",
      "--max-iter",
      "10000000",
      "--tol",
      "0",
      "--out",
      out,
      "--quiet"
    ])
    // wait until the trajectory has rows, then interrupt
    for (
      let i = 0;
      i < 600 &&
      !(
        existsSync(join(out, "trajectory.jsonl")) &&
        readFileSync(join(out, "trajectory.jsonl"), "utf8").split("\n").length > 12
      );
      i++
    )
      await new Promise((r) => setTimeout(r, 100))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    child.kill("SIGINT")
    expect(await exited).toBe(130)
    const lines = readFileSync(join(out, "trajectory.jsonl"), "utf8").trim().split("\n")
    expect(lines.length).toBeGreaterThan(11)
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow()
    expect(existsSync(join(out, "summary.json"))).toBe(false)
  })

  describe("bad input: one line naming the problem, exit code 2, nothing written", () => {
    const dir = tmp()
    writeFileSync(
      join(dir, "ragged.json"),
      JSON.stringify({ xTrain: [[1, 2], [3]], yTrain: [1, 2], xTest: [[1, 2]], yTest: [1] })
    )
    writeFileSync(
      join(dir, "nan.json"),
      JSON.stringify({ xTrain: [[1, 2]], yTrain: ["x"], xTest: [[1, 2]], yTest: [1] })
    )
    writeFileSync(
      join(dir, "init.json"),
      JSON.stringify({ hiddenWeights: [[1, 2]], hiddenBias: [0], outputWeights: [0] })
    )
    writeFileSync(
      join(dir, "data.json"),
      JSON.stringify({ xTrain: [[1, 2]], yTrain: [1], xTest: [[1, 2]], yTest: [1] })
    )
    const cases: Array<[string, string[], RegExp]> = [
      [
        "unknown method",
        ["--method", "newton", ...small],
        /--method: expected one of gn, gd, rf, gn-flow, gradient-flow, got "newton"/
      ],
      ["a near miss", ["--method", "gdd", ...small], /did you mean "gd"/],
      ["negative width", ["--n-train", "10", "--width", "-5"], /--width: expected a number ≥ 1, found -5/],
      ["missing N", ["--width", "5"], /--n-train: is required/],
      ["a non-number", ["--n-train", "ten", "--width", "5"], /--n-train/],
      ["an unknown flag", ["--widht", "5"], /--widht/],
      [
        "ragged arrays",
        ["--data", join(dir, "ragged.json"), "--width", "5"],
        /ragged\.json: \$\.xTrain\[1\]: expected a row of 2 numbers/
      ],
      [
        "non-numbers in a file",
        ["--data", join(dir, "nan.json"), "--width", "5"],
        /nan\.json: \$\.yTrain\[0\]: expected a finite number/
      ],
      [
        "widths that disagree",
        ["--data", join(dir, "data.json"), "--init", join(dir, "init.json"), "--width", "7"],
        /--width: expected the initFile's 1 hidden units \(or no width\), found 7/
      ],
      [
        "a missing file",
        ["--data", join(dir, "nope.json"), "--width", "5"],
        /--data: expected an existing file .*nope\.json.*\(ENOENT\)/
      ],
      [
        "a bad activation",
        ["--activation", "sigmoid", ...small],
        /--activation: expected one of silu, relu, tanh, gelu/
      ]
    ]
    for (const [name, args, message] of cases)
      it(name, () => {
        const out = join(dir, `out-${name.replace(/\W/g, "")}`)
        const r = gnlab("train", ...args, "--out", out)
        expect(r.code).toBe(2)
        expect(r.stderr).toMatch(message)
        expect(r.stderr.trim().split("\n")).toHaveLength(1)
        expect(existsSync(out)).toBe(false)
      })
  })
})
