/** `--backend` and `gnlab backends` as a user runs them: a child process, its output and files. */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../bin/gnlab.js", import.meta.url))
const gnlab = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const small = ["--n-train", "30", "--width", "40", "--n-test", "200", "--seed", "3", "--quiet"]

describe("gnlab backends", () => {
  it("prints one line per backend and the one `--backend tfjs` selects", () => {
    const r = gnlab("backends")
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split("\n")
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual([
      "cpu",
      "tfjs:node-gpu",
      "tfjs:node",
      "tfjs:webgpu",
      "tfjs:wasm",
      "tfjs:cpu",
      "--backend"
    ])
    expect(lines[0]).toMatch(/^cpu\s+available\s+float64/)
    expect(lines[5]).toMatch(/^tfjs:cpu\s+available\s+float32/)
    expect(lines[6]).toMatch(/^--backend tfjs selects tfjs:\S+ here$/)
    const json = JSON.parse(gnlab("backends", "--json").stdout)
    expect(json.backends).toHaveLength(6)
    expect(lines[6]).toContain(json.tfjs)
  })
})

describe("gnlab train --backend", () => {
  it("tfjs:cpu prints one JSON object, records the backend and its float32 defaults, and agrees with cpu", () => {
    const cpu = gnlab("train", "--method", "gn", ...small, "--json")
    const r = gnlab("train", "--method", "gn", ...small, "--json", "--backend", "tfjs:cpu")
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout)
    const c = JSON.parse(cpu.stdout)
    expect(s.backend).toBe("tfjs:cpu")
    expect(s.config.method.params).toMatchObject({ damping: "max-sigma-min", eps0: 1e-6 })
    expect(s.stopReason).toBe("converged")
    expect(Math.abs(s.finalTestLoss - c.finalTestLoss) / c.finalTestLoss).toBeLessThan(3e-3)
  })

  it("an unknown backend is one line naming the choices, exit code 2", () => {
    const r = gnlab("train", ...small, "--backend", "tfjs:wsam")
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).toMatch(/--backend: expected one of cpu, tfjs, .*did you mean "tfjs:wasm"/)
  })

  it("a forced backend that is unavailable here is one line with the reason, exit 2, nothing written", () => {
    const list = JSON.parse(gnlab("backends", "--json").stdout) as {
      backends: { backend: string; available: boolean; reason: string }[]
    }
    const missing = list.backends.find((b) => !b.available)
    if (missing === undefined) return // every backend works on this machine
    const out = join(mkdtempSync(join(tmpdir(), "gnlab-backend-")), "run")
    const r = gnlab("train", ...small, "--backend", missing.backend, "--out", out)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toBe(`gnlab: --backend ${missing.backend} is not available: ${missing.reason}\n`)
    expect(existsSync(out)).toBe(false)
  })

  it("warns on stderr when a tolerance is below float32 resolution", () => {
    const r = gnlab(
      "train",
      "--method",
      "gd",
      ...small,
      "--max-iter",
      "3",
      "--tol",
      "1e-14",
      "--backend",
      "tfjs:cpu"
    )
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/^gnlab: warning: --tol 1e-14 is below what a float32 backend resolves/m)
    expect(gnlab("train", "--method", "gd", ...small, "--max-iter", "3", "--tol", "1e-14").stderr).toBe("")
  })
})
