/**
 * The TypeScript provider's kernels on several cores: worker threads compute bands of the SYRK
 * (each with its own instance of the WebAssembly SIMD kernel, wasm/syrk.wat), of the SiLU
 * features and of Ψᵀ diag(z) X̃, reading and writing through SharedArrayBuffers; the calling
 * thread computes the first band and then blocks (Atomics.wait) until the others are done.
 * (The other activations and the remaining products stay on one thread.)
 *
 * Every entry of C is computed by the same kernel arithmetic whatever band it falls in (the
 * kernel sums each entry's products panel by panel, in even and odd lanes, independently of the
 * other rows of its call), so the result is bit-for-bit that of the one-thread `syrkUpper`, for
 * any number of threads. Band edges split the triangle's area evenly: row p_t = n(1 − √(1 − t/T)),
 * rounded to a multiple of 4 (the kernel's row block).
 *
 * Threads are opt-in by context (provider.ts: `GNLAB_THREADS`, else all cores on the main thread
 * and one in a worker thread, where the pipeline runner already runs one cell per core). The
 * workers are started on first use, kept for later calls and unref'd (they never keep the process
 * alive).
 */
import { Worker } from "node:worker_threads"
import { syrkWasmBase64 } from "./wasm/syrk-wasm.generated.js"

/**
 * `makeBand(bytes)` → `band(pm, n, m, c, p0, p1)`: rows [p0, p1) of the upper triangle of C += P Pᵀ
 * (p0 a multiple of 4) with a private instance of the kernel. Plain JavaScript source, because the
 * same function runs in the worker threads (evaluated there) and here.
 */
const MAKE_BAND = `function makeBand(bytes) {
  const memory = new WebAssembly.Memory({ initial: 1 })
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports
  const KC = ex.kc.value
  return function band(pm, n, m, c, p0, p1) {
    // local problem: rows p0..n of P; C's rows p0..p1, columns p0..n (stride np)
    const nl = n - p0
    const np = Math.ceil(nl / 4) * 4
    const rows = p1 - p0
    const rp = Math.min(np, Math.ceil(rows / 4) * 4)
    const cOff = np * KC
    const need = (cOff + rp * np) * 8
    const have = memory.buffer.byteLength
    if (need > have) memory.grow(Math.ceil((need - have) / 65536))
    const mem = new Float64Array(memory.buffer)
    mem.fill(0, nl * KC, np * KC)
    for (let r = 0; r < rows; r++) {
      const row = p0 + r
      mem.set(c.subarray(row * n + row, row * n + n), cOff + r * np + r)
    }
    for (let k0 = 0; k0 < m; k0 += KC) {
      const len = Math.min(KC, m - k0)
      for (let a = 0; a < nl; a++) {
        const o = (p0 + a) * m + k0
        mem.set(pm.subarray(o, o + len), a * KC)
        if (len & 1) mem[a * KC + len] = 0
      }
      ex.panel(0, cOff * 8, np, len + (len & 1), rp)
    }
    for (let r = 0; r < rows; r++) {
      const row = p0 + r
      c.set(mem.subarray(cOff + r * np + r, cOff + r * np + nl), row * n + row)
    }
  }
}`

/**
 * Rows [r0, r1) of Φ = silu(X̃ Uᵀ), Ψ = silu′(X̃ Uᵀ), and hidden units [i0, i1) of G = Ψᵀ diag(z) X̃:
 * the same loops, in the same order, as `features` (SiLU) and `psiTransposeX` in kernels.ts,
 * so every entry has the one-thread kernel's bits. Plain JavaScript, evaluated in the workers.
 */
