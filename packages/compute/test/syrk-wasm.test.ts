import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import wabtInit from "wabt"
import { syrkUpper, syrkUpperJs } from "../src/cpu/kernels.js"
import { syrkWasmBase64 } from "../src/cpu/wasm/syrk-wasm.generated.js"
import { syrkUpperWasm, syrkWasmAvailable } from "../src/cpu/wasm/syrk.js"

const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1

const sizes = [
  [1, 1],
  [3, 5],
  [7, 600],
  [13, 1031],
  [64, 257]
]

/** P (n × m) and a C (n × n) that already holds values, so that += is exercised. */
function problem(n: number, m: number, seed: number) {
  const r = lcg(seed)
  return { p: Float64Array.from({ length: n * m }, r), c0: Float64Array.from({ length: n * n }, r) }
}

function runWasm(p: Float64Array, n: number, m: number, c0: Float64Array): Float64Array {
  const c = c0.slice()
  expect(syrkUpperWasm(p, n, m, c)).toBe(true)
  return c
}

describe("WebAssembly SIMD syrkUpper", () => {
  it("is available on this engine (Node ≥ 20 has WebAssembly SIMD)", () => {
    expect(syrkWasmAvailable()).toBe(true)
  })

  it("adds P Pᵀ to the upper triangle like the JS kernel and a naive loop, leaving the lower one", () => {
    for (const [n, m] of sizes) {
      const { p, c0 } = problem(n, m, n * 7919 + m)
      const wasm = runWasm(p, n, m, c0)
      const js = c0.slice()
      syrkUpperJs(p, n, m, js, 256)
      const dispatched = c0.slice()
      syrkUpper(p, n, m, dispatched)
      expect(dispatched).toEqual(wasm)
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          const k = a * n + b
          if (b < a) {
            expect(Object.is(wasm[k], c0[k])).toBe(true)
            continue
          }
          let s = 0
          for (let i = 0; i < m; i++) s += p[a * m + i] * p[b * m + i]
          expect(Math.abs(wasm[k] - (c0[k] + s))).toBeLessThan(1e-12 * m)
          expect(Math.abs(wasm[k] - js[k])).toBeLessThan(1e-12 * m)
        }
    }
  })

  it("accumulates: two calls add 2 P Pᵀ", () => {
    const n = 13,
      m = 1031
    const { p, c0 } = problem(n, m, 3)
    const once = runWasm(p, n, m, c0)
    const twice = runWasm(p, n, m, once)
    for (let a = 0; a < n; a++)
      for (let b = a; b < n; b++) {
        const k = a * n + b
        expect(Math.abs(twice[k] - c0[k] - 2 * (once[k] - c0[k]))).toBeLessThan(1e-12 * m)
      }
  })

  it("is deterministic: repeated runs are bit-identical, also after a larger problem", () => {
    const { p, c0 } = problem(64, 257, 5)
    const first = runWasm(p, 64, 257, c0)
    expect(runWasm(p, 64, 257, c0)).toEqual(first)
    const big = problem(101, 333, 6)
    runWasm(big.p, 101, 333, big.c0)
    const again = runWasm(p, 64, 257, c0)
    for (let k = 0; k < first.length; k++) expect(Object.is(again[k], first[k])).toBe(true)
  })

  it("leaves C alone for n = 0 or m = 0", () => {
    const c = Float64Array.from([1, 2, 3, 4])
    expect(syrkUpperWasm(new Float64Array(0), 2, 0, c)).toBe(true)
    expect(Array.from(c)).toEqual([1, 2, 3, 4])
    expect(syrkUpperWasm(new Float64Array(0), 0, 5, new Float64Array(0))).toBe(true)
  })

  it("ships the bytes that syrk.wat compiles to (run npm run build:wasm after editing it)", async () => {
    const wabt = await wabtInit()
    const module = wabt.parseWat(
      "syrk.wat",
      readFileSync(new URL("../src/cpu/wasm/syrk.wat", import.meta.url))
    )
    try {
      module.validate()
      const bytes = module.toBinary({ log: false, write_debug_names: false }).buffer
      expect(Buffer.from(bytes).toString("base64")).toBe(syrkWasmBase64)
    } finally {
      module.destroy()
    }
  })
})
