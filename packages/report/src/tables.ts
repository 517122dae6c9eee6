/**
 * The report's tables, as plain rows of text (the HTML and Markdown documents render the
 * same tables): the rate α (Table 1), final losses per sweep point and method, the
 * feature-learning distances when runs record them, every cell's status, and how the
 * results were made (backend, versions, wall time).
 */
import { seedBand } from "@gnlab/metrics"
import type { RateRow } from "./figures.js"
import { paramValue, sweptParams } from "./figures.js"
import { duration, num, paramSymbol, valueText } from "./labels.js"
import type { CellResult, CellState, ResultsFolder } from "./results.js"

/** A table: a title, column names, rows of cells, and an optional note under it. */
export interface Table {
  readonly id: string
  readonly title: string
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
  readonly note?: string
}

const finished = (c: CellResult) => c.state === "converged" || c.state === "maxIter"

/** "2.75e-3 [1.9e-3, 3.9e-3]" */
function band(values: number[], log: boolean): string {
  const b = seedBand(values, log)
  if (b.n === 0) return "—"
  return b.lo === null ? num(b.center) : `${num(b.center)} [${num(b.lo)}, ${num(b.hi)}]`
}

/** Table 1: α per method (and per panel of other swept parameters). */
export function rateTable(rates: ReadonlyArray<RateRow>): Table | undefined {
  if (rates.length === 0) return undefined
  const panels = rates.some((r) => r.panel !== "")
  const figures = new Set(rates.map((r) => r.figure)).size > 1
  return {
    id: "rates",
    title: "Statistical rate α (Table 1)",
    columns: [
      ...(figures ? ["figure"] : []),
      ...(panels ? ["panel"] : []),
      "method",
      "α",
      "95% CI",
      "seeds",
      "N values",
      "paper α"
    ],
    rows: rates.map((r) => [
      ...(figures ? [r.figure] : []),
      ...(panels ? [r.panel] : []),
      r.method,
      r.fit.alpha.toFixed(2),
      r.fit.lo === null ? "— (one seed)" : `[${r.fit.lo.toFixed(2)}, ${r.fit.hi!.toFixed(2)}]`,
      String(r.fit.seeds),
      r.fit.sizes.join(", "),
      r.paper === undefined ? "—" : r.paper.toFixed(2)
    ]),
    note:
      "α is minus the least-squares slope of log test loss against log N, fitted per seed; the table gives the mean of the per-seed slopes" +
      " and its 95% Student-t interval over seeds. The paper's values (τ0 = 1, M = 5 000, up to N = 2 000) are for comparison."
  }
}

/** Group cells by sweep point and method, in the order of cells.json. */
function bySweepPoint(folder: ResultsFolder): Array<{ cells: CellResult[] }> {
  const groups = new Map<string, CellResult[]>()
  for (const c of folder.cells) {
    const key = JSON.stringify([c.entry.point, c.entry.label])
    groups.set(key, [...(groups.get(key) ?? []), c])
  }
  return [...groups.values()].map((cells) => ({ cells }))
}

/** Final train and test losses per sweep point and method (geometric mean and 95% CI over seeds). */
export function finalTable(folder: ResultsFolder): Table {
  const params = sweptParams(folder)
  const rows = bySweepPoint(folder).map(({ cells }) => {
    const c0 = cells[0]
    const done = cells.filter(finished)
    const val = (f: "finalTestLoss" | "finalTrainLoss") =>
      done.map((c) => c.summary?.[f]).filter((v): v is number => typeof v === "number")
    const iters = done.map((c) => c.summary!.iterations)
    const stops = (["converged", "maxIter", "diverged"] as const)
      .map((s) => [s, cells.filter((c) => c.state === s).length] as const)
      .filter(([, k]) => k > 0)
      .map(([s, k]) => `${s === "maxIter" ? "capped" : s} ${k}`)
    return [
      ...params.map((p) => valueText(paramValue(c0, p))),
      c0.entry.label,
      `${done.length}/${cells.length}`,
      band(val("finalTestLoss"), true),
      band(val("finalTrainLoss"), true),
      iters.length === 0
        ? "—"
        : Math.min(...iters) === Math.max(...iters)
          ? String(iters[0])
          : `${Math.min(...iters)}–${Math.max(...iters)}`,
      stops.join(", ") || "—"
    ]
  })
  return {
    id: "final-losses",
    title: "Final losses",
    columns: [
      ...params.map(paramSymbol),
      "method",
      "seeds done",
      "test loss [95% CI]",
      "train loss [95% CI]",
      "updates",
      "stopped"
    ],
    rows,
    note:
      "Losses at the end of training (converged, or at the iteration cap: 'capped'), geometric mean over the finished seeds with the" +
      " 95% Student-t interval on log values; diverged seeds are left out."
  }
}

