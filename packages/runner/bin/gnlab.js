#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx gnlab` works right after
// `npm ci` without a build step (and never runs a stale build).
import { register } from "tsx/esm/api"

// `gnlab plugins | head` closes stdout early: that is not an error
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(0)
  throw e
})

register()
await import("../src/main.ts")
