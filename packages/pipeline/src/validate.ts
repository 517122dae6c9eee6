/**
 * Validation of a pipeline file: every problem at once, each with its JSON path, line and
 * column, what was expected and what was found, and a "did you mean" for unknown plugin ids
 * and field names. Nothing is run before a pipeline validates.
 *
 * Order: JSON syntax (line/column; the first error only: the parser's later ones follow from
 * it) → duplicate keys → the DSL's own schema (schema/pipeline.base.schema.json) → each
 * stage's plugin id and its params against the plugin's schema (with the swept params) →
 * sweep paths/values → what would make cells that cannot run or repeat: missing input files,
 * repeated sweep values or methods, plots naming parameters that are unknown or not swept.
 * Numbers must be finite (JSON's 1e999 parses to Infinity).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js"
import {
  findNodeAtLocation,
  parse,
  parseTree,
  printParseErrorCode,
  type Node,
  type ParseError
} from "jsonc-parser"
import { statSync } from "node:fs"
import baseSchema from "../schema/pipeline.base.schema.json" with { type: "json" }
import { canonicalJson, defaultMetricsStage, withDefaults } from "./cells.js"
import type { Pipeline } from "./pipeline.generated.js"
import {
  propertySchema,
  schemaProperties,
  type JsonSchema,
  stageKinds,
  type ParamProblem,
  type Registry,
  type StageKind
} from "./registry.js"
import { didYouMean } from "./suggest.js"

/** One problem of a pipeline file. */
export interface ValidationIssue {
  /**
   * where the offending value was written, when not the file being read: a file it extends,
   * or `override KEY=VALUE` of the command line
   */
  readonly source?: string
  /** JSON pointer of the offending value ("" for the document) */
  readonly path: string
  readonly line: number | undefined
  readonly column: number | undefined
  readonly expected: string
  readonly found: string
}

/** One line per issue: `file:line:column: path: expected …, found …` (the issue's own source first). */
export function formatIssue(file: string, i: ValidationIssue): string {
  const where = i.line === undefined ? "" : `:${i.line}:${i.column}`
  // an override's own problem (its syntax, an unknown method) is not at a place in the document
  const at = i.path !== "" ? `${i.path}: ` : i.source?.startsWith("override ") ? "" : "(document): "
  return `${i.source ?? file}${where}: ${at}expected ${i.expected}, found ${i.found}`
}

/** A validated pipeline, or the issues. */
export type Validated =
  | { readonly ok: true; readonly pipeline: Pipeline }
  | { readonly ok: false; readonly issues: ReadonlyArray<ValidationIssue> }

// strictNumbers: Infinity and NaN are not numbers of any parameter. validateSchema: false skips
// compiling JSON Schema's meta-schema (≈ 0.2 s of every gnlab start); the schemas compiled here
// are checked against it once, in test/schemas.test.ts.
const ajv = new Ajv2020({
  allErrors: true,
  strict: false,
  verbose: true,
  strictNumbers: true,
  validateSchema: false,
  // a pipeline is validated a handful of times per process: compiling fast (≈ 20 ms less per
  // schema) matters more than the generated code's speed
  code: { optimize: false }
})
// compiled on first use: `gnlab --help` and commands without a pipeline do not pay for it
let baseValidator: ValidateFunction | undefined
const validateBase = (doc: unknown): ValidateFunction => {
  baseValidator ??= ajv.compile(baseSchema)
  baseValidator(doc)
  return baseValidator
}
const pluginValidators = new WeakMap<JsonSchema, ValidateFunction>()

/** The compiled validator of a plugin's params schema (cached per schema object). */
export function paramsValidator(schema: JsonSchema): ValidateFunction {
  let v = pluginValidators.get(schema)
  if (v === undefined) {
    v = ajv.compile(schema)
    pluginValidators.set(schema, v)
  }
  return v
}

