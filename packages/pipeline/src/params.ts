/**
 * One declaration of a plugin's parameters: name, type, range, default, description, unit.
 * From it come the TypeScript type its code receives (`Infer`), the JSON Schema the DSL
 * validates with and fills defaults from (`paramsSchema`), the editor schema, the
 * `gnlab train` flags and the docs/plugins.md table.
 *
 * Why not Effect Schema: the JSON Schema must stay exactly what the DSL validated with
 * before (ajv with `useDefaults`, bare `enum`s, `exclusiveMinimum`, object-level if/then,
 * the same messages) so that validation messages and cell ids do not change, and a few
 * lines of our own give that schema verbatim, where Effect's emitter rewrites it
 * (`anyOf` of literals, `$defs`, no `default` filling). The static type is derived from the
 * same object, so there is still one declaration.
 */
import type { JsonSchema } from "./registry.js"

/** One declared parameter of static type `T`; `Opt` is true when it may be absent after defaults. */
export interface Param<T, Opt extends boolean = boolean> {
  /** the parameter's own JSON Schema (without `default` and `description`, added from below) */
  readonly schema: JsonSchema
  readonly default?: T
  /** required in every stage (without it the stage is refused) */
  readonly required?: boolean
  readonly description?: string
  /** the unit of a number (docs and flag help), e.g. "s" or "points per decade" */
  readonly unit?: string
  /** the `gnlab train` flag, when it is not the kebab-case of the name (e.g. "rf-cutoff") */
  readonly flag?: string
  /** phantom: the static type and whether it may be absent */
  readonly _type?: T
  readonly _optional?: Opt
}

/** Parameter declarations by name. */
export type ParamDecls = { readonly [name: string]: Param<unknown> }

type Present<P extends ParamDecls> = {
  [K in keyof P]: P[K] extends Param<unknown, false> ? K : never
}[keyof P]
type Absent<P extends ParamDecls> = Exclude<keyof P, Present<P>>
type TypeOf<X> = X extends Param<infer T, boolean> ? T : never

/** The params a plugin's code receives: validated, defaults filled in (no casts needed). */
export type Infer<P extends ParamDecls> = {
  readonly [K in Present<P>]: TypeOf<P[K]>
} & { readonly [K in Absent<P>]?: TypeOf<P[K]> }

/** Options every parameter takes. */
interface Common<T> {
  readonly description?: string
  readonly unit?: string
  readonly flag?: string
  readonly default?: T
  readonly required?: boolean
}
interface Range {
  readonly minimum?: number
  readonly exclusiveMinimum?: number
  readonly maximum?: number
  readonly exclusiveMaximum?: number
}

/** Present after defaults when it has a default or is required. */
type Opt<O> = O extends { readonly default: unknown }
  ? false
  : O extends { readonly required: true }
    ? false
    : true

