/**
 * The dense CPU backend: float64 kernels on the host. Φ and Ψ of a bound data set are kept as
 * N × M arrays; the Gram matrix is assembled by two symmetric rank-M updates (SYRK) exploiting
 * symmetry, as in SPEC.md's structured NTK:
 *
 *   A = Φ diag(a) Φᵀ + (Ψ diag(b) Ψᵀ) ∘ K,   K = X̃ X̃ᵀ,   each product as S Sᵀ with S = Φ diag(√a).
 *
 * Two kernel providers (./provider.ts): the native addon of @gnlab/compute-native (OpenBLAS,
 * tiles shared among threads) when built, else the TypeScript kernels (./kernels.ts, the SYRK
 * in WebAssembly SIMD, spread over worker threads by ./threads.ts). A binding keeps the provider
 * it was created with. Buffers of size N × M and N × N live with the binding and are reused
 * from step to step; only the arrays returned to the caller are new. The N × N ones (K among
 * them) are allocated by the first Gram matrix, so methods that never assemble A never hold them.
 */
import type { NativeKernels } from "@gnlab/compute-native"
import { Layer } from "effect"
import { activations, type ActivationId } from "../activations.js"
import { Compute, type ComputeBackend, type FeatureKernels } from "../backend.js"
import {
  features,
  matTVec,
  matVec,
  mirrorUpper,
  psiTransposeX,
  psiXDirection,
  scaleColumns,
  syrkUpper
} from "./kernels.js"
import { cpuKernels, nativeKernels, typescriptThreads } from "./provider.js"
import {
  isShared,
  psiTransposeXThreaded,
  sharedFloat64,
  siluFeaturesThreaded,
  syrkUpperThreaded
} from "./threads.js"

// Rows of a test set evaluated at once by featureMatVec: bounds memory to ROW_BLOCK × M.
const ROW_BLOCK = 256

/** √a entrywise into out (length of a). */
function sqrtInto(a: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) out[i] = Math.sqrt(a[i])
  return out
}

const allZero = (a: Float64Array): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false
  return true
}

/** K = X̃ X̃ᵀ (n × n, both triangles) with the TypeScript loop. */
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

// A binding that was never disposed gives its thread share back when it is collected.
const releaseOnCollect = new FinalizationRegistry<NativeKernels>((native) => native.release())

/** Bind X̃ (n × dim) with the native kernels. */
function bindNative(
  native: NativeKernels,
  x: Float64Array,
  n: number,
  dim: number,
  activation: ActivationId
): FeatureKernels {
  const xt = Float64Array.from(x)
  // K = X̃ X̃ᵀ (the Hadamard factor of the Ψ part of A), built on the first Gram matrix: GD and
  // the gradient flow never assemble A, and N × N doubles are 3.2 GB at N = 20 000
  let k: Float64Array | undefined
  const inner = (): Float64Array => {
    if (k === undefined) {
      k = new Float64Array(n * n)
      if (n > 0 && dim > 0) native.dgemm(0, 1, n, n, dim, 1, xt, dim, xt, dim, 0, k, n)
    }
    return k
  }
  const silu = activation === "silu"
  const act = activations[activation]
  let m = 0
  let phi = new Float64Array(0)
  let psi = new Float64Array(0)
  let scratch = new Float64Array(0)
  let sq = new Float64Array(0)
  let live = true
  native.acquire()
  const need = (): void => {
    if (m === 0) throw new Error("FeatureKernels: setHidden must be called before evaluating features")
  }
  const kernels: FeatureKernels = {
    n,
    dim,
    get m() {
      return m
    },
    setHidden(u) {
      const width = u.length / dim
      if (width !== m) {
        m = width
        phi = new Float64Array(n * m)
        psi = new Float64Array(n * m)
        scratch = new Float64Array(0)
      }
      // Z = X̃ Uᵀ (and SiLU fused) natively; other activations applied here
      native.features(xt, n, dim, u, m, silu ? 1 : 0, phi, silu ? psi : null)
      if (!silu)
        for (let j = 0; j < n * m; j++) {
          const z = phi[j]
          phi[j] = act.value(z)
          psi[j] = act.derivative(z)
        }
    },
    phiMul(c) {
      need()
      const y = new Float64Array(n)
      native.matVec(phi, n, m, c, y)
      return y
    },
    phiTMul(z) {
      need()
      const y = new Float64Array(m)
      native.matTVec(phi, n, m, z, y)
      return y
    },
    psiTXMul(z) {
      need()
      const g = new Float64Array(m * dim)
      native.psiTX(psi, xt, n, m, dim, z, g)
      return g
    },
    psiXMul(c, du) {
      need()
      const h = new Float64Array(n)
      native.psiXDir(psi, xt, n, m, dim, c, du, h)
      return h
    },
    gram(a, b, into) {
      need()
      if (scratch.length !== n * m) scratch = new Float64Array(n * m)
      if (sq.length !== n * n) sq = new Float64Array(n * n)
      // the addon writes both triangles of out, whatever it held
      const out = gramOut(into, n)
      native.gram(phi, psi, n, m, a, b, inner(), out, scratch, sq)
      return out
    },
    dispose() {
      phi = new Float64Array(0)
      psi = new Float64Array(0)
      scratch = new Float64Array(0)
      sq = new Float64Array(0)
      k = undefined
      m = 0
      if (live) {
        live = false
        releaseOnCollect.unregister(kernels)
        native.release()
      }
    }
  }
  releaseOnCollect.register(kernels, native, kernels)
  return kernels
}

