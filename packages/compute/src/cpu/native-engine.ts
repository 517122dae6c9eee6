/**
 * The native engine: the kernels and routines of @gnlab/compute-native's addon (OpenBLAS /
 * LAPACK or Accelerate), its tiles shared among the addon's threads. A binding keeps Φ, Ψ and the
 * Gram scratch of its data set as N × M and N × N buffers reused from step to step; K = X̃X̃ᵀ is
 * built by the first Gram matrix (GD and the gradient flow never assemble A, and N × N doubles
 * are 3.2 GB at N = 20 000).
 *
 * Threads: the addon divides its thread maximum among the holders of a share (`acquire` /
 * `release`). A scoped engine (opened by a Layer) holds one share from open to close; the engine
 * of code outside any Layer gives each binding a share until it is disposed (or collected).
 */
import type { NativeAddon } from "@gnlab/compute-native"
import { activations, type ActivationId } from "../activations.js"
import type { FeatureKernels, GdStep } from "../backend.js"
import type { LinalgRoutines } from "../linalg/routines.js"
import type { CpuEngine } from "./engine.js"
import { gramOut } from "./kernels.js"

// Rows of a test set evaluated at once by featureMatVec (activations other than SiLU).
const ROW_BLOCK = 256

// A binding that was never disposed gives its thread share back when it is collected.
const releaseOnCollect = new FinalizationRegistry<NativeAddon>((native) => native.release())

/** LAPACK / BLAS routines of the host linear algebra. */
function nativeRoutines(native: NativeAddon): LinalgRoutines {
  return {
    factor(a, n, l) {
      // row-major lower triangle = LAPACK's column-major upper; the addon zeroes the rest
      l.set(a)
      return native.potrf(l, n) === 0
    },
    solve(l, n, x) {
      const info = native.potrs(l, n, x)
      if (info !== 0) throw new Error(`choleskySolve: LAPACK dpotrs info ${info}`)
    },
    symv(a, n, x, y) {
      // BLAS dsymv on the lower triangle
      native.dsymv(n, a, x, y)
    },
    eigen(a, n) {
      // LAPACK dsyevd (divide and conquer): row j of q is the unit eigenvector of values[j],
      // transposed here into column j
      const q = Float64Array.from(a)
      const values = new Float64Array(n)
      if (native.syevd(q, n, values) !== 0) return undefined
      const vectors = new Float64Array(n * n)
      for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) vectors[i * n + j] = q[j * n + i]
      return { values, vectors }
    }
  }
}

/** Bind X̃ (n × dim); with `share`, the binding holds a thread share until disposed. */
function bindNative(
  native: NativeAddon,
  routines: LinalgRoutines,
  share: boolean,
  x: Float64Array,
  n: number,
  dim: number,
  activation: ActivationId
): FeatureKernels {
  const xt = Float64Array.from(x)
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
  let live = share
  if (share) native.acquire()
  // hidden weights set by gdStep whose features are not evaluated yet
  let pending: Float64Array | undefined
  const evaluate = (u: Float64Array): void => {
    pending = undefined
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
  }
  const need = (): void => {
    if (pending !== undefined) evaluate(pending)
    if (m === 0) throw new Error("FeatureKernels: setHidden must be called before evaluating features")
  }
  const binding: FeatureKernels = {
    n,
    dim,
    linalg: routines,
    get m() {
      return m
    },
    setHidden(u) {
      evaluate(u)
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
    ...(silu
      ? {
          gdStep(step: GdStep) {
            const width = step.u.length / dim
            native.gdStep(
              xt,
              n,
              dim,
              step.u,
              step.v,
              width,
              step.omega,
              step.metric,
              step.z,
              step.lr,
              step.du,
              step.dv,
              step.f
            )
            pending = Float64Array.from(step.u)
          }
        }
      : {}),
    dispose() {
      pending = undefined
      phi = new Float64Array(0)
      psi = new Float64Array(0)
      scratch = new Float64Array(0)
      sq = new Float64Array(0)
      k = undefined
      m = 0
      if (live) {
        live = false
        releaseOnCollect.unregister(binding)
        native.release()
      }
    }
  }
  if (share) releaseOnCollect.register(binding, native, binding)
  return binding
}

/**
 * Open the native engine. `threads` sets the addon's process-wide maximum (results never depend
 * on it); `scoped` makes the engine hold one thread share until `close`.
 */
export function openNativeEngine(
  native: NativeAddon,
  name: "openblas" | "accelerate",
  reason: string,
  threads: number | undefined,
  scoped: boolean
): CpuEngine {
  if (threads !== undefined) native.setMaxThreads(threads)
  const routines = nativeRoutines(native)
  let open = scoped
  if (scoped) native.acquire()
  return {
    name,
    reason,
    threads: () => native.threads().max,
    routines,
    bind: (x, n, dim, activation) => bindNative(native, routines, !scoped, x, n, dim, activation),
    featureMatVec(x, n, dim, u, m, c, activation) {
      const y = new Float64Array(n)
      if (activation === "silu") {
        native.siluMatVec(x, n, dim, u, m, c, y)
        return y
      }
      const phi = new Float64Array(ROW_BLOCK * m)
      const act = activations[activation]
      for (let r0 = 0; r0 < n; r0 += ROW_BLOCK) {
        const r1 = Math.min(n, r0 + ROW_BLOCK)
        // Z natively, the activation here
        native.features(x.subarray(r0 * dim, r1 * dim), r1 - r0, dim, u, m, 0, phi, null)
        for (let j = 0; j < (r1 - r0) * m; j++) phi[j] = act.value(phi[j])
        native.matVec(phi, r1 - r0, m, c, y.subarray(r0, r1))
      }
      return y
    },
    async close() {
      if (open) {
        open = false
        native.release()
      }
    }
  }
}
