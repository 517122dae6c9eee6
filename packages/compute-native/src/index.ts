/**
 * Loader and types of the optional native kernels (build/Release/gnlab_native.node, built by
 * `npm run build:native` or at install when OpenBLAS is found). Importing this module never
 * fails: {@link loadNative} says whether the addon is there and, if not, why.
 *
 * Conventions of every function: matrices are row-major Float64Arrays (subarrays allowed),
 * used in place without copies; dimensions are checked against the arrays' lengths (a
 * RangeError when an array is too short). Threads: OpenBLAS runs single-threaded; the fused
 * kernels (features, matVec, matTVec, psiTX, psiXDir, gram, siluMatVec, potrf) share fixed tiles
 * among the addon's own threads, so their results do not depend on the thread count, which is
 * `GNLAB_THREADS` (default: the number of cores) divided among the computations that hold
 * {@link NativeAddon.acquire} in the process (the runner's concurrently running cells).
 */
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

/**
 * The functions of the addon: BLAS/LAPACK routines (src/native/routines.c), the backend's fused
 * kernels (src/native/kernels.c) and the thread share (src/native/threads.c); each entry point's
 * formula is in src/native/addon.c.
 */
export interface NativeAddon {
  /** C = α op(A) op(B) + β C (CBLAS dgemm, row-major; trans flags 0/1) */
  dgemm(
    transA: 0 | 1,
    transB: 0 | 1,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float64Array,
    lda: number,
    b: Float64Array,
    ldb: number,
    beta: number,
    c: Float64Array,
    ldc: number
  ): void
  /** one triangle (upper = 1) of C = α op(A) op(A)ᵀ + β C (CBLAS dsyrk, row-major) */
  dsyrk(
    upper: 0 | 1,
    trans: 0 | 1,
    n: number,
    k: number,
    alpha: number,
    a: Float64Array,
    lda: number,
    beta: number,
    c: Float64Array,
    ldc: number
  ): void
  /** x ← op(T)⁻¹ x for the triangular n × n T (lower = 1 for a lower triangle) */
  dtrsv(lower: 0 | 1, trans: 0 | 1, n: number, t: Float64Array, x: Float64Array): void
  /** y = A x reading the lower triangle of the symmetric A */
  dsymv(n: number, a: Float64Array, x: Float64Array, y: Float64Array): void
  /**
   * In-place Cholesky A = L Lᵀ of the lower triangle (blocked, tiles shared among threads); the
   * strict upper triangle is zeroed on success. 0 on success, k > 0 when the leading k × k minor
   * is not positive definite, −1 when a pivot is not finite.
   */
  potrf(a: Float64Array, n: number): number
  /** b ← (L Lᵀ)⁻¹ b with L from potrf (LAPACK dpotrs); returns LAPACK's info */
  potrs(l: Float64Array, n: number, b: Float64Array): number
  /**
   * Eigenvalues (ascending, into w) and eigenvectors of the symmetric A (LAPACK dsyevd): on
   * return row j of A is the unit eigenvector of w[j]. Returns LAPACK's info.
   */
  syevd(a: Float64Array, n: number, w: Float64Array): number
  /**
   * Z = X̃ Uᵀ (n × m) into phi; with silu = 1, Φ = silu(Z) into phi and Ψ = silu′(Z) into psi
   * (when not null): s = 1/(1 + e^{−z}), Φ = z s, Ψ = s + Φ (1 − s).
   */
  features(
    x: Float64Array,
    n: number,
    dim: number,
    u: Float64Array,
    m: number,
    silu: 0 | 1,
    phi: Float64Array,
    psi: Float64Array | null
  ): void
  /** y = P c for P (n × m) */
  matVec(p: Float64Array, n: number, m: number, c: Float64Array, y: Float64Array): void
  /** y = Pᵀ z for P (n × m) */
  matTVec(p: Float64Array, n: number, m: number, z: Float64Array, y: Float64Array): void
  /** G = Ψᵀ diag(z) X̃ (m × dim) */
  psiTX(
    psi: Float64Array,
    x: Float64Array,
    n: number,
    m: number,
    dim: number,
    z: Float64Array,
    g: Float64Array
  ): void
  /** h_a = Σ_i c_i Ψ_ai (x̃_a · δu_i) */
  psiXDir(
    psi: Float64Array,
    x: Float64Array,
    n: number,
    m: number,
    dim: number,
    c: Float64Array,
    du: Float64Array,
    h: Float64Array
  ): void
  /**
   * A = Φ diag(a) Φᵀ + (Ψ diag(b) Ψᵀ) ∘ K into out (n × n, both triangles), for a, b ≥ 0, an
   * n × m scratch array and an n × n scratch array sq.
   */
  gram(
    phi: Float64Array,
    psi: Float64Array,
    n: number,
    m: number,
    a: Float64Array,
    b: Float64Array,
    k: Float64Array,
    out: Float64Array,
    scratch: Float64Array,
    sq: Float64Array
  ): void
  /** y = silu(X̃ Uᵀ) c without keeping the n × m features */
  siluMatVec(
    x: Float64Array,
    n: number,
    dim: number,
    u: Float64Array,
    m: number,
    c: Float64Array,
    y: Float64Array
  ): void
  /**
   * One gradient-descent step of f = Φ (ω ∘ v) over blocks of hidden units (src/native/gd.c):
   * u, v updated in place, the gradient into du, dv, the new outputs into f
   */
  gdStep(
    x: Float64Array,
    n: number,
    dim: number,
    u: Float64Array,
    v: Float64Array,
    m: number,
    omega: Float64Array,
    metric: Float64Array,
    z: Float64Array,
    lr: number,
    du: Float64Array,
    dv: Float64Array,
    f: Float64Array
  ): void
  /** one more live computation in the process: the per-call thread count adapts */
  acquire(): void
  /** the end of one acquire() of this thread */
  release(): void
  /** the most threads the kernels use in this process */
  setMaxThreads(threads: number): void
  /** { max, active computations, threads a call gets now } */
  threads(): { max: number; active: number; perCall: number }
  /** which BLAS the addon was linked against, and which exp its SiLU kernel uses on this CPU */
  blasInfo(): { library: "openblas" | "accelerate"; config: string; core: string; siluExp: string }
}

