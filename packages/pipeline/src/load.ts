/**
 * Reading a pipeline as the commands see it: the file (JSONC), the files it `extends`, then the
 * command line's overrides (`key=value`) and multirun axes (`-m key=a,b,c`), and only then the
 * validation of the resulting document — so a variant is a few lines or a few words, and every
 * problem, wherever it comes from, gets the same messages, located in the file (and line) or the
 * override that wrote the offending value.
 *
 * Composition rules (docs/pipelines.md, "Variants"):
 * - `"extends": "../paper/figure2.json"` (or a list, merged in order) is relative to the file
 *   that says it; a cycle is an error naming the chain.
 * - objects merge key by key, the child winning; a `null` removes the parent's key;
 * - a stage whose `plugin` differs from the parent's replaces it whole (the parent's params are
 *   another plugin's);
 * - lists (`methods`, `seeds`, sweep values, plots) are replaced whole: edit one method from the
 *   command line with `methods[GD].maxIter=…`.
 */
import { readFileSync } from "node:fs"
import { dirname, isAbsolute, relative, resolve } from "node:path"
import type { Node } from "jsonc-parser"
import type { Pipeline } from "./pipeline.generated.js"
import { propertySchema, schemaProperties, type Registry } from "./registry.js"
import { didYouMean } from "./suggest.js"
import { checkPipelineDocument, parsePipelineText, positionIn, type ValidationIssue } from "./validate.js"

/** What `loadPipeline` applies after `extends`: overrides and multirun axes, as typed. */
export interface PipelineOverrides {
  /** `path=value`: `model.width=50`, `methods[GD].maxIter=1e6`, `seeds=[1,2]` */
  readonly set?: ReadonlyArray<string>
  /** `stage.param=a,b,c`: adds or replaces a sweep axis (Hydra's multirun) */
  readonly multirun?: ReadonlyArray<string>
}

/** A validated, composed pipeline, or its issues (each naming the file or override it is in). */
export type Loaded =
  | {
      readonly ok: true
      readonly pipeline: Pipeline
      /** every file read, the pipeline's own first */
      readonly files: ReadonlyArray<string>
    }
  | { readonly ok: false; readonly issues: ReadonlyArray<ValidationIssue> }

interface Source {
  /** as shown in messages */
  readonly name: string
  readonly text: string
  readonly root: Node
}

type Doc = Record<string, unknown>
type Segment = string | number

const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v)

const issue = (
  source: string,
  path: string,
  expected: string,
  found: string,
  at?: { line: number; column: number }
): ValidationIssue => ({
  source,
  path,
  line: at?.line,
  column: at?.column,
  expected,
  found
})

