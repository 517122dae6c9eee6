/**
 * Run alone in a child process by lazy-gram.test.ts, so no other test's buffers are counted:
 * binds N = 3000 points with the given kernel provider, does what GD does, then asks for a
 * Gram matrix with a Ψ part, and prints the live ArrayBuffer bytes after each (JSON).
 */
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { cpuBackend, useCpuKernels, type CpuKernelsChoice } from "../../src/index.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void
const live = () => {
  gc()
  return process.memoryUsage().arrayBuffers
}
const filled = (length: number, seed: number) =>
  Float64Array.from({ length }, (_, i) => Math.abs(Math.sin(seed * 7919 + i * 0.37)))

useCpuKernels(process.argv[2] as CpuKernelsChoice)
const [n, dim, m] = [3000, 11, 4]
const x = filled(n * dim, 1)
const before = live()
const k = cpuBackend.bind(x, n, dim, "silu")
k.setHidden(filled(m * dim, 2))
k.phiMul(filled(m, 3))
k.phiTMul(filled(n, 4))
k.psiTXMul(filled(n, 5))
const afterFeatures = live() - before
const a = k.gram(filled(m, 6), filled(m, 7))
const afterGram = live() - before
console.log(JSON.stringify({ afterFeatures, afterGram, entries: a.length }))
k.dispose()