const describe = (v: unknown): string => {
  if (v === undefined) return "nothing"
  if (v === null) return "null"
  if (Array.isArray(v)) return v.length === 0 ? "an empty list" : `a list of ${v.length}`
  if (typeof v === "object") return "an object"
  if (typeof v === "string") return `"${v.length > 40 ? v.slice(0, 37) + "..." : v}"`
  if (typeof v === "number" && !Number.isFinite(v)) return `${String(v)} (a number too large for float64)`
  return String(v)
}

const pointer = (segments: ReadonlyArray<string | number>): string =>
  segments.map((s) => "/" + String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("")

const segmentsOf = (ptr: string): Array<string | number> =>
  ptr === ""
    ? []
    : ptr
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s))

/** Line and column (1-based) of an offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let last = -1
  for (let i = 0; i < offset && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++
      last = i
    }
  return { line, column: offset - last }
}

/** Turn ajv errors (relative to `prefix`) into issues. */
function fromAjv(errors: ReadonlyArray<ErrorObject>, prefix: string): ValidationIssue[] {
  const out: ValidationIssue[] = []
  for (const e of errors) {
    const at = prefix + e.instancePath
    const p = e.params as Record<string, unknown>
    switch (e.keyword) {
      case "additionalProperties": {
        const name = String(p.additionalProperty)
        const known = schemaProperties((e.parentSchema ?? {}) as JsonSchema)
        out.push({
          path: `${at}/${name}`,
          line: undefined,
          column: undefined,
          expected: known.length > 0 ? `one of the fields ${known.join(", ")}` : "no other fields",
          found: `unknown field "${name}"${didYouMean(name, known)}`
        })
        break
      }
      case "required":
        out.push({
          path: `${at}/${String(p.missingProperty)}`,
          line: undefined,
          column: undefined,
          expected: "this required field",
          found: "nothing"
        })
        break
      case "type":
        out.push({
          path: at,
          line: undefined,
          column: undefined,
          expected: `a value of type ${String(p.type)}`,
          found: describe(e.data)
        })
        break
      case "enum": {
        const allowed = (p.allowedValues as unknown[]).map(String)
        out.push({
          path: at,
          line: undefined,
          column: undefined,
          expected: `one of ${allowed.join(", ")}`,
          found: describe(e.data) + (typeof e.data === "string" ? didYouMean(e.data, allowed) : "")
        })
        break
      }
      case "minimum":
      case "maximum":
      case "exclusiveMinimum":
      case "exclusiveMaximum": {
        const op = { minimum: "≥", maximum: "≤", exclusiveMinimum: ">", exclusiveMaximum: "<" }[e.keyword]
        out.push({
          path: at,
          line: undefined,
          column: undefined,
          expected: `a number ${op} ${String(p.limit)}`,
          found: describe(e.data)
        })
        break
      }
      case "minItems":
        out.push({
          path: at,
          line: undefined,
          column: undefined,
          expected: `at least ${String(p.limit)} item(s)`,
          found: describe(e.data)
        })
        break
      case "uniqueItems":
        out.push({
          path: at,
          line: undefined,
          column: undefined,
          expected: "distinct items",
          found: `items ${String(p.j)} and ${String(p.i)} equal`
        })
        break
      case "pattern":
        out.push({
          path: at,
          line: undefined,
          column: undefined,
          expected: `a string matching ${String(p.pattern)}`,
          found: describe(e.data)
        })
        break
      case "propertyNames":
        break // reported by the nested "pattern" error with the property name
      case "if":
        break // reported by the nested error of its "then" (e.g. a required field)
      default:
        out.push({
          path: at,
          line: undefined,
          column: undefined,
          expected: e.message ?? e.keyword,
          found: describe(e.data)
        })
    }
  }
  return out
}

/** Fill line/column from the parse tree. */
function locate(issues: ValidationIssue[], text: string, root: Node | undefined): ValidationIssue[] {
  return issues.map((i) => {
    if (root === undefined || i.line !== undefined) return i
    const segs = segmentsOf(i.path)
    let node = findNodeAtLocation(root, segs)
    // an unknown or missing field: point at the key, or at its parent object
    for (let k = segs.length - 1; node === undefined && k >= 0; k--)
      node = findNodeAtLocation(root, segs.slice(0, k))
    const target =
      node?.parent?.type === "property" && node.parent.children?.[1] === node ? node.parent : node
    if (target === undefined) return i
    return { ...i, ...lineColumn(text, target.offset) }
  })
}

