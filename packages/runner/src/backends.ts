/**
 * Backend selection: `--backend cpu | tfjs | tfjs:<variant>` → a Layer providing `Compute`.
 * `cpu` (the default) is gnlab's float64 CPU backend; `tfjs` takes the first available
 * TensorFlow.js variant (node-gpu, node, webgpu, wasm, cpu); `tfjs:<variant>` forces one and
 * fails with `BackendUnavailable` naming it and the reason. Also: what `gnlab backends`
 * lists, and the float32 defaults and warnings of the tfjs backends.
 */
import { BackendUnavailable, Compute, CpuBackendLive, cpuBackend } from "@gnlab/compute"
import {
  float32Limits,
  isTfjsVariant,
  TfjsBackendLive,
  tfjsAvailability,
  tfjsVariants,
  type TfjsChoice
} from "@gnlab/compute-tfjs"
import { Effect, Layer } from "effect"
import { InvalidArgument } from "./errors.js"
import { oneOf } from "./choices.js"

/** A parsed `--backend` value. */
export type BackendChoice = { readonly kind: "cpu" } | { readonly kind: "tfjs"; readonly variant: TfjsChoice }

/** Every value `--backend` accepts. */
export const backendNames: ReadonlyArray<string> = ["cpu", "tfjs", ...tfjsVariants.map((v) => `tfjs:${v}`)]

/** The name of a choice, as `--backend` spells it. */
export const backendName = (c: BackendChoice): string =>
  c.kind === "cpu" ? "cpu" : c.variant === "auto" ? "tfjs" : `tfjs:${c.variant}`

/** Parse a `--backend` value (InvalidArgument naming the flag and the choices). */
export function parseBackend(value: string, field = "--backend"): BackendChoice {
  const v = value.trim()
  if (v === "cpu") return { kind: "cpu" }
  if (v === "tfjs") return { kind: "tfjs", variant: "auto" }
  if (v.startsWith("tfjs:") && isTfjsVariant(v.slice(5)))
    return { kind: "tfjs", variant: v.slice(5) as TfjsChoice }
  throw new InvalidArgument({ field, problem: oneOf(value, backendNames) })
}

/** The precision of a choice's feature and Gram arithmetic, known before it is opened. */
export const precisionOf = (c: BackendChoice): "float64" | "float32" =>
  c.kind === "cpu" ? "float64" : "float32"

/**
 * The Layer providing `Compute` for a backend (a choice or a `--backend` value). An unknown
 * name or an unavailable backend fails with BackendUnavailable naming it and the reason.
 * tfjs backends are released (worker terminated) when the layer's scope closes.
 */
export function backendLayer(backend: BackendChoice | string): Layer.Layer<Compute, BackendUnavailable> {
  let choice: BackendChoice
  try {
    choice = typeof backend === "string" ? parseBackend(backend) : backend
  } catch (e) {
    return Layer.effect(
      Compute,
      Effect.fail(
        new BackendUnavailable({
          backend: String(backend),
          reason: e instanceof InvalidArgument ? e.problem : String(e)
        })
      )
    )
  }
  return choice.kind === "cpu" ? CpuBackendLive : TfjsBackendLive(choice.variant)
}

/** One row of `gnlab backends`. */
export interface BackendStatus {
  readonly backend: string
  readonly available: boolean
  /** unavailable: why; available: what it runs on */
  readonly reason: string
  readonly precision: "float64" | "float32"
}

/** Every backend with its availability, and the one `--backend tfjs` selects here (if any). */
export const listBackends = Effect.promise(async () => {
  const tfjs = await tfjsAvailability()
  const rows: BackendStatus[] = [
    {
      backend: "cpu",
      available: true,
      precision: "float64",
      reason: Object.entries(cpuBackend.info.details)
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ")
    },
    ...tfjs.map((a) => ({
      backend: a.backend,
      available: a.available,
      reason: a.reason,
      precision: "float32" as const
    }))
  ]
  const auto = tfjs.find((a) => a.available && a.selectable)?.backend ?? null
  return { backends: rows, tfjs: auto }
})

/** Defaults that depend on the backend's precision (see @gnlab/compute-tfjs precision.ts). */
export function precisionDefaults(precision: "float64" | "float32"): { eps0: number; rfCutoff: number } {
  return precision === "float32"
    ? { eps0: float32Limits.eps0, rfCutoff: float32Limits.rfCutoff }
    : { eps0: 1e-7, rfCutoff: 1e-10 }
}

/** Warnings before a float32 run: settings below what float32 can resolve. */
export function precisionWarnings(
  precision: "float64" | "float32",
  cfg: { readonly tol: number; readonly damping: { readonly rule: string; readonly eps0?: number } }
): string[] {
  if (precision !== "float32") return []
  const out: string[] = []
  if (cfg.tol > 0 && cfg.tol < float32Limits.tolFloor)
    out.push(
      `--tol ${cfg.tol} is below what a float32 backend resolves (train loss floor ~1e-14·L0; use tol ≥ ${float32Limits.tolFloor} or --backend cpu): the run may end at --max-iter`
    )
  if (cfg.damping.eps0 !== undefined && cfg.damping.eps0 < float32Limits.eps0)
    out.push(
      `--eps0 ${cfg.damping.eps0} is below the float32 noise of the Gram matrix (default on float32: ${float32Limits.eps0.toExponential(0)}): steps along near-null directions follow rounding`
    )
  return out
}

/** Warning after a float32 run whose recorded σ* / σmax went below what float32 resolves. */
export function precisionAfterRun(
  precision: "float64" | "float32",
  rows: ReadonlyArray<{ readonly sigmaMin: number | null; readonly sigmaMax: number | null }>
): string[] {
  if (precision !== "float32") return []
  let worst = Infinity
  for (const r of rows)
    if (r.sigmaMin !== null && r.sigmaMax !== null && r.sigmaMax > 0)
      worst = Math.min(worst, r.sigmaMin / r.sigmaMax)
  return worst < float32Limits.sigmaRatioFloor
    ? [
        `σ*/σmax reached ${worst.toExponential(1)} (< ${float32Limits.sigmaRatioFloor.toExponential(0)}): on a float32 backend σ* is then rounding-dominated (±1e-7·σmax) — use --backend cpu for σ* measurements`
      ]
    : []
}