const make = <T, O extends Common<T>>(schema: JsonSchema, o: O): Param<T, Opt<O>> => {
  const { description, unit, flag, required } = o
  return {
    schema,
    ...("default" in o ? { default: o.default } : {}),
    ...(required === true ? { required } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(unit !== undefined ? { unit } : {}),
    ...(flag !== undefined ? { flag } : {})
  }
}
const ranges = (o: Range): JsonSchema => {
  const out: Record<string, unknown> = {}
  for (const k of ["minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"] as const)
    if (o[k] !== undefined) out[k] = o[k]
  return out
}

/** Constructors of parameter declarations. */
export const param = {
  /** A finite number, with an optional range. */
  number: <const O extends Common<number> & Range>(o: O): Param<number, Opt<O>> =>
    make<number, O>({ type: "number", ...ranges(o) }, o),
  /** An integer, with an optional range. */
  integer: <const O extends Common<number> & Range>(o: O): Param<number, Opt<O>> =>
    make<number, O>({ type: "integer", ...ranges(o) }, o),
  boolean: <const O extends Common<boolean>>(o: O): Param<boolean, Opt<O>> =>
    make<boolean, O>({ type: "boolean" }, o),
  string: <const O extends Common<string> & { readonly minLength?: number; readonly pattern?: string }>(
    o: O
  ): Param<string, Opt<O>> =>
    make<string, O>(
      {
        type: "string",
        ...(o.minLength !== undefined ? { minLength: o.minLength } : {}),
        ...(o.pattern !== undefined ? { pattern: o.pattern } : {})
      },
      o
    ),
  /** One of a list of strings. */
  literal: <const V extends string, const O extends Common<NoInfer<V>>>(
    values: ReadonlyArray<V>,
    o: O
  ): Param<V, Opt<O>> => make<V, O>({ enum: [...values] }, o),
  /** An array of `item`s (the item's schema; its default and description are ignored). */
  array: <T, const O extends Common<ReadonlyArray<T>> & { readonly minItems?: number }>(
    item: Param<T>,
    o: O
  ): Param<ReadonlyArray<T>, Opt<O>> =>
    make<ReadonlyArray<T>, O>(
      {
        type: "array",
        items: itemSchema(item),
        ...(o.minItems !== undefined ? { minItems: o.minItems } : {})
      },
      o
    ),
  /** Any JSON Schema, for what the constructors above do not say (`T` is the caller's word). */
  json: <T, const O extends Common<T> = Common<T>>(schema: JsonSchema, o: O): Param<T, Opt<O>> =>
    make<T, O>(schema, o)
}

const itemSchema = (p: Param<unknown>): JsonSchema => ({
  ...p.schema,
  ...(p.description !== undefined ? { description: p.description } : {})
})

/** The JSON Schema of one parameter: its own schema, its default and description. */
export function paramSchema(p: Param<unknown>): JsonSchema {
  return {
    ...p.schema,
    ...(p.default !== undefined ? { default: p.default } : {}),
    ...(p.description !== undefined ? { description: p.description } : {})
  }
}

/**
 * The JSON Schema of a plugin's params: an object of the declared properties, no others,
 * `required` from the declarations, and `extra` (object-level rules such as if/then, e.g.
 * "width unless initFile") merged in.
 */
export function paramsSchema(params: ParamDecls, extra: JsonSchema = {}): JsonSchema {
  const required = Object.entries(params)
    .filter(([, p]) => p.required === true)
    .map(([k]) => k)
  return {
    type: "object",
    additionalProperties: false,
    ...(required.length > 0 ? { required } : {}),
    properties: Object.fromEntries(Object.entries(params).map(([k, p]) => [k, paramSchema(p)])),
    ...extra
  }
}

/** The kebab-case `gnlab train` flag of a parameter (its `flag`, else from its name: nTrain → n-train). */
export const flagName = (name: string, p: Param<unknown>): string =>
  p.flag ?? name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

/** The type of a parameter as the docs show it ("number", "a \| b", "array of …"). */
export function paramType(p: Param<unknown>, sep = " | "): string {
  const s = p.schema
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).join(sep)
  if (s.type === "array") return `array of ${paramType({ schema: s.items as JsonSchema }, sep)}`
  return Array.isArray(s.type) ? (s.type as unknown[]).join(sep) : String(s.type ?? "any")
}

/** The range of a number parameter in words ("> 0", "[1, 1000]"), or "". */
export function paramRange(p: Param<unknown>): string {
  const s = p.schema as Range
  const lo =
    s.exclusiveMinimum !== undefined
      ? `> ${s.exclusiveMinimum}`
      : s.minimum !== undefined
        ? `≥ ${s.minimum}`
        : ""
  const hi =
    s.exclusiveMaximum !== undefined
      ? `< ${s.exclusiveMaximum}`
      : s.maximum !== undefined
        ? `≤ ${s.maximum}`
        : ""
  return [lo, hi].filter((x) => x !== "").join(", ")
}