const stageAt = (
  doc: Record<string, unknown>,
  path: ReadonlyArray<string | number>
): Record<string, unknown> | undefined => {
  let v: unknown = doc
  for (const s of path) v = (v as Record<string | number, unknown> | undefined)?.[s]
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

/**
 * Check one stage's plugin id and params. `swept` holds a value of each swept param of the
 * stage, so a required param given by the sweep counts; their values are checked by checkSweep.
 */
function checkStage(
  registry: Registry,
  kind: StageKind,
  stage: Record<string, unknown> | undefined,
  at: string,
  swept: Readonly<Record<string, unknown>> = {}
): ValidationIssue[] {
  if (stage === undefined || typeof stage.plugin !== "string") return []
  const plugin = registry.get(kind, stage.plugin)
  if (plugin === undefined) {
    const ids = registry.ids(kind)
    return [
      {
        path: `${at}/plugin`,
        line: undefined,
        column: undefined,
        expected: `a registered ${kind} plugin (${ids.join(", ")})`,
        found: `"${stage.plugin}"${didYouMean(stage.plugin, ids)}`
      }
    ]
  }
  const v = paramsValidator(plugin.schema)
  const params = stage.params ?? {}
  const isObject = typeof params === "object" && params !== null && !Array.isArray(params)
  // swept params fill in what the stage leaves out (a given value is still checked as written)
  const own = Object.fromEntries(
    Object.entries(swept).filter(
      ([k]) => propertySchema(plugin.schema, k) !== undefined && !(isObject && k in params)
    )
  )
  const merged = isObject ? { ...own, ...params } : params
  if (v(merged)) {
    if (plugin.check === undefined) return []
    // the plugin's own checks (e.g. an input file's contents), on the params a first cell gets
    let problems: ReadonlyArray<ParamProblem>
    try {
      problems = plugin.check(withDefaults(plugin.schema, merged as Record<string, unknown>))
    } catch (e) {
      problems = [{ param: "", expected: "params the plugin can use", found: String(e) }]
    }
    return problems.map((p) => ({
      path: `${at}/params${p.param === "" ? "" : `/${p.param}`}`,
      line: undefined,
      column: undefined,
      expected: p.expected,
      found: p.found
    }))
  }
  const fromSweep = (e: ErrorObject) =>
    Object.keys(own).some((k) => e.instancePath === `/${k}` || e.instancePath.startsWith(`/${k}/`))
  return fromAjv(
    (v.errors ?? []).filter((e) => !fromSweep(e)),
    `${at}/params`
  )
}

/** The first value of every swept param of a stage ("model" → { initStd: 0.5 }). */
function sweptParams(doc: Record<string, unknown>, stage: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const part of ["grid", "zip"])
    for (const [key, list] of Object.entries(stageAt(doc, ["sweep", part]) ?? {})) {
      const [s, param] = key.split(".")
      if (s === stage && param !== undefined && Array.isArray(list) && list.length > 0) out[param] = list[0]
    }
  return out
}

/** The schemas of the plugins a stage name of a sweep path refers to (every method's for "method"). */
/** `stage.param` (written `written`) names no parameter of the stage's plugins: the issue, with the known ones. */
function unknownParameter(
  at: string,
  stage: string,
  param: string,
  written: string,
  schemas: ReadonlyArray<JsonSchema>
): ValidationIssue {
  const known = [...new Set(schemas.flatMap(schemaProperties))]
  return {
    path: at,
    line: undefined,
    column: undefined,
    expected: `a parameter of the ${stage} plugin (${known.map((k) => `${stage}.${k}`).join(", ")})`,
    found: `"${written}"${didYouMean(param, known)}`
  }
}

