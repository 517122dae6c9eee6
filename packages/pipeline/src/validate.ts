/**
 * Validation of a pipeline file: every problem at once, each with its JSON path, line and
 * column, what was expected and what was found, and a "did you mean" for unknown plugin ids
 * and field names. Nothing is run before a pipeline validates.
 *
 * Order: JSON syntax (line/column) → the DSL's own schema (schema/pipeline.base.schema.json)
 * → each stage's plugin id and its params against the plugin's schema → sweep paths/values.
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
import baseSchema from "../schema/pipeline.base.schema.json" with { type: "json" }
import type { Pipeline } from "./pipeline.generated.js"
import {
  propertySchema,
  schemaProperties,
  type JsonSchema,
  type Registry,
  type StageKind
} from "./registry.js"
import { didYouMean } from "./suggest.js"

/** One problem of a pipeline file. */
export interface ValidationIssue {
  /** JSON pointer of the offending value ("" for the document) */
  readonly path: string
  readonly line: number | undefined
  readonly column: number | undefined
  readonly expected: string
  readonly found: string
}

/** One line per issue: `path (line L, column C): expected …, found …`. */
export function formatIssue(file: string, i: ValidationIssue): string {
  const where = i.line === undefined ? "" : `:${i.line}:${i.column}`
  return `${file}${where}: ${i.path === "" ? "(document)" : i.path}: expected ${i.expected}, found ${i.found}`
}

/** A validated pipeline, or the issues. */
export type Validated =
  | { readonly ok: true; readonly pipeline: Pipeline }
  | { readonly ok: false; readonly issues: ReadonlyArray<ValidationIssue> }

const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true })
const validateBase = ajv.compile(baseSchema)
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
    if (root === undefined) return i
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

/** Check one stage's plugin id and params. */
function checkStage(
  registry: Registry,
  kind: StageKind,
  stage: Record<string, unknown> | undefined,
  at: string
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
  return v(stage.params ?? {}) ? [] : fromAjv(v.errors ?? [], `${at}/params`)
}

/** Check sweep paths (stage.param) against the plugins of the pipeline, and their values. */
function checkSweep(registry: Registry, doc: Record<string, unknown>): ValidationIssue[] {
  const sweep = stageAt(doc, ["sweep"])
  if (sweep === undefined) return []
  const out: ValidationIssue[] = []
  const schemasOf = (stage: string): JsonSchema[] => {
    const pick = (kind: StageKind, s: Record<string, unknown> | undefined) => {
      const p = typeof s?.plugin === "string" ? registry.get(kind, s.plugin) : undefined
      return p === undefined ? [] : [p.schema]
    }
    if (stage === "method")
      return (Array.isArray(doc.methods) ? doc.methods : []).flatMap((m) =>
        pick("method", m as Record<string, unknown>)
      )
    if (stage === "metrics") return pick("metrics", stageAt(doc, ["metrics"]) ?? { plugin: "trajectory" })
    return pick(stage as StageKind, stageAt(doc, [stage]))
  }
  let zipLength: number | undefined
  for (const part of ["grid", "zip"] as const) {
    const values = stageAt(sweep, [part])
    if (values === undefined) continue
    for (const [key, list] of Object.entries(values)) {
      const [stage, param] = key.split(".")
      const at = pointer(["sweep", part, key])
      if (param === undefined || !Array.isArray(list)) continue // the base schema reported it
      const schemas = schemasOf(stage)
      if (schemas.length === 0) continue // the stage's plugin is unknown: reported there
      const owners = schemas.filter((s) => propertySchema(s, param) !== undefined)
      if (owners.length === 0) {
        const known = [...new Set(schemas.flatMap(schemaProperties))]
        out.push({
          path: at,
          line: undefined,
          column: undefined,
          expected: `a parameter of the ${stage} plugin (${known.map((k) => `${stage}.${k}`).join(", ")})`,
          found: `"${key}"${didYouMean(param, known)}`
        })
        continue
      }
      list.forEach((value, i) => {
        for (const s of owners) {
          const v = paramsValidator(propertySchema(s, param)!)
          if (!v(value)) out.push(...fromAjv(v.errors ?? [], pointer(["sweep", part, key, i])))
        }
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
  return out
}

/** Validate pipeline text against the DSL and the registered plugins. */
export function validatePipeline(text: string, registry: Registry): Validated {
  const syntax: ParseError[] = []
  const doc = parse(text, syntax, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false
  })
  if (syntax.length > 0)
    return {
      ok: false,
      issues: syntax.map((e) => ({
        path: "",
        ...lineColumn(text, e.offset),
        expected: "valid JSON",
        found: `a syntax error (${printParseErrorCode(e.error)})`
      }))
    }
  const root = parseTree(text)
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    return {
      ok: false,
      issues: locate(
        [{ path: "", line: undefined, column: undefined, expected: "a JSON object", found: describe(doc) }],
        text,
        root
      )
    }
  const issues: ValidationIssue[] = validateBase(doc) ? [] : fromAjv(validateBase.errors ?? [], "")
  const d = doc as Record<string, unknown>
  issues.push(...checkStage(registry, "dataset", stageAt(d, ["dataset"]), "/dataset"))
  issues.push(...checkStage(registry, "model", stageAt(d, ["model"]), "/model"))
  if (Array.isArray(d.methods))
    d.methods.forEach((m, i) =>
      issues.push(...checkStage(registry, "method", m as Record<string, unknown>, `/methods/${i}`))
    )
  if (d.metrics !== undefined)
    issues.push(...checkStage(registry, "metrics", stageAt(d, ["metrics"]), "/metrics"))
  const plots = stageAt(d, ["report"])?.plots
  if (Array.isArray(plots))
    plots.forEach((p, i) =>
      issues.push(...checkStage(registry, "plot", p as Record<string, unknown>, `/report/plots/${i}`))
    )
  issues.push(...checkSweep(registry, d))
  return issues.length === 0
    ? { ok: true, pipeline: doc as Pipeline }
    : { ok: false, issues: locate(issues, text, root) }
}
