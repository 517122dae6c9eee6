/**
 * The TypeScript engine on several cores: a pool of worker threads (./worker.ts) computes bands of
 * the SYRK (each with its own instance of the WebAssembly SIMD kernel), of the SiLU features and
 * of Ψᵀ diag(z) X̃, reading and writing through SharedArrayBuffers; the calling thread computes
 * the first band and then blocks (Atomics.wait) until the others are done. The workers import
 * the kernels the calling thread runs (./kernels.ts, ./wasm/syrk.ts): one source per kernel.
 *
 * Every entry is computed by the same kernel arithmetic whatever band it falls in, so the results
 * are bit-for-bit those of one thread, for any number of threads. SYRK band edges split the
 * triangle's area evenly: row p_t = n(1 − √(1 − t/T)), rounded to a multiple of 4 (the kernel's
 * row block).
 *
 * A pool belongs to an engine (./typescript-engine.ts): an engine opened by a Layer terminates its
 * workers when the Layer's scope closes; the engine of code outside any Layer keeps one pool for
 * the thread's life, its workers unref'd (they never keep the process alive).
 */
import { Worker } from "node:worker_threads"
import { features, psiTransposeXColumns } from "./kernels.js"
import { syrkUpperWasmRows, syrkWasmAvailable } from "./wasm/syrk.js"

/** A shared Float64Array as a message field: [buffer, byteOffset, length]. */
type Ref = readonly [ArrayBufferLike, number, number]

/** A band of work for a worker thread (./worker.ts). */
export type Job =
  | {
      readonly kind: "syrk"
      readonly p: Ref
      readonly c: Ref
      readonly n: number
      readonly m: number
      readonly p0: number
      readonly p1: number
    }
  | {
      readonly kind: "silu"
      readonly x: Ref
      readonly dim: number
      readonly u: Ref
      readonly m: number
      readonly r0: number
      readonly r1: number
      readonly phi: Ref
      readonly psi: Ref
    }
  | {
      readonly kind: "psiTx"
      readonly psi: Ref
      readonly x: Ref
      readonly n: number
      readonly m: number
      readonly dim: number
      readonly z: Ref
      readonly i0: number
      readonly i1: number
      readonly g: Ref
    }

const ref = (a: Float64Array): Ref => [a.buffer, a.byteOffset, a.length]

// From the TypeScript sources (tsx, vitest) a boot file registers tsx in the worker and imports
// ./worker.ts; compiled, dist/cpu/worker.js is the entry. Either way the same module runs.
const workerEntry = import.meta.url.endsWith(".ts")
  ? new URL("./worker-boot.mjs", import.meta.url)
  : new URL("./worker.js", import.meta.url)

/** How long a new worker may take to load its modules before its bands are computed here. */
const READY_MS = 60_000

const running = new Set<Worker>()

/** Worker threads started by this thread's pools and not yet terminated (tests check it returns to 0). */
export function liveWorkers(): number {
  return running.size
}

/**
 * Worker threads for one engine: started on first use and kept for later calls, terminated by
 * `close` (a closed pool runs every later part on the calling thread).
 */
export class WorkerPool {
  private readonly workers: Worker[] = []
  private broken = false
  private closed = false

  /** Workers started and not terminated. */
  get size(): number {
    return this.workers.length
  }

  /** Start workers up to `count`; false when one failed to load (the caller then runs alone). */
  private ensure(count: number): boolean {
    if (this.broken || this.closed) return false
    while (this.workers.length < count) {
      const ready = new Int32Array(new SharedArrayBuffer(4))
      const w = new Worker(workerEntry, { workerData: { ready: ready.buffer } })
      running.add(w)
      w.once("exit", () => running.delete(w))
      // a pool's workers never keep the process alive (the unscoped pool is never closed)
      w.unref()
      this.workers.push(w)
      if (Atomics.wait(ready, 0, 0, READY_MS) === "timed-out") {
        this.broken = true
        return false
      }
    }
    return true
  }

  /**
   * Run part 0 here and parts 1..jobs.length on workers (`jobs[t − 1]` to worker t − 1), then wait
   * for all; a part a worker failed is run here (`redo(t)`). With no workers, everything runs here.
   */
  run(jobs: ReadonlyArray<Job>, here: () => void, redo: (t: number) => void): void {
    if (!this.ensure(jobs.length)) {
      here()
      for (let t = 1; t <= jobs.length; t++) redo(t)
      return
    }
    const flags = new Int32Array(new SharedArrayBuffer(4 * (jobs.length + 1)))
    for (let t = 1; t <= jobs.length; t++)
      this.workers[t - 1].postMessage({ ...jobs[t - 1], flags: flags.buffer, slot: t })
    here()
    const failed: number[] = []
    for (let t = 1; t <= jobs.length; t++) {
      while (Atomics.load(flags, t) === 0) Atomics.wait(flags, t, 0)
      if (Atomics.load(flags, t) !== 1) failed.push(t)
    }
    for (const t of failed) redo(t)
  }