const ROW_KERNELS = `
function siluRows(x, dim, u, m, r0, r1, phi, psi) {
  for (let a = r0; a < r1; a++) {
    const xa = a * dim
    const o = a * m
    let i = 0
    for (; i + 3 < m; i += 4) {
      const u0 = i * dim, u1 = u0 + dim, u2 = u1 + dim, u3 = u2 + dim
      let z0 = 0, z1 = 0, z2 = 0, z3 = 0
      for (let k = 0; k < dim; k++) {
        const xv = x[xa + k]
        z0 += xv * u[u0 + k]
        z1 += xv * u[u1 + k]
        z2 += xv * u[u2 + k]
        z3 += xv * u[u3 + k]
      }
      phi[o + i] = z0
      phi[o + i + 1] = z1
      phi[o + i + 2] = z2
      phi[o + i + 3] = z3
    }
    for (; i < m; i++) {
      const ui = i * dim
      let z = 0
      for (let k = 0; k < dim; k++) z += x[xa + k] * u[ui + k]
      phi[o + i] = z
    }
  }
  for (let j = r0 * m; j < r1 * m; j++) {
    const z = phi[j]
    const s = 1 / (1 + Math.exp(-z))
    const f = z * s
    phi[j] = f
    psi[j] = s + f * (1 - s)
  }
}
function psiTxColumns(psi, x, n, m, dim, z, i0, i1, g) {
  for (let j = i0 * dim; j < i1 * dim; j++) g[j] = 0
  let a = 0
  for (; a + 3 < n; a += 4) {
    const o0 = a * m, o1 = o0 + m, o2 = o1 + m, o3 = o2 + m
    const x0 = a * dim, x1 = x0 + dim, x2 = x1 + dim, x3 = x2 + dim
    const z0 = z[a], z1 = z[a + 1], z2 = z[a + 2], z3 = z[a + 3]
    for (let i = i0; i < i1; i++) {
      const w0 = z0 * psi[o0 + i], w1 = z1 * psi[o1 + i], w2 = z2 * psi[o2 + i], w3 = z3 * psi[o3 + i]
      const gi = i * dim
      for (let k = 0; k < dim; k++) g[gi + k] += w0 * x[x0 + k] + w1 * x[x1 + k] + w2 * x[x2 + k] + w3 * x[x3 + k]
    }
  }
  for (; a < n; a++) {
    const o = a * m, xa = a * dim, za = z[a]
    for (let i = i0; i < i1; i++) {
      const w = za * psi[o + i]
      const gi = i * dim
      for (let k = 0; k < dim; k++) g[gi + k] += w * x[xa + k]
    }
  }
}
`

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads")
const band = (${MAKE_BAND})(Buffer.from(workerData.wasm, "base64"))
${ROW_KERNELS}
const view = (b) => new Float64Array(b[0], b[1], b[2])
parentPort.on("message", (job) => {
  let status = 1
  try {
    if (job.kind === "syrk") band(view(job.p), job.n, job.m, view(job.c), job.p0, job.p1)
    else if (job.kind === "silu") siluRows(view(job.x), job.dim, view(job.u), job.m, job.r0, job.r1, view(job.phi), view(job.psi))
    else if (job.kind === "psiTx") psiTxColumns(view(job.psi), view(job.x), job.n, job.m, job.dim, view(job.z), job.i0, job.i1, view(job.g))
    else status = 2
  } catch (e) {
    status = 2
  }
  const flags = new Int32Array(job.flags)
  Atomics.store(flags, job.slot, status)
  Atomics.notify(flags, job.slot)
})
`

type Band = (pm: Float64Array, n: number, m: number, c: Float64Array, p0: number, p1: number) => void

let mainBand: Band | undefined
const workers: Worker[] = []

function wasmBytes(): Uint8Array {
  return Uint8Array.from(atob(syrkWasmBase64), (ch) => ch.charCodeAt(0))
}

function localBand(): Band {
  if (mainBand === undefined) {
    const make = new Function(`return (${MAKE_BAND})`)() as (bytes: Uint8Array) => Band
    mainBand = make(wasmBytes())
  }
  return mainBand
}

function ensureWorkers(count: number): void {
  while (workers.length < count) {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { wasm: syrkWasmBase64 } })
    w.unref()
    workers.push(w)
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

/** A shared Float64Array as a message field: [buffer, byteOffset, length]. */
const ref = (a: Float64Array) => [a.buffer, a.byteOffset, a.length] as const

/**
 * Run part 0 here and parts 1..count−1 on workers (`jobs[t − 1]` posted to worker t − 1), then wait
 * for all; a part a worker failed is run here (`redo(t)`).
 */
function runParts(jobs: object[], here: () => void, redo: (t: number) => void): void {
  const count = jobs.length + 1
  ensureWorkers(count - 1)
  const flags = new Int32Array(new SharedArrayBuffer(4 * count))
  for (let t = 1; t < count; t++) workers[t - 1].postMessage({ ...jobs[t - 1], flags: flags.buffer, slot: t })
  here()
  const failed: number[] = []
  for (let t = 1; t < count; t++) {
    while (Atomics.load(flags, t) === 0) Atomics.wait(flags, t, 0)
    if (Atomics.load(flags, t) !== 1) failed.push(t)
  }
  for (const t of failed) redo(t)
}

/**
 * Upper triangle of C += P Pᵀ (P n × m, C n × n, row-major) on `threads` threads. Returns false,
 * leaving C untouched, when it does not apply (one thread, a small problem, P or C not in shared
 * memory, WebAssembly SIMD missing): the caller then runs the one-thread `syrkUpper`.
 * Bit-for-bit equal to `syrkUpper`'s WebAssembly kernel.
 */
export function syrkUpperThreaded(
  pm: Float64Array,
  n: number,
  m: number,
  c: Float64Array,
  threads: number
): boolean {
  if (threads < 2 || (n * n * m) / 2 < MIN_WORK || !isShared(pm) || !isShared(c)) return false
  let band: Band
  try {
    band = localBand()
  } catch {
    return false
  }
  const count = Math.min(threads, Math.max(1, Math.floor(n / 8)))
  if (count < 2) return false
  const jobs = []
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
  runParts(
    jobs,
    () => band(pm, n, m, c, 0, bandStart(n, 1, count)),
    // a band a worker could not compute (its memory could not grow) is computed here
    (t) => band(pm, n, m, c, bandStart(n, t, count), bandStart(n, t + 1, count))
  )
  return true
}

type SiluRows = (
  x: Float64Array,
  dim: number,
  u: Float64Array,
  m: number,
  r0: number,
  r1: number,
  phi: Float64Array,
  psi: Float64Array
) => void
type PsiTxColumns = (
  psi: Float64Array,
  x: Float64Array,
  n: number,
  m: number,
  dim: number,
  z: Float64Array,
  i0: number,
  i1: number,
  g: Float64Array
) => void

let rowKernels: { siluRows: SiluRows; psiTxColumns: PsiTxColumns } | undefined

function localRowKernels(): { siluRows: SiluRows; psiTxColumns: PsiTxColumns } {
  rowKernels ??= new Function(`${ROW_KERNELS}; return { siluRows, psiTxColumns }`)() as {
    siluRows: SiluRows
    psiTxColumns: PsiTxColumns
  }
  return rowKernels
}

/** Below this many entries of Φ a thread costs more than it saves. */
const MIN_ENTRIES = 2e5

/**
 * Φ = silu(X̃ Uᵀ), Ψ = silu′(X̃ Uᵀ) for all n rows, split in row bands over `threads` threads.
 * x (n × dim), u (m × dim), phi and psi (n × m) must be in shared memory. Returns false (nothing
 * written) when it does not apply; the caller then runs `features`. Same bits as `features`.
 */
export function siluFeaturesThreaded(
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
  const k = localRowKernels()
  const edge = (t: number) => Math.round((n * t) / count)
  const jobs = []
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
  runParts(
    jobs,
    () => k.siluRows(x, dim, u, m, 0, edge(1), phi, psi),
    (t) => k.siluRows(x, dim, u, m, edge(t), edge(t + 1), phi, psi)
  )
  return true
}

/**
 * G = Ψᵀ diag(z) X̃ (m × dim) into g, the hidden units split in bands over `threads` threads.
 * psi, x, z and g must be in shared memory. Returns false (nothing written) when it does not
 * apply; the caller then runs `psiTransposeX`. Same bits as `psiTransposeX`.
 */
export function psiTransposeXThreaded(
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
  const k = localRowKernels()
  const edge = (t: number) => Math.round((m * t) / count)
  const jobs = []
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
  runParts(
    jobs,
    () => k.psiTxColumns(psi, x, n, m, dim, z, 0, edge(1), g),
    (t) => k.psiTxColumns(psi, x, n, m, dim, z, edge(t), edge(t + 1), g)
  )
  return true
}