function schemasOf(registry: Registry, doc: Record<string, unknown>, stage: string): JsonSchema[] {
  const pick = (kind: StageKind, s: Record<string, unknown> | undefined) => {
    const p = typeof s?.plugin === "string" ? registry.get(kind, s.plugin) : undefined
    return p === undefined ? [] : [p.schema]
  }
  if (stage === "method")
    return (Array.isArray(doc.methods) ? doc.methods : []).flatMap((m) =>
      pick("method", m as Record<string, unknown>)
    )
  if (stage === "metrics") return pick("metrics", stageAt(doc, ["metrics"]) ?? defaultMetricsStage)
  return (stageKinds as ReadonlyArray<string>).includes(stage)
    ? pick(stage as StageKind, stageAt(doc, [stage]))
    : []
}

/** Equal text for equal JSON values (non-finite numbers, refused elsewhere, by their name). */
const sameKey = (v: unknown): string => {
  try {
    return canonicalJson(v ?? null)
  } catch {
    return String(v)
  }
}

/** Check sweep paths (stage.param) against the plugins of the pipeline, and their values. */
function checkSweep(registry: Registry, doc: Record<string, unknown>): ValidationIssue[] {
  const sweep = stageAt(doc, ["sweep"])
  if (sweep === undefined) return []
  const out: ValidationIssue[] = []
  let zipLength: number | undefined
  for (const part of ["grid", "zip"] as const) {
    const values = stageAt(sweep, [part])
    if (values === undefined) continue
    for (const [key, list] of Object.entries(values)) {
      const [stage, param] = key.split(".")
      const at = pointer(["sweep", part, key])
      if (param === undefined || !Array.isArray(list)) continue // the base schema reported it
      const schemas = schemasOf(registry, doc, stage)
      if (schemas.length === 0) continue // the stage's plugin is unknown: reported there
      const owners = schemas.filter((s) => propertySchema(s, param) !== undefined)
      if (owners.length === 0) {
        out.push(unknownParameter(at, stage, param, key, schemas))
        continue
      }
      const seen = new Map<string, number>()
      list.forEach((value, i) => {
        for (const s of owners) {
          const v = paramsValidator(propertySchema(s, param)!)
          if (!v(value)) out.push(...fromAjv(v.errors ?? [], pointer(["sweep", part, key, i])))
        }
        // a repeated grid value repeats every cell of its row (zip rows are compared whole below)
        const k = sameKey(value)
        const first = seen.get(k)
        if (part === "grid" && first !== undefined)
          out.push({
            path: pointer(["sweep", part, key, i]),
            line: undefined,
            column: undefined,
            expected: "distinct values (a repeated value makes the same cells twice)",
            found: `${describe(value)} again (item ${first})`
          })
        else seen.set(k, i)
      })
      if (part === "zip" && stageAt(sweep, ["grid"])?.[key] !== undefined)
        out.push({
          path: at,
          line: undefined,
          column: undefined,
          expected: "a parameter swept in grid or in zip, not both",
          found: `"${key}" in both`
        })
      if (part === "zip") {
        if (zipLength !== undefined && list.length !== zipLength)
          out.push({
            path: at,
            line: undefined,
            column: undefined,
            expected: `${zipLength} values like the other zip lists`,
            found: `${list.length}`
          })
        zipLength ??= list.length
      }
    }
  }
  // repeated zip rows (position by position) make the same cells twice
  const zip = Object.entries(stageAt(sweep, ["zip"]) ?? {}).filter(([, l]) => Array.isArray(l))
  if (zip.length > 0 && zip.every(([, l]) => (l as unknown[]).length === zipLength)) {
    const rows = new Map<string, number>()
    for (let i = 0; i < zipLength!; i++) {
      const k = sameKey(zip.map(([, l]) => (l as unknown[])[i]))
      const first = rows.get(k)
      if (first === undefined) rows.set(k, i)
      else
        out.push({
          path: pointer(["sweep", "zip", zip[0][0], i]),
          line: undefined,
          column: undefined,
          expected: "distinct zip rows (a repeated row makes the same cells twice)",
          found: `row ${i} equal to row ${first}`
        })
    }
  }
  return out
}

