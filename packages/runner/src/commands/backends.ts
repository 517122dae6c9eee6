/**
 * `gnlab backends`: which compute backends this machine has, why each other one is not
 * available, and which one `--backend tfjs` picks.
 */
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { listBackends } from "../backends.js"

/** The `backends` subcommand. */
export const backends = Command.make(
  "backends",
  {
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("print {backends: [{backend, available, reason, precision}], tfjs} as JSON"),
      Flag.withDefault(false)
    )
  },
  (f) =>
    Effect.gen(function* () {
      const list = yield* listBackends
      if (f.json) return yield* Console.log(JSON.stringify(list))
      const width = Math.max(...list.backends.map((b) => b.backend.length))
      for (const b of list.backends)
        yield* Console.log(
          `${b.backend.padEnd(width)}  ${b.available ? "available  " : "unavailable"}  ${b.precision}  ${b.reason}`
        )
      yield* Console.log(
        list.tfjs === null
          ? "--backend tfjs: no tfjs backend is available here"
          : `--backend tfjs selects ${list.tfjs} here`
      )
    })
).pipe(
  Command.withDescription("List the compute backends available here (--backend cpu | tfjs | tfjs:VARIANT)")
)
