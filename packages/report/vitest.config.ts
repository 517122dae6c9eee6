import { mergeConfig } from "vitest/config"
import { sharedConfig } from "../../vitest.shared.js"

// the report names no method: its tests register the built-in method plugins, as the runner does
export default mergeConfig(sharedConfig, { test: { setupFiles: ["test/setup.ts"] } })
