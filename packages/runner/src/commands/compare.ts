/**
 * `gnlab compare A B [--rtol R] [--atol A] [--time-rtol T] [--all] [--json]`: what changed from results
 * folder A to B. Cells pair up by cell id, then by parameters (the resolved config without id
 * and engine version: a rerun by another engine version still pairs); for each pair the
 * relative differences of the final train and test loss, iterations and wall seconds, flagged
 * beyond --rtol (and --atol; wall seconds: --time-rtol), and a changed stop reason; then the cells only B
 * has (added) and only A has (removed). Exit code 0 whatever differs (it is a report, not a
 * test); 2 when A or B is not a results folder or a threshold is not a number ≥ 0.
 */
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { InvalidArgument } from "../errors.js"
import { loadDataset, note, refuse } from "./dataset.js"

const folder = (name: string, what: string) => Argument.String(name).pipe(Argument.withDescription(what))

/** `gnlab compare A B` */
export const compare = Command.make(
  "compare",
  {
    a: folder("a", "the results folder to compare from"),
    b: folder("b", "the results folder to compare to"),
    rtol: Flag.Finite("rtol").pipe(
      Flag.withDescription(
        "flag a loss or iteration count whose relative difference |B − A|/|A| exceeds this (default 1e-6)"
      ),
      Flag.withDefault(1e-6)
    ),
    atol: Flag.Finite("atol").pipe(
      Flag.withDescription(
        "never flag a loss whose absolute difference is below this (default 0; e.g. 1e-20 for losses at rounding level)"
      ),
      Flag.withDefault(0)
    ),
    timeRtol: Flag.Finite("time-rtol").pipe(
      Flag.withDescription("the same for wall seconds, which vary from run to run (default 0.5)"),
      Flag.withDefault(0.5)
    ),
    all: Flag.Boolean("all").pipe(
      Flag.withDescription("list every cell of both folders, not only those that differ"),
      Flag.withDefault(false)
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("print {a, b, rtol, atol, timeRtol, pairs, added, removed} as JSON"),
      Flag.withDefault(false)
    )
  },
  (f) =>
    Effect.gen(function* () {
      for (const [flag, v] of [
        ["--rtol", f.rtol],
        ["--atol", f.atol],
        ["--time-rtol", f.timeRtol]
      ] as const)
        if (!(v >= 0)) return yield* new InvalidArgument({ field: flag, problem: `must be ≥ 0, got ${v}` })
      const lib = yield* loadDataset
      const a = yield* lib.readResults(f.a)
      const b = yield* lib.readResults(f.b)
      const c = lib.compareResults(a, b, { rtol: f.rtol, atol: f.atol, timeRtol: f.timeRtol })
      if (f.json) return yield* Console.log(JSON.stringify(c, null, 2))
      yield* Console.log(lib.formatComparison(c, f.all))
      if (c.pairs.length === 0 && a.cells.length > 0 && b.cells.length > 0)
        yield* note(
          "no cell of A matches one of B, by id or by parameters: are these results of the same pipeline?"
        )
    }).pipe(Effect.catchTags({ NotResultsFolder: (e) => refuse(e.message) }))
).pipe(
  Command.withDescription(
    "What changed between two results folders: cells added and removed, differences of final losses, iterations, wall time"
  )
)
