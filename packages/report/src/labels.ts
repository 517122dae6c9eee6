/**
 * Names of parameters and measured quantities as the paper writes them: symbols for legends
 * and panel headers, symbols with units for axis titles, and number formats for tables.
 */

/** Symbol and axis title of a swept parameter path (stage.param). */
const params: Readonly<Record<string, { readonly symbol: string; readonly axis: string }>> = {
  "dataset.nTrain": { symbol: "N", axis: "N (training points)" },
  "dataset.nTest": { symbol: "N_test", axis: "test points" },
  "dataset.d": { symbol: "d", axis: "d (input dimension)" },
  "dataset.teacherWidth": { symbol: "M*", axis: "M* (teacher units)" },
  "model.width": { symbol: "M", axis: "M (hidden units, or particles)" },
  "model.initStd": { symbol: "τ0", axis: "τ0 (std of the initial hidden weights)" },
  "model.activation": { symbol: "σ", axis: "activation σ" },
  "model.quadrature": { symbol: "quadrature", axis: "quadrature rule of the particles" },
  "method.lr": { symbol: "λ", axis: "λ (step size)" },
  "method.eps0": { symbol: "ε0", axis: "ε0 (damping floor)" },
  "method.eps": { symbol: "ε", axis: "ε (damping)" },
  "method.eta": { symbol: "η", axis: "η" },
  "method.maxIter": { symbol: "K", axis: "K (iteration cap)" },
  "method.tol": { symbol: "tol", axis: "tolerance (relative train loss)" }
}

/** The symbol of a parameter path (τ0, N, M, λ …; the path itself when unknown). */
export const paramSymbol = (path: string): string => params[path]?.symbol ?? path

/** The axis title of a parameter path, with what it counts. */
export const paramAxis = (path: string): string => params[path]?.axis ?? path

/** Legend/axis names of trajectory fields (rows of trajectory.jsonl). */
const fields: Readonly<Record<string, string>> = {
  trainLoss: "train loss L(w)",
  testLoss: "test loss",
  sigmaMin: "σ*(A_w)",
  sigmaMax: "σmax(A_w)",
  cond: "condition number σmax/σ*",
  eps: "damping ε",
  gradNorm: "‖(f − y)/N‖₂",
  distInit: "‖w − w₀‖",
  stepNorm: "step length ‖w_k − w_k−1‖",
  pinvNorm: "‖J†‖_F",
  teacherDistance: "cosine distance to the teacher's units",
  initDistance: "cosine distance to the initial units"
}

/** The name of a trajectory field. */
export const fieldLabel = (field: string): string => fields[field] ?? field

/** Names of summary fields (the `final` and `rate` plots). */
const finals: Readonly<Record<string, string>> = {
  finalTestLoss: "test loss at the end of training",
  finalTrainLoss: "train loss at the end of training",
  iterations: "updates (to convergence or the cap)",
  wallSeconds: "wall time (s)"
}

/** The name of a summary field. */
export const finalLabel = (field: string): string => finals[field] ?? field

/** Short form of a parameter value (numbers as written, others as JSON). */
export const valueText = (v: unknown): string => (typeof v === "string" ? v : (JSON.stringify(v) ?? "—"))

/** "τ0 = 0.5" */
export const paramText = (path: string, v: unknown): string => `${paramSymbol(path)} = ${valueText(v)}`

/** Three significant digits, exponent form for very small or large magnitudes. */
export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return "—"
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞"
  if (x === 0) return "0"
  const a = Math.abs(x)
  return a < 1e-2 || a >= 1e5 ? x.toExponential(digits - 1) : String(Number(x.toPrecision(digits)))
}

/** Seconds as "12 s", "3.4 min", "2.1 h". */
export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return "—"
  return s < 90
    ? `${s.toFixed(s < 10 ? 1 : 0)} s`
    : s < 5400
      ? `${(s / 60).toFixed(1)} min`
      : `${(s / 3600).toFixed(1)} h`
}

/** A categorical palette for series that are not methods (tableau10 without the method colours first). */
export const palette = [
  "#ff7f0e",
  "#9467bd",
  "#17becf",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#1f77b4",
  "#d62728",
  "#2ca02c"
]

/** A sequential palette for k ordered values of a swept parameter (viridis-like, dark to light). */
export function sequentialColors(k: number): string[] {
  const stops = ["#440154", "#3b528b", "#21918c", "#5ec962", "#c8a000"].map((c) =>
    [1, 3, 5].map((j) => parseInt(c.slice(j, j + 2), 16))
  )
  const at = (t: number): string => {
    const x = t * (stops.length - 1)
    const i = Math.min(Math.floor(x), stops.length - 2)
    const f = x - i
    return (
      "#" +
      stops[i]
        .map((v, j) =>
          Math.round(v + f * (stops[i + 1][j] - v))
            .toString(16)
            .padStart(2, "0")
        )
        .join("")
    )
  }
  return k <= 1 ? [at(0.25)] : Array.from({ length: k }, (_, i) => at(i / (k - 1)))
}
