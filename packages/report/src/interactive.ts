/**
 * The interactive version of a figure, for the HTML page: the same Vega-Lite spec the static
 * PNG/SVG is drawn from, with what only a screen can use added by one pass over it — so the
 * plot plugins stay written once and every plugin (a new one too) gets the same interactions:
 *
 *   legend toggling  a point selection on the colour field bound to the legend, holding the
 *                    series shown (all at first): clicking an entry hides that method (or
 *                    value of `color`), clicking it again shows it; the legend dims hidden ones
 *   zoom and pan     an interval selection bound to the x/y scales of each view (wheel to
 *                    zoom, drag to pan, double-click to reset)
 *   tooltips         the plugins' own tooltips, and on every line that has a tooltip an
 *                    invisible point per recorded row, so hovering a curve anywhere shows the
 *                    cell, seed and value there
 *
 * The static spec is left untouched (the figures for papers do not change); marks are
 * clipped to their panel here only, since a zoomed view would otherwise draw outside it.
 */
import type { TopLevelSpec } from "vega-lite"

type Json = Record<string, unknown>

/** The name of the legend selection: the series shown (a reader hides one by clicking it). */
export const shownParam = "shown"

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v)

/** An encoding's channel definition when it maps a field. */
const fieldOf = (def: unknown): string | undefined =>
  isObject(def) && typeof def.field === "string" ? def.field : undefined

const markOf = (unit: Json): Json =>
  typeof unit.mark === "string" ? { type: unit.mark } : (unit.mark as Json)

/** Every unit (a spec with a mark) of a view, through nested layers, in drawing order. */
function unitsOf(view: Json): Json[] {
  if (Array.isArray(view.layer)) return (view.layer as Json[]).flatMap(unitsOf)
  return view.mark === undefined ? [] : [view]
}

/** The views of a spec: each layered or single-mark spec not inside another layer. */
function viewsOf(spec: Json): Json[] {
  for (const key of ["vconcat", "hconcat", "concat"])
    if (Array.isArray(spec[key])) return (spec[key] as Json[]).flatMap(viewsOf)
  if (isObject(spec.spec)) return viewsOf(spec.spec) // a facet: one view repeated per panel
  return spec.layer !== undefined || spec.mark !== undefined ? [spec] : []
}

/**
 * The interactive spec of a figure: legend toggling, zoom and pan, tooltips along the
 * lines (see the module comment). Pure: returns a new spec.
 */
export function interactiveSpec(spec: TopLevelSpec): TopLevelSpec {
  const out = structuredClone(spec) as unknown as Json
  const views = viewsOf(out)
  // the colour field the legend shows: the first unit's that has a legend
  const colorField = views
    .flatMap(unitsOf)
    .map((u) => (isObject(u.encoding) ? u.encoding.color : undefined))
    .find((c) => fieldOf(c) !== undefined && (!isObject(c) || c.legend !== null))
  const field = fieldOf(colorField)
  // every series starts shown: the legend's domain, else the values in the data
  const domain =
    isObject(colorField) && isObject(colorField.scale) && Array.isArray(colorField.scale.domain)
      ? (colorField.scale.domain as unknown[])
      : [
          ...new Set(
            ((out.data as Json | undefined)?.values as Json[] | undefined)?.map((v) => v[field ?? ""])
          )
        ]
  let legendBound = false
  views.forEach((view, k) => {
    const units = unitsOf(view)
    const hovers: Json[] = []
    for (const unit of units) {
      const mark = markOf(unit)
      if (mark.type !== "text") unit.mark = { ...mark, clip: true }
      const enc = (unit.encoding ?? {}) as Json
      if (field !== undefined && fieldOf(enc.color) === field) {
        // hidden series drawn with opacity 0 (they keep their place: axes do not jump)
        if (enc.opacity === undefined)
          enc.opacity = {
            condition: {
              param: shownParam,
              empty: false,
              value: typeof mark.opacity === "number" ? mark.opacity : 1
            },
            value: 0
          }
        if (!legendBound && isObject(enc.color) && enc.color.legend !== null) {
          legendBound = true
          unit.params = [
            ...((unit.params as unknown[]) ?? []),
            {
              name: shownParam,
              // toggle on every click; no clearing on double-click, which resets the zoom
              select: { type: "point", fields: [field], toggle: "true", clear: false },
              value: domain.map((v) => ({ [field]: v })),
              bind: "legend"
            }
          ]
        }
      }
      if (mark.type === "line" && enc.tooltip !== undefined) hovers.push(unit)
    }
    // zoom and pan on the view's continuous position scales
    const first = units.find((u) => isObject(u.encoding) && (u.encoding.x ?? u.encoding.y) !== undefined)
    if (first !== undefined) {
      const enc = first.encoding as Json
      const continuous = (["x", "y"] as const).filter(
        (c) => isObject(enc[c]) && (enc[c] as Json).type === "quantitative"
      )
      if (continuous.length > 0)
        first.params = [
          ...((first.params as unknown[]) ?? []),
          { name: `zoom${k}`, select: { type: "interval", encodings: continuous }, bind: "scales" }
        ]
    }
    // invisible points on the lines, on top of everything, for tooltips anywhere along a curve
    if (hovers.length > 0) {
      const layered = Array.isArray(view.layer) ? view : undefined
      if (layered !== undefined)
        for (const unit of hovers) {
          const enc = unit.encoding as Json
          ;(layered.layer as Json[]).push({
            ...(unit.transform === undefined ? {} : { transform: unit.transform }),
            mark: { type: "point", filled: true, opacity: 0, clip: true },
            encoding: {
              x: enc.x,
              y: enc.y,
              tooltip: enc.tooltip,
              // no colour (a legend of its own would conflict); a hidden series is not hoverable
              size:
                field !== undefined && fieldOf(enc.color) === field
                  ? { condition: { param: shownParam, empty: false, value: 90 }, value: 0 }
                  : { value: 90 }
            }
          })
        }
    }
  })
  return out as unknown as TopLevelSpec
}
