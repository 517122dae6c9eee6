/**
 * The tfjs backend as Effect values: a scoped acquisition (the worker of tfjs:webgpu is
 * terminated when the scope closes) and a Layer providing `Compute`. Failures are the
 * `BackendUnavailable` tagged error of @gnlab/compute, naming the backend and the reason.
 */
import { BackendUnavailable, Compute } from "@gnlab/compute"
import { Effect, Layer, type Scope } from "effect"
import type { TfjsVariant } from "./backend.js"
import { openFirstAvailable, openVariant, tfjsAvailability, type OpenTfjsBackend } from "./discovery.js"
import { EngineUnavailable, firstLine } from "./engines.js"

/** A variant, or "auto": the first available in discovery order. */
export type TfjsChoice = TfjsVariant | "auto"

/** The backend name of a choice ("tfjs", "tfjs:wasm"). */
export const choiceName = (choice: TfjsChoice): string => (choice === "auto" ? "tfjs" : `tfjs:${choice}`)

/** Open a choice: the first available variant for "auto", else that variant. */
export const openChoice = (choice: TfjsChoice): Promise<OpenTfjsBackend> =>
  choice === "auto" ? openFirstAvailable() : openVariant(choice)

/** Acquire a tfjs backend for the current scope (`open` is replaceable for tests). */
export const acquireTfjsBackend = (
  choice: TfjsChoice,
  open: (choice: TfjsChoice) => Promise<OpenTfjsBackend> = openChoice
): Effect.Effect<OpenTfjsBackend, BackendUnavailable, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => open(choice),
      catch: (e) =>
        new BackendUnavailable({
          backend: choiceName(choice),
          reason: e instanceof EngineUnavailable ? e.reason : firstLine(e)
        })
    }),
    (b) => Effect.promise(() => b.close())
  )

/** Layer providing a tfjs backend as the Compute service. */
export const TfjsBackendLive = (choice: TfjsChoice): Layer.Layer<Compute, BackendUnavailable> =>
  Layer.effect(Compute, acquireTfjsBackend(choice))

/** The availability of every tfjs variant (never fails: unavailability is data). */
export const tfjsAvailabilityEffect = Effect.promise(() => tfjsAvailability())
