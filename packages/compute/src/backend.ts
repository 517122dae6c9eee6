/**
 * The compute backend: the small set of primitives every model and method is written
 * against (tfjs-core's "kernels behind a registry" idea). A backend binds a data set once
 * (`bind`) and then evaluates features and their products at changing hidden weights.
 *
 * Notation (SPEC.md): X̃ is N × D (inputs with the bias column when the model has one),
 * U is M × D (hidden weights, row i = u_i), Z = X̃ Uᵀ, Φ = σ(Z), Ψ = σ′(Z), all N × M.
 * Every array crossing this interface is a row-major float64 `Float64Array` on the host;
 * a float32 device backend converts at the boundary.
 */
import { Context, Data } from "effect"
import type { ActivationId } from "./activations.js"
import type { LinalgRoutines } from "./linalg/routines.js"

/**
 * A data set bound to a backend (a "binding"), with the features at the current hidden weights
 * cached; its methods are the backend's kernels.
 */
export interface FeatureKernels {
  /** number of data points N */
  readonly n: number
  /** width M (number of hidden units / particles) */
  readonly m: number
  /** input dimension D of X̃ (d + 1 with a bias) */
  readonly dim: number
  /**
   * The dense routines of the host linear algebra that go with this binding (the CPU engine it
   * was bound with): pass them to `cholesky`, `extremeEigenvalues`, … so that the solves run on
   * the same engine. Undefined: the engine in force in the thread.
   */
  readonly linalg?: LinalgRoutines
  /** Recompute Z = X̃ Uᵀ, Φ = σ(Z), Ψ = σ′(Z) at hidden weights U (M × D). */
  setHidden(u: Float64Array): void
  /** Φ c (length N), c of length M. */
  phiMul(c: Float64Array): Float64Array
  /** Φᵀ z (length M), z of length N. */
  phiTMul(z: Float64Array): Float64Array
  /** G (M × D) with G_i = Σ_a z_a Ψ_ai x̃_a, i.e. Ψᵀ diag(z) X̃. */
  psiTXMul(z: Float64Array): Float64Array
  /** h (length N) with h_a = Σ_i c_i Ψ_ai (x̃_a · δu_i), for δU (M × D) and c (length M). */
  psiXMul(c: Float64Array, du: Float64Array): Float64Array
  /**
   * The Gram matrix  A = Φ diag(a) Φᵀ + (Ψ diag(b) Ψᵀ) ∘ (X̃ X̃ᵀ)  (N × N, full, symmetric),
   * with a, b ≥ 0 of length M. This is the NTK of SPEC.md for a = ω²/g, b = ω² v²/g.
   * With `out` (length N², any contents) the CPU kernels write A there and return it, so a
   * training loop does not allocate N × N per step; other backends may return a new array.
   */
  gram(a: Float64Array, b: Float64Array, out?: Float64Array): Float64Array
  /**
   * One gradient-descent step in one pass (optional: the native engine has it). For the network
   * f = Φ (ω ∘ v) with metric g, from z = (f − y)/N at the weights (u, v):
   *   δv = (ω/g) ∘ Φᵀz,  δu_i = (ω_i v_i/g_i) Σ_a z_a Ψ_ai x̃_a,  u ← u − λ δu,  v ← v − λ δv
   * (u, v updated in place), the gradient into du and dv, and f' = Φ' (ω ∘ v') at the new weights
   * into f. Φ and Ψ are evaluated from u, whatever `setHidden` saw last; afterwards the binding's
   * hidden weights are the new u (its features are recomputed when next needed). The same values
   * as phiTMul, psiTXMul, setHidden and phiMul up to rounding (1e-15 relative in the tests).
   */
  gdStep?(step: GdStep): void
  /** Release what the binding holds (device memory for device backends). Idempotent. */
  dispose(): void
}

/** The arguments of {@link FeatureKernels.gdStep}. */
export interface GdStep {
  /** hidden weights U (M × D), updated in place */
  readonly u: Float64Array
  /** output weights v (M), updated in place */
  readonly v: Float64Array
  /** the network's ω (M) and metric g (M) */
  readonly omega: Float64Array
  readonly metric: Float64Array
  /** z = ∇_f L = (f − y)/N at the current weights (N) */
  readonly z: Float64Array
  /** the learning rate λ */
  readonly lr: number
  /** outputs: δu (M × D), δv (M), and the new f (N) */
  readonly du: Float64Array
  readonly dv: Float64Array
  readonly f: Float64Array
}

/** Static facts about a backend, recorded with every result. */
export interface BackendInfo {
  /** e.g. "cpu", "tfjs:wasm" */
  readonly name: string
  /** precision of the feature and Gram arithmetic; host solves are always float64 */
  readonly precision: "float64" | "float32"
  /** free-form details (library versions, threads) */
  readonly details: Readonly<Record<string, string>>
}

/** A compute backend: binds data sets and evaluates networks on inputs it does not keep. */
export interface ComputeBackend {
  readonly info: BackendInfo
  /** The host linear algebra's routines of this backend (see `FeatureKernels.linalg`). */
  readonly linalg?: LinalgRoutines
  /** Bind X̃ (n × dim) for repeated evaluation with the given activation. */
  bind(x: Float64Array, n: number, dim: number, activation: ActivationId): FeatureKernels
  /**
   * y = σ(X̃ Uᵀ) c for X̃ (n × dim), U (m × dim), c (length m), without keeping the n × m
   * features (evaluated in row blocks): the network's output on a test set.
   */
  featureMatVec(
    x: Float64Array,
    n: number,
    dim: number,
    u: Float64Array,
    m: number,
    c: Float64Array,
    activation: ActivationId
  ): Float64Array
}

/** The backend service: models and methods get the backend from here, the CLI provides a Layer. */
export class Compute extends Context.Service<Compute, ComputeBackend>()("@gnlab/compute/Compute") {}

/** A backend could not be created (missing library, no device). */
export class BackendUnavailable extends Data.TaggedError("BackendUnavailable")<{
  readonly backend: string
  readonly reason: string
}> {}
