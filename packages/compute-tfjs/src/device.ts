/**
 * The feature kernels as tfjs tensor programs (float32, on whatever device the active tfjs
 * backend drives). Each primitive returns one new tensor that the caller reads and disposes;
 * every intermediate is created inside `tf.tidy`, so nothing else outlives the call. How the
 * result is read (synchronously in-process, asynchronously in the WebGPU worker) is the
 * caller's business: this module is shared by both.
 *
 * Notation as in @gnlab/compute: X̃ is N × D, U is M × D, Z = X̃ Uᵀ, Φ = σ(Z), Ψ = σ′(Z).
 */
import type { ActivationId } from "@gnlab/compute"
import type { Tensor, Tf } from "./tf.js"

const SQRT1_2 = Math.SQRT1_2
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI)

/** Rows of an unbound input set evaluated at once by `featureMatVec` (bounds memory to ROWS × M). */
export const FEATURE_ROW_BLOCK = 2048

/** Φ = σ(Z) and, when `withDerivative`, Ψ = σ′(Z), with the CPU backend's definitions. */
export function applyActivation(
  tf: Tf,
  z: Tensor,
  activation: ActivationId,
  withDerivative: boolean
): { phi: Tensor; psi?: Tensor } {
  switch (activation) {
    case "silu": {
      // s = sigmoid(z), σ = z s, σ′ = s + σ (1 − s)
      const s = tf.sigmoid(z)
      const phi = tf.mul(z, s)
      return { phi, psi: withDerivative ? tf.add(s, tf.mul(phi, tf.sub(1, s))) : undefined }
    }
    case "relu":
      // relu′(0) := 0, as the CPU backend (and PyTorch)
      return { phi: tf.relu(z), psi: withDerivative ? tf.cast(tf.greater(z, 0), "float32") : undefined }
    case "tanh": {
      const t = tf.tanh(z)
      return { phi: t, psi: withDerivative ? tf.sub(1, tf.square(t)) : undefined }
    }
    case "gelu": {
      // exact gelu: z Φ(z) with Φ(z) = (1 + erf(z/√2))/2; gelu′ = Φ(z) + z φ(z)
      const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(z, SQRT1_2))))
      const phi = tf.mul(z, cdf)
      const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(z))))
      return { phi, psi: withDerivative ? tf.add(cdf, tf.mul(z, pdf)) : undefined }
    }
  }
}

/** A float32 matrix tensor from a host float64 array (rounded once, here). */
export const matrix = (tf: Tf, x: Float64Array, rows: number, cols: number): Tensor =>
  tf.tensor2d(Float32Array.from(x), [rows, cols], "float32")

/**
 * A data set bound on the device: X̃ kept, K = X̃ X̃ᵀ from the first Gram matrix that needs it;
 * Φ and Ψ replaced by `setHidden`.
 * Method results are new tensors owned by the caller.
 */
export interface DeviceFeatures {
  readonly n: number
  readonly dim: number
  /** M, 0 before the first setHidden */
  readonly m: number
  setHidden(u: Float64Array): void
  /** Φ c, shape [N] */
  phiMul(c: Float64Array): Tensor
  /** Φᵀ z, shape [M] */
  phiTMul(z: Float64Array): Tensor
  /** Ψᵀ diag(z) X̃, shape [M, D] */
  psiTXMul(z: Float64Array): Tensor
  /** h_a = Σ_i c_i Ψ_ai (x̃_a · δu_i), shape [N] */
  psiXMul(c: Float64Array, du: Float64Array): Tensor
  /** Φ diag(a) Φᵀ + (Ψ diag(b) Ψᵀ) ∘ K, shape [N, N] (float32, not exactly symmetric) */
  gram(a: Float64Array, b: Float64Array): Tensor
  /** Release X̃, K, Φ, Ψ. Idempotent. */
  dispose(): void
}

