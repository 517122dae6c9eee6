import { describe, expect, it } from "vitest"
import { Rng, streamNames, teacherStudent, TRAIN_POOL } from "../src/index.js"

const bits = (x: Float64Array): string => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("hex")

describe("Rng", () => {
  it("the same seed and stream give bit-identical draws", () => {
    expect(bits(Rng.stream(42, "init").normals(1001))).toBe(bits(Rng.stream(42, "init").normals(1001)))
  })

  it("streams of a seed differ from each other and from other seeds", () => {
    const draws = streamNames.map((s) => Rng.stream(42, s).normals(8))
    for (let i = 0; i < draws.length; i++)
      for (let j = i + 1; j < draws.length; j++) expect(bits(draws[i])).not.toBe(bits(draws[j]))
    expect(bits(Rng.stream(43, "init").normals(8))).not.toBe(bits(draws[3]))
  })

  it("neighbouring seeds are uncorrelated", () => {
    const a = Rng.stream(1, "trainInputs").normals(20000)
    const b = Rng.stream(2, "trainInputs").normals(20000)
    let s = 0
    for (let i = 0; i < a.length; i++) s += a[i] * b[i]
    // sample correlation of independent N(0,1): sd 1/√n ≈ 0.007
    expect(Math.abs(s / a.length)).toBeLessThan(0.035)
  })

  it("normals have mean 0 and variance 1; uniforms lie in [0, 1)", () => {
    const x = Rng.stream(5, "teacher").normals(200000)
    const mean = x.reduce((s, v) => s + v, 0) / x.length
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length
    expect(Math.abs(mean)).toBeLessThan(0.01) // sd 0.0022
    expect(Math.abs(variance - 1)).toBeLessThan(0.015) // sd 0.0032
    const r = Rng.stream(5, "init")
    for (let i = 0; i < 10000; i++) {
      const u = r.uniform()
      expect(u >= 0 && u < 1).toBe(true)
    }
  })

  it("a stream restored from its state continues identically (checkpoints)", () => {
    const r = Rng.stream(9, "init")
    r.normals(17)
    const saved = r.state()
    const cont = r.normals(10)
    expect(bits(Rng.fromState(saved).normals(10))).toBe(bits(cont))
  })

  it("rejects seeds outside [0, 2³²)", () => {
    expect(() => Rng.stream(-1, "init")).toThrow(/seed/)
    expect(() => Rng.stream(1.5, "init")).toThrow(/seed/)
    expect(() => Rng.stream(2 ** 32, "init")).toThrow(/seed/)
  })
})

describe("teacherStudent", () => {
  it("is bit-identical across runs and differs across seeds", () => {
    const a = teacherStudent({ seed: 3, nTrain: 100, nTest: 50 })
    const b = teacherStudent({ seed: 3, nTrain: 100, nTest: 50 })
    expect(bits(a.xTrain) + bits(a.yTrain) + bits(a.yTest)).toBe(
      bits(b.xTrain) + bits(b.yTrain) + bits(b.yTest)
    )
    expect(bits(teacherStudent({ seed: 4, nTrain: 100, nTest: 50 }).yTrain)).not.toBe(bits(a.yTrain))
  })

  it("train sets are nested prefixes of one pool, also beyond the default pool size", () => {
    const small = teacherStudent({ seed: 3, nTrain: 100, nTest: 10 })
    const large = teacherStudent({ seed: 3, nTrain: 1500, nTest: 10 })
    const huge = teacherStudent({ seed: 3, nTrain: TRAIN_POOL + 500, nTest: 10 })
    expect(bits(large.xTrain.subarray(0, 1000))).toBe(bits(small.xTrain))
    expect(bits(large.yTrain.subarray(0, 100))).toBe(bits(small.yTrain))
    expect(bits(huge.xTrain.subarray(0, 15000))).toBe(bits(large.xTrain))
  })

  it("the test set does not depend on N and the targets have the teacher's scale", () => {
    const a = teacherStudent({ seed: 8, nTrain: 10, nTest: 2000 })
    const b = teacherStudent({ seed: 8, nTrain: 1000, nTest: 2000 })
    expect(bits(a.yTest)).toBe(bits(b.yTest))
    const meanSq = a.yTest.reduce((s, v) => s + v * v, 0) / a.nTest
    expect(meanSq).toBeGreaterThan(1e-4)
    expect(meanSq).toBeLessThan(10)
  })
})
