/**
 * The CPU backend as Effect values: an engine acquired for a scope — its native thread share or
 * its worker threads released when the scope closes, on success, failure or interruption — and
 * Layers providing `Compute` from it. While the engine is open it is the one in force in this
 * thread (./current.ts), so the host linear algebra called without explicit routines runs on it
 * too: which implementation runs is decided by the Layer's configuration alone.
 */
import { Config, Effect, Layer, Option, type Scope } from "effect"
import { BackendUnavailable, Compute } from "../backend.js"
import { cpuBackendOf } from "./backend.js"
import { enterEngine, leaveEngine } from "./current.js"
import { openCpuEngine, type CpuEngine, type CpuEngineConfig } from "./engine.js"

/** The configuration from the environment: GNLAB_CPU_KERNELS (auto), GNLAB_THREADS (unset). */
export const cpuEngineConfig: Config.Config<CpuEngineConfig> = Config.all({
  engine: Config.Literals(["auto", "native", "typescript"], "GNLAB_CPU_KERNELS").pipe(
    Config.withDefault("auto")
  ),
  threads: Config.Int("GNLAB_THREADS").pipe(Config.option)
}).pipe(Config.map(({ engine, threads }) => ({ engine, threads: Option.getOrUndefined(threads) })))

const unavailable = (e: unknown) =>
  new BackendUnavailable({ backend: "cpu", reason: e instanceof Error ? e.message : String(e) })

/** Open the engine of `config` for the current scope; it is in force in this thread until closed. */
export const acquireCpuEngine = (
  config: CpuEngineConfig
): Effect.Effect<CpuEngine, BackendUnavailable, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const engine = openCpuEngine(config, true)
        enterEngine(engine)
        return engine
      },
      catch: unavailable
    }),
    (engine) =>
      Effect.promise(() => {
        leaveEngine(engine)
        return engine.close()
      })
  )

/** Layer providing the CPU backend of an explicit engine choice as the Compute service. */
export const CpuBackend = (config: CpuEngineConfig): Layer.Layer<Compute, BackendUnavailable> =>
  Layer.effect(Compute, Effect.map(acquireCpuEngine(config), cpuBackendOf))

/** Layer providing the CPU backend configured by the environment (GNLAB_CPU_KERNELS, GNLAB_THREADS). */
export const CpuBackendLive: Layer.Layer<Compute, BackendUnavailable> = Layer.effect(
  Compute,
  cpuEngineConfig.pipe(
    Effect.mapError(unavailable),
    Effect.flatMap(acquireCpuEngine),
    Effect.map(cpuBackendOf)
  )
)
