export * from "./activations.js"
export * from "./backend.js"
export { cpuBackend, CpuBackendLive } from "./cpu/backend.js"
export {
  cpuKernels,
  nativeAvailability,
  useCpuKernels,
  useCpuThreads,
  useTypescriptThreads
} from "./cpu/provider.js"
export type { CpuKernelsChoice, CpuKernelsStatus } from "./cpu/provider.js"
export * from "./linalg/index.js"
