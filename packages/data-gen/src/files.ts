/**
 * Data and initial weights from JSON files, for cross-checks with other implementations.
 *
 * data: {"xTrain": [[d numbers] × N], "yTrain": [N], "xTest": [[d] × n], "yTest": [n]}
 * init: {"hiddenWeights": [[d numbers] × M], "hiddenBias": [M], "outputWeights": [M]}
 *
 * Parsing is strict: a missing field, a ragged row or a non-number is an `InvalidFile`
 * naming the file, the JSON path and what was expected.
 */
import { Data } from "effect"
import type { Dataset } from "./teacher.js"

/** A data or init file that cannot be used, with the JSON path of the problem. */
export class InvalidFile extends Data.TaggedError("InvalidFile")<{
  readonly file: string
  readonly path: string
  readonly problem: string
}> {
  override get message(): string {
    return `${this.file}: ${this.path}: ${this.problem}`
  }
}

/** Initial weights of the finite-width network read from a file. */
export interface InitialWeights {
  readonly width: number
  readonly d: number
  /** M × d, row i = u_i without bias */
  readonly hiddenWeights: Float64Array
  /** M biases (absent when the file has no hiddenBias) */
  readonly hiddenBias: Float64Array | undefined
  readonly outputWeights: Float64Array
}

const describe = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? `an array of ${v.length}`
      : typeof v === "string"
        ? `the string ${JSON.stringify(v).slice(0, 30)}`
        : typeof v

/**
 * The offset of the first JSON syntax error in `text` (the scan JSON.parse would do), the
 * text's length when it ends too early, -1 when it cannot tell: V8's messages quote the text
 * instead of saying where.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++
  }
  const fail = (): never => {
    throw i
  }
  const literal = (word: string) => (text.startsWith(word, i) ? void (i += word.length) : fail())
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === "{") {
      i++
      ws()
      if (text[i] === "}") return void i++
      for (;;) {
        ws()
        if (text[i] !== '"') fail()
        string()
        ws()
        if (text[i] !== ":") fail()
        i++
        value()
        ws()
        if (text[i] === "}") return void i++
        if (text[i] !== ",") fail()
        i++
      }
    } else if (c === "[") {
      i++
      ws()
      if (text[i] === "]") return void i++
      for (;;) {
        value()
        ws()
        if (text[i] === "]") return void i++
        if (text[i] !== ",") fail()
        i++
      }
    } else if (c === '"') string()
    else if (c === "t") literal("true")
    else if (c === "f") literal("false")
    else if (c === "n") literal("null")
    else {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400))
      if (m === null) fail()
      i += m![0].length
    }
  }
  const string = () => {
    i++
    for (;;) {
      if (i >= text.length) fail()
      const c = text.charCodeAt(i)
      if (c === 34) return void i++
      if (c < 32) fail()
      i += c === 92 ? 2 : 1
    }
  }
  try {
    value()
    ws()
    if (i < text.length) fail()
  } catch (at) {
    // a stack overflow on absurd nesting: where is unknown
    return typeof at === "number" ? Math.min(at, text.length) : -1
  }
  return text.length
}

function parseJson(text: string, file: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    // where, not what: V8's message quotes the file's first bytes, which do not belong in error.json
    const at = jsonErrorOffset(text)
    const before = text.slice(0, at)
    const line = before.split("\n").length
    const column = at - before.lastIndexOf("\n")
    const problem =
      at < 0
        ? "not valid JSON"
        : at >= text.length
          ? "not valid JSON (it ends too early)"
          : `not valid JSON at line ${line}, column ${column}`
    throw new InvalidFile({ file, path: "$", problem })
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new InvalidFile({ file, path: "$", problem: `expected a JSON object, found ${describe(v)}` })
  return v as Record<string, unknown>
}

function vector(obj: Record<string, unknown>, key: string, file: string, length?: number): Float64Array {
  const v = obj[key]
  if (!Array.isArray(v))
    throw new InvalidFile({
      file,
      path: `$.${key}`,
      problem: `expected an array of numbers, found ${describe(v)}`
    })
  if (length !== undefined && v.length !== length)
    throw new InvalidFile({
      file,
      path: `$.${key}`,
      problem: `expected ${length} numbers, found ${v.length}`
    })
  const out = new Float64Array(v.length)
  v.forEach((x, i) => {
    if (typeof x !== "number" || !Number.isFinite(x))
      throw new InvalidFile({
        file,
        path: `$.${key}[${i}]`,
        problem: `expected a finite number, found ${describe(x)}`
      })
    out[i] = x
  })
  return out
}

function matrix(
  obj: Record<string, unknown>,
  key: string,
  file: string
): { rows: number; cols: number; data: Float64Array } {
  const v = obj[key]
  if (!Array.isArray(v) || v.length === 0)
    throw new InvalidFile({
      file,
      path: `$.${key}`,
      problem: `expected a non-empty array of rows, found ${describe(v)}`
    })
  const first = v[0]
  if (!Array.isArray(first) || first.length === 0)
    throw new InvalidFile({
      file,
      path: `$.${key}[0]`,
      problem: `expected a non-empty array of numbers, found ${describe(first)}`
    })
  const cols = first.length
  const data = new Float64Array(v.length * cols)
  v.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== cols)
      throw new InvalidFile({
        file,
        path: `$.${key}[${r}]`,
        problem: `expected a row of ${cols} numbers (ragged rows), found ${describe(row)}`
      })
    row.forEach((x, c) => {
      if (typeof x !== "number" || !Number.isFinite(x))
        throw new InvalidFile({
          file,
          path: `$.${key}[${r}][${c}]`,
          problem: `expected a finite number, found ${describe(x)}`
        })
      data[r * cols + c] = x
    })
  })
  return { rows: v.length, cols, data }
}

/** Parse a data file (throws `InvalidFile`). */
export function parseDataFile(text: string, file: string): Dataset {
  const o = parseJson(text, file)
  const xTrain = matrix(o, "xTrain", file)
  const xTest = matrix(o, "xTest", file)
  if (xTest.cols !== xTrain.cols)
    throw new InvalidFile({
      file,
      path: "$.xTest[0]",
      problem: `rows have ${xTest.cols} numbers but xTrain rows have ${xTrain.cols}`
    })
  return {
    d: xTrain.cols,
    nTrain: xTrain.rows,
    xTrain: xTrain.data,
    yTrain: vector(o, "yTrain", file, xTrain.rows),
    nTest: xTest.rows,
    xTest: xTest.data,
    yTest: vector(o, "yTest", file, xTest.rows)
  }
}

/** Parse an init file (throws `InvalidFile`). */
export function parseInitFile(text: string, file: string): InitialWeights {
  const o = parseJson(text, file)
  const w = matrix(o, "hiddenWeights", file)
  return {
    width: w.rows,
    d: w.cols,
    hiddenWeights: w.data,
    hiddenBias: o.hiddenBias === undefined ? undefined : vector(o, "hiddenBias", file, w.rows),
    outputWeights: vector(o, "outputWeights", file, w.rows)
  }
}
