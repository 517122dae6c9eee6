/**
 * A worker thread running one cell: the message port carries the job in, progress and the
 * outcome out, and "interrupt" in — which interrupts the cell's fiber so that it writes its
 * checkpoint and releases its resources before the thread exits.
 */
import { Effect, Exit, Fiber } from "effect"
import { parentPort, workerData } from "node:worker_threads"
import { backendLayerFor } from "./cell-backend.js"
import { runCell, type CellRunOptions } from "./cell.js"
import { usePluginFiles } from "./plugin-files.js"

/** The job a worker receives: the cell, and the plugin files (absolute paths) its plugins may come from. */
export type CellJob = Omit<CellRunOptions, "onProgress" | "onRow"> & {
  readonly pluginFiles?: ReadonlyArray<string>
}

/** Messages from a worker. */
export type WorkerMessage =
  | { readonly type: "progress"; readonly progress: Parameters<NonNullable<CellRunOptions["onProgress"]>>[0] }
  | { readonly type: "done"; readonly summary: unknown }
  | { readonly type: "failed"; readonly message: string; readonly stack?: string }
  | { readonly type: "interrupted" }

const port = parentPort!
const job = workerData as CellJob
const post = (m: WorkerMessage) => port.postMessage(m)

const fiber = Effect.runFork(
  usePluginFiles(job.pluginFiles ?? []).pipe(
    Effect.andThen(runCell({ ...job, onProgress: (progress) => post({ type: "progress", progress }) })),
    Effect.scoped,
    Effect.provide(backendLayerFor(job.config.backend))
  )
)
port.on("message", (m: { type: string }) => {
  if (m.type === "interrupt") Effect.runFork(Fiber.interrupt(fiber))
})
fiber.addObserver((exit) => {
  if (Exit.isSuccess(exit)) post({ type: "done", summary: exit.value })
  else if (Exit.hasInterrupts(exit)) post({ type: "interrupted" })
  else {
    const error = Exit.isFailure(exit) ? exit.cause : undefined
    const squashed = error === undefined ? new Error("unknown failure") : toError(error)
    post({ type: "failed", message: squashed.message, stack: squashed.stack })
  }
  port.close()
})

function toError(cause: unknown): Error {
  // prefer the original defect or failure over the cause's rendering
  const reasons = (cause as { reasons?: ReadonlyArray<{ defect?: unknown; error?: unknown }> }).reasons ?? []
  for (const r of reasons) {
    const e = r.defect ?? r.error
    // tagged errors carry their data in fields, not in `message`
    if (e instanceof Error && e.message === "" && "_tag" in e) {
      const { _tag, ...fields } = e as unknown as Record<string, unknown>
      return Object.assign(new Error(`${String(_tag)}: ${Object.values(fields).map(String).join(": ")}`), {
        stack: e.stack
      })
    }
    if (e instanceof Error) return e
    if (e !== undefined) return new Error(String(e))
  }
  return new Error(String(cause))
}
