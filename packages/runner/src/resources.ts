/**
 * Resource limits checked before anything is allocated. A cell's memory is estimated from
 * its sizes (N, M, d, the test set), method and backend and compared with the machine's
 * memory (or `--max-memory`); a sweep above `largeSweepCells` cells needs `--yes`. Without
 * these checks, `--width 1e9` allocates until the OOM killer and `--n-test 1e9` dies in a
 * RangeError.
 */
import type { Cell } from "@gnlab/pipeline"
import { Data, Effect, Option } from "effect"
import { constants } from "node:buffer"
import { totalmem } from "node:os"
import { InvalidArgument } from "./errors.js"
import { datasetPlugin, methodPlugin, modelPlugin, registry } from "./plugins.js"

/** A run that would not fit (memory, array sizes) or a sweep too large without --yes. */
export class ResourceLimit extends Data.TaggedError("ResourceLimit")<{
  readonly problem: string
}> {
  override get message(): string {
    return this.problem
  }
}

/** Cells above which `gnlab run`/`submit` ask for `--yes` (validate and plan only say so). */
export const largeSweepCells = 100_000

/** The sizes and choices a cell's memory depends on. */
export interface CellSizes {
  readonly nTrain: number
  readonly nTest: number
  readonly d: number
  readonly width: number
  /** rows of the teacher–student train pool (max(N, poolSize)); N for data from a file */
  readonly pool: number
  readonly method: string
  readonly backend: string
}

/** An estimate in bytes, its largest parts (for the message) and its largest single array. */
export interface MemoryEstimate {
  readonly bytes: number
  readonly parts: ReadonlyArray<readonly [string, number]>
  /** elements of the largest single float64 array */
  readonly largestArray: number
}

const F64 = 8

/**
 * Bytes a cell needs, roughly: data (train pool, test set and their augmented copies),
 * parameter vectors (a few copies; a flow's Dormand–Prince stages), the N × M features Φ and
 * Ψ, the test predictions' row block, and for GN, RF and the GN flow a scaled N × M copy and
 * about five N × N buffers (A, its factor, K, the SYRK product, the eigenvectors). On tfjs the
 * device holds float32 copies of the same arrays: counted as float64 to stay on the safe side.
 */
export function estimateMemory(s: CellSizes): MemoryEstimate {
  // what the method holds beyond the features: its plugin says (a Gram matrix, more weight copies)
  const memory = registry.get("method", s.method) === undefined ? undefined : methodPlugin(s.method).memory
  const gram = memory?.gram === true
  const dim = s.d + 1
  const params = s.width * (dim + 1)
  const nm = s.nTrain * s.width
  const nn = gram ? s.nTrain * s.nTrain : 0
  const parts: Array<[string, number]> = [
    ["data", F64 * ((s.pool + s.nTest) * (s.d + 1) + 2 * s.nTrain * dim + s.nTest * dim)],
    ["weights", F64 * params * (memory?.weightCopies ?? 8)],
    ["N × M features", F64 * nm * (gram ? 3 : 2)],
    ["N × N buffers", F64 * nn * 5],
    ["test rows", F64 * (s.backend.startsWith("tfjs") ? 2048 : 256) * s.width]
  ]
  return {
    bytes: parts.reduce((t, [, b]) => t + b, 0),
    parts: parts.filter(([, b]) => b > 0).sort((a, b) => b[1] - a[1]),
    largestArray: Math.max(nm, nn, s.nTest * dim, s.pool * s.d, params)
  }
}

/** 1.5 GiB, 300 MiB, 12 kiB. */
export function formatBytes(b: number): string {
  const units = ["B", "kiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
  let i = 0
  while (b >= 1024 && i < units.length - 1) {
    b /= 1024
    i++
  }
  return `${b < 10 && i > 0 ? b.toFixed(1) : Math.round(b)} ${units[i]}`
}

/** `16G`, `512M`, `2.5GiB`, `1e9` (bytes) → bytes; undefined when it does not parse. */
export function parseMemory(text: string): number | undefined {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(text)
  if (m === null) return undefined
  const scale = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 }[m[2].toLowerCase()]!
  const bytes = Number(m[1]) * scale
  return Number.isFinite(bytes) && bytes > 0 ? bytes : undefined
}

