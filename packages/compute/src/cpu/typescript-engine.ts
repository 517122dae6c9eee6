/**
 * The TypeScript engine: typed-array kernels (./kernels.ts, the SYRK in WebAssembly SIMD) and
 * the TypeScript routines of ../linalg, on the calling thread and, for the SYRK bands, the SiLU
 * features and Ψᵀ diag(z) X̃, on worker threads (./threads.ts) that import the same kernels.
 *
 * A binding keeps Φ, Ψ and the Gram scratch of its data set, reused from step to step; K = X̃X̃ᵀ
 * is built by the first Gram matrix whose Ψ part is not zero (GD never needs it). With more than
 * one thread the arrays the workers read live in SharedArrayBuffers.
 */
import { availableParallelism } from "node:os"
import { isMainThread } from "node:worker_threads"
import type { ActivationId } from "../activations.js"
import type { FeatureKernels } from "../backend.js"
import { choleskyFactorTypescript, choleskySolveTypescript } from "../linalg/cholesky.js"
import type { LinalgRoutines } from "../linalg/routines.js"
import { symmetricMatvecTypescript } from "../linalg/spectrum.js"
import { symmetricEigenTypescript } from "../linalg/symmetric-eigen.js"
import type { CpuEngine } from "./engine.js"
import {
  features,
  gramOut,
  matTVec,
  matVec,
  mirrorUpper,
  psiTransposeX,
  psiXDirection,
  scaleColumns,
  syrkUpper
} from "./kernels.js"
import {
  isShared,
  psiTransposeXThreaded,
  sharedFloat64,
  siluFeaturesThreaded,
  syrkUpperThreaded,
  WorkerPool
} from "./threads.js"

// Rows of a test set evaluated at once by featureMatVec: bounds memory to ROW_BLOCK × M.
const ROW_BLOCK = 256

/** The TypeScript routines of the host linear algebra. */
export const typescriptRoutines: LinalgRoutines = {
  factor: choleskyFactorTypescript,
  solve: choleskySolveTypescript,
  symv: symmetricMatvecTypescript,
  eigen: symmetricEigenTypescript
}

let threadsOverride: number | undefined

/**
 * The default thread count of the TypeScript engine in this thread: `useTypescriptThreads`'s
 * value when set, else `GNLAB_THREADS`, else all cores on the main thread (one `gnlab train`, a
 * benchmark) and 1 in a worker thread (the pipeline runner already runs one cell per core there).
 */
export function typescriptThreads(): number {
  if (threadsOverride !== undefined) return threadsOverride
  const env = Number(process.env.GNLAB_THREADS)
  if (Number.isInteger(env) && env >= 1) return env
  return isMainThread ? availableParallelism() : 1
}

/**
 * Set the default of {@link typescriptThreads} for this thread (tests, benchmarks); undefined
 * restores it. An engine opened with an explicit thread count keeps it. Results do not depend on it.
 */
export function useTypescriptThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))
    throw new Error(`useTypescriptThreads: expected a positive integer, got ${threads}`)
  threadsOverride = threads
}

// The worker pool of this thread's unscoped engines (never closed; its workers are unref'd).
let sharedPool: WorkerPool | undefined

/** √a entrywise into out (length of a). */
function sqrtInto(a: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) out[i] = Math.sqrt(a[i])
  return out
}

const allZero = (a: Float64Array): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false
  return true
}

/** K = X̃ X̃ᵀ (n × n, both triangles). */
function innerProducts(xt: Float64Array, n: number, dim: number): Float64Array {
  const k = new Float64Array(n * n)
  for (let p = 0; p < n; p++)
    for (let q = p; q < n; q++) {
      let s = 0
      for (let j = 0; j < dim; j++) s += xt[p * dim + j] * xt[q * dim + j]
      k[p * n + q] = s
      k[q * n + p] = s
    }
  return k
}

