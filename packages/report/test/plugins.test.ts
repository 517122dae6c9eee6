/** The plot plugins' field lists name only what the metrics write. */
import { trajectoryFields as written } from "@gnlab/metrics"
import { describe, expect, it } from "vitest"
import { trajectoryFields } from "../src/plugins.js"

describe("plot fields", () => {
  it("every plottable trajectory field is one the metrics write in trajectory.jsonl", () => {
    expect(trajectoryFields.filter((f) => !(written as ReadonlyArray<string>).includes(f))).toEqual([])
  })
})
