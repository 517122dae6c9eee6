/** `gnlab train` with the flows (--method gn-flow | gradient-flow) and the mean-field model. */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { defaultTrainFlags as base, trainCellOf, trainFlagProblem, type TrainFlags } from "./train-flags.js"

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
    expect(s.config.method).toMatchObject({
      plugin: "gn-flow",
      params: { tEnd: 6, hessian: "loss", odeRtol: 1e-7, damping: "theory", eta: 0.5 }
    })
    expect(s.config.model.plugin).toBe("finite-width")
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

  it("gradient-flow records t and pinvNorm, no ε; tol stops it early; --per-decade sets the grid", () => {
    const out = join(tmp(), "gf")
    const r = gnlab(
      "train",
      "--method",
      "gradient-flow",
      ...small,
      "--t-end",
      "2000",
      "--per-decade",
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
    expect(s.config.model).toMatchObject({ plugin: "mean-field", params: { quadrature: "rqmc" } })
    expect(s.config.method).toMatchObject({ plugin: "gn", params: { lr: 10 } })
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
      [["--method", "gn-flow", ...small], /--t-end: is required/],
      [
        ["--model", "mean-feild", ...small],
        /--model: expected one of finite-width, mean-field, got "mean-feild" \(did you mean "mean-field"\?\)/
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
  // the flags are the plugins' params: each is checked by its declaration (one-cell pipeline)
  const cases: ReadonlyArray<[string, TrainFlags, RegExp]> = [
    ["a flow without a horizon", { method: "gradient-flow" }, /^--t-end: is required/],
    ["a horizon for a discrete method", { tEnd: 5 }, /^--t-end: is not a parameter of .*method gn,.*gn-flow/],
    ["a non-positive horizon", { method: "gn-flow", tEnd: 0 }, /^--t-end: expected a number > 0, found 0/],
    [
      "a learning rate for a flow",
      { method: "gn-flow", tEnd: 1, lr: 1 },
      /^--lr: is not a parameter of .*method gn-flow/
    ],
    [
      "an unknown H",
      { method: "gn-flow", tEnd: 1, hessian: "fisher" },
      /^--hessian: expected one of loss, identity/
    ],
    [
      "H for the gradient flow",
      { method: "gradient-flow", tEnd: 1, hessian: "loss" },
      /^--hessian: is not a parameter of .*\(it is one of method gn-flow\)/
    ],
    [
      "η outside (0, 1)",
      { method: "gn-flow", tEnd: 1, eta: 1.5 },
      /^--eta: expected a number < 1, found 1.5/
    ],
    ["an ODE tolerance without a flow", { odeRtol: 1e-6 }, /^--ode-rtol: is not a parameter of/],
    [
      "a quadrature for the finite model",
      { model: "finite", quadrature: "rqmc" },
      /^--quadrature: is not a parameter of .*model mean-field/
    ],
    ["an unknown quadrature", { model: "mean-field", quadrature: "rqmcc" }, /did you mean "rqmc"/],
    [
      "a mean-field init file",
      { model: "mean-field", init: "w.json" },
      /^--init: is not a parameter of .*model mean-field/
    ],
    [
      "an unknown model",
      { model: "mean-feild" },
      /^--model: expected one of finite-width, mean-field, got "mean-feild"/
    ],
    ["a non-number", { width: "ten" }, /^--width: expected a number, got "ten"/]
  ]
  for (const [name, flags, message] of cases) it(name, () => expect(problemOf(flags)).toMatch(message))

  it("defaults come from the declarations: μ_H = λ_min(H) at create, --model finite is finite-width", () => {
    const method = (f: TrainFlags) => trainCellOf({ ...base, ...f }).config.method
    // gn-flow: the theory's damping, η = 0.5, μ_H left to the method (1/N for H = ∇²L)
    expect(method({ method: "gn-flow", tEnd: 1 }).params).toMatchObject({
      damping: "theory",
      eta: 0.5,
      hessian: "loss"
    })
    expect(method({ method: "gn-flow", tEnd: 1 }).params.muH).toBeUndefined()
    expect(method({ method: "gn-flow", tEnd: 1, eta: 0.9, muH: 0.01 }).params).toMatchObject({
      eta: 0.9,
      muH: 0.01
    })
    expect(method({ method: "gn" }).params).toMatchObject({
      damping: "max-sigma-min",
      eps0: 1e-7,
      maxIter: 10_000,
      lr: 10
    })
    expect(trainCellOf({ ...base, model: "finite" }).config.model.plugin).toBe("finite-width")
    expect(trainCellOf({ ...base, model: "mean-field" }).config.model.params.quadrature).toBe("mc")
    // without --model, a flag only one model has chooses it
    expect(trainCellOf({ ...base, quadrature: "rqmc" }).config.model.plugin).toBe("mean-field")
  })
})