/** Bind X̃ (n × dim, row-major float64) on the active tfjs backend. */
export function bindDevice(
  tf: Tf,
  x: Float64Array,
  n: number,
  dim: number,
  activation: ActivationId
): DeviceFeatures {
  let xt: Tensor | undefined = matrix(tf, x, n, dim)
  // K = X̃ X̃ᵀ, the Hadamard factor of the Ψ part of A: made by the first Gram matrix that needs
  // it, so GD and the gradient flow never hold N × N on the device
  let k: Tensor | undefined
  let phi: Tensor | undefined
  let psi: Tensor | undefined
  let m = 0
  const bound = (): Tensor => {
    if (xt === undefined) throw new Error("FeatureKernels: used after dispose")
    return xt
  }
  const features = (): { phi: Tensor; psi: Tensor } => {
    if (phi === undefined || psi === undefined)
      throw new Error("FeatureKernels: setHidden must be called before evaluating features")
    return { phi, psi }
  }
  const column = (v: Float64Array): Tensor => tf.tensor2d(Float32Array.from(v), [v.length, 1], "float32")
  const row = (v: Float64Array): Tensor => tf.tensor2d(Float32Array.from(v), [1, v.length], "float32")
  return {
    n,
    dim,
    get m() {
      return m
    },
    setHidden(u) {
      const x0 = bound()
      const width = u.length / dim
      const next = tf.tidy(() => {
        const z = tf.matMul(x0, matrix(tf, u, width, dim), false, true)
        const f = applyActivation(tf, z, activation, true)
        return [f.phi, f.psi!]
      })
      tf.dispose([phi, psi].filter((t): t is Tensor => t !== undefined))
      ;[phi, psi] = next
      m = width
    },
    phiMul(c) {
      const f = features()
      return tf.tidy(() => tf.reshape(tf.matMul(f.phi, column(c)), [n]))
    },
    phiTMul(z) {
      // zᵀ Φ (1 × N times N × M) keeps Φ untransposed: no N × M copy
      const f = features()
      return tf.tidy(() => tf.reshape(tf.matMul(row(z), f.phi), [m]))
    },
    psiTXMul(z) {
      // (diag(z) X̃)ᵀ Ψ is D × M; transposing it (M·D entries) is cheaper than transposing Ψ
      const f = features()
      return tf.tidy(() => tf.transpose(tf.matMul(tf.mul(bound(), column(z)), f.psi, true, false)))
    },
    psiXMul(c, du) {
      const f = features()
      return tf.tidy(() => {
        const w = tf.matMul(bound(), tf.transpose(matrix(tf, du, m, dim)))
        return tf.reshape(tf.matMul(tf.mul(f.psi, w), column(c)), [n])
      })
    },
    gram(a, b) {
      const f = features()
      if (k === undefined && !b.every((bi) => bi === 0)) {
        const x0 = bound()
        k = tf.tidy(() => tf.matMul(x0, x0, false, true))
      }
      const kk = k
      return tf.tidy(() => {
        // P Pᵀ with P = Φ diag(√a): multiplying by an explicit Pᵀ (M × N) is ~3× faster on
        // the wasm backend than a transposed-operand matMul, and costs one N × M copy
        const p = tf.mul(f.phi, row(a.map(Math.sqrt)))
        const out = tf.matMul(p, tf.transpose(p))
        // b = 0 (random features' last-layer kernel): the Ψ term vanishes exactly
        if (b.every((bi) => bi === 0)) return out
        const q = tf.mul(f.psi, row(b.map(Math.sqrt)))
        return tf.add(out, tf.mul(tf.matMul(q, tf.transpose(q)), kk!))
      })
    },
    dispose() {
      tf.dispose([xt, k, phi, psi].filter((t): t is Tensor => t !== undefined))
      xt = k = phi = psi = undefined
      m = 0
    }
  }
}

/**
 * y = σ(X̃ Uᵀ) c for inputs not kept on the device, in row blocks of FEATURE_ROW_BLOCK; the
 * result (shape [n]) is owned by the caller.
 */
export function featureMatVecDevice(
  tf: Tf,
  x: Float64Array,
  n: number,
  dim: number,
  u: Float64Array,
  m: number,
  c: Float64Array,
  activation: ActivationId
): Tensor {
  return tf.tidy(() => {
    const ut = tf.transpose(matrix(tf, u, m, dim))
    const ct = tf.tensor2d(Float32Array.from(c), [m, 1], "float32")
    const blocks: Tensor[] = []
    for (let r0 = 0; r0 < n; r0 += FEATURE_ROW_BLOCK) {
      const r1 = Math.min(n, r0 + FEATURE_ROW_BLOCK)
      // a nested tidy frees each block's N_b × M features before the next block
      blocks.push(
        tf.tidy(() => {
          const xb = matrix(tf, x.subarray(r0 * dim, r1 * dim), r1 - r0, dim)
          return tf.matMul(applyActivation(tf, tf.matMul(xb, ut), activation, false).phi, ct)
        })
      )
    }
    return tf.reshape(blocks.length === 1 ? blocks[0] : tf.concat(blocks, 0), [n])
  })
}

/** A host float64 copy of a float32 N × N Gram matrix, symmetrised: (A + Aᵀ)/2. */
export function symmetricHost(values: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n)
  for (let p = 0; p < n; p++) {
    out[p * n + p] = values[p * n + p]
    for (let q = p + 1; q < n; q++) {
      const s = 0.5 * (values[p * n + q] + values[q * n + p])
      out[p * n + q] = s
      out[q * n + p] = s
    }
  }
  return out
}