const pointer = (segments: ReadonlyArray<Segment>): string =>
  segments.map((s) => "/" + String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("")

/** A file name as messages show it: relative to the working directory unless that is longer. */
const shown = (abs: string): string => {
  const rel = relative(process.cwd(), abs)
  return rel.length < abs.length && !rel.startsWith("../../..") ? rel : abs
}

/**
 * Merge a child document over its parent: objects key by key (the child wins, `null` removes
 * the key), a stage naming another plugin replaces the parent's whole, anything else (lists,
 * numbers, strings) is the child's.
 */
export function mergePipelines(parent: unknown, child: unknown): unknown {
  if (!isObject(parent) || !isObject(child)) return structuredClone(child)
  if (typeof parent.plugin === "string" && typeof child.plugin === "string" && parent.plugin !== child.plugin)
    return structuredClone(child)
  const out: Doc = structuredClone(parent)
  for (const [k, v] of Object.entries(child)) {
    if (v === null) delete out[k]
    else out[k] = k in out ? mergePipelines(out[k], v) : structuredClone(v)
  }
  return out
}

/** Read one file and the files it extends: the merged document and its sources, child first. */
function readComposed(
  abs: string,
  chain: ReadonlyArray<string>,
  read: (path: string) => string,
  from: { source: Source; path: string } | undefined
): { ok: true; doc: Doc; sources: Source[]; files: string[] } | { ok: false; issues: ValidationIssue[] } {
  const name = shown(abs)
  const at = from === undefined ? undefined : positionIn(from.source.text, from.source.root, from.path)
  let text: string
  try {
    text = read(abs)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e)
    return {
      ok: false,
      issues: [
        from === undefined
          ? issue(name, "", "a readable pipeline file", `cannot read it (${code})`)
          : issue(
              from.source.name,
              from.path,
              "a readable pipeline file to extend",
              `"${name}" (${code})`,
              at
            )
      ]
    }
  }
  const parsed = parsePipelineText(text)
  if (!parsed.ok) return { ok: false, issues: parsed.issues.map((i) => ({ ...i, source: name })) }
  const source: Source = { name, text, root: parsed.root }
  const { extends: ext, ...own } = parsed.doc
  if (ext === undefined) return { ok: true, doc: own, sources: [source], files: [abs] }
  const parents = typeof ext === "string" ? [ext] : ext
  if (!Array.isArray(parents) || parents.some((p) => typeof p !== "string" || p.length === 0))
    return {
      ok: false,
      issues: [
        issue(
          name,
          "/extends",
          "a pipeline file (a path relative to this file) or a list of them",
          JSON.stringify(ext),
          positionIn(text, parsed.root, "/extends")
        )
      ]
    }
  let merged: unknown = {}
  const sources: Source[] = [source]
  const files: string[] = [abs]
  const issues: ValidationIssue[] = []
  ;(parents as string[]).forEach((p, i) => {
    const at = typeof ext === "string" ? "/extends" : `/extends/${i}`
    const parent = isAbsolute(p) ? p : resolve(dirname(abs), p)
    if (parent === abs || chain.includes(parent)) {
      const cycle = [...chain, abs, parent].slice([...chain, abs].indexOf(parent)).map(shown)
      issues.push(
        issue(
          name,
          at,
          "extends without a cycle",
          `a cycle: ${cycle.join(" → ")}`,
          positionIn(text, parsed.root, at)
        )
      )
      return
    }
    const r = readComposed(parent, [...chain, abs], read, { source, path: at })
    if (!r.ok) {
      issues.push(...r.issues)
      return
    }
    merged = mergePipelines(merged, r.doc)
    // a later parent wins over an earlier one: it is looked at first when locating an issue
    sources.splice(1, 0, ...r.sources)
    files.push(...r.files)
  })
  if (issues.length > 0) return { ok: false, issues }
  return { ok: true, doc: mergePipelines(merged, own) as Doc, sources, files }
}

/** `a.b[c].d` → ["a", "b", {select: "c"}, "d"], or the problem. */
type PathPart = { readonly key: string } | { readonly select: string }

function parsePath(path: string): PathPart[] | string {
  const parts: PathPart[] = []
  const re = /([^.[\]]+)|\[([^\]]*)\]|(\.)/gy
  let expectKey = true
  let m: RegExpExecArray | null
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) {
      if (!expectKey) return `a "." or "[" before "${m[1]}"`
      parts.push({ key: m[1] })
      expectKey = false
    } else if (m[2] !== undefined) {
      if (expectKey && parts.length === 0) return `a name before "[${m[2]}]"`
      if (m[2].length === 0) return "an empty [] selector"
      parts.push({ select: m[2] })
      expectKey = false
    } else {
      if (expectKey) return `a name where "${path}" has "."`
      expectKey = true
    }
    if (re.lastIndex === path.length) break
  }
  if (re.lastIndex !== path.length || parts.length === 0 || expectKey)
    return `a path like model.width or methods[GD].maxIter`
  return parts
}

/** A value as typed: JSON when it parses (numbers, true, null, lists, "quoted"), else the text. */
export function parseOverrideValue(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** `a,b,[1,2],"x,y"` → the items at top-level commas, each parsed as parseOverrideValue. */
export function splitMultirunValues(text: string): unknown[] {
  const items: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === "\\") i++
      else if (c === '"') quoted = false
    } else if (c === '"') quoted = true
    else if (c === "[" || c === "{") depth++
    else if (c === "]" || c === "}") depth--
    else if (c === "," && depth === 0) {
      items.push(text.slice(start, i))
      start = i + 1
    }
  }
  items.push(text.slice(start))
  return items.map((s) => parseOverrideValue(s.trim()))
}

