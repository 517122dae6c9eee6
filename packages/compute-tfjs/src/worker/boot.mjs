// Entry of the tfjs worker thread. gnlab runs its TypeScript sources through tsx (no build
// step), and a worker thread does not inherit the main thread's loader hooks, so the
// worker registers tsx itself before loading the TypeScript host. A failure to load is
// sent as the reply to the pending request: the main thread is blocked waiting for one.
import { workerData } from "node:worker_threads"
import { register } from "tsx/esm/api"

try {
  register()
  await import(new URL("./host.ts", import.meta.url).href)
} catch (e) {
  workerData.port.postMessage({
    ok: false,
    error: `the tfjs worker did not start: ${e?.message ?? e}`,
    unavailable: true
  })
  const raised = new Int32Array(workerData.flag)
  Atomics.store(raised, 0, 1)
  Atomics.notify(raised, 0)
}