/** Bind X̃ (n × dim) with the TypeScript kernels on `pool`, `threads()` threads per call. */
function bindTypescript(
  pool: () => WorkerPool,
  threadCount: () => number,
  x: Float64Array,
  n: number,
  dim: number,
  activation: ActivationId
): FeatureKernels {
  const xt = Float64Array.from(x)
  let k: Float64Array | undefined
  let m = 0
  let phi: Float64Array = new Float64Array(0)
  let psi: Float64Array = new Float64Array(0)
  // gram's scratch: S = P diag(√a) (n × m), the second product T (n × n), √a, √b
  let scaled: Float64Array = new Float64Array(0)
  let t: Float64Array = new Float64Array(0)
  let sa = new Float64Array(0)
  let sb = new Float64Array(0)
  // shared copies for the worker threads: X̃, U, z and G
  let xs: Float64Array | undefined
  let us: Float64Array = new Float64Array(0)
  let zs: Float64Array = new Float64Array(0)
  let gs: Float64Array = new Float64Array(0)
  const need = (): void => {
    if (m === 0) throw new Error("FeatureKernels: setHidden must be called before evaluating features")
  }
  return {
    n,
    dim,
    linalg: typescriptRoutines,
    get m() {
      return m
    },
    setHidden(u) {
      const width = u.length / dim
      const threads = activation === "silu" ? threadCount() : 1
      const shared = threads > 1 && n * width >= 2e5
      if (width !== m || isShared(phi) !== shared) {
        m = width
        phi = shared ? sharedFloat64(n * m) : new Float64Array(n * m)
        psi = shared ? sharedFloat64(n * m) : new Float64Array(n * m)
        scaled = new Float64Array(0)
        sa = new Float64Array(m)
        sb = new Float64Array(m)
      }
      if (shared) {
        if (xs === undefined) {
          xs = sharedFloat64(n * dim)
          xs.set(xt)
        }
        if (us.length !== u.length) us = sharedFloat64(u.length)
        us.set(u)
        if (siluFeaturesThreaded(pool(), xs, n, dim, us, m, phi, psi, threads)) return
      }
      features(xt, dim, u, m, activation, 0, n, phi, psi)
    },
    phiMul(c) {
      need()
      return matVec(phi, n, m, c)
    },
    phiTMul(z) {
      need()
      return matTVec(phi, n, m, z)
    },
    psiTXMul(z) {
      need()
      const threads = threadCount()
      if (threads > 1 && isShared(psi) && xs !== undefined) {
        if (zs.length !== n) zs = sharedFloat64(n)
        if (gs.length !== m * dim) gs = sharedFloat64(m * dim)
        zs.set(z)
        if (psiTransposeXThreaded(pool(), psi, xs, n, m, dim, zs, gs, threads)) return Float64Array.from(gs)
      }
      return psiTransposeX(psi, xt, n, m, dim, z)
    },
    psiXMul(c, du) {
      need()
      return psiXDirection(psi, xt, n, m, dim, c, du)
    },
    gram(a, b, into) {
      need()
      // several threads work on S and T in shared memory; one thread on plain arrays
      const threads = threadCount()
      const shared = threads > 1
      if (scaled.length !== n * m || isShared(scaled) !== shared)
        scaled = shared ? sharedFloat64(n * m) : new Float64Array(n * m)
      if (t.length !== n * n || isShared(t) !== shared)
        t = shared ? sharedFloat64(n * n) : new Float64Array(n * n)
      const product = (s: Float64Array, c: Float64Array): void => {
        if (!syrkUpperThreaded(pool(), s, n, m, c, threads)) syrkUpper(s, n, m, c)
      }
      // the SYRK accumulates into the upper triangle: a reused buffer starts from zeros
      const out = into === undefined ? new Float64Array(n * n) : gramOut(into, n).fill(0)
      if (shared) {
        t.fill(0)
        product(scaleColumns(phi, n, m, sqrtInto(a, sa), scaled), t)
        for (let p = 0; p < n; p++) out.set(t.subarray(p * n + p, p * n + n), p * n + p)
      } else product(scaleColumns(phi, n, m, sqrtInto(a, sa), scaled), out)
      // the Ψ part vanishes when b = 0 (v = 0 at init, the last-layer Gram): skipped
      if (!allZero(b)) {
        k ??= innerProducts(xt, n, dim)
        const kk = k
        t.fill(0)
        product(scaleColumns(psi, n, m, sqrtInto(b, sb), scaled), t)
        for (let p = 0; p < n; p++) for (let q = p; q < n; q++) out[p * n + q] += t[p * n + q] * kk[p * n + q]
      }
      mirrorUpper(out, n)
      return out
    },
    dispose() {
      phi = new Float64Array(0)
      psi = new Float64Array(0)
      scaled = new Float64Array(0)
      t = new Float64Array(0)
      k = undefined
      xs = undefined
      m = 0
    }
  }
}

/**
 * Open the TypeScript engine: `threads` per call (default {@link typescriptThreads}); `scoped`:
 * its own worker pool, terminated by `close`, else this thread's shared pool.
 */
export function openTypescriptEngine(
  threads: number | undefined,
  scoped: boolean,
  reason: string
): CpuEngine {
  const own = scoped ? new WorkerPool() : undefined
  const pool = (): WorkerPool => own ?? (sharedPool ??= new WorkerPool())
  const threadCount = (): number => threads ?? typescriptThreads()
  return {
    name: "typescript",
    reason,
    threads: threadCount,
    routines: typescriptRoutines,
    bind: (x, n, dim, activation) => bindTypescript(pool, threadCount, x, n, dim, activation),
    featureMatVec(x, n, dim, u, m, c, activation) {
      const y = new Float64Array(n)
      const phi = new Float64Array(ROW_BLOCK * m)
      for (let r0 = 0; r0 < n; r0 += ROW_BLOCK) {
        const r1 = Math.min(n, r0 + ROW_BLOCK)
        features(x, dim, u, m, activation, r0, r1, phi, undefined)
        matVec(phi, r1 - r0, m, c, y.subarray(r0, r1))
      }
      return y
    },
    async close() {
      await own?.close()
    }
  }
}
