export {
  inProcessBackend,
  isTfjsVariant,
  tfjsVariants,
  type TfjsComputeBackend,
  type TfjsVariant
} from "./backend.js"
export {
  bindDevice,
  featureMatVecDevice,
  FEATURE_ROW_BLOCK,
  symmetricHost,
  type DeviceFeatures
} from "./device.js"
export {
  openFirstAvailable,
  openVariant,
  probeWebGpu,
  tfjsAvailability,
  type Availability,
  type OpenTfjsBackend,
  type WebGpuProbe
} from "./discovery.js"
export {
  EngineUnavailable,
  initEngine,
  isModuleNotFound,
  isSoftwareAdapter,
  nodeModuleLoader,
  switchTo,
  type AdapterInfo,
  type Engine,
  type ModuleLoader,
  type OptionalPackage
} from "./engines.js"
export {
  acquireTfjsBackend,
  choiceName,
  openChoice,
  TfjsBackendLive,
  tfjsAvailabilityEffect,
  type TfjsChoice
} from "./layer.js"
export { float32Limits } from "./precision.js"
export { loadTf, type Tensor, type Tf } from "./tf.js"
export { startWorkerBackend, type WorkerBackend } from "./worker/client.js"