/** @deprecated the name before the routines/kernels split: {@link NativeAddon} */
export type NativeKernels = NativeAddon

/** Whether the addon loaded, and if not why. */
export type NativeStatus =
  | {
      readonly available: true
      readonly addon: NativeAddon
      /** @deprecated the same object as `addon` */
      readonly kernels: NativeAddon
      /** "openblas" or "accelerate" */
      readonly library: string
      /** e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH … SkylakeX MAX_THREADS=64" */
      readonly config: string
      readonly path: string
    }
  | { readonly available: false; readonly reason: string }

/** Where the addon is built. */
export const addonPath = fileURLToPath(new URL("../build/Release/gnlab_native.node", import.meta.url))

let status: NativeStatus | undefined

/**
 * Load the addon once per thread. Unavailable when `GNLAB_NATIVE=0`, when it was not built
 * (no OpenBLAS at install), or when it fails to load (the reason says which).
 */
export function loadNative(): NativeStatus {
  if (status !== undefined) return status
  if (process.env.GNLAB_NATIVE === "0")
    return (status = { available: false, reason: "disabled by GNLAB_NATIVE=0" })
  if (!existsSync(addonPath))
    return (status = {
      available: false,
      reason:
        "@gnlab/compute-native is not built (needs OpenBLAS: apt-get install libopenblas-dev, then npm run build:native -w @gnlab/compute-native)"
    })
  // no OpenBLAS thread pool: the addon calls BLAS single-threaded and runs its own threads
  process.env.OPENBLAS_NUM_THREADS ??= "1"
  process.env.VECLIB_MAXIMUM_THREADS ??= "1"
  try {
    const addon = createRequire(import.meta.url)(addonPath) as NativeAddon
    const info = addon.blasInfo()
    return (status = {
      available: true,
      addon,
      kernels: addon,
      library: info.library,
      config: `${info.config}${info.core ? ` (core ${info.core})` : ""}; SiLU exp ${info.siluExp}`.trim(),
      path: addonPath
    })
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    return (status = { available: false, reason: `the native addon failed to load: ${msg.split("\n")[0]}` })
  }
}