/** Final feature-learning distances, when the trajectories record them (else no rows and a note why). */
export function featureTable(folder: ResultsFolder): Table {
  const fields = ["teacherDistance", "initDistance"] as const
  const last = (c: CellResult, f: string): number | undefined => {
    for (let i = c.rows.length - 1; i >= 0; i--) {
      const v = (c.rows[i] as unknown as Record<string, unknown>)[f]
      if (typeof v === "number") return v
    }
    return undefined
  }
  const params = sweptParams(folder)
  const base = {
    id: "feature-learning",
    title: "Feature learning at the end of training",
    columns: [...params.map(paramSymbol), "method", "to teacher [95% CI]", "to init [95% CI]"]
  }
  const recorded = folder.cells.some((c) => finished(c) && fields.some((f) => last(c, f) !== undefined))
  if (!recorded)
    return {
      ...base,
      rows: [],
      note:
        "Not available: the distances of the hidden units to the teacher's units and to their initial values are not in these" +
        " trajectories, and a finished cell keeps no weights to compute them from afterwards. They appear here once runs record" +
        " `teacherDistance` and `initDistance` in their rows (@gnlab/metrics `teacherDistance`, `initDistance`)."
    }
  return {
    ...base,
    rows: bySweepPoint(folder)
      .map(({ cells }) => cells.filter(finished))
      .filter((cells) => cells.length > 0)
      .map((cells) => [
        ...params.map((p) => valueText(paramValue(cells[0], p))),
        cells[0].entry.label,
        ...fields.map((f) =>
          band(
            cells.map((c) => last(c, f)).filter((v): v is number => v !== undefined),
            false
          )
        )
      ]),
    note:
      "Mass-weighted cosine distances in [0, 2] (@gnlab/metrics features.ts), mean over the finished seeds with the 95% Student-t" +
      " interval: 0 means every unit that matters points along a teacher unit (to teacher) or has not turned (to init)."
  }
}

/** How a cell's state reads in the table. */
export function stateText(c: CellResult): string {
  const last = c.rows.length > 0 ? c.rows[c.rows.length - 1].iter : undefined
  switch (c.state) {
    case "converged":
      return "converged"
    case "maxIter":
      return "capped (maxIter)"
    case "diverged":
      return "diverged"
    case "failed":
      return `failed: ${c.error ?? "?"}`
    case "partial":
      return last === undefined ? "started" : `running or interrupted (at update ${last})`
    case "pending":
      return "pending"
    case "corrupt":
      return "corrupt (recomputed by the next run)"
  }
}

/** Every cell of the pipeline and where it stands. */
export function cellTable(folder: ResultsFolder): Table {
  const params = sweptParams(folder)
  return {
    id: "cells",
    title: "Cells",
    columns: [
      "cell",
      "method",
      ...params.map(paramSymbol),
      "seed",
      "status",
      "updates",
      "final train",
      "final test",
      "wall",
      "backend"
    ],
    rows: folder.cells.map((c) => [
      c.entry.id.slice(0, 12),
      c.entry.label,
      ...params.map((p) => valueText(c.entry.point[p])),
      String(c.entry.seed),
      stateText(c),
      c.summary !== undefined
        ? String(c.summary.iterations)
        : c.rows.length > 0
          ? `${c.rows[c.rows.length - 1].iter} so far`
          : "—",
      num(c.summary?.finalTrainLoss),
      num(c.summary?.finalTestLoss),
      duration(
        c.summary?.wallSeconds ?? (c.rows.length > 0 ? c.rows[c.rows.length - 1].wallSeconds : undefined)
      ),
      c.summary?.backend ?? valueText((c.config as Record<string, unknown> | undefined)?.backend ?? "—")
    ])
  }
}

/** Counts of cells per state. */
export function stateCounts(folder: ResultsFolder): Record<CellState, number> {
  const out: Record<CellState, number> = {
    converged: 0,
    maxIter: 0,
    diverged: 0,
    failed: 0,
    partial: 0,
    pending: 0,
    corrupt: 0
  }
  for (const c of folder.cells) out[c.state]++
  return out
}

/** One line: "12 cells: 10 converged, 2 capped (maxIter)". */
export function countsLine(folder: ResultsFolder): string {
  const k = stateCounts(folder)
  const names: Record<CellState, string> = {
    converged: "converged",
    maxIter: "capped (maxIter)",
    diverged: "diverged",
    failed: "failed",
    partial: "running or interrupted",
    pending: "pending",
    corrupt: "corrupt"
  }
  const parts = (Object.keys(names) as CellState[]).filter((s) => k[s] > 0).map((s) => `${k[s]} ${names[s]}`)
  return `${folder.cells.length} cells: ${parts.join(", ") || "none"}`
}

/** Backend, versions, wall time. */
export function provenanceTable(
  folder: ResultsFolder,
  tools: Readonly<Record<string, string>>,
  generatedAt: string
): Table {
  const summaries = folder.cells.flatMap((c) => (c.summary === undefined ? [] : [c.summary]))
  const distinct = (xs: Array<string | undefined>) =>
    [...new Set(xs.filter((x): x is string => x !== undefined))].join(", ") || "—"
  const runs = folder.runs
  const runSeconds = runs.reduce((s, r) => s + (r.seconds ?? 0), 0)
  const cellSeconds = summaries.reduce((s, x) => s + x.wallSeconds, 0)
  return {
    id: "provenance",
    title: "How these results were made",
    columns: ["", ""],
    rows: [
      ["pipeline", folder.pipeline.name],
      ["results folder", folder.dir],
      ["cells", countsLine(folder)],
      ["backend", distinct(summaries.map((s) => s.backend))],
      ["gnlab version", distinct(summaries.map((s) => s.gnlabVersion))],
      ["engine", distinct(summaries.map((s) => s.engine))],
      [
        "wall time",
        runs.length === 0
          ? "—"
          : `${duration(runSeconds)} over ${runs.length} run(s) of \`gnlab run\`${runs.some((r) => r.end === null) ? " (one still running or interrupted: counted to its last event)" : ""}`
      ],
      ["compute time", `${duration(cellSeconds)} summed over the finished cells`],
      [
        "report",
        Object.entries(tools)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")
      ],
      ["generated", generatedAt]
    ]
  }
}
