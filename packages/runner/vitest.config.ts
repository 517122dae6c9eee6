import { mergeConfig } from "vitest/config"
import { sharedConfig } from "../../vitest.shared.js"

// The runner's tests mostly spawn `gnlab` and wait on it (start-up, locks, Slurm's scheduler):
// two files at a time overlap those waits on a 2-core machine (vitest's default there is one),
// which keeps CI's suite under its time budget.
// GNLAB_CACHE=off: the spawned `gnlab run`s neither read nor write the user's cache
// (~/.cache/gnlab), and a cell computed by one test is never taken from the cache by another;
// the tests of the cache pass their own temporary --cache.
export default mergeConfig(sharedConfig, { test: { maxWorkers: 2, env: { GNLAB_CACHE: "off" } } })
