export * from "./activations.js"
export * from "./backend.js"
export { cpuBackend, cpuBackendOf } from "./cpu/backend.js"
export {
  cpuEngineStatus,
  cpuKernels,
  currentEngine,
  nativeAddon,
  nativeAvailability,
  useCpuEngine,
  useCpuKernels,
  useCpuThreads,
  useTypescriptThreads
} from "./cpu/current.js"
export type { CpuEngineStatus, CpuKernelsChoice, CpuKernelsStatus } from "./cpu/current.js"
export { EngineUnavailable, openCpuEngine } from "./cpu/engine.js"
export type { CpuEngine, CpuEngineChoice, CpuEngineConfig, CpuEngineName } from "./cpu/engine.js"
export { acquireCpuEngine, CpuBackend, CpuBackendLive, cpuEngineConfig } from "./cpu/layer.js"
export { liveWorkers } from "./cpu/threads.js"
export * from "./linalg/index.js"
