/**
 * The TypeScript engine's threaded SYRK (worker threads running the same kernel module over
 * SharedArrayBuffers) gives the one-thread kernel's bits, for any thread count, and the Gram
 * matrix does not depend on the thread count.
 */
import { afterAll, describe, expect, it } from "vitest"
import { syrkUpper } from "../src/cpu/kernels.js"
import { bandStart, sharedFloat64, syrkUpperThreaded, WorkerPool } from "../src/cpu/threads.js"
import { cpuBackend, useCpuKernels, useTypescriptThreads } from "../src/index.js"

const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1

describe("threaded TypeScript SYRK", () => {
  const pool = new WorkerPool()
  afterAll(async () => {
    await pool.close()
    useTypescriptThreads(undefined)
    useCpuKernels("auto")
  })

  it("splits the triangle in bands of equal area on multiples of 4", () => {
    expect(bandStart(1000, 0, 2)).toBe(0)
    expect(bandStart(1000, 2, 2)).toBe(1000)
    const mid = bandStart(1000, 1, 2)
    expect(mid % 4).toBe(0)
    // rows [mid, n) hold half of the upper triangle
    expect(Math.abs((1000 - mid) ** 2 / 1000 ** 2 - 0.5)).toBeLessThan(0.01)
    for (const t of [1, 2, 3]) expect(bandStart(999, t, 4)).toBeGreaterThan(bandStart(999, t - 1, 4))
  })

  for (const [n, m, threads] of [
    [301, 517, 2],
    [250, 1031, 3],
    [101, 4099, 4]
  ]) {
    it(`equals the one-thread kernel bit for bit (n = ${n}, m = ${m}, ${threads} threads)`, () => {
      const r = lcg(n + m)
      const p = sharedFloat64(n * m)
      for (let i = 0; i < p.length; i++) p[i] = r()
      const c = sharedFloat64(n * n)
      for (let i = 0; i < c.length; i++) c[i] = r()
      const one = Float64Array.from(c)
      syrkUpper(p, n, m, one)
      expect(syrkUpperThreaded(pool, p, n, m, c, threads)).toBe(true)
      expect(Array.from(c)).toEqual(Array.from(one))
    })
  }

  it("declines small problems and unshared memory (the caller runs one thread)", () => {
    const c = sharedFloat64(16)
    expect(syrkUpperThreaded(pool, sharedFloat64(4 * 5), 4, 5, c, 2)).toBe(false)
    expect(syrkUpperThreaded(pool, new Float64Array(400 * 400), 400, 400, sharedFloat64(400 * 400), 2)).toBe(
      false
    )
    expect(syrkUpperThreaded(pool, sharedFloat64(400 * 400), 400, 400, sharedFloat64(400 * 400), 1)).toBe(
      false
    )
  })

  it("the Gram matrix is the same with 1 and 2 threads", () => {
    useCpuKernels("typescript")
    const r = lcg(3)
    const [n, m, dim] = [260, 700, 11]
    const x = Float64Array.from({ length: n * dim }, r)
    const u = Float64Array.from({ length: m * dim }, r)
    const a = Float64Array.from({ length: m }, () => Math.abs(r()))
    const b = Float64Array.from({ length: m }, () => Math.abs(r()))
    const grams = [1, 2].map((t) => {
      useTypescriptThreads(t)
      const k = cpuBackend.bind(x, n, dim, "silu")
      k.setHidden(u)
      const g = k.gram(a, b)
      k.dispose()
      return g
    })
    expect(grams[1]).toEqual(grams[0])
    expect(grams[0].buffer instanceof SharedArrayBuffer).toBe(false)
  })
})

describe("threaded TypeScript features and Ψᵀ diag(z) X̃", () => {
  afterAll(() => {
    useTypescriptThreads(undefined)
    useCpuKernels("auto")
  })

  it("give the one-thread results bit for bit", () => {
    useCpuKernels("typescript")
    const r = lcg(5)
    const [n, m, dim] = [403, 777, 11]
    const x = Float64Array.from({ length: n * dim }, r)
    const u = Float64Array.from({ length: m * dim }, () => 2 * r())
    const z = Float64Array.from({ length: n }, r)
    const c = Float64Array.from({ length: m }, r)
    const out = [1, 2, 3].map((threads) => {
      useTypescriptThreads(threads)
      const k = cpuBackend.bind(x, n, dim, "silu")
      k.setHidden(u)
      const res = [k.phiMul(c), k.phiTMul(z), k.psiTXMul(z), k.psiTXMul(c.subarray(0, n))]
      k.setHidden(u.map((v) => -v))
      res.push(k.phiMul(c), k.psiTXMul(z))
      k.dispose()
      return res
    })
    for (const other of out.slice(1))
      for (let i = 0; i < other.length; i++) expect(other[i]).toEqual(out[0][i])
  })
})
