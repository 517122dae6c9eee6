// Worker entry: register tsx in this thread (loader hooks are per thread on Node 20), then
// run the TypeScript worker.
import { register } from "tsx/esm/api"

register()
await import("./cell-worker.ts")