/** Paths relative to the working directory; a readable regular file or the reason it is not. */
function fileProblem(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? undefined : "not a regular file"
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e)
  }
}

/** Input files (plugins' `files` params, given or swept) must exist: a missing one fails every cell. */
function checkFiles(registry: Registry, doc: Record<string, unknown>): ValidationIssue[] {
  const out: ValidationIssue[] = []
  const check = (value: unknown, at: string) => {
    if (typeof value !== "string" || value.length === 0) return // the schema reported it
    const problem = fileProblem(value)
    if (problem !== undefined)
      out.push({
        path: at,
        line: undefined,
        column: undefined,
        expected: "an existing file (paths are relative to the working directory)",
        found: `"${value}" (${problem})`
      })
  }
  const stages: Array<[StageKind, string, Record<string, unknown> | undefined]> = [
    ["dataset", "/dataset", stageAt(doc, ["dataset"])],
    ["model", "/model", stageAt(doc, ["model"])],
    ...(Array.isArray(doc.methods) ? doc.methods : []).map(
      (m, i): [StageKind, string, Record<string, unknown> | undefined] => [
        "method",
        `/methods/${i}`,
        m as Record<string, unknown>
      ]
    ),
    ["metrics", "/metrics", stageAt(doc, ["metrics"])]
  ]
  const checkedSweeps = new Set<string>()
  for (const [kind, at, stage] of stages) {
    const plugin = typeof stage?.plugin === "string" ? registry.get(kind, stage.plugin) : undefined
    for (const param of plugin?.files ?? []) {
      check(stageAt(stage!, ["params"])?.[param], `${at}/params/${param}`)
      for (const part of ["grid", "zip"]) {
        const key = `${kind}.${param}`
        const list = stageAt(doc, ["sweep", part])?.[key]
        if (!Array.isArray(list) || checkedSweeps.has(`${part}/${key}`)) continue
        checkedSweeps.add(`${part}/${key}`)
        list.forEach((v, i) => check(v, pointer(["sweep", part, key, i])))
      }
    }
  }
  return out
}

/**
 * Two methods with the same plugin, params (defaults filled in) and backend make the same
 * cells; two with the same label (default: the plugin id) would be one line of the report,
 * each seed counted twice.
 */
function checkMethods(registry: Registry, doc: Record<string, unknown>): ValidationIssue[] {
  if (!Array.isArray(doc.methods)) return []
  const out: ValidationIssue[] = []
  const seen = new Map<string, number>()
  const labels = new Map<string, number>()
  doc.methods.forEach((m: unknown, i) => {
    const stage = m as Record<string, unknown> | undefined
    const label = typeof stage?.label === "string" ? stage.label : stage?.plugin
    if (typeof label === "string") {
      const first = labels.get(label)
      if (first === undefined) labels.set(label, i)
      else
        out.push({
          path: typeof stage?.label === "string" ? `/methods/${i}/label` : `/methods/${i}`,
          line: undefined,
          column: undefined,
          expected: "a label per method (the report draws a line per label; give each method its own)",
          found: `"${label}", the label of /methods/${first} too`
        })
    }
    const plugin = typeof stage?.plugin === "string" ? registry.get("method", stage.plugin) : undefined
    const params = stage?.params ?? {}
    if (plugin === undefined || !paramsValidator(plugin.schema)(params)) return // reported there
    const key = canonicalJson({
      plugin: plugin.id,
      params: withDefaults(plugin.schema, params as Record<string, unknown>),
      backend: stage!.backend ?? null
    })
    const first = seen.get(key)
    if (first === undefined) seen.set(key, i)
    else
      out.push({
        path: `/methods/${i}`,
        line: undefined,
        column: undefined,
        expected:
          "methods that differ in plugin, params or backend (the same method twice makes the same cells)",
        found: `the same method as /methods/${first}`
      })
  })
  return out
}

