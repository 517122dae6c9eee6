// Entry of the TypeScript engine's worker threads when gnlab runs from its TypeScript sources:
// register tsx in this thread (loader hooks are per thread on Node 20), then run ./worker.ts —
// the same module, importing the same kernels, as the compiled dist/cpu/worker.js that
// ./threads.ts starts directly when gnlab runs compiled.
import { register } from "tsx/esm/api"

register()
await import("./worker.ts")
