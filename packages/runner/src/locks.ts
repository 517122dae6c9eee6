/**
 * Advisory locks on the result store (run.lock, cell.lock, cache claims): they live in
 * `@gnlab/store` (locks.ts), which owns the results layout; re-exported here for the runner.
 */
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
} from "@gnlab/store"
