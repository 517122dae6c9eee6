import { CholeskyDecomposition, Matrix } from "ml-matrix"
import { expect, it } from "vitest"
import { addToDiagonal, cholesky, choleskySolve } from "../../src/linalg/index.js"
import { matvec, maxAbs, norm, randomGram, randomVector, withSpectrum } from "./fixtures.js"
import { describeEachProvider } from "../providers.js"

// max |(L Lᵀ − A)_ij| / max |A_ij|
function reconstructionError(a: Float64Array, l: Float64Array, n: number): number {
  let err = 0
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let k = 0; k < n; k++) s += l[i * n + k] * l[j * n + k]
      err = Math.max(err, Math.abs(s - a[i * n + j]))
    }
  }
  return err / maxAbs(a)
}

describeEachProvider("cholesky", () => {
  // 1..9 cover every remainder of the four-row and two-row blocks; 50 and 200 are the spec sizes
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 50, 200]) {
    it(`L Lᵀ = A for a random SPD ${n}×${n}`, () => {
      const a = randomGram(n, 2 * n, 100 + n)
      const before = Float64Array.from(a)
      const l = cholesky(a, n)
      expect(l).toBeDefined()
      expect(reconstructionError(a, l!, n)).toBeLessThan(1e-12)
      // lower triangular with a positive diagonal
      for (let i = 0; i < n; i++) {
        expect(l![i * n + i]).toBeGreaterThan(0)
        for (let j = i + 1; j < n; j++) expect(l![i * n + j]).toBe(0)
      }
      expect(a).toEqual(before)
    })
  }

  it("matches ml-matrix's CholeskyDecomposition", () => {
    const n = 37
    const a = randomGram(n, 60, 7)
    const rows: number[][] = []
    for (let i = 0; i < n; i++) rows.push(Array.from(a.subarray(i * n, (i + 1) * n)))
    const ref = new CholeskyDecomposition(new Matrix(rows)).lowerTriangularMatrix
    const l = cholesky(a, n)!
    let err = 0
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) err = Math.max(err, Math.abs(l[i * n + j] - ref.get(i, j)))
    expect(err).toBeLessThan(1e-12)
  })

  it("returns undefined for an indefinite matrix", () => {
    const n = 50
    const lambda = new Float64Array(n).map((_, i) => 1 + i)
    lambda[17] = -0.5
    expect(cholesky(withSpectrum(lambda, 3), n)).toBeUndefined()
    // indefinite 2×2 with positive diagonal: det < 0
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeUndefined()
    // negative definite, zero, and the first pivot already bad
    expect(cholesky(Float64Array.from([-1]), 1)).toBeUndefined()
    expect(cholesky(new Float64Array(9), 3)).toBeUndefined()
  })

  it("returns undefined for non-finite input", () => {
    const n = 6
    const a = randomGram(n, 12, 5)
    a[3 * n + 3] = NaN
    expect(cholesky(a, n)).toBeUndefined()
    const b = randomGram(n, 12, 5)
    b[5 * n + 5] = Infinity
    expect(cholesky(b, n)).toBeUndefined()
  })

  it("rejects a wrong length", () => {
    expect(() => cholesky(new Float64Array(5), 2)).toThrow()
  })
})

describeEachProvider("choleskySolve", () => {
  for (const n of [1, 5, 7, 50, 200]) {
    it(`‖A x − b‖ ≤ 1e-10 ‖b‖ for a random SPD ${n}×${n}`, () => {
      const a = randomGram(n, 2 * n, 300 + n)
      const b = randomVector(n, 400 + n)
      const l = cholesky(a, n)!
      const x = choleskySolve(l, n, b)
      const r = matvec(a, n, x)
      for (let i = 0; i < n; i++) r[i] -= b[i]
      expect(norm(r)).toBeLessThanOrEqual(1e-10 * norm(b))
    })
  }

  it("solves a hand-checked 2×2 system", () => {
    // A = [[4, 2], [2, 3]], L = [[2, 0], [1, √2]]; A [1, 2]ᵀ = [8, 8]ᵀ
    const l = cholesky(Float64Array.from([4, 2, 2, 3]), 2)!
    expect(Array.from(l)).toEqual([2, 0, 1, Math.SQRT2])
    const x = choleskySolve(l, 2, Float64Array.from([8, 8]))
    expect(x[0]).toBeCloseTo(1, 14)
    expect(x[1]).toBeCloseTo(2, 14)
  })
})

describeEachProvider("addToDiagonal", () => {
  it("returns A + sI and leaves A alone", () => {
    const a = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9])
    const out = addToDiagonal(a, 3, 0.5)
    expect(Array.from(out)).toEqual([1.5, 2, 3, 4, 5.5, 6, 7, 8, 9.5])
    expect(Array.from(a)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it("makes a singular PSD matrix factorable", () => {
    const n = 20
    const a = randomGram(n, 5, 11)
    expect(cholesky(a, n)).toBeUndefined()
    expect(cholesky(addToDiagonal(a, n, 1e-6), n)).toBeDefined()
  })
})
