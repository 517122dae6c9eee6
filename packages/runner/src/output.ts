/** Atomic file writes: they live in `@gnlab/store` (atomic.ts); re-exported here for the runner. */
export { writeAll, writeFileAtomic } from "@gnlab/store"
