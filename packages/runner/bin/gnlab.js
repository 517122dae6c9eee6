#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx gnlab` works right after
// `npm ci` without a build step (and never runs a stale build).
import { register } from "tsx/esm/api"

register()
await import("../src/main.ts")
