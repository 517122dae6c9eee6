/**
 * The N × N outputs a training loop reuses (issue #7: no per-step allocation): gram, cholesky,
 * addToDiagonal and extremeEigenvalues written into a caller's buffer — holding anything,
 * here the previous call's result and then garbage — give exactly the bits of a fresh array,
 * under each kernel provider.
 */
import { expect, it } from "vitest"
import { addToDiagonal, cholesky, cpuBackend, extremeEigenvalues } from "../src/index.js"
import { randomGram, randomMatrix } from "./linalg/fixtures.js"
import { describeEachProvider } from "./providers.js"

const garbage = (len: number) => Float64Array.from({ length: len }, (_, i) => (i % 7) - 3.5)

describeEachProvider("outputs written into reused buffers", () => {
  it("gram equals a fresh gram bit for bit, whatever the buffer held", () => {
    const [n, m, dim] = [150, 300, 6]
    const k = cpuBackend.bind(randomMatrix(n, dim, 1), n, dim, "silu")
    try {
      k.setHidden(randomMatrix(m, dim, 2))
      const a = Float64Array.from({ length: m }, (_, i) => 1 / (m * m) + i * 1e-9)
      const b = Float64Array.from({ length: m }, (_, i) => (i % 3) / (m * m))
      const fresh = k.gram(a, b)
      for (const buffer of [Float64Array.from(fresh), garbage(n * n)]) {
        const out = k.gram(a, b, buffer)
        expect(out).toBe(buffer)
        expect(out).toEqual(fresh)
      }
      expect(() => k.gram(a, b, new Float64Array(n))).toThrow(/out has length/)
    } finally {
      k.dispose()
    }
  })

  it("cholesky, addToDiagonal and extremeEigenvalues equal their fresh results", () => {
    const n = 140
    const a = randomGram(n, 2 * n, 3)
    const l = cholesky(a, n)!
    const lOut = garbage(n * n)
    expect(cholesky(a, n, lOut)).toBe(lOut)
    expect(lOut).toEqual(l)
    const shifted = addToDiagonal(a, n, 0.5)
    const sOut = garbage(n * n)
    expect(addToDiagonal(a, n, 0.5, sOut)).toEqual(shifted)
    const spectrum = extremeEigenvalues(a, n)
    const reused = extremeEigenvalues(a, n, {}, garbage(n * n))
    expect(reused.sigmaMin).toBe(spectrum.sigmaMin)
    expect(reused.sigmaMax).toBe(spectrum.sigmaMax)
    // a factor that fails leaves no trace: the next factorisation into the same buffer is exact
    const indefinite = addToDiagonal(a, n, -1e6)
    expect(cholesky(indefinite, n, lOut)).toBeUndefined()
    expect(cholesky(a, n, lOut)).toEqual(l)
  })

  it("refuses an output that is the input", () => {
    const n = 8
    const a = randomGram(n, 16, 4)
    expect(() => cholesky(a, n, a)).toThrow(/must not be the input/)
    expect(() => addToDiagonal(a, n, 1, a)).toThrow(/must not be the input/)
  })
})
