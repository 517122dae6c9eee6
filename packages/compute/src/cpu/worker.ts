/**
 * A worker thread of the TypeScript engine (./threads.ts): computes bands of the SYRK, of the SiLU
 * features and of Ψᵀ diag(z) X̃ with the kernels the calling thread runs (./kernels.ts,
 * ./wasm/syrk.ts — imported, not copied), reading and writing the caller's SharedArrayBuffers.
 * Each job's slot in a shared Int32Array is set to 1 (done) or 2 (failed: the caller redoes it)
 * and notified. The worker sets `ready` once it listens.
 */
import { parentPort, workerData } from "node:worker_threads"
import { features, psiTransposeXColumns } from "./kernels.js"
import type { Job } from "./threads.js"
import { syrkUpperWasmRows } from "./wasm/syrk.js"

const view = (b: readonly [ArrayBufferLike, number, number]) => new Float64Array(b[0], b[1], b[2])

function run(job: Job): boolean {
  switch (job.kind) {
    case "syrk":
      return syrkUpperWasmRows(view(job.p), job.n, job.m, view(job.c), job.p0, job.p1)
    case "silu": {
      const phi = view(job.phi)
      const psi = view(job.psi)
      features(
        view(job.x),
        job.dim,
        view(job.u),
        job.m,
        "silu",
        job.r0,
        job.r1,
        phi.subarray(job.r0 * job.m),
        psi.subarray(job.r0 * job.m)
      )
      return true
    }
    case "psiTx":
      psiTransposeXColumns(
        view(job.psi),
        view(job.x),
        job.n,
        job.m,
        job.dim,
        view(job.z),
        job.i0,
        job.i1,
        view(job.g)
      )
      return true
  }
}

const port = parentPort!
port.on("message", (message: Job & { readonly flags: SharedArrayBuffer; readonly slot: number }) => {
  let status = 2
  try {
    if (run(message)) status = 1
  } catch {
    status = 2
  }
  const flags = new Int32Array(message.flags)
  Atomics.store(flags, message.slot, status)
  Atomics.notify(flags, message.slot)
})
const ready = new Int32Array((workerData as { ready: SharedArrayBuffer }).ready)
Atomics.store(ready, 0, 1)
Atomics.notify(ready, 0)
