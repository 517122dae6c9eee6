/**
 * The TensorFlow.js module as this package uses it: loaded lazily (importing tfjs costs
 * ~250 ms and pulls in its whole op registry, which `gnlab train --backend cpu` must not pay).
 */
import type * as TfNamespace from "@tensorflow/tfjs"

/** The `@tensorflow/tfjs` namespace (core ops, the pure-JS cpu backend registered). */
export type Tf = typeof TfNamespace
/** A tfjs tensor. */
export type Tensor = TfNamespace.Tensor

let loaded: Promise<Tf> | undefined

/**
 * Import `@tensorflow/tfjs` once per thread. Production mode silences tfjs's console
 * warnings (e.g. the "install tfjs-node" banner), which would otherwise reach the output of
 * `gnlab train --json` consumers; gnlab reports backend problems itself.
 */
export function loadTf(): Promise<Tf> {
  loaded ??= import("@tensorflow/tfjs").then((tf) => {
    tf.enableProdMode()
    return tf
  })
  return loaded
}

/**
 * Make `name` the engine's active backend. tfjs has one global engine with one active
 * backend; two gnlab backends in a process (tfjs:wasm and tfjs:cpu in a test) switch before
 * each batch of ops. For a backend that is already initialised `setBackend` completes
 * synchronously (its first await is only reached on initialisation), so this is a plain
 * call in the hot path.
 */
export function activate(tf: Tf, name: string): void {
  if (tf.getBackend() !== name) void tf.setBackend(name)
  if (tf.getBackend() !== name) throw new Error(`tfjs backend '${name}' is not initialised`)
}
