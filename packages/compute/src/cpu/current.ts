/**
 * The engine in force in this thread, for code that does not name one: the innermost engine
 * opened by a CPU backend Layer (./layer.ts) and not yet closed, else this thread's unscoped
 * engine, opened from the environment on first use:
 *
 *   GNLAB_CPU_KERNELS=auto (default)  native when the addon is available, else typescript
 *   GNLAB_CPU_KERNELS=native          native, or an error naming why it is unavailable
 *   GNLAB_CPU_KERNELS=typescript      always the TypeScript engine
 *
 * The host linear algebra's functions (`cholesky`, `extremeEigenvalues`, …) use its routines
 * unless given others (a backend's `linalg`); `cpuBackend` binds with it.
 */
import { loadNative, type NativeAddon } from "@gnlab/compute-native"
import { availableParallelism } from "node:os"
import type { LinalgRoutines } from "../linalg/routines.js"
import { openCpuEngine, type CpuEngine, type CpuEngineChoice, type CpuEngineName } from "./engine.js"
import { typescriptThreads, useTypescriptThreads } from "./typescript-engine.js"

const scoped: CpuEngine[] = []
let unscoped: CpuEngine | undefined

function envChoice(): CpuEngineChoice {
  const v = (process.env.GNLAB_CPU_KERNELS ?? "auto").trim()
  if (v === "auto" || v === "native" || v === "typescript") return v
  throw new Error(`GNLAB_CPU_KERNELS must be auto, native or typescript, got "${v}"`)
}

/** The engine in force in this thread. */
export function currentEngine(): CpuEngine {
  return scoped.at(-1) ?? (unscoped ??= openCpuEngine({ engine: envChoice() }, false))
}

/** The dense routines of the engine in force (the host linear algebra's default). */
export function currentRoutines(): LinalgRoutines {
  return currentEngine().routines
}

/** A Layer's engine is in force from its acquisition to its release (./layer.ts). */
export function enterEngine(engine: CpuEngine): void {
  scoped.push(engine)
}

/** The end of {@link enterEngine} (engines may close in any order). */
export function leaveEngine(engine: CpuEngine): void {
  const i = scoped.lastIndexOf(engine)
  if (i >= 0) scoped.splice(i, 1)
}

/** The engine in force, why, and its threads (what `gnlab backends` prints for cpu). */
export interface CpuEngineStatus {
  /** "openblas" / "accelerate": the native addon; "typescript": the built-in kernels */
  readonly engine: CpuEngineName
  /** the same as `engine` (the name before "engine" was chosen) */
  readonly provider: CpuEngineName
  /** why this engine (and, for typescript, why not the native one) */
  readonly reason: string
  /** the most threads one kernel call uses in this thread now */
  readonly threads: number
}

/** The engine in force in this thread, why, and its threads. */
export function cpuEngineStatus(): CpuEngineStatus {
  const e = currentEngine()
  return { engine: e.name, provider: e.name, reason: e.reason, threads: e.threads() }
}

/**
 * Replace this thread's unscoped engine (tests and benchmarks compare the two; a run should keep
 * one engine from start to end). Throws for "native" when the addon is unavailable. Bindings made
 * before keep their engine; an engine opened by a Layer stays in force while it is open.
 */
export function useCpuEngine(choice: CpuEngineChoice): CpuEngineStatus {
  unscoped = openCpuEngine({ engine: choice }, false)
  return cpuEngineStatus()
}

/**
 * The most threads one kernel call may use, for both engines (the native addon's process-wide
 * maximum and this thread's TypeScript default); undefined restores the defaults (`GNLAB_THREADS`,
 * else the core count for native, see `typescriptThreads`). For benchmarks and tests: results
 * never depend on it.
 */
export function useCpuThreads(threads: number | undefined): void {
  useTypescriptThreads(threads)
  const s = loadNative()
  if (s.available) {
    const env = Number(process.env.GNLAB_THREADS)
    s.addon.setMaxThreads(threads ?? (Number.isInteger(env) && env >= 1 ? env : availableParallelism()))
  }
}

/** The native addon's functions when it is built (benchmarks measure its routines alone), else undefined. */
export function nativeAddon(): NativeAddon | undefined {
  const s = loadNative()
  return s.available ? s.addon : undefined
}

/** Whether the native engine can be used here, and if not why (without switching to it). */
export function nativeAvailability(): { readonly available: boolean; readonly reason: string } {
  const s = loadNative()
  return s.available ? { available: true, reason: s.config } : { available: false, reason: s.reason }
}

export { typescriptThreads, useTypescriptThreads }

/** @deprecated the name before "engine": {@link CpuEngineChoice} */
export type CpuKernelsChoice = CpuEngineChoice
/** @deprecated the name before "engine": {@link CpuEngineStatus} */
export type CpuKernelsStatus = CpuEngineStatus
/** @deprecated the name before "engine": {@link cpuEngineStatus} */
export const cpuKernels = cpuEngineStatus
/** @deprecated the name before "engine": {@link useCpuEngine} */
export const useCpuKernels = useCpuEngine