/** Bind X̃ (n × dim) with the TypeScript kernels. */
function bindTypescript(x: Float64Array, n: number, dim: number, activation: ActivationId): FeatureKernels {
  const xt = Float64Array.from(x)
  // K = X̃ X̃ᵀ on the first Gram matrix whose Ψ part is not zero (GD never needs it)
  let k: Float64Array | undefined
  let m = 0
  let phi: Float64Array = new Float64Array(0)
  let psi: Float64Array = new Float64Array(0)
  // per-binding scratch of gram: S = P diag(√a) (n × m), the second product T (n × n), √a, √b
  let scaled: Float64Array = new Float64Array(0)
  let t: Float64Array = new Float64Array(0)
  let sa = new Float64Array(0)
  let sb = new Float64Array(0)
  // shared copies for the worker threads (./threads.ts): X̃, U, z and G
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
    get m() {
      return m
    },
    setHidden(u) {
      const width = u.length / dim
      const threads = activation === "silu" ? typescriptThreads() : 1
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
        if (siluFeaturesThreaded(xs, n, dim, us, m, phi, psi, threads)) return
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
      const threads = typescriptThreads()
      if (threads > 1 && isShared(psi) && xs !== undefined) {
        if (zs.length !== n) zs = sharedFloat64(n)
        if (gs.length !== m * dim) gs = sharedFloat64(m * dim)
        zs.set(z)
        if (psiTransposeXThreaded(psi, xs, n, m, dim, zs, gs, threads)) return Float64Array.from(gs)
      }
      return psiTransposeX(psi, xt, n, m, dim, z)
    },
    psiXMul(c, du) {
      need()
      return psiXDirection(psi, xt, n, m, dim, c, du)
    },
    gram(a, b, into) {
      need()
      // several threads work on S and T in shared memory (./threads.ts); one thread on plain arrays
      const threads = typescriptThreads()
      const shared = threads > 1
      if (scaled.length !== n * m || isShared(scaled) !== shared)
        scaled = shared ? sharedFloat64(n * m) : new Float64Array(n * m)
      if (t.length !== n * n || isShared(t) !== shared)
        t = shared ? sharedFloat64(n * n) : new Float64Array(n * n)
      const product = (s: Float64Array, c: Float64Array): void => {
        if (!syrkUpperThreaded(s, n, m, c, threads)) syrkUpper(s, n, m, c)
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

/** The buffer gram writes A into: the caller's (checked to be N × N) or a new one. */
function gramOut(into: Float64Array | undefined, n: number): Float64Array {
  if (into === undefined) return new Float64Array(n * n)
  if (into.length !== n * n) throw new Error(`gram: out has length ${into.length}, expected ${n * n}`)
  return into
}

/** Bind X̃ (n × dim) on the CPU with the active kernel provider. */
function bindCpu(x: Float64Array, n: number, dim: number, activation: ActivationId): FeatureKernels {
  const native = nativeKernels()
  return native !== undefined
    ? bindNative(native, x, n, dim, activation)
    : bindTypescript(x, n, dim, activation)
}

/** The CPU backend object; `info.details` names the active kernel provider and why. */
export const cpuBackend: ComputeBackend = {
  info: {
    name: "cpu",
    precision: "float64",
    get details() {
      const s = cpuKernels()
      return {
        kernels: s.provider,
        why: s.reason,
        threads: `${s.threads} max per call (${s.provider === "typescript" ? "GNLAB_THREADS, else all cores on the main thread and 1 in a worker" : "GNLAB_THREADS, else all cores, shared among concurrently bound data sets"})`
      }
    }
  },
  bind: bindCpu,
  featureMatVec(x, n, dim, u, m, c, activation) {
    const y = new Float64Array(n)
    const native = nativeKernels()
    if (native !== undefined && activation === "silu") {
      native.siluMatVec(x, n, dim, u, m, c, y)
      return y
    }
    const phi = new Float64Array(ROW_BLOCK * m)
    for (let r0 = 0; r0 < n; r0 += ROW_BLOCK) {
      const r1 = Math.min(n, r0 + ROW_BLOCK)
      if (native !== undefined) {
        // Z natively, the activation here
        native.features(x.subarray(r0 * dim, r1 * dim), r1 - r0, dim, u, m, 0, phi, null)
        const act = activations[activation]
        for (let j = 0; j < (r1 - r0) * m; j++) phi[j] = act.value(phi[j])
        native.matVec(phi, r1 - r0, m, c, y.subarray(r0, r1))
      } else {
        features(x, dim, u, m, activation, r0, r1, phi, undefined)
        matVec(phi, r1 - r0, m, c, y.subarray(r0, r1))
      }
    }
    return y
  }
}

/** Layer providing the CPU backend as the Compute service. */
export const CpuBackendLive = Layer.succeed(Compute, cpuBackend)
