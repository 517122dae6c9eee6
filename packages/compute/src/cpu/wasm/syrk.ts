/**
 * WebAssembly SIMD (f64x2) SYRK: the fast path of `syrkUpper` in ../kernels.ts.
 *
 * The kernel (syrk.wat, shipped compiled in syrk-wasm.generated.ts) works on one panel of
 * KC = 64 columns of P at a time, packed into its memory with a constant row stride; this
 * wrapper packs each panel (zero-padding rows to a multiple of 4 and the panel to an even
 * width), copies the upper triangle of C in before and out after. Packing and copies cost
 * O(n·m + n²) against the kernel's O(n²·m). The module is compiled and instantiated
 * synchronously on first use; its memory grows to the largest problem seen and is kept.
 */
import { syrkWasmBase64 } from "./syrk-wasm.generated.js"

/** The part of the WebAssembly JS API used here (the ES2023 lib this repo compiles against lacks it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean
  readonly Module: new (bytes: Uint8Array) => object
  readonly Instance: new (module: object, imports: object) => { readonly exports: object }
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory
}

interface SyrkExports {
  readonly panel: (pp: number, c: number, n: number, len: number, rows: number) => void
  readonly kc: { readonly value: number }
}

interface SyrkInstance {
  readonly memory: WasmMemory
  readonly exports: SyrkExports
  readonly kc: number
}

/** Rows of a kernel block: padded row counts are multiples of it. */
const ROWS = 4
const PAGE = 65536
/** wasm32 memories stop at 2^16 pages (4 GiB). */
const MAX_BYTES = 2 ** 32

let instance: SyrkInstance | null | undefined

function load(): SyrkInstance | null {
  if (instance !== undefined) return instance
  instance = null
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
  if (api === undefined) return instance
  const bytes = Uint8Array.from(atob(syrkWasmBase64), (ch) => ch.charCodeAt(0))
  // fails where the engine lacks the SIMD proposal: the caller then uses the JS kernel
  if (!api.validate(bytes)) return instance
  const memory = new api.Memory({ initial: 1 })
  const exports = new api.Instance(new api.Module(bytes), { env: { memory } }).exports as SyrkExports
  instance = { memory, exports, kc: exports.kc.value }
  return instance
}

/** Whether the WebAssembly SIMD kernel can run here (compiles it on first call). */
export function syrkWasmAvailable(): boolean {
  return load() !== null
}

/**
 * Upper triangle (q ≥ p) of C += P Pᵀ for P (n × m) row-major, C (n × n) row-major, with the
 * WebAssembly kernel; the lower triangle of C is not touched. Returns false, leaving C as it
 * was, when the kernel is unavailable or its memory cannot grow to the problem (n ≳ 23 000).
 */
export function syrkUpperWasm(pm: Float64Array, n: number, m: number, c: Float64Array): boolean {
  return syrkUpperWasmRows(pm, n, m, c, 0, n)
}

/**
 * Rows [p0, p1) of {@link syrkUpperWasm} (p0 a multiple of 4): the band of C's upper triangle a
 * worker thread computes (./threads.ts). Every entry is summed by the same kernel arithmetic as
 * in the whole-matrix call (the kernel sums each entry's products panel by panel, in even and odd
 * lanes, independently of the other rows of its call), so any split into bands gives the same
 * bits. Only rows p0..n of P are packed: the band needs the columns q ≥ p0 of its rows.
 */
export function syrkUpperWasmRows(
  pm: Float64Array,
  n: number,
  m: number,
  c: Float64Array,
  p0: number,
  p1: number
): boolean {
  const wasm = load()
  if (wasm === null) return false
  if (n === 0 || m === 0 || p1 <= p0) return true
  const kc = wasm.kc
  // the local problem: rows p0..n of P; C's rows p0..p1, columns p0..n (row stride np)
  const nl = n - p0
  const np = Math.ceil(nl / ROWS) * ROWS
  const rows = p1 - p0
  const rp = Math.min(np, Math.ceil(rows / ROWS) * ROWS)
  // memory: the packed panel (np × kc), then C's band (rp × np)
  const cOff = np * kc
  const bytes = (cOff + rp * np) * 8
  if (bytes > MAX_BYTES) return false
  const have = wasm.memory.buffer.byteLength
  if (bytes > have) {
    try {
      wasm.memory.grow(Math.ceil((bytes - have) / PAGE))
    } catch {
      return false
    }
  }
  const mem = new Float64Array(wasm.memory.buffer)
  // padded rows of the panel are zero for every panel
  mem.fill(0, nl * kc, np * kc)
  for (let r = 0; r < rows; r++) {
    const row = p0 + r
    mem.set(c.subarray(row * n + row, row * n + n), cOff + r * np + r)
  }
  for (let k0 = 0; k0 < m; k0 += kc) {
    const len = Math.min(kc, m - k0)
    for (let a = 0; a < nl; a++) {
      const o = (p0 + a) * m + k0
      mem.set(pm.subarray(o, o + len), a * kc)
      // an odd panel gets a zero column
      if (len & 1) mem[a * kc + len] = 0
    }
    wasm.exports.panel(0, cOff * 8, np, len + (len & 1), rp)
  }
  for (let r = 0; r < rows; r++) {
    const row = p0 + r
    c.set(mem.subarray(cOff + r * np + r, cOff + r * np + nl), row * n + row)
  }
  return true
}
