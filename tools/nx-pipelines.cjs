// nx project-graph plugin: every pipelines/**/*.json becomes a cached target of the
// "pipelines" project. Inputs: the pipeline file, the files it extends, and the production
// sources of the gnlab packages (the engine that computes it); output: its results folder. `nx run pipelines:<name>`
// reruns a pipeline only when one of those changed, and otherwise restores its results.
const { readdirSync, readFileSync, existsSync } = require("node:fs")
const { dirname, join, relative, resolve } = require("node:path")
const { parse } = require("jsonc-parser")

// a pipeline file (JSON with comments) and the files it extends, the file first (the runner's
// loadPipeline follows the same paths: relative to the file that names them)
function chainOf(root, file, seen = new Set()) {
  const abs = resolve(root, file)
  if (seen.has(abs)) return { docs: [], files: [] } // a cycle: `gnlab validate` reports it
  seen.add(abs)
  const errors = []
  const doc = parse(readFileSync(abs, "utf8"), errors, { allowTrailingComma: true })
  if (errors.length > 0 || typeof doc !== "object" || doc === null) throw new Error(`${file} does not parse`)
  const parents = typeof doc.extends === "string" ? [doc.extends] : Array.isArray(doc.extends) ? doc.extends : []
  const up = parents.map((p) => chainOf(root, relative(root, resolve(dirname(abs), String(p))), seen))
  return { docs: [doc, ...up.flatMap((u) => u.docs)], files: [relative(root, abs), ...up.flatMap((u) => u.files)] }
}

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
      let extended
      try {
        const chain = chainOf(root, file)
        name = chain.docs.find((d) => d.name !== undefined)?.name
        extended = chain.files.slice(1)
      } catch {
        continue // an invalid pipeline: `gnlab validate` reports it
      }
      if (typeof name !== "string") continue
      targets[name] = {
        command: `node packages/runner/bin/gnlab.js run ${file} --out results/${name} --quiet`,
        options: { cwd: "{workspaceRoot}" },
        cache: true,
        inputs: [
          `{workspaceRoot}/${file}`,
          { input: "production", projects: engine },
          { runtime: "node --version" },
          // an edit to a parent changes the pipeline
          ...extended.map((f) => `{workspaceRoot}/${f}`)
        ],
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
