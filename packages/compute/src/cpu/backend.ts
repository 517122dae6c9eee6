/**
 * The dense CPU backend: float64 typed-array kernels on the host. Φ and Ψ of a bound data
 * set are kept as N × M arrays; the Gram matrix is assembled by two symmetric rank-M
 * updates (SYRK) exploiting symmetry, as in SPEC.md's structured NTK.
 */
import { Layer } from "effect"
import type { ActivationId } from "../activations.js"
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

// Rows of a test set evaluated at once by featureMatVec: bounds memory to ROW_BLOCK × M.
const ROW_BLOCK = 256

/** Bind X̃ (n × dim) on the CPU. */
function bindCpu(x: Float64Array, n: number, dim: number, activation: ActivationId): FeatureKernels {
  const xt = Float64Array.from(x)
  // K = X̃ X̃ᵀ once per data set (the Hadamard factor of the Ψ part of A)
  const k = new Float64Array(n * n)
  for (let p = 0; p < n; p++)
    for (let q = p; q < n; q++) {
      let s = 0
      for (let j = 0; j < dim; j++) s += xt[p * dim + j] * xt[q * dim + j]
      k[p * n + q] = s
      k[q * n + p] = s
    }
  let m = 0
  let phi = new Float64Array(0)
  let psi = new Float64Array(0)
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
      if (width !== m) {
        m = width
        phi = new Float64Array(n * m)
        psi = new Float64Array(n * m)
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
      return psiTransposeX(psi, xt, n, m, dim, z)
    },
    psiXMul(c, du) {
      need()
      return psiXDirection(psi, xt, n, m, dim, c, du)
    },
    gram(a, b) {
      need()
      // A = Φ diag(a) Φᵀ + (Ψ diag(b) Ψᵀ) ∘ (X̃ X̃ᵀ), with Φ diag(√a) etc. fed to SYRK
      const out = new Float64Array(n * n)
      syrkUpper(scaleColumns(phi, n, m, a.map(Math.sqrt)), n, m, out)
      const t = new Float64Array(n * n)
      syrkUpper(scaleColumns(psi, n, m, b.map(Math.sqrt)), n, m, t)
      for (let p = 0; p < n; p++) for (let q = p; q < n; q++) out[p * n + q] += t[p * n + q] * k[p * n + q]
      mirrorUpper(out, n)
      return out
    },
    dispose() {
      phi = new Float64Array(0)
      psi = new Float64Array(0)
      m = 0
    }
  }
}

/** The CPU backend object. */
export const cpuBackend: ComputeBackend = {
  info: { name: "cpu", precision: "float64", details: { kernels: "typed-array float64, single thread" } },
  bind: bindCpu,
  featureMatVec(x, n, dim, u, m, c, activation) {
    const y = new Float64Array(n)
    const phi = new Float64Array(ROW_BLOCK * m)
    for (let r0 = 0; r0 < n; r0 += ROW_BLOCK) {
      const r1 = Math.min(n, r0 + ROW_BLOCK)
      features(x, dim, u, m, activation, r0, r1, phi, undefined)
      matVec(phi, r1 - r0, m, c, y.subarray(r0, r1))
    }
    return y
  }
}

/** Layer providing the CPU backend as the Compute service. */
export const CpuBackendLive = Layer.succeed(Compute, cpuBackend)
