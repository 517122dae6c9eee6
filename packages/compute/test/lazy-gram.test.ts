/**
 * The N × N data Gram K = X̃X̃ᵀ is built by the first Gram matrix whose Ψ part needs it, not
 * when a data set is bound: GD (features and their products only) on N = 20 000 points would
 * otherwise hold 3.2 GB it never reads. Measured as live ArrayBuffer bytes in a child process
 * (./probes/lazy-gram.ts), where K (N² doubles) dominates.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { cpuBackend } from "../src/index.js"
import { providers } from "./providers.js"

const probe = fileURLToPath(new URL("./probes/lazy-gram.ts", import.meta.url))
const kBytes = 3000 * 3000 * 8 // 72 MB

for (const p of providers)
  describe.skipIf(p.skip !== undefined)(`binding a data set [${p.choice} kernels]`, () => {
    it("allocates no N × N buffer until a Gram matrix with a Ψ part is asked for", () => {
      const r = spawnSync(process.execPath, ["--import", "tsx", probe, p.choice], { encoding: "utf8" })
      expect(r.status, r.stderr).toBe(0)
      const { afterFeatures, afterGram, entries } = JSON.parse(r.stdout) as Record<string, number>
      expect(afterFeatures).toBeLessThan(kBytes / 4)
      // K, the result and the binding's N × N scratch: more than K alone
      expect(afterGram).toBeGreaterThan(kBytes)
      expect(entries).toBe(3000 * 3000)
    })
  })

const filled = (length: number, seed: number) =>
  Float64Array.from({ length }, (_, i) => Math.sin(seed * 7919 + i * 0.37))

describe("the lazy K", () => {
  it("gives the same Gram matrix whether the first one has a Ψ part or not", () => {
    const [n, dim, m] = [7, 11, 4]
    const x = filled(n * dim, 8)
    const a = filled(m, 10).map(Math.abs)
    const b = filled(m, 11).map(Math.abs)
    const k = cpuBackend.bind(x, n, dim, "tanh")
    k.setHidden(filled(m * dim, 9))
    // the Φ part alone first (K not built), then with the Ψ part twice (built, then reused)
    const phiOnly = k.gram(a, new Float64Array(m))
    const first = k.gram(a, b)
    expect(Array.from(k.gram(a, b))).toEqual(Array.from(first))
    expect(first.some((v, i) => v !== phiOnly[i])).toBe(true)
    const fresh = cpuBackend.bind(x, n, dim, "tanh")
    fresh.setHidden(filled(m * dim, 9))
    expect(Array.from(fresh.gram(a, b))).toEqual(Array.from(first))
    fresh.dispose()
    k.dispose()
  })
})
