/**
 * A CPU engine: the implementation the CPU backend runs — the native addon of
 * @gnlab/compute-native (OpenBLAS or Accelerate: ./native-engine.ts) or the TypeScript kernels
 * (./typescript-engine.ts) — with the resources it holds: the native engine a share of the
 * addon's threads, the TypeScript engine its worker threads. Both compute the same quantities
 * with the same formulas; their results differ by rounding (summation orders, the addon's
 * vectorised exp against V8's), so a run is bit-for-bit reproducible for a given seed *and
 * engine* (and, natively, the same OpenBLAS build and CPU type). Neither engine's results depend
 * on its thread count.
 *
 * Words used in this package: an **engine** (this file) runs **kernels** (the backend's
 * primitives: features, Φc, Φᵀz, Ψᵀdiag(z)X̃, the Gram assembly) on a **binding** (a data set
 * bound to the backend, `FeatureKernels`), and the host linear algebra on **routines** (BLAS /
 * LAPACK-level dense operations, ../linalg/routines.ts); the matrix the Gram assembly builds is
 * the **NTK** (SPEC.md), never "the kernel".
 *
 * An engine is opened either by a Layer (./layer.ts: resources released when its scope closes)
 * or, for code that runs outside any Layer, once per thread from the environment (./current.ts).
 */
import { loadNative } from "@gnlab/compute-native"
import type { ComputeBackend } from "../backend.js"
import type { LinalgRoutines } from "../linalg/routines.js"
import { openNativeEngine } from "./native-engine.js"
import { openTypescriptEngine } from "./typescript-engine.js"

/** Which engine runs: the native addon's BLAS ("openblas" / "accelerate") or "typescript". */
export type CpuEngineName = "openblas" | "accelerate" | "typescript"

/** An engine request: "auto" picks the native engine when the addon is available. */
export type CpuEngineChoice = "auto" | "native" | "typescript"

/** What a CPU backend is built from (GNLAB_CPU_KERNELS and GNLAB_THREADS by default). */
export interface CpuEngineConfig {
  readonly engine: CpuEngineChoice
  /**
   * The most threads one kernel call uses (results never depend on it). Unset: GNLAB_THREADS,
   * else all cores (native: shared among the engines open in the process; TypeScript: on the
   * main thread, 1 in a worker thread).
   */
  readonly threads?: number | undefined
}

/** An open engine: binds data sets and evaluates the network as a `ComputeBackend` does. */
export interface CpuEngine extends Pick<ComputeBackend, "bind" | "featureMatVec"> {
  readonly name: CpuEngineName
  /** why this engine (and, for typescript, why not the native one) */
  readonly reason: string
  /** the most threads one kernel call uses now */
  threads(): number
  /** the dense routines of the host linear algebra */
  readonly routines: LinalgRoutines
  /** Release the thread share / terminate the worker threads. Idempotent. */
  close(): Promise<void>
}

/** The engine a choice cannot open (GNLAB_CPU_KERNELS=native without the addon). */
export class EngineUnavailable extends Error {}

/**
 * Open the engine of `config`. `scoped`: the engine owns its resources (a native thread share
 * held until `close`; its own worker pool); otherwise (the per-thread engine of code outside any
 * Layer, never closed) each binding holds a native share until disposed and the TypeScript
 * workers are the thread's shared, unref'd pool.
 */
export function openCpuEngine(config: CpuEngineConfig, scoped: boolean): CpuEngine {
  if (config.threads !== undefined && !(Number.isInteger(config.threads) && config.threads >= 1))
    throw new EngineUnavailable(`threads must be a positive integer, got ${config.threads}`)
  if (config.engine === "typescript")
    return openTypescriptEngine(config.threads, scoped, "selected (GNLAB_CPU_KERNELS=typescript)")
  const s = loadNative()
  if (s.available)
    return openNativeEngine(
      s.addon,
      s.library === "accelerate" ? "accelerate" : "openblas",
      `native addon, ${s.config}`,
      config.threads,
      scoped
    )
  if (config.engine === "native") throw new EngineUnavailable(`GNLAB_CPU_KERNELS=native: ${s.reason}`)
  return openTypescriptEngine(config.threads, scoped, s.reason)
}