/** The value of a `--max-memory` flag in bytes (undefined when not given: the machine's memory). */
export const maxMemoryOf = (s: Option.Option<string>) =>
  Effect.gen(function* () {
    if (Option.isNone(s)) return undefined
    const bytes = parseMemory(s.value)
    if (bytes === undefined)
      return yield* new InvalidArgument({
        field: "--max-memory",
        problem: `expected a size such as 16G, 512M or a number of bytes, got "${s.value}"`
      })
    return bytes
  })

/** The memory limit: `--max-memory` when given, else this machine's total memory. */
export const memoryLimit = (maxMemory: number | undefined): { bytes: number; source: string } =>
  maxMemory !== undefined
    ? { bytes: maxMemory, source: "--max-memory" }
    : { bytes: totalmem(), source: "this machine's memory; --max-memory changes the limit" }

const sizesText = (s: CellSizes): string =>
  `N = ${s.nTrain}, M = ${s.width}, d = ${s.d}, N_test = ${s.nTest} (${s.method}, ${s.backend})`

/**
 * The problem with a cell of these sizes, in one line, or undefined when it fits: its estimate
 * above the limit, or an array longer than a typed array can be (whatever the memory).
 */
export function memoryProblem(
  s: CellSizes,
  limit: { readonly bytes: number; readonly source: string },
  what = "a cell"
): string | undefined {
  const e = estimateMemory(s)
  if (e.bytes > limit.bytes) {
    const parts = e.parts
      .slice(0, 2)
      .map(([name, b]) => `${name} ${formatBytes(b)}`)
      .join(", ")
    return `${what} with ${sizesText(s)} needs about ${formatBytes(e.bytes)} (${parts}), more than the limit of ${formatBytes(limit.bytes)} (${limit.source})`
  }
  // a Float64Array holds at most buffer.constants.MAX_LENGTH bytes, whatever the memory
  const maxElements = Math.floor(constants.MAX_LENGTH / F64)
  if (e.largestArray > maxElements)
    return `${what} with ${sizesText(s)} needs an array of ${e.largestArray.toExponential(2)} numbers, more than the ${maxElements.toExponential(2)} a float64 array can hold here; reduce N, M or N_test`
  return undefined
}

/**
 * The sizes of a pipeline cell when they are known before its data are loaded (its dataset
 * plugin's `sizes` and model plugin's `width` say them; a data file's N is known once it is
 * read: undefined then).
 */
export function cellSizes(cell: Cell): CellSizes | undefined {
  const c = cell.config
  const sizes = datasetPlugin(c.dataset.plugin).sizes?.(c.dataset.params)
  const width = modelPlugin(c.model.plugin).width?.(c.model.params)
  if (sizes === undefined || width === undefined) return undefined
  return { ...sizes, width, method: c.method.plugin, backend: c.backend }
}

/** The sizes of a cell once its data are loaded. */
export const loadedSizes = (
  cell: Cell,
  data: { readonly nTrain: number; readonly nTest: number; readonly d: number },
  width: number
): CellSizes => ({
  nTrain: data.nTrain,
  nTest: data.nTest,
  d: data.d,
  width,
  pool: data.nTrain,
  method: cell.config.method.plugin,
  backend: cell.config.backend
})

/**
 * The first cell (largest estimate first) that does not fit, as one line; every distinct
 * (sizes, method, backend) is estimated once.
 */
export function pipelineMemoryProblem(
  cells: ReadonlyArray<Cell>,
  limit: { readonly bytes: number; readonly source: string }
): string | undefined {
  const seen = new Set<string>()
  let worst: { sizes: CellSizes; bytes: number; problem: string } | undefined
  for (const cell of cells) {
    const s = cellSizes(cell)
    if (s === undefined) continue
    const key = `${s.nTrain}/${s.nTest}/${s.d}/${s.width}/${s.pool}/${s.method}/${s.backend}`
    if (seen.has(key)) continue
    seen.add(key)
    const problem = memoryProblem(s, limit, `cell ${cell.id}`)
    if (problem === undefined) continue
    const bytes = estimateMemory(s).bytes
    if (worst === undefined || bytes > worst.bytes) worst = { sizes: s, bytes, problem }
  }
  return worst?.problem
}
