/** `gnlab train --method gradient-flow --integrator rosenbrock`: flags, the data/init files, what it records. */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { trainFlagProblem } from "./train-flags.js"

const bin = fileURLToPath(new URL("../bin/gnlab.js", import.meta.url))
const fixture = fileURLToPath(
  new URL("../../solvers/test/fixtures/authors-n100-m1000-tau1/", import.meta.url)
)
const gnlab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
/** `gnlab train --method gradient-flow --integrator rosenbrock …args`. */
const ros2 = (...args: string[]) =>
  gnlab("train", "--method", "gradient-flow", "--integrator", "rosenbrock", "--quiet", ...args)
const rowsOf = (dir: string) =>
  readFileSync(join(dir, "trajectory.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, number | null>)

const problemOf = (f: Parameters<typeof trainFlagProblem>[0]) =>
  trainFlagProblem({ method: "gradient-flow", ...f })

describe("gnlab train --integrator rosenbrock", () => {
  it("runs on the --data/--init formats to the reference's endpoint, and records the integrator's work", () => {
    const out = join(mkdtempSync(join(tmpdir(), "gnlab-ros2-")), "run")
    const r = ros2(
      "--rtol",
      "1e-4",
      "--data",
      join(fixture, "data.json"),
      "--init",
      join(fixture, "init.json"),
      "--json",
      "--out",
      out
    )
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s.stopReason).toBe("converged")
    expect(s.integrator).toBe("rosenbrock")
    for (const k of ["integratorSteps", "rejectedSteps", "gramAssemblies", "featureEvaluations", "tFinal"])
      expect(typeof s[k]).toBe("number")
    expect(s.integratorSteps).toBeLessThan(400)
    expect(s.finalTrainLoss).toBeLessThanOrEqual(1e-8 * s.initialTrainLoss)
    // the numpy reference (gradient_flow.py ros2 --rtol 1e-4) ends at test loss 0.0064783462 without
    // output rows; the rows' clipped steps move the endpoint by far less than rtol
    expect(Math.abs(s.finalTestLoss - 0.006478346199160376) / 0.006478346199160376).toBeLessThan(1e-4)
    const rows = rowsOf(out)
    for (const row of rows.slice(1)) {
      expect(row.gdIter).toBeCloseTo((row.t as number) / 10, 6)
      expect(row.gdStability).toBeGreaterThan(0)
    }
  })

  it("--gd-steps K ends at t = λK with rows at t = λk of GD's schedule", () => {
    const out = join(mkdtempSync(join(tmpdir(), "gnlab-ros2-")), "run")
    const r = ros2(
      "--n-train",
      "20",
      "--width",
      "40",
      "--n-test",
      "100",
      "--gd-steps",
      "1000",
      "--lr",
      "5",
      "--tol",
      "0",
      "--per-decade",
      "5",
      "--out",
      out
    )
    expect(r.code).toBe(0)
    const rows = rowsOf(out)
    expect(rows[rows.length - 1].t).toBe(5000)
    expect(rows.map((x) => x.gdIter)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 25, 40, 63, 100, 158, 251, 398, 631, 1000
    ])
  })

  it("runs on a float32 tfjs backend to the float64 CPU endpoint (device features and Gram, host solves)", () => {
    const run = (backend: string) => {
      const r = ros2(
        "--rtol",
        "1e-3",
        "--n-train",
        "20",
        "--width",
        "40",
        "--n-test",
        "200",
        "--tol",
        "1e-6",
        "--backend",
        backend,
        "--json"
      )
      expect(r.code).toBe(0)
      return JSON.parse(r.stdout) as { stopReason: string; finalTestLoss: number; backend: string }
    }
    const cpu = run("cpu")
    const tfjs = run("tfjs:cpu")
    expect(tfjs.backend).toBe("tfjs:cpu")
    expect(tfjs.stopReason).toBe("converged")
    expect(Math.abs(tfjs.finalTestLoss - cpu.finalTestLoss) / cpu.finalTestLoss).toBeLessThan(1e-3)
  })

  it("refuses flags that are no params of the chosen plugins, and values outside their ranges", () => {
    // the flags are gradient-flow's declared params (one-cell pipeline): a tolerance of the other
    // integrator with a default (rtol, odeRtol) is a valid param that the chosen one ignores, as in a
    // pipeline: a given value cannot be told from the default (atol, without one, is refused below)
    expect(problemOf({ integrator: "rk4", tEnd: 1 })).toMatch(
      /^--integrator: expected one of dopri5, rosenbrock/
    )
    expect(problemOf({ integrator: "rosenbrock", gramReuse: 0 })).toMatch(
      /^--gram-reuse: expected a number ≥ 1/
    )
    expect(problemOf({ method: "gn", integrator: "rosenbrock" })).toMatch(/^--integrator: .*gradient-flow/)
    expect(problemOf({ integrator: "dopri5" })).toMatch(/^--t-end: is required/)
    expect(problemOf({ integrator: "rosenbrock" })).toBe("no error")
  })

  it("refuses params that would be ignored: two horizons, atol with dopri5 (one line, naming the flag)", () => {
    expect(problemOf({ integrator: "rosenbrock", tEnd: 100, gdSteps: 1000 })).toMatch(
      /^--gd-steps: expected either tEnd or gdSteps .*not both, found both \(tEnd = 100, gdSteps = 1000\)/
    )
    expect(problemOf({ integrator: "dopri5", tEnd: 10, atol: 1e-6 })).toMatch(
      /^--atol: expected atol only with integrator "rosenbrock"/
    )
    expect(problemOf({ integrator: "rosenbrock", tEnd: 10, atol: 1e-6 })).toBe("no error")
  })
})