const stageNames = ["dataset", "model", "metrics"] as const
const stageFields: Readonly<Record<string, ReadonlyArray<string>>> = {
  stage: ["plugin", "params"],
  method: ["plugin", "label", "params", "backend"]
}

const methodName = (m: unknown, i: number): string => {
  const s = m as Doc | undefined
  return typeof s?.label === "string" ? s.label : typeof s?.plugin === "string" ? s.plugin : String(i)
}

/** The index a `[selector]` picks in a list: by label, id or plugin, then by position. */
function selectIn(
  list: ReadonlyArray<unknown>,
  sel: string,
  what: string
): { index: number } | { expected: string; found: string } {
  const names = list.map(methodName)
  for (const field of ["label", "id", "plugin"]) {
    const hits = list.flatMap((x, i) => ((x as Doc | undefined)?.[field] === sel ? [i] : []))
    if (hits.length === 1) return { index: hits[0] }
    if (hits.length > 1)
      return {
        expected: `one ${what} (name it by its label: ${hits.map((i) => `[${names[i]}]`).join(", ")})`,
        found: `[${sel}], the ${field} of ${hits.length}`
      }
  }
  if (/^\d+$/.test(sel) && Number(sel) < list.length) return { index: Number(sel) }
  const ci = list.flatMap((x, i) => (names[i].toLowerCase() === sel.toLowerCase() ? [i] : []))
  if (ci.length === 1) return { index: ci[0] }
  return {
    expected: `${what}: ${names.map((n) => `[${n}]`).join(", ")} or an index below ${list.length}`,
    found: `[${sel}]${didYouMean(sel, names)}`
  }
}

/** The sweep path of a stage parameter's pointer (["model","params","width"] → "model.width"). */
const sweepKeyOf = (segs: ReadonlyArray<Segment>): string | undefined => {
  if (segs.length === 3 && (stageNames as ReadonlyArray<Segment>).includes(segs[0]) && segs[1] === "params")
    return `${segs[0]}.${segs[2]}`
  if (segs.length === 4 && segs[0] === "methods" && segs[2] === "params") return `method.${segs[3]}`
  return undefined
}

const sweptPart = (doc: Doc, key: string): "grid" | "zip" | undefined => {
  const sweep = doc.sweep as Doc | undefined
  for (const part of ["grid", "zip"] as const)
    if (isObject(sweep?.[part]) && Array.isArray((sweep[part] as Doc)[key])) return part
  return undefined
}

/**
 * The pointers an override path names in the document (several for `method.lr`: every
 * method whose plugin has `lr`), or what was expected instead.
 */
function targets(
  doc: Doc,
  parts: ReadonlyArray<PathPart>,
  registry: Registry
): { pointers: Segment[][] } | { expected: string; found: string } {
  const head = parts[0]
  if (!("key" in head)) return { expected: "a path starting with a name", found: "a selector" }
  // overrides apply to the resolved pipeline: an extends set here would never be followed
  if (head.key === "extends")
    return { expected: "a value of the pipeline (extends belongs in the file)", found: "extends" }
  const stagePath = (prefix: Segment[], rest: ReadonlyArray<PathPart>, fields: ReadonlyArray<string>) => {
    if (rest.length === 0) return prefix
    const first = rest[0]
    const keys = rest.map((p) => ("key" in p ? p.key : p.select))
    // `model.width` is `model.params.width`, as in sweep paths
    return "key" in first && fields.includes(first.key)
      ? [...prefix, ...keys]
      : [...prefix, "params", ...keys]
  }
  if ((stageNames as ReadonlyArray<string>).includes(head.key))
    return { pointers: [stagePath([head.key], parts.slice(1), stageFields.stage)] }
  if (head.key === "method") {
    // the sweep's notation: every method that has the parameter
    const rest = parts.slice(1)
    const param = rest.length === 1 && "key" in rest[0] ? rest[0].key : undefined
    if (param === undefined)
      return { expected: "method.<param> (every method with that parameter)", found: "a longer path" }
    const methods = Array.isArray(doc.methods) ? doc.methods : []
    const schemas = methods.map((m) => {
      const plugin = (m as Doc | undefined)?.plugin
      return typeof plugin === "string" ? registry.get("method", plugin)?.schema : undefined
    })
    const hits = schemas.flatMap((s, i) =>
      s !== undefined && propertySchema(s, param) !== undefined ? [i] : []
    )
    if (hits.length === 0) {
      const known = [...new Set(schemas.flatMap((s) => (s === undefined ? [] : schemaProperties(s))))]
      return {
        expected: `a parameter of a method plugin (${known.map((k) => `method.${k}`).join(", ")})`,
        found: `"method.${param}"${didYouMean(param, known)}`
      }
    }
    return { pointers: hits.map((i) => ["methods", i, "params", param]) }
  }
  if (head.key === "methods" && parts.length > 1) {
    const sel = parts[1]
    const list = Array.isArray(doc.methods) ? doc.methods : []
    const picked = selectIn(list, "select" in sel ? sel.select : sel.key, "a method")
    if ("expected" in picked) return picked
    return { pointers: [stagePath(["methods", picked.index], parts.slice(2), stageFields.method)] }
  }
  // anything else: keys, and selectors in lists (plots by id) or objects (sweep.grid[model.width])
  const out: Segment[] = []
  let at: unknown = doc
  for (const p of parts) {
    if ("key" in p) out.push(p.key)
    else if (Array.isArray(at)) {
      const picked = selectIn(at, p.select, "an item")
      if ("expected" in picked) return picked
      out.push(picked.index)
    } else out.push(p.select)
    at = (at as Record<Segment, unknown> | undefined)?.[out[out.length - 1]]
  }
  return { pointers: [out] }
}

