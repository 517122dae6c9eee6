/**
 * The CLI runs from its esbuild bundle (bin/gnlab.js, scripts/bundle.mjs), and what runs is
 * never older than the sources: these tests fail when it would be.
 */
import { spawnSync } from "node:child_process"
import { statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
// @ts-expect-error: a plain ES module script without type declarations
import * as bundle from "../scripts/bundle.mjs"

interface Manifest {
  readonly id: string
  readonly builtAt: number
  readonly node: string
  readonly inputs: ReadonlyArray<string>
}
const { readManifest, staleReasons, entryOf } = bundle as {
  readManifest(): Manifest | undefined
  staleReasons(m?: Manifest): string[]
  entryOf(m: Manifest): string
}

const root = fileURLToPath(new URL("../../..", import.meta.url))
const bin = join(root, "packages/runner/bin/gnlab.js")
const gnlab = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, ...env } })

describe("the gnlab bundle", () => {
  it("is current after gnlab starts: no source it was made from is newer", () => {
    const r = gnlab(["--version"])
    expect(r.status, r.stderr).toBe(0)
    const m = readManifest()
    expect(m).toBeDefined()
    expect(staleReasons(m)).toEqual([])
    for (const input of m!.inputs) expect(statSync(join(root, input)).mtimeMs).toBeLessThanOrEqual(m!.builtAt)
  })

  it("was made from the CLI's own sources, the DSL schema and every workspace package it runs", () => {
    const m = readManifest()!
    for (const f of [
      "packages/runner/src/main.ts",
      "packages/runner/src/cell-worker.ts",
      "packages/compute/src/cpu/worker.ts",
      "packages/compute-tfjs/src/worker/host.ts",
      "packages/pipeline/schema/pipeline.base.schema.json",
      "packages/solvers/src/plugins.ts",
      "packages/report/src/report.ts",
      "package-lock.json"
    ])
      expect(m.inputs).toContain(f)
    // no third-party code is tracked (npm ci rebuilds the bundle), none of it outside the repo
    expect(m.inputs.filter((f) => f.includes("node_modules") || f.startsWith(".."))).toEqual([])
    expect(statSync(entryOf(m)).isFile()).toBe(true)
  })

  it("is stale when a source is newer than the build, or the build is gone", () => {
    const m = readManifest()!
    const newest = Math.max(...m.inputs.map((f) => statSync(join(root, f)).mtimeMs))
    const newestFile = m.inputs.find((f) => statSync(join(root, f)).mtimeMs === newest)!
    expect(staleReasons({ ...m, builtAt: newest - 1 })).toContain(newestFile)
    expect(staleReasons({ ...m, inputs: [...m.inputs, "packages/runner/src/no-such-file.ts"] })).toContain(
      "packages/runner/src/no-such-file.ts (gone)"
    )
    expect(staleReasons({ ...m, id: "no-such-build" })[0]).toMatch(/no-such-build.*gone/)
    expect(staleReasons({ ...m, node: "v0.0.0" })).toEqual(["built for node v0.0.0"])
  })

  it("runs the same commands from the TypeScript sources (GNLAB_FROM_SOURCE=1)", () => {
    const fromBundle = gnlab(["plugins"])
    const fromSource = gnlab(["plugins"], { GNLAB_FROM_SOURCE: "1" })
    expect(fromSource.status, fromSource.stderr).toBe(0)
    expect(fromSource.stdout).toBe(fromBundle.stdout)
  })
})
