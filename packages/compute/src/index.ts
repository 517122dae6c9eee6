export * from "./activations.js"
export * from "./backend.js"
export { cpuBackend, CpuBackendLive } from "./cpu/backend.js"
export * from "./linalg/index.js"