const paramPathPattern = /^(dataset|model|method|metrics)\.[A-Za-z][A-Za-z0-9]*$/

/**
 * Plots: ids used once (an id names the figure's files), and every param naming a pipeline
 * parameter (facet, color, x, … defaults included) names a swept parameter of a stage's plugin.
 */
function checkPlots(registry: Registry, doc: Record<string, unknown>): ValidationIssue[] {
  const plots = stageAt(doc, ["report"])?.plots
  if (!Array.isArray(plots)) return []
  const swept = new Set(["grid", "zip"].flatMap((part) => Object.keys(stageAt(doc, ["sweep", part]) ?? {})))
  const out: ValidationIssue[] = []
  const ids = new Map<string, number>()
  plots.forEach((p: unknown, i) => {
    const plot = p as Record<string, unknown> | undefined
    if (typeof plot?.id === "string") {
      const first = ids.get(plot.id)
      if (first === undefined) ids.set(plot.id, i)
      else
        out.push({
          path: `/report/plots/${i}/id`,
          line: undefined,
          column: undefined,
          expected: "a plot id used once (it names the figure's files)",
          found: `"${plot.id}", the id of /report/plots/${first} too`
        })
    }
    const plugin = typeof plot?.plugin === "string" ? registry.get("plot", plot.plugin) : undefined
    const given = plot?.params ?? {}
    if (plugin === undefined || !paramsValidator(plugin.schema)(given)) return // reported there
    const params = withDefaults(plugin.schema, given as Record<string, unknown>)
    for (const [name, value] of Object.entries(params)) {
      if (typeof value !== "string" || !paramPathPattern.test(value)) continue
      const [stage, param] = value.split(".")
      const schemas = schemasOf(registry, doc, stage)
      if (schemas.length === 0) continue // the stage's plugin is unknown: reported there
      const at = `/report/plots/${i}/params/${name}`
      if (!schemas.some((s) => propertySchema(s, param) !== undefined))
        out.push(unknownParameter(at, stage, param, value, schemas))
      else if (!swept.has(value))
        out.push({
          path: at,
          line: undefined,
          column: undefined,
          expected: `a swept parameter (${swept.size > 0 ? [...swept].join(", ") : "this pipeline sweeps none"})`,
          // a near miss among the swept axes (dataset.nTest for dataset.nTrain) is named
          found: `"${value}", which is not swept${name in (given as object) ? "" : " (the plot's default)"}${didYouMean(value, swept)}`
        })
    }
  })
  return out
}

/** Keys given twice in one object: JSON.parse keeps the last silently, so they are refused. */
function duplicateKeys(text: string, root: Node | undefined): ValidationIssue[] {
  const out: ValidationIssue[] = []
  const walk = (node: Node, path: Array<string | number>): void => {
    if (node.type === "object") {
      const seen = new Map<string, number>()
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? []
        if (keyNode === undefined) continue
        const key = String(keyNode.value)
        const first = seen.get(key)
        if (first === undefined) seen.set(key, keyNode.offset)
        else
          out.push({
            path: pointer([...path, key]),
            ...lineColumn(text, keyNode.offset),
            expected: "each key once in an object",
            found: `"${key}" again (first at line ${lineColumn(text, first).line})`
          })
        if (valueNode !== undefined) walk(valueNode, [...path, key])
      }
    } else if (node.type === "array") node.children?.forEach((c, i) => walk(c, [...path, i]))
  }
  if (root !== undefined) walk(root, [])
  return out
}

/** What parsing a pipeline file gives: the document and its tree, or the (located) issues. */
export type ParsedText =
  | { readonly ok: true; readonly doc: Record<string, unknown>; readonly root: Node }
  | { readonly ok: false; readonly issues: ReadonlyArray<ValidationIssue> }

/**
 * Parse pipeline text as JSON with comments (JSONC: `//` and block comments, trailing commas):
 * the first syntax error only (the parser recovers and reports what follows from it too), a
 * document that is not an object, or keys given twice — each with its line and column.
 */
