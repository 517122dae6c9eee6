import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { readRuns } from "../src/results.js"

const dir = mkdtempSync(join(tmpdir(), "gnlab-runs-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const line = (event: string, time: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ event, time, ...extra })

describe("the runs of events.jsonl", () => {
  it("times a finished run to its end and an unfinished one to its last event", () => {
    writeFileSync(
      join(dir, "events.jsonl"),
      [
        line("run-start", "2026-12-02T10:00:00.000Z"),
        line("cell-done", "2026-12-02T10:00:30.000Z"),
        line("run-end", "2026-12-02T10:01:00.000Z", { computed: 1, failed: 0 }),
        line("run-start", "2026-12-02T11:00:00.000Z"),
        line("cell-start", "2026-12-02T11:00:01.000Z"),
        line("cell-done", "2026-12-02T11:02:00.000Z"),
        // interrupted: no run-end; the next run starts
        line("run-start", "2026-12-02T12:00:00.000Z")
      ].join("\n") + "\n"
    )
    const runs = readRuns(dir)
    expect(runs.map((r) => r.seconds)).toEqual([60, 120, null])
    expect(runs.map((r) => r.end)).toEqual(["2026-12-02T10:01:00.000Z", null, null])
    expect(runs[0].computed).toBe(1)
  })
})