/** Set a value at a pointer, making the objects on the way; a problem when a list index is out of range. */
function setAt(doc: Doc, segs: ReadonlyArray<Segment>, value: unknown): string | undefined {
  let at: Record<Segment, unknown> = doc
  for (let i = 0; i < segs.length - 1; i++) {
    let next = at[segs[i]]
    if (next === undefined || next === null) {
      next = {}
      at[segs[i]] = next
    }
    if (typeof next !== "object")
      return `${pointer(segs.slice(0, i + 1))} is ${JSON.stringify(next)}, not an object`
    at = next as Record<Segment, unknown>
  }
  at[segs[segs.length - 1]] = value
  return undefined
}

/** Set one column of the zip to a value, keeping the first of the rows that become equal. */
function pinZip(zip: Record<string, unknown[]>, key: string, value: unknown): void {
  zip[key] = zip[key].map(() => value)
  const seen = new Set<string>()
  const keep = zip[key].map((_, i) => {
    const row = JSON.stringify(Object.keys(zip).map((k) => zip[k][i]))
    if (seen.has(row)) return false
    seen.add(row)
    return true
  })
  for (const k of Object.keys(zip)) zip[k] = zip[k].filter((_, i) => keep[i])
}

/**
 * Apply overrides and multirun axes to a (merged) document, in place. Returns the issues of
 * overrides that cannot be applied, and for each applied one the pointers it wrote (to name it
 * in the validation's messages).
 */
