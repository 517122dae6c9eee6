/**
 * The tfjs compute backend for tfjs backends that can read device memory synchronously
 * (tensorflow/node, wasm, cpu): the device programs of device.ts behind the synchronous
 * `FeatureKernels` interface, float64 in and out on the host.
 */
import type { ActivationId, ComputeBackend, FeatureKernels } from "@gnlab/compute"
import { bindDevice, featureMatVecDevice, symmetricHost } from "./device.js"
import { activate, type Tensor, type Tf } from "./tf.js"

/** The tfjs backends gnlab can drive, in discovery order (fastest first). */
export const tfjsVariants = ["node-gpu", "node", "webgpu", "wasm", "cpu"] as const
export type TfjsVariant = (typeof tfjsVariants)[number]

/** True when `v` names a tfjs variant. */
export const isTfjsVariant = (v: string): v is TfjsVariant =>
  (tfjsVariants as ReadonlyArray<string>).includes(v)

/** A tfjs compute backend: a ComputeBackend plus what tests and tools need to see. */
export interface TfjsComputeBackend extends ComputeBackend {
  readonly variant: TfjsVariant
  /** tensors alive on this backend's engine (`tf.memory().numTensors`) */
  numTensors(): number
}

/** Read a result tensor into a host float64 array and release it. */
function readAndDispose(t: Tensor): Float64Array {
  try {
    return Float64Array.from(t.dataSync())
  } finally {
    t.dispose()
  }
}

/**
 * A ComputeBackend on tfjs backend `engineName` ("tensorflow", "wasm", "cpu"), which must
 * be registered and initialised. Every call activates it first (see `activate`).
 */
export function inProcessBackend(
  tf: Tf,
  variant: TfjsVariant,
  engineName: string,
  details: Readonly<Record<string, string>>
): TfjsComputeBackend {
  const use = () => activate(tf, engineName)
  return {
    variant,
    info: { name: `tfjs:${variant}`, precision: "float32", details },
    numTensors: () => tf.memory().numTensors,
    bind(x: Float64Array, n: number, dim: number, activation: ActivationId): FeatureKernels {
      use()
      const dev = bindDevice(tf, x, n, dim, activation)
      return {
        n,
        dim,
        get m() {
          return dev.m
        },
        setHidden(u) {
          use()
          dev.setHidden(u)
        },
        phiMul(c) {
          use()
          return readAndDispose(dev.phiMul(c))
        },
        phiTMul(z) {
          use()
          return readAndDispose(dev.phiTMul(z))
        },
        psiTXMul(z) {
          use()
          return readAndDispose(dev.psiTXMul(z))
        },
        psiXMul(c, du) {
          use()
          return readAndDispose(dev.psiXMul(c, du))
        },
        gram(a, b) {
          use()
          const t = dev.gram(a, b)
          try {
            return symmetricHost(t.dataSync(), n)
          } finally {
            t.dispose()
          }
        },
        dispose() {
          // disposal works whichever backend is active: tensors know their own backend
          dev.dispose()
        }
      }
    },
    featureMatVec(x, n, dim, u, m, c, activation) {
      use()
      return readAndDispose(featureMatVecDevice(tf, x, n, dim, u, m, c, activation))
    }
  }
}