  /** Terminate every worker (resolves when they have exited). Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    const ws = this.workers.splice(0)
    await Promise.all(ws.map((w) => w.terminate()))
    for (const w of ws) running.delete(w)
  }
}

/** Whether a typed array lives in shared memory (workers can see it without a copy). */
export function isShared(a: Float64Array): boolean {
  return typeof SharedArrayBuffer !== "undefined" && a.buffer instanceof SharedArrayBuffer
}

/** A Float64Array of length `length` in shared memory (zero-filled). */
export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * 8))
}

/** Below this many multiply-adds (n²m/2) a band costs more to hand out than it saves. */
const MIN_WORK = 2e7

/** Row where band t of T starts: the upper triangle's area split evenly, a multiple of 4. */
export function bandStart(n: number, t: number, threads: number): number {
  if (t <= 0) return 0
  if (t >= threads) return n
  return Math.min(n, 4 * Math.round((n * (1 - Math.sqrt(1 - t / threads))) / 4))
}

/**
 * Upper triangle of C += P Pᵀ (P n × m, C n × n, row-major) on `threads` threads of `pool`.
 * Returns false, leaving C untouched, when it does not apply (one thread, a small problem, P or C
 * not in shared memory, WebAssembly SIMD missing): the caller then runs the one-thread
 * `syrkUpper`. Bit-for-bit equal to `syrkUpper`'s WebAssembly kernel.
 */
export function syrkUpperThreaded(
  pool: WorkerPool,
  pm: Float64Array,
  n: number,
  m: number,
  c: Float64Array,
  threads: number
): boolean {
  if (threads < 2 || (n * n * m) / 2 < MIN_WORK || !isShared(pm) || !isShared(c)) return false
  const count = Math.min(threads, Math.max(1, Math.floor(n / 8)))
  if (count < 2) return false
  if (!syrkWasmAvailable()) return false
  // a band the kernel could not compute (its memory could not grow) is an error here; in a worker
  // it is recomputed here
  const band = (t: number): void => {
    if (!syrkUpperWasmRows(pm, n, m, c, bandStart(n, t, count), bandStart(n, t + 1, count)))
      throw new Error("syrkUpperThreaded: the WebAssembly kernel's memory cannot hold a band")
  }
  const jobs: Job[] = []
  for (let t = 1; t < count; t++)
    jobs.push({
      kind: "syrk",
      p: ref(pm),
      c: ref(c),
      n,
      m,
      p0: bandStart(n, t, count),
      p1: bandStart(n, t + 1, count)
    })
  pool.run(jobs, () => band(0), band)
  return true
}

/** Below this many entries of Φ a thread costs more than it saves. */
const MIN_ENTRIES = 2e5

/**
 * Φ = silu(X̃ Uᵀ), Ψ = silu′(X̃ Uᵀ) for all n rows, split in row bands over `threads` threads of
 * `pool`. x (n × dim), u (m × dim), phi and psi (n × m) must be in shared memory. Returns false
 * (nothing written) when it does not apply; the caller then runs `features`. Same bits as
 * `features`: every band runs it.
 */
export function siluFeaturesThreaded(
  pool: WorkerPool,
  x: Float64Array,
  n: number,
  dim: number,
  u: Float64Array,
  m: number,
  phi: Float64Array,
  psi: Float64Array,
  threads: number
): boolean {
  const count = Math.min(threads, n)
  if (count < 2 || n * m < MIN_ENTRIES || ![x, u, phi, psi].every(isShared)) return false
  const edge = (t: number) => Math.round((n * t) / count)
  const rows = (t: number) =>
    features(x, dim, u, m, "silu", edge(t), edge(t + 1), phi.subarray(edge(t) * m), psi.subarray(edge(t) * m))
  const jobs: Job[] = []
  for (let t = 1; t < count; t++)
    jobs.push({
      kind: "silu",
      x: ref(x),
      dim,
      u: ref(u),
      m,
      r0: edge(t),
      r1: edge(t + 1),
      phi: ref(phi),
      psi: ref(psi)
    })
  pool.run(jobs, () => rows(0), rows)
  return true
}

/**
 * G = Ψᵀ diag(z) X̃ (m × dim) into g, the hidden units split in bands over `threads` threads of
 * `pool`. psi, x, z and g must be in shared memory. Returns false (nothing written) when it does
 * not apply; the caller then runs `psiTransposeX`. Same bits as `psiTransposeX`.
 */
export function psiTransposeXThreaded(
  pool: WorkerPool,
  psi: Float64Array,
  x: Float64Array,
  n: number,
  m: number,
  dim: number,
  z: Float64Array,
  g: Float64Array,
  threads: number
): boolean {
  const count = Math.min(threads, m)
  if (count < 2 || n * m < MIN_ENTRIES || ![psi, x, z, g].every(isShared)) return false
  const edge = (t: number) => Math.round((m * t) / count)
  const columns = (t: number) => psiTransposeXColumns(psi, x, n, m, dim, z, edge(t), edge(t + 1), g)
  const jobs: Job[] = []
  for (let t = 1; t < count; t++)
    jobs.push({
      kind: "psiTx",
      psi: ref(psi),
      x: ref(x),
      n,
      m,
      dim,
      z: ref(z),
      i0: edge(t),
      i1: edge(t + 1),
      g: ref(g)
    })
  pool.run(jobs, () => columns(0), columns)
  return true
}
