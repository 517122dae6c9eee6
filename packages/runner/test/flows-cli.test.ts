/** `gnlab train` with the flows (--method gn-flow | gradient-flow) and the mean-field model. */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { resolveTrainConfig, type TrainFlags } from "../src/train-config.js"
import { defaultTrainFlags as base, trainFlagProblem } from "./train-flags.js"

const bin = fileURLToPath(new URL("../bin/gnlab.js", import.meta.url))
const gnlab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const tmp = () => mkdtempSync(join(tmpdir(), "gnlab-flows-"))
const small = ["--n-train", "20", "--width", "40", "--n-test", "100", "--seed", "3", "--quiet"]
const readRows = (dir: string) =>
  readFileSync(join(dir, "trajectory.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))

const problemOf = trainFlagProblem

describe("gnlab train --method gn-flow | gradient-flow", () => {
  it("gn-flow defaults to the theory's damping (η = 0.5, μ_H = 1/N, H = ∇²L) and obeys Prop. 3's bound", () => {
    const out = join(tmp(), "run")
    const r = gnlab(
      "train",
      "--method",
      "gn-flow",
      ...small,
      "--t-end",
      "6",
      "--tol",
      "0",
      "--out",
      out,
      "--json"
    )
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s.trainConfig).toMatchObject({
      method: "gn-flow",
      model: "finite",
      quadrature: null,
      lr: null,
      tEnd: 6,
      hessian: "loss",
      odeRtol: 1e-7,
      damping: { rule: "theory", eta: 0.5, muH: 1 / 20 }
    })
    expect(s.stopReason).toBe("maxIter")
    const rows = readRows(out)
    // 20 points per decade over 4 decades below t_end, then t_end, plus the initial row
    expect(rows.length).toBe(82)
    expect(rows[0]).toMatchObject({ iter: 0, t: 0, distInit: 0, stepNorm: null })
    expect(rows[1].t).toBeCloseTo(6e-4, 15)
    expect(rows[81].t).toBe(6)
    for (const row of rows) {
      expect(row.trainLoss).toBeLessThanOrEqual(rows[0].trainLoss * Math.exp(-row.t) * (1 + 1e-6))
      expect(row.pinvNorm).toBeGreaterThan(0)
      expect(row.sigmaMin).toBeGreaterThan(0)
      expect(row.eps).toBeCloseTo((row.sigmaMin * 1) / 20, 12)
      expect(row.testLoss).not.toBeNull()
    }
    expect(rows[81].distInit).toBeGreaterThan(0)
    expect(s.finalTrainLoss).toBe(rows[81].trainLoss)
  })

  it("gradient-flow records t and pinvNorm, no ε; tol stops it early; --record-per-decade sets the grid", () => {
    const out = join(tmp(), "gf")
    const r = gnlab(
      "train",
      "--method",
      "gradient-flow",
      ...small,
      "--t-end",
      "2000",
      "--record-per-decade",
      "5",
      "--tol",
      "0.5",
      "--out",
      out,
      "--json"
    )
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s.stopReason).toBe("converged")
    const rows = readRows(out)
    expect(rows.length).toBeLessThan(22)
    for (let k = 1; k < rows.length; k++) {
      expect(rows[k].t).toBeGreaterThan(rows[k - 1].t)
      expect(rows[k].trainLoss).toBeLessThan(rows[k - 1].trainLoss)
      expect(rows[k].eps).toBeNull()
      expect(rows[k].pinvNorm).toBeGreaterThan(0)
    }
    expect(rows[rows.length - 1].trainLoss).toBeLessThanOrEqual(0.5 * rows[0].trainLoss)
  })

  it("--model mean-field --quadrature rqmc trains, and a discrete run writes t and pinvNorm as null", () => {
    const mf = gnlab(
      "train",
      "--method",
      "gn",
      "--model",
      "mean-field",
      "--quadrature",
      "rqmc",
      ...small,
      "--json"
    )
    expect(mf.code).toBe(0)
    const s = JSON.parse(mf.stdout)
    expect(s.trainConfig).toMatchObject({
      model: "mean-field",
      quadrature: "rqmc",
      lr: 10,
      tEnd: null,
      hessian: null
    })
    expect(s.stopReason).toBe("converged")
    const out = join(tmp(), "gd")
    expect(gnlab("train", "--method", "gd", ...small, "--max-iter", "3", "--out", out).code).toBe(0)
    const row = readRows(out)[2]
    expect(row.t).toBeNull()
    expect(row.pinvNorm).toBeNull()
  })

  it("bad flags: exit 2, one line naming the flag, nothing written", () => {
    const dir = tmp()
    for (const [args, message] of [
      [["--method", "gn-flow", ...small], /--t-end: is required with --method gn-flow/],
      [
        ["--model", "mean-feild", ...small],
        /--model: expected one of finite, mean-field, got "mean-feild" \(did you mean "mean-field"\?\)/
      ]
    ] as const) {
      const out = join(dir, "out")
      const r = gnlab("train", ...args, "--out", out)
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(existsSync(out)).toBe(false)
    }
  })
})

