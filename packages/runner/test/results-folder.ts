/** Reading a results folder in tests: finished cells' outcomes and trajectories, without timing. */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

/**
 * Every cell folder's outcome: id → iterations, stop reason, final losses (no wall time).
 * A folder without summary.json throws, unless `finishedOnly` skips it (a run still going).
 */
export const cellOutcomes = (dir: string, options: { readonly finishedOnly?: boolean } = {}) =>
  Object.fromEntries(
    readdirSync(join(dir, "cells"))
      .filter((id) => !options.finishedOnly || existsSync(join(dir, "cells", id, "summary.json")))
      .map((id) => {
        const s = JSON.parse(readFileSync(join(dir, "cells", id, "summary.json"), "utf8"))
        return [
          id,
          {
            iterations: s.iterations,
            stopReason: s.stopReason,
            finalTrainLoss: s.finalTrainLoss,
            finalTestLoss: s.finalTestLoss
          }
        ]
      })
  )

/** Trajectory rows of a cell without wall time. */
export const cellRows = (dir: string, id: string) =>
  readFileSync(join(dir, "cells", id, "trajectory.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const { wallSeconds: _w, ...rest } = JSON.parse(l)
      return rest
    })
