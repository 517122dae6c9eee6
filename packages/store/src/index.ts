/**
 * @gnlab/store: the results layout, the cell lifecycle (one vocabulary), the done rule and
 * digests, atomic writes, locks and claims, the cache shared across results folders, and
 * provenance — as plain functions over a small filesystem interface and as the `ResultStore`
 * Effect service with a filesystem Layer and an in-memory Layer.
 */
export { writeAll, writeFileAtomic } from "./atomic.js"
export { publishCell, resolveCacheDir, restoreCell, type Published, type Restored } from "./cache.js"
export {
  checkDone,
  digestedFiles,
  digestOf,
  sha256,
  stopReasons,
  type CellDigest,
  type DoneCheck,
  type StopReason
} from "./digest.js"
export { PipelineConflict, ResultsUnwritable } from "./errors.js"
export { memoryFiles, nodeFiles, type MemoryFiles, type StoreFiles } from "./files.js"
export * from "./layout.js"
export {
  cellFacts,
  cellInfo,
  cellStatuses,
  classifyCell,
  DEFAULT_RUNNING_MINUTES,
  type CellFacts,
  type CellInfo,
  type CellStatus
} from "./lifecycle.js"
export {
  alive,
  claimCell,
  describeHolder,
  FolderBusy,
  FOREIGN_STALE_MINUTES,
  holdFolderLock,
  isDeadTakersTemporary,
  tryLock,
  type HeldLock,
  type LockHolder
} from "./locks.js"
export { gitState, machineInfo, type GitState, type MachineInfo, type Provenance } from "./provenance.js"
export {
  makeResultStore,
  memoryLocks,
  nodeLocks,
  ResultStore,
  type Claim,
  type IndexedPipeline,
  type IndexEntry,
  type MemoryLocks,
  type ResultStoreApi,
  type StoreDeps,
  type StoreLocks
} from "./service.js"
