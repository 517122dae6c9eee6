/**
 * The overrides every command that reads a pipeline takes after the file: `key=value` to set a
 * parameter and `-m key=a,b,c` to sweep one (Hydra's multirun), applied after `extends` and
 * before validation (@gnlab/pipeline loadPipeline), so a variant needs no copied file.
 */
import type { PipelineOverrides } from "@gnlab/pipeline"
import { Argument, Flag } from "effect/cli"

/** Trailing `key=value` arguments. */
export const overridesArg = Argument.String("key=value").pipe(
  Argument.withDescription(
    "override a value of the pipeline: model.width=50, methods[GD].maxIter=1e6, method.lr=0.5, seeds=[1,2] (a swept parameter is pinned to the value)"
  ),
  Argument.variadic()
)

/** `-m key=a,b,c`, repeatable. */
export const multirunFlag = Flag.String("multirun").pipe(
  Flag.withAlias("m"),
  Flag.withDescription(
    "sweep a parameter over values, adding or replacing a sweep axis: -m model.width=50,100,200 (repeatable)"
  ),
  Flag.atLeast(0)
)

/** The overrides of a command's parsed arguments. */
export const overridesOf = (f: {
  readonly overrides: ReadonlyArray<string>
  readonly multirun: ReadonlyArray<string>
}): PipelineOverrides => ({ set: f.overrides, multirun: f.multirun })