export function parsePipelineText(text: string): ParsedText {
  const syntax: ParseError[] = []
  const doc = parse(text, syntax, {
    disallowComments: false,
    allowTrailingComma: true,
    allowEmptyContent: false
  })
  if (syntax.length > 0)
    return {
      ok: false,
      issues: syntax.slice(0, 1).map((e) => ({
        path: "",
        ...lineColumn(text, e.offset),
        expected: "valid JSON (comments and trailing commas are allowed)",
        found: `a syntax error (${printParseErrorCode(e.error)})`
      }))
    }
  const root = parseTree(text, undefined, { disallowComments: false, allowTrailingComma: true })
  if (typeof doc !== "object" || doc === null || Array.isArray(doc) || root === undefined)
    return {
      ok: false,
      issues: locate(
        [{ path: "", line: undefined, column: undefined, expected: "a JSON object", found: describe(doc) }],
        text,
        root
      )
    }
  const dup = duplicateKeys(text, root)
  return dup.length > 0 ? { ok: false, issues: dup } : { ok: true, doc: doc as Record<string, unknown>, root }
}

/**
 * Where a JSON pointer lies in a parsed text: the line and column of its value (of its key for
 * a property), or of its nearest enclosing value that the text has, with how many of the
 * pointer's segments that value matched (the full length: the text has the value itself).
 */
export function positionIn(
  text: string,
  root: Node,
  path: string
): { readonly line: number; readonly column: number; readonly depth: number } {
  const segs = segmentsOf(path)
  for (let k = segs.length; k >= 0; k--) {
    const node = findNodeAtLocation(root, segs.slice(0, k))
    if (node === undefined) continue
    const target = node.parent?.type === "property" && node.parent.children?.[1] === node ? node.parent : node
    return { ...lineColumn(text, target.offset), depth: k }
  }
  return { line: 1, column: 1, depth: 0 }
}

/**
 * Check a pipeline document (already parsed, `extends` resolved) against the DSL and the
 * registered plugins: every issue, by JSON pointer, without positions (see validatePipeline).
 */
export function checkPipelineDocument(d: Record<string, unknown>, registry: Registry): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const base = validateBase(d)
  if (base.errors) issues.push(...fromAjv(base.errors, ""))
  const swept = (stage: string) => sweptParams(d, stage)
  issues.push(...checkStage(registry, "dataset", stageAt(d, ["dataset"]), "/dataset", swept("dataset")))
  issues.push(...checkStage(registry, "model", stageAt(d, ["model"]), "/model", swept("model")))
  if (Array.isArray(d.methods))
    d.methods.forEach((m, i) =>
      issues.push(
        ...checkStage(registry, "method", m as Record<string, unknown>, `/methods/${i}`, swept("method"))
      )
    )
  if (d.metrics !== undefined)
    issues.push(...checkStage(registry, "metrics", stageAt(d, ["metrics"]), "/metrics", swept("metrics")))
  const plots = stageAt(d, ["report"])?.plots
  if (Array.isArray(plots))
    plots.forEach((p, i) =>
      issues.push(...checkStage(registry, "plot", p as Record<string, unknown>, `/report/plots/${i}`))
    )
  issues.push(...checkSweep(registry, d))
  issues.push(...checkFiles(registry, d), ...checkMethods(registry, d), ...checkPlots(registry, d))
  return issues
}

/**
 * Validate pipeline text (JSONC) against the DSL and the registered plugins. The text is one
 * file as it is: `extends` is not followed here (loadPipeline resolves it, then validates).
 */
export function validatePipeline(text: string, registry: Registry): Validated {
  const parsed = parsePipelineText(text)
  if (!parsed.ok) return parsed
  const issues = checkPipelineDocument(parsed.doc, registry)
  return issues.length === 0
    ? { ok: true, pipeline: parsed.doc as unknown as Pipeline }
    : { ok: false, issues: locate(issues, text, parsed.root) }
}
