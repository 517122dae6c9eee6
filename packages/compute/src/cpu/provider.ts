/**
 * Which kernels the CPU backend runs: the native ones of @gnlab/compute-native (OpenBLAS or
 * Accelerate through a Node-API addon) when that addon is built, else the TypeScript ones
 * (typed arrays + the WebAssembly SIMD SYRK). Chosen once per thread at first use:
 *
 *   GNLAB_CPU_KERNELS=auto (default)  native when available, else typescript
 *   GNLAB_CPU_KERNELS=native          native, or an error naming why it is unavailable
 *   GNLAB_CPU_KERNELS=typescript      always the TypeScript kernels
 *
 * Both providers compute the same quantities with the same formulas; their results differ by
 * rounding (different summation orders, the C library's exp against V8's), so a run is
 * bit-for-bit reproducible for a given seed *and provider* (and, for the native one, the same
 * OpenBLAS build and CPU type). Neither provider's results depend on its thread count.
 */
import { loadNative, type NativeKernels } from "@gnlab/compute-native"
import { availableParallelism } from "node:os"
import { isMainThread } from "node:worker_threads"

/** The kernels the CPU backend uses now, and why. */
export interface CpuKernelsStatus {
  /** "openblas" / "accelerate": the native addon; "typescript": the built-in kernels */
  readonly provider: "openblas" | "accelerate" | "typescript"
  /** why this provider (and, for typescript, why not the native one) */
  readonly reason: string
  /** the most threads one kernel call uses in this thread now */
  readonly threads: number
}

/** A provider request: "auto" picks native when it is available. */
export type CpuKernelsChoice = "auto" | "native" | "typescript"

interface Active {
  readonly native: NativeKernels | undefined
  readonly provider: CpuKernelsStatus["provider"]
  readonly reason: string
}

let active: Active | undefined

function choose(choice: CpuKernelsChoice): Active {
  if (choice === "typescript")
    return { native: undefined, provider: "typescript", reason: "selected (GNLAB_CPU_KERNELS=typescript)" }
  const s = loadNative()
  if (s.available) {
    const provider = s.library === "accelerate" ? "accelerate" : "openblas"
    return { native: s.kernels, provider, reason: `native addon, ${s.config}` }
  }
  if (choice === "native") throw new Error(`GNLAB_CPU_KERNELS=native: ${s.reason}`)
  return { native: undefined, provider: "typescript", reason: s.reason }
}

function envChoice(): CpuKernelsChoice {
  const v = (process.env.GNLAB_CPU_KERNELS ?? "auto").trim()
  if (v === "auto" || v === "native" || v === "typescript") return v
  throw new Error(`GNLAB_CPU_KERNELS must be auto, native or typescript, got "${v}"`)
}

function current(): Active {
  if (active === undefined) active = choose(envChoice())
  return active
}

/** The native kernels when they are the active provider, else undefined. */
export function nativeKernels(): NativeKernels | undefined {
  return current().native
}

/**
 * The most threads the TypeScript kernels use in this thread: `GNLAB_THREADS` when set, else
 * all cores on the main thread (one `gnlab train`, a benchmark) and 1 in a worker thread (the
 * pipeline runner already runs one cell per core in worker threads).
 */
export function typescriptThreads(): number {
  if (threadsOverride !== undefined) return threadsOverride
  const env = Number(process.env.GNLAB_THREADS)
  if (Number.isInteger(env) && env >= 1) return env
  return isMainThread ? availableParallelism() : 1
}

let threadsOverride: number | undefined

/**
 * Set the TypeScript kernels' thread count for this thread (tests, benchmarks); undefined
 * restores the default of {@link typescriptThreads}. Results do not depend on it.
 */
export function useTypescriptThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))
    throw new Error(`useTypescriptThreads: expected a positive integer, got ${threads}`)
  threadsOverride = threads
}

/**
 * The most threads one kernel call may use, for both providers (the native addon's process-wide
 * maximum and this thread's TypeScript thread count); undefined restores the defaults
 * (`GNLAB_THREADS`, else the core count for native, see {@link typescriptThreads}). For benchmarks
 * and tests: results never depend on it.
 */
export function useCpuThreads(threads: number | undefined): void {
  useTypescriptThreads(threads)
  const s = loadNative()
  if (s.available) {
    const env = Number(process.env.GNLAB_THREADS)
    s.kernels.setMaxThreads(threads ?? (Number.isInteger(env) && env >= 1 ? env : availableParallelism()))
  }
}

/** The kernels in use, why, and their threads (what `gnlab backends` prints for cpu). */
export function cpuKernels(): CpuKernelsStatus {
  const a = current()
  const threads = a.native !== undefined ? a.native.threads().max : typescriptThreads()
  return { provider: a.provider, reason: a.reason, threads }
}

/**
 * Switch the provider of this thread (tests and benchmarks compare the two; a run should keep
 * one provider from start to end). Throws for "native" when the addon is unavailable.
 * Data sets bound before the switch keep the provider they were bound with.
 */
export function useCpuKernels(choice: CpuKernelsChoice): CpuKernelsStatus {
  active = choose(choice)
  return cpuKernels()
}

/** Whether the native kernels can be used here, and if not why (without switching to them). */
export function nativeAvailability(): { readonly available: boolean; readonly reason: string } {
  const s = loadNative()
  return s.available ? { available: true, reason: s.config } : { available: false, reason: s.reason }
}
