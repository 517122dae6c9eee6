// nx project-graph plugin: every pipelines/**/*.json becomes a cached target of the
// "pipelines" project. Inputs: the pipeline file and the production sources of the gnlab
// packages (the engine that computes it); output: its results folder. `nx run pipelines:<name>`
// reruns a pipeline only when one of those changed, and otherwise restores its results.
const { readdirSync, readFileSync, existsSync } = require("node:fs")
const { join, relative } = require("node:path")

function packageNames(root) {
  const dir = join(root, "packages")
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, "package.json")))
    .map((d) => JSON.parse(readFileSync(join(dir, d, "package.json"), "utf8")).name)
}

module.exports.createNodesV2 = [
  "pipelines/**/*.json",
  (files, _options, context) => {
    const root = context.workspaceRoot
    const engine = packageNames(root)
    const targets = {}
    for (const file of files) {
      if (file.endsWith("pipeline.schema.json")) continue
      let name
      try {
        name = JSON.parse(readFileSync(join(root, file), "utf8")).name
      } catch {
        continue // an invalid pipeline: `gnlab validate` reports it
      }
      if (typeof name !== "string") continue
      targets[name] = {
        command: `node packages/runner/bin/gnlab.js run ${file} --out results/${name} --quiet`,
        options: { cwd: "{workspaceRoot}" },
        cache: true,
        inputs: [`{workspaceRoot}/${file}`, { input: "production", projects: engine }, { runtime: "node --version" }],
        outputs: [`{workspaceRoot}/results/${name}`],
        metadata: { description: `run ${relative("pipelines", file)} into results/${name}` }
      }
    }
    // group targets: `pipelines:cpu` (the CPU-sized figures), `pipelines:theory` (mean-field and flows)
    for (const group of ["cpu", "theory"]) {
      const members = Object.keys(targets).filter((t) => t.startsWith(`${group}-`))
      targets[group] = { executor: "nx:noop", dependsOn: members.map((target) => ({ target, projects: "self" })), cache: false }
    }
    return [[files[0] ?? "pipelines", { projects: { pipelines: { name: "pipelines", root: "pipelines", targets } } }]]
  }
]
