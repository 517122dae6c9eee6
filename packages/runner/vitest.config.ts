import { mergeConfig } from "vitest/config"
import { sharedConfig } from "../../vitest.shared.js"

// The runner's tests mostly spawn `gnlab` and wait on it (start-up, locks, Slurm's scheduler):
// two files at a time overlap those waits on a 2-core machine (vitest's default there is one),
// which keeps CI's suite under its time budget.
export default mergeConfig(sharedConfig, { test: { maxWorkers: 2 } })
