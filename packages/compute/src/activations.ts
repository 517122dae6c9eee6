/**
 * Activations σ and their derivatives σ′, evaluated elementwise by the feature kernels.
 * They live with the compute backends (not in models) because computing Φ = σ(Z), Ψ = σ′(Z)
 * is a backend primitive; models name an activation by its id.
 */
// erf from stdlib (double precision, a maintained port of FreeBSD msun): exact gelu needs it.
import erf from "@stdlib/math-base-special-erf"

/** The activation functions gnlab knows. */
export const activationIds = ["silu", "relu", "tanh", "gelu"] as const
export type ActivationId = (typeof activationIds)[number]

/** σ and σ′ as scalar functions (the CPU backend's reference definitions). */
export interface Activation {
  readonly id: ActivationId
  /** σ(z) */
  readonly value: (z: number) => number
  /** σ′(z) */
  readonly derivative: (z: number) => number
}

// sigmoid without overflow: for z → −∞, exp(−z) = ∞ gives 1/∞ = 0, the exact limit.
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z))

const SQRT1_2 = Math.SQRT1_2
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI)

/** The registry of activations: σ and σ′ per id. */
export const activations: Record<ActivationId, Activation> = {
  // silu(z) = z s(z), silu′(z) = s + z s (1 − s)
  silu: {
    id: "silu",
    value: (z) => z * sigmoid(z),
    derivative: (z) => {
      const s = sigmoid(z)
      return s + z * s * (1 - s)
    }
  },
  // relu′(0) := 0 (the subgradient PyTorch uses)
  relu: { id: "relu", value: (z) => (z > 0 ? z : 0), derivative: (z) => (z > 0 ? 1 : 0) },
  tanh: {
    id: "tanh",
    value: Math.tanh,
    derivative: (z) => {
      const t = Math.tanh(z)
      return 1 - t * t
    }
  },
  // exact gelu(z) = z Φ(z), Φ the standard normal CDF; gelu′(z) = Φ(z) + z φ(z)
  gelu: {
    id: "gelu",
    value: (z) => 0.5 * z * (1 + erf(z * SQRT1_2)),
    derivative: (z) => 0.5 * (1 + erf(z * SQRT1_2)) + z * INV_SQRT_2PI * Math.exp(-0.5 * z * z)
  }
}

/** True when `id` names a known activation. */
export const isActivationId = (id: string): id is ActivationId =>
  (activationIds as ReadonlyArray<string>).includes(id)
