/**
 * Cells in worker threads. Each cell gets its own thread (cells last seconds to hours, a
 * thread starts in well under a second), released when the cell ends, fails or is
 * interrupted: interruption asks the worker to checkpoint and waits for it (up to a grace
 * period) before terminating the thread.
 */
import { Data, Effect } from "effect"
import { Worker } from "node:worker_threads"
import type { CellProgress, CellSummary } from "./cell.js"
import type { CellJob, WorkerMessage } from "./cell-worker.js"

/** A cell that threw (recorded; the run goes on). */
export class CellFailed extends Data.TaggedError("CellFailed")<{
  readonly cellId: string
  readonly message: string
  readonly stack?: string
}> {}

// From the sources, workers run them through tsx (registered by the boot file); from the bundle
// or a tsc build, the compiled cell-worker.js beside this module.
const workerUrl = new URL(
  import.meta.url.endsWith(".ts") ? "./cell-worker-boot.mjs" : "./cell-worker.js",
  import.meta.url
)

/** Seconds a worker gets to write its checkpoint after an interruption. */
const GRACE_SECONDS = 60

/** Run one cell in a new worker thread. */
export function runCellInWorker(
  job: CellJob,
  onProgress: (p: CellProgress) => void
): Effect.Effect<CellSummary, CellFailed> {
  return Effect.callback<CellSummary, CellFailed>((resume) => {
    const worker = new Worker(workerUrl, { workerData: job })
    let settled = false
    let exited = false
    const settle = (e: Effect.Effect<CellSummary, CellFailed>) => {
      if (!settled) {
        settled = true
        resume(e)
      }
    }
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "progress") onProgress(m.progress)
      else if (m.type === "done") settle(Effect.succeed(m.summary as CellSummary))
      else if (m.type === "failed")
        settle(Effect.fail(new CellFailed({ cellId: job.id, message: m.message, stack: m.stack })))
    })
    worker.on("error", (e) =>
      settle(Effect.fail(new CellFailed({ cellId: job.id, message: e.message, stack: e.stack })))
    )
    worker.on("exit", (code) => {
      exited = true
      settle(
        Effect.fail(
          new CellFailed({ cellId: job.id, message: `worker exited with code ${code} before finishing` })
        )
      )
    })
    // on interruption: ask the cell to checkpoint, then make sure the thread is gone
    return Effect.callback<void>((done) => {
      settled = true
      if (exited) return done(Effect.void)
      const timer = setTimeout(() => void worker.terminate(), GRACE_SECONDS * 1000)
      worker.once("exit", () => {
        clearTimeout(timer)
        done(Effect.void)
      })
      worker.postMessage({ type: "interrupt" })
    })
  })
}
