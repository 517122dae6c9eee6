/**
 * The training loop, written once for every method: apply `method.step` until a stopping
 * rule fires, yielding one event per state (the initial one included). It is a generator,
 * so callers decide what to record, can pause between steps (to checkpoint or yield to an
 * Effect scheduler) and can resume from a saved state.
 */
import { SingularSystem } from "./gn-direction.js"
import type { Method, Problem, StepDiagnostics, TrainState } from "./problem.js"
import { stopReason, type StopReason, type StopRules } from "./stopping.js"

/**
 * One state of a run: after `state.iter` updates, with the diagnostics of the last update.
 * A `failed` event repeats the last state (with its `failure`) when the step itself threw.
 */
export interface StepEvent<S extends TrainState> {
  readonly state: S
  /** undefined for the initial state */
  readonly diagnostics: StepDiagnostics | undefined
  /** set on the last event of a run */
  readonly stop: StopReason | undefined
}

/**
 * Run `method` from `start` (its `init` output, or a resumed state) until a rule fires.
 * `loss0` is the loss at the initial parameters (the reference of tol and divergence).
 */
export function* trainSteps<S extends TrainState>(
  method: Method<S>,
  problem: Problem,
  start: S,
  loss0: number,
  rules: StopRules
): Generator<StepEvent<S>, StepEvent<S>> {
  let event: StepEvent<S> = {
    state: start,
    diagnostics: undefined,
    stop: stopReason(start.iter, start.loss, loss0, rules, start.failure)
  }
  yield event
  while (event.stop === undefined) {
    let next: { state: S; diagnostics: StepDiagnostics }
    try {
      next = method.step(problem, event.state)
    } catch (e) {
      // a numerical failure is a result (the run ends `failed` at the last state), not a crash
      if (!(e instanceof SingularSystem)) throw e
      const state = { ...event.state, failure: e.message }
      event = { state, diagnostics: undefined, stop: "failed" }
      yield event
      break
    }
    const { state, diagnostics } = next
    event = { state, diagnostics, stop: stopReason(state.iter, state.loss, loss0, rules, state.failure) }
    yield event
  }
  return event
}