export function applyOverrides(
  doc: Doc,
  overrides: PipelineOverrides,
  registry: Registry
): { issues: ValidationIssue[]; written: Array<{ source: string; pointer: string }> } {
  const issues: ValidationIssue[] = []
  const written: Array<{ source: string; pointer: string }> = []
  for (const text of overrides.set ?? []) {
    const source = `override ${text}`
    const eq = text.indexOf("=")
    if (eq <= 0) {
      issues.push(issue(source, "", "key=value (e.g. model.width=50, methods[GD].maxIter=1e6)", `"${text}"`))
      continue
    }
    const parts = parsePath(text.slice(0, eq))
    if (typeof parts === "string") {
      issues.push(issue(source, "", parts, `"${text.slice(0, eq)}"`))
      continue
    }
    const value = parseOverrideValue(text.slice(eq + 1))
    const t = targets(doc, parts, registry)
    if ("expected" in t) {
      issues.push(issue(source, "", t.expected, t.found))
      continue
    }
    for (const segs of t.pointers) {
      const key = sweepKeyOf(segs)
      const part = key === undefined ? undefined : sweptPart(doc, key)
      if (key !== undefined && part !== undefined) {
        if (segs[0] === "methods" && "key" in parts[0] && parts[0].key === "methods") {
          issues.push(
            issue(
              source,
              pointer(["sweep", part, key]),
              `${key}=… (it is swept for every method: pin it with ${key}=V or sweep it with -m ${key}=a,b)`,
              `an override of one method's ${key.slice(7)}`
            )
          )
          break
        }
        // a swept parameter set on the command line: the axis keeps one value (plots stay valid)
        const sweep = (doc.sweep as Doc)[part] as Doc
        if (part === "grid") sweep[key] = [value]
        else pinZip(sweep as Record<string, unknown[]>, key, value)
        written.push({ source, pointer: pointer(["sweep", part, key]) })
        continue
      }
      const problem = setAt(doc, segs, structuredClone(value))
      if (problem !== undefined) issues.push(issue(source, pointer(segs), "a path through objects", problem))
      else written.push({ source, pointer: pointer(segs) })
    }
  }
  for (const text of overrides.multirun ?? []) {
    const source = `override -m ${text}`
    const eq = text.indexOf("=")
    if (eq <= 0) {
      issues.push(issue(source, "", "-m stage.param=a,b,c (e.g. -m model.width=50,100)", `"${text}"`))
      continue
    }
    // model.params.width is model.width, as in sweep paths
    const key = text.slice(0, eq).replace(/^(dataset|model|method|metrics)\.params\./, "$1.")
    if (!/^(dataset|model|method|metrics)\.[A-Za-z][A-Za-z0-9]*$/.test(key)) {
      issues.push(
        issue(
          source,
          "",
          "a parameter to sweep, stage.param (dataset.nTrain, model.width, method.lr …; a method's axis applies to every method)",
          `"${text.slice(0, eq)}"`
        )
      )
      continue
    }
    const values = splitMultirunValues(text.slice(eq + 1))
    const part = sweptPart(doc, key) ?? "grid"
    const problem = setAt(doc, ["sweep", part, key], values)
    if (problem !== undefined)
      issues.push(issue(source, pointer(["sweep", part, key]), "a sweep object", problem))
    else written.push({ source, pointer: pointer(["sweep", part, key]) })
  }
  return { issues, written }
}

const startsWith = (path: string, prefix: string): boolean => path === prefix || path.startsWith(prefix + "/")

/**
 * Read a pipeline file as the commands do: JSONC, `extends` followed (relative to each file;
 * a cycle is an error naming the chain), overrides and multirun axes applied, then validated.
 * Every issue names where its value came from: the override that wrote it, or the file (with
 * line and column) whose text holds it — the pipeline's own file before the files it extends.
 */
export function loadPipeline(
  file: string,
  registry: Registry,
  overrides: PipelineOverrides = {},
  read: (path: string) => string = (p) => readFileSync(p, "utf8")
): Loaded {
  const top = resolve(file)
  const composed = readComposed(top, [], read, undefined)
  if (!composed.ok)
    return {
      ok: false,
      issues: composed.issues.map((i) => (i.source === shown(top) ? { ...i, source: file } : i))
    }
  const doc = composed.doc
  const applied = applyOverrides(doc, overrides, registry)
  if (applied.issues.length > 0) return { ok: false, issues: applied.issues }
  const found = checkPipelineDocument(doc, registry)
  if (found.length === 0) return { ok: true, pipeline: doc as unknown as Pipeline, files: composed.files }
  const sources = composed.sources.map((s) => (s.name === shown(top) ? { ...s, name: file } : s))
  return {
    ok: false,
    issues: found.map((i) => {
      // the override that wrote the value, or something inside it (an unknown field it added)
      const latest = [...applied.written].reverse()
      const by =
        latest.find((w) => startsWith(i.path, w.pointer)) ??
        (i.path === "" ? undefined : latest.find((w) => startsWith(w.pointer, i.path)))
      if (by !== undefined) return { ...i, source: by.source }
      // the deepest value on the issue's path that some file holds, the child's first
      let best: { source: Source; line: number; column: number; depth: number } | undefined
      for (const s of sources) {
        const p = positionIn(s.text, s.root, i.path)
        if (best === undefined || p.depth > best.depth) best = { source: s, ...p }
      }
      return best === undefined ? i : { ...i, source: best.source.name, line: best.line, column: best.column }
    })
  }
}
