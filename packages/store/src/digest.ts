/**
 * The one rule for "is this cell done and intact", shared by everything that reads a results
 * folder or the cache (`gnlab run`, `plan`, `status`, `submit`, the report, cache hits), so they
 * never disagree.
 *
 * A finished cell's folder holds `cell.json`, `trajectory.jsonl` and `summary.json`, and, written
 * last, `digest.json`: the SHA-256 of each of those three files. The cell is **done** when the
 * digest names the cell, every file still has its recorded hash, the summary names the cell,
 * gives a known stop reason and counts the trajectory's rows, and every row parses. A folder
 * with a summary or a digest that fails any of these is **corrupt** (recomputed, never reused);
 * one with neither is unfinished (pending, running, interrupted or failed: see lifecycle.ts).
 */
import { createHash } from "node:crypto"
import { join } from "node:path"
import type { StoreFiles } from "./files.js"
import { DIGEST_FILE, SUMMARY_FILE } from "./layout.js"

/** The files a digest covers. */
export const digestedFiles = ["cell.json", "trajectory.jsonl", "summary.json"] as const

/** The stop reasons of a finished cell (`RunSummary["stopReason"]` of @gnlab/metrics). */
export const stopReasons = ["converged", "maxIter", "diverged", "failed"] as const

/** A finished cell's stop reason. */
export type StopReason = (typeof stopReasons)[number]

/** SHA-256 of bytes or text, hex. */
export const sha256 = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex")

/** The content of digest.json. */
export interface CellDigest {
  readonly format: 1
  readonly cellId: string
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>
}

/** The digest of cell `id`'s files in `dir` as they are now (what a finishing cell writes). */
export function digestOf(fs: StoreFiles, dir: string, id: string): CellDigest {
  const files: Record<string, { sha256: string; bytes: number }> = {}
  for (const f of digestedFiles) {
    const bytes = fs.read(join(dir, f))
    if (bytes === undefined)
      throw Object.assign(new Error(`ENOENT: ${join(dir, f)} is missing`), { code: "ENOENT" })
    files[f] = { sha256: sha256(bytes), bytes: bytes.length }
  }
  return { format: 1, cellId: id, files }
}

/** What the rule says about a cell folder. */
export type DoneCheck =
  | {
      readonly status: "done"
      readonly summary: Readonly<Record<string, unknown>>
      /** cell.json: the resolved config */
      readonly config: Readonly<Record<string, unknown>>
      readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>
    }
  | { readonly status: "corrupt"; readonly reason: string }
  /** neither a summary nor a digest: not finished (pending, running, interrupted or failed) */
  | { readonly status: "unfinished" }

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x)

const decoder = new TextDecoder()

/**
 * Whether cell `id` in folder `dir` is done and intact (see the module comment): "done" with
 * its summary, config and trajectory rows, "corrupt" with the reason, or "unfinished".
 */
export function checkDone(fs: StoreFiles, dir: string, id: string): DoneCheck {
  const has = (f: string) => fs.exists(join(dir, f))
  if (!has(SUMMARY_FILE) && !has(DIGEST_FILE)) return { status: "unfinished" }
  const corrupt = (reason: string): DoneCheck => ({ status: "corrupt", reason })
  const texts = new Map<string, string>()
  try {
    const digestBytes = fs.read(join(dir, DIGEST_FILE))
    if (digestBytes === undefined) return corrupt(`summary.json without ${DIGEST_FILE}`)
    const digest = JSON.parse(decoder.decode(digestBytes)) as unknown
    if (!isObject(digest) || digest.format !== 1 || !isObject(digest.files))
      return corrupt(`${DIGEST_FILE} is not a cell digest`)
    if (digest.cellId !== id) return corrupt(`${DIGEST_FILE} names another cell`)
    for (const f of digestedFiles) {
      const bytes = fs.read(join(dir, f))
      if (bytes === undefined) return corrupt(`${f} is missing`)
      const want = digest.files[f]
      if (!isObject(want) || want.sha256 !== sha256(bytes))
        return corrupt(`${f} differs from its digest (changed after the cell finished)`)
      texts.set(f, decoder.decode(bytes))
    }
  } catch (e) {
    return corrupt(`unreadable: ${(e as Error).message}`)
  }
  // the digest matched: the files are the ones the cell wrote; check they say what a done cell says
  let summary: unknown
  let config: unknown
  try {
    summary = JSON.parse(texts.get("summary.json")!)
    config = JSON.parse(texts.get("cell.json")!)
  } catch {
    return corrupt("summary.json or cell.json does not parse")
  }
  if (!isObject(summary) || summary.cellId !== id) return corrupt("summary.json names another cell")
  if (!isObject(config) || (config.cellId !== undefined && config.cellId !== id))
    return corrupt("cell.json names another cell")
  if (!stopReasons.includes(summary.stopReason as StopReason))
    return corrupt("summary.json has no stop reason")
  const lines = texts
    .get("trajectory.jsonl")!
    .split("\n")
    .filter((l) => l.length > 0)
  if (summary.rows !== lines.length)
    return corrupt(`trajectory.jsonl has ${lines.length} rows, summary.json says ${String(summary.rows)}`)
  const rows: Array<Record<string, unknown>> = []
  for (const [i, line] of lines.entries()) {
    let row: unknown
    try {
      row = JSON.parse(line)
    } catch {
      row = undefined
    }
    if (!isObject(row)) return corrupt(`trajectory.jsonl row ${i + 1} does not parse`)
    rows.push(row)
  }
  return { status: "done", summary, config, rows }
}
