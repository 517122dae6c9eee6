import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../", import.meta.url))

describe("the nx pipelines plugin", () => {
  it("makes every shipped pipeline a cached target with its file and the engine as inputs and its results folder as output", () => {
    const r = spawnSync("npx", ["nx", "show", "project", "pipelines", "--json"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NX_DAEMON: "false" }
    })
    expect(r.status, r.stderr).toBe(0)
    const project = JSON.parse(r.stdout)
    for (const name of [
      "quickstart",
      "cpu-figure1",
      "cpu-figure2",
      "cpu-figure3",
      "cpu-figure4",
      "paper-figure1",
      "paper-figure3",
      "theory-particles",
      "theory-flows"
    ]) {
      const t = project.targets[name]
      expect(t, name).toBeDefined()
      expect(t.cache).toBe(true)
      expect(t.outputs).toEqual([`{workspaceRoot}/results/${name}`])
      expect(t.inputs[0]).toMatch(/^\{workspaceRoot\}\/pipelines\/.*\.json$/)
      expect(t.inputs[1].projects).toEqual(
        expect.arrayContaining(["@gnlab/runner", "@gnlab/solvers", "@gnlab/models"])
      )
      expect(t.options.command).toContain(`--out results/${name}`)
    }
    // a pipeline that extends another is rerun when the other changes
    expect(project.targets["cpu-figure2"].inputs).toContain("{workspaceRoot}/pipelines/paper/figure2.json")
    expect(project.targets.cpu.dependsOn.map((d: { target: string }) => d.target).sort()).toEqual([
      "cpu-figure1",
      "cpu-figure2",
      "cpu-figure3",
      "cpu-figure4",
      "cpu-figure4-sigma"
    ])
    expect(project.targets.theory.dependsOn.map((d: { target: string }) => d.target).sort()).toEqual([
      "theory-flows",
      "theory-particles"
    ])
  })
})