describe("flag validation of the flows and the mean-field model", () => {
  const cases: ReadonlyArray<[string, Partial<TrainFlags>, RegExp]> = [
    [
      "a flow without a horizon",
      { method: "gradient-flow" },
      /^--t-end: is required with --method gradient-flow/
    ],
    [
      "a horizon for a discrete method",
      { tEnd: 5 },
      /^--t-end: is only used by --method gn-flow or gradient-flow/
    ],
    ["a non-positive horizon", { method: "gn-flow", tEnd: 0 }, /^--t-end: must be a finite number > 0/],
    [
      "a learning rate for a flow",
      { method: "gn-flow", tEnd: 1, lr: 1 },
      /^--lr: --method gn-flow is a flow/
    ],
    [
      "an unknown H",
      { method: "gn-flow", tEnd: 1, hessian: "fisher" },
      /^--hessian: expected one of loss, identity/
    ],
    [
      "H for the gradient flow",
      { method: "gradient-flow", tEnd: 1, hessian: "loss" },
      /^--hessian: is only used by --method gn-flow/
    ],
    ["η outside (0, 1)", { method: "gn-flow", tEnd: 1, eta: 1.5 }, /^--eta: must be in \(0, 1\)/],
    ["a bad ODE tolerance", { method: "gn-flow", tEnd: 1, odeRtol: 2 }, /^--ode-rtol: must be in \(0, 1\)/],
    ["an ODE tolerance without a flow", { odeRtol: 1e-6 }, /^--ode-rtol: is only used by/],
    [
      "a quadrature for the finite model",
      { quadrature: "rqmc" },
      /^--quadrature: is only used with --model mean-field/
    ],
    ["an unknown quadrature", { model: "mean-field", quadrature: "rqmcc" }, /did you mean "rqmc"/],
    ["a mean-field init file", { model: "mean-field" }, /^--init: is not used by --model mean-field/],
    [
      "Sobol beyond its table",
      { model: "mean-field", quadrature: "rqmc", d: 300 },
      /^--quadrature: rqmc has Sobol direction numbers for D ≤ 256/
    ]
  ]
  for (const [name, flags, message] of cases)
    it(name, () => {
      const files = name === "a mean-field init file" ? { width: 40, initD: 10, hasBias: true } : {}
      expect(problemOf(flags, files)).toMatch(message)
    })

  it("defaults: μ_H = λ_min(H), an explicit --mu-h wins, max-iter is capped by the output grid", () => {
    const cfg = (f: Partial<TrainFlags>) => resolveTrainConfig({ ...base, ...f })
    expect(cfg({ method: "gn-flow", tEnd: 1 }).damping).toEqual({ rule: "theory", eta: 0.5, muH: 1 / 20 })
    expect(cfg({ method: "gn-flow", tEnd: 1, hessian: "identity" }).damping).toEqual({
      rule: "theory",
      eta: 0.5,
      muH: 1
    })
    expect(cfg({ method: "gn-flow", tEnd: 1, eta: 0.9, muH: 0.01 }).damping).toEqual({
      rule: "theory",
      eta: 0.9,
      muH: 0.01
    })
    expect(cfg({ method: "gn-flow", tEnd: 1, damping: "fixed", eps: 0.1 }).damping).toEqual({
      rule: "fixed",
      eps: 0.1
    })
    expect(cfg({ method: "gn", damping: "theory", eta: 0.5 }).damping).toEqual({
      rule: "theory",
      eta: 0.5,
      muH: 1
    })
    expect(cfg({ method: "gn" }).damping).toEqual({ rule: "max-sigma-min", eps0: 1e-7 })
    expect(cfg({ method: "gn-flow", tEnd: 1 }).maxIter).toBe(81)
    expect(cfg({ method: "gn-flow", tEnd: 1, maxIter: 10 }).maxIter).toBe(10)
    expect(cfg({ method: "gn-flow", tEnd: 1, maxIter: 1000 }).maxIter).toBe(81)
    expect(cfg({ model: "mean-field" }).quadrature).toBe("mc")
  })
})
