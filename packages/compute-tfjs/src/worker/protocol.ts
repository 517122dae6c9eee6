/**
 * Messages between the main thread and the tfjs worker (worker/host.ts). The main thread
 * posts a request and blocks on a shared flag until the worker has posted the reply on a
 * dedicated port (read with `receiveMessageOnPort`), so the worker's asynchronous device
 * reads look synchronous to `FeatureKernels` callers.
 */
import type { ActivationId } from "@gnlab/compute"
import type { MessagePort } from "node:worker_threads"
import type { TfjsVariant } from "../backend.js"

/** A request; `h` is a bound data set's handle. */
export type Request =
  | { readonly op: "init"; readonly variant: TfjsVariant }
  | {
      readonly op: "bind"
      readonly x: Float64Array
      readonly n: number
      readonly dim: number
      readonly activation: ActivationId
    }
  | { readonly op: "setHidden"; readonly h: number; readonly u: Float64Array }
  | { readonly op: "phiMul" | "phiTMul" | "psiTXMul"; readonly h: number; readonly v: Float64Array }
  | { readonly op: "psiXMul"; readonly h: number; readonly c: Float64Array; readonly du: Float64Array }
  | { readonly op: "gram"; readonly h: number; readonly a: Float64Array; readonly b: Float64Array }
  | { readonly op: "dispose"; readonly h: number }
  | {
      readonly op: "featureMatVec"
      readonly x: Float64Array
      readonly n: number
      readonly dim: number
      readonly u: Float64Array
      readonly m: number
      readonly c: Float64Array
      readonly activation: ActivationId
    }
  | { readonly op: "numTensors" }

/** A reply: a value (array, handle, engine facts) or the failure's message. */
export type Reply =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string; readonly unavailable: boolean }

/** What the worker receives at start: the flag it raises after each reply, and the reply port. */
export interface WorkerInit {
  readonly flag: SharedArrayBuffer
  readonly port: MessagePort
}
