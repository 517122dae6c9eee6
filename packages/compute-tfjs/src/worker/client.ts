/**
 * A tfjs compute backend that runs its engine in a worker thread and calls it
 * synchronously: post the request, block on a shared flag (`Atomics.wait`, allowed on
 * Node's main thread), then take the reply from a port with `receiveMessageOnPort`. This is
 * how tfjs:webgpu works in Node, where tfjs can only read GPU memory asynchronously (its
 * synchronous path draws into an OffscreenCanvas, which Node lacks).
 */
import type { ActivationId, FeatureKernels } from "@gnlab/compute"
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads"
import type { TfjsComputeBackend, TfjsVariant } from "../backend.js"
import { symmetricHost } from "../device.js"
import { EngineUnavailable, type Engine } from "../engines.js"
import type { Reply, Request, WorkerInit } from "./protocol.js"

/** Longest a single request may take before the backend gives up (a wedged device). */
const CALL_TIMEOUT_MS = 15 * 60 * 1000

/**
 * The worker's entry. From TypeScript sources (tsx, vitest) boot.mjs registers tsx in the
 * worker first; built (dist/) or bundled (tools/device), host.js sits beside this module.
 */
const workerEntry = (): URL =>
  new URL(import.meta.url.endsWith(".ts") ? "./boot.mjs" : "./host.js", import.meta.url)

/** A worker-backed backend; `close` terminates the worker (everything on it is released). */
export interface WorkerBackend extends TfjsComputeBackend {
  close(): Promise<void>
}

/**
 * Start a worker, initialise `variant` in it and return the backend. Rejects with
 * EngineUnavailable when the variant cannot be initialised there (the worker is closed).
 */
export async function startWorkerBackend(variant: TfjsVariant): Promise<WorkerBackend> {
  const flag = new SharedArrayBuffer(4)
  const raised = new Int32Array(flag)
  const { port1, port2 } = new MessageChannel()
  // the worker's console output must not reach stdout (`gnlab train --json` prints one object)
  const worker = new Worker(workerEntry(), {
    workerData: { flag, port: port2 } satisfies WorkerInit,
    transferList: [port2],
    stdout: true,
    stderr: true
  })
  worker.stdout.pipe(process.stderr)
  worker.stderr.pipe(process.stderr)
  let failure: Error | undefined
  worker.on("error", (e) => (failure = e))
  worker.unref()
  let closed = false

  const call = (req: Request): unknown => {
    if (closed) throw new Error(`tfjs:${variant}: the worker is closed`)
    if (failure !== undefined) throw new Error(`tfjs:${variant}: the worker failed: ${failure.message}`)
    Atomics.store(raised, 0, 0)
    worker.postMessage(req)
    const deadline = Date.now() + CALL_TIMEOUT_MS
    while (Atomics.wait(raised, 0, 0, 1000) === "timed-out")
      if (Date.now() > deadline)
        throw new Error(`tfjs:${variant}: no reply to '${req.op}' in ${CALL_TIMEOUT_MS} ms`)
    const msg = receiveMessageOnPort(port1)
    if (msg === undefined) throw new Error(`tfjs:${variant}: the worker raised its flag without a reply`)
    const r = msg.message as Reply
    if (r.ok) return r.value
    throw r.unavailable ? new EngineUnavailable(r.error) : new Error(`tfjs:${variant}: ${r.error}`)
  }
  const array = (req: Request): Float64Array => Float64Array.from(call(req) as Float32Array)
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    port1.close()
    await worker.terminate()
  }

  let engine: Engine
  try {
    // the first request also waits for the worker to boot (tsx, tfjs, the device)
    engine = call({ op: "init", variant }) as Engine
  } catch (e) {
    await close()
    throw e
  }
  return {
    variant,
    info: {
      name: `tfjs:${variant}`,
      precision: "float32",
      details: { ...engine.details, host: "worker thread" }
    },
    numTensors: () => call({ op: "numTensors" }) as number,
    close,
    bind(x: Float64Array, n: number, dim: number, activation: ActivationId): FeatureKernels {
      const h = call({ op: "bind", x, n, dim, activation }) as number
      let m = 0
      let disposed = false
      return {
        n,
        dim,
        get m() {
          return m
        },
        setHidden(u) {
          call({ op: "setHidden", h, u })
          m = u.length / dim
        },
        phiMul: (v) => array({ op: "phiMul", h, v }),
        phiTMul: (v) => array({ op: "phiTMul", h, v }),
        psiTXMul: (v) => array({ op: "psiTXMul", h, v }),
        psiXMul: (c, du) => array({ op: "psiXMul", h, c, du }),
        gram: (a, b) => symmetricHost(call({ op: "gram", h, a, b }) as Float32Array, n),
        dispose() {
          // idempotent, and a no-op once the worker is gone (its memory went with it)
          if (disposed || closed) return
          disposed = true
          call({ op: "dispose", h })
        }
      }
    },
    featureMatVec: (x, n, dim, u, m, c, activation) =>
      array({ op: "featureMatVec", x, n, dim, u, m, c, activation })
  }
}
