/**
 * The dense CPU backend (float64 on the host) as a `ComputeBackend`: an engine's kernels and
 * routines (./engine.ts) with the facts recorded with every result. Φ and Ψ of a bound data set
 * are kept as N × M arrays; the Gram matrix is assembled by two symmetric rank-M updates (SYRK)
 * exploiting symmetry, as in SPEC.md's structured NTK:
 *
 *   A = Φ diag(a) Φᵀ + (Ψ diag(b) Ψᵀ) ∘ K,   K = X̃ X̃ᵀ,   each product as S Sᵀ with S = Φ diag(√a).
 */
import type { ComputeBackend } from "../backend.js"
import type { LinalgRoutines } from "../linalg/routines.js"
import { currentEngine } from "./current.js"
import type { CpuEngine } from "./engine.js"

const threadsPolicy = (engine: CpuEngine): string =>
  engine.name === "typescript"
    ? "GNLAB_THREADS, else all cores on the main thread and 1 in a worker"
    : "GNLAB_THREADS, else all cores, shared among the engines and bindings open in the process"

const details = (engine: CpuEngine): Record<string, string> => ({
  kernels: engine.name,
  why: engine.reason,
  threads: `${engine.threads()} max per call (${threadsPolicy(engine)})`
})

/** The CPU backend of one engine (what the CPU Layers provide). */
export function cpuBackendOf(engine: CpuEngine): ComputeBackend {
  return {
    info: {
      name: "cpu",
      precision: "float64",
      get details() {
        return details(engine)
      }
    },
    linalg: engine.routines,
    bind: (x, n, dim, activation) => engine.bind(x, n, dim, activation),
    featureMatVec: (x, n, dim, u, m, c, activation) => engine.featureMatVec(x, n, dim, u, m, c, activation)
  }
}

/**
 * The CPU backend of the engine in force in this thread (./current.ts), for code outside any
 * Layer (tests, tools): each call goes to that engine; a binding keeps the engine it was made with.
 */
export const cpuBackend: ComputeBackend = {
  info: {
    name: "cpu",
    precision: "float64",
    get details() {
      return details(currentEngine())
    }
  },
  get linalg(): LinalgRoutines {
    return currentEngine().routines
  },
  bind: (x, n, dim, activation) => currentEngine().bind(x, n, dim, activation),
  featureMatVec: (x, n, dim, u, m, c, activation) =>
    currentEngine().featureMatVec(x, n, dim, u, m, c, activation)
}
