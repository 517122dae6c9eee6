import { Matrix, pseudoInverse } from "ml-matrix"
import { expect, it } from "vitest"
import { cholesky, choleskySolve, pinvSolveSymmetric, symmetricEigen } from "../../src/linalg/index.js"
import {
  dotv,
  gram,
  logSpaced,
  matvec,
  maxAbs,
  norm,
  randomGram,
  randomMatrix,
  randomVector,
  withSpectrum
} from "./fixtures.js"
import { describeEachProvider } from "../providers.js"

function toMatrix(a: Float64Array, n: number): Matrix {
  const rows: number[][] = []
  for (let i = 0; i < n; i++) rows.push(Array.from(a.subarray(i * n, (i + 1) * n)))
  return new Matrix(rows)
}

describeEachProvider("symmetricEigen", () => {
  for (const n of [1, 5, 50]) {
    it(`A = Q diag(λ) Qᵀ, QᵀQ = I, λ ascending (n = ${n})`, () => {
      const a = randomGram(n, n + 3, 20 + n)
      const { values, vectors } = symmetricEigen(a, n)
      for (let j = 1; j < n; j++) expect(values[j]).toBeGreaterThanOrEqual(values[j - 1])
      let recon = 0
      let orth = 0
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0
          let q = 0
          for (let k = 0; k < n; k++) {
            s += vectors[i * n + k] * values[k] * vectors[j * n + k]
            q += vectors[k * n + i] * vectors[k * n + j]
          }
          recon = Math.max(recon, Math.abs(s - a[i * n + j]))
          orth = Math.max(orth, Math.abs(q - (i === j ? 1 : 0)))
        }
      }
      expect(recon).toBeLessThan(1e-12 * maxAbs(a))
      expect(orth).toBeLessThan(1e-12)
    })
  }

  it("recovers a prescribed spectrum", () => {
    const lambda = logSpaced(30, 1e-3, 10)
    const { values } = symmetricEigen(withSpectrum(lambda, 9), 30)
    for (let i = 0; i < 30; i++) expect(Math.abs(values[i] - lambda[i])).toBeLessThan(1e-13 * 10 * 30)
  })
})

describeEachProvider("pinvSolveSymmetric", () => {
  it("equals choleskySolve for a full-rank A", () => {
    const n = 50
    const a = randomGram(n, 2 * n, 31)
    const y = randomVector(n, 32)
    const ref = choleskySolve(cholesky(a, n)!, n, y)
    const { x, dropped, lambdaMin, lambdaMax } = pinvSolveSymmetric(a, n, y, 1e-12)
    expect(dropped).toBe(0)
    expect(lambdaMin).toBeGreaterThan(0)
    expect(lambdaMax).toBeGreaterThan(lambdaMin)
    const diff = Float64Array.from(x, (v, i) => v - ref[i])
    expect(norm(diff)).toBeLessThan(1e-10 * norm(ref))
  })

  for (const n of [20, 50]) {
    it(`for a rank-deficient A (n = ${n}, rank ${n / 2}) gives A⁺ y, in the range of A`, () => {
      const k = n / 2
      const b = randomMatrix(n, k, 40 + n)
      const a = gram(b, n, k)
      const y = randomVector(n, 41 + n)
      const relCut = 1e-10
      const { x, dropped, lambdaMax } = pinvSolveSymmetric(a, n, y, relCut)
      expect(dropped).toBe(n - k)

      // ml-matrix's SVD pseudo-inverse, with its cutoff threshold·max(rows, cols)·s₀ set to relCut·λmax
      const ref = pseudoInverse(toMatrix(a, n), relCut / n).mmul(Matrix.columnVector(Array.from(y)))
      let err = 0
      for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(x[i] - ref.get(i, 0)))
      expect(err).toBeLessThan(1e-8 * maxAbs(x))

      // range(A) = range(B): x = B c with c from the normal equations BᵀB c = Bᵀx, independent of
      // the eigendecomposition; the residual x − B c is the null-space component of x
      const btb = new Float64Array(k * k)
      const btx = new Float64Array(k)
      for (let p = 0; p < k; p++) {
        for (let q = 0; q < k; q++) {
          let s = 0
          for (let i = 0; i < n; i++) s += b[i * k + p] * b[i * k + q]
          btb[p * k + q] = s
        }
        let s = 0
        for (let i = 0; i < n; i++) s += b[i * k + p] * x[i]
        btx[p] = s
      }
      const c = choleskySolve(cholesky(btb, k)!, k, btx)
      const bc = matvec(b, n, c)
      const nullPart = Float64Array.from(x, (v, i) => v - bc[i])
      expect(norm(nullPart)).toBeLessThan(1e-10 * norm(x))

      // and it solves the consistent part: A x = projection of y onto range(A)
      const ax = matvec(a, n, x)
      const { values, vectors } = symmetricEigen(a, n)
      const proj = new Float64Array(n)
      for (let j = 0; j < n; j++) {
        if (values[j] < relCut * lambdaMax) continue
        const q = Float64Array.from({ length: n }, (_, i) => vectors[i * n + j])
        const cq = dotv(q, y)
        for (let i = 0; i < n; i++) proj[i] += cq * q[i]
      }
      const r = Float64Array.from(ax, (v, i) => v - proj[i])
      expect(norm(r)).toBeLessThan(1e-10 * norm(y))
    })
  }

  it("drops everything for the zero matrix", () => {
    const { x, dropped } = pinvSolveSymmetric(new Float64Array(9), 3, Float64Array.from([1, 2, 3]), 1e-10)
    expect(dropped).toBe(3)
    expect(Array.from(x)).toEqual([0, 0, 0])
  })
})
