/** Shared test fixtures: deterministic inputs and error measures. */
import type { FeatureKernels } from "@gnlab/compute"

/** Uniform numbers in [−1, 1) from a fixed linear congruential generator (reproducible). */
export function uniform(count: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1
  return Float64Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return (s / 2 ** 32) * 2 - 1
  })
}

/** max |p − q| / max |p|: a float32 result against its float64 reference. */
export function relMaxError(p: Float64Array, q: Float64Array): number {
  if (p.length !== q.length) return Infinity
  let e = 0
  let s = 0
  for (let i = 0; i < p.length; i++) {
    e = Math.max(e, Math.abs(p[i] - q[i]))
    s = Math.max(s, Math.abs(p[i]))
  }
  return e / s
}

/** Every primitive of a bound data set on the same inputs. */
export function allPrimitives(k: FeatureKernels, m: number, dim: number, seed: number) {
  const n = k.n
  const c = uniform(m, seed + 1)
  const z = uniform(n, seed + 2)
  const du = uniform(m * dim, seed + 3)
  const a = uniform(m, seed + 4).map(Math.abs)
  const b = uniform(m, seed + 5).map(Math.abs)
  return {
    phiMul: k.phiMul(c),
    phiTMul: k.phiTMul(z),
    psiTXMul: k.psiTXMul(z),
    psiXMul: k.psiXMul(c, du),
    gram: k.gram(a, b),
    lastLayerGram: k.gram(a, new Float64Array(m))
  }
}
