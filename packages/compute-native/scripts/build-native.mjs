// Builds the addon (build/Release/gnlab_native.node) with node-gyp when a BLAS is found, else
// prints one line and exits 0: the CPU backend then uses its TypeScript kernels.
//   npm run build:native -w @gnlab/compute-native            (also the package's install script)
//   node scripts/build-native.mjs --strict                   (exit 1 when a found BLAS fails to build)
// GNLAB_NATIVE=0 skips the build. node-gyp is npm's own (npm_config_node_gyp, set by npm for
// scripts) and builds against the Node headers npm is configured with (nodedir): nothing is
// downloaded.
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { detect } from "./detect-blas.mjs"

const root = fileURLToPath(new URL("..", import.meta.url))
const strict = process.argv.includes("--strict")
const addon = join(root, "build", "Release", "gnlab_native.node")
const say = (line) => console.log(`@gnlab/compute-native: ${line}`)

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    join(root, "..", "..", "node_modules", "node-gyp", "bin", "node-gyp.js")
  ]
  return candidates.find((c) => c !== undefined && existsSync(c))
}

function skip(reason) {
  say(`native kernels not built (${reason}); the CPU backend uses its TypeScript kernels`)
  process.exit(0)
}

function fail(reason, log) {
  if (log) process.stdout.write(log.split("\n").slice(-25).join("\n") + "\n")
  if (strict) {
    say(`build failed: ${reason}`)
    process.exit(1)
  }
  skip(`build failed: ${reason}`)
}

if (process.env.GNLAB_NATIVE === "0") skip("GNLAB_NATIVE=0")
const blas = detect()
if (!blas.found) skip(blas.reason)
const gyp = nodeGyp()
if (gyp === undefined) skip("node-gyp not found (it ships with npm)")

// Node's own headers (include/node next to the node binary, as in Node's release tarballs and
// Debian's nodejs package) unless npm passes its configured nodedir: node-gyp downloads nothing
const prefix = join(dirname(process.execPath), "..")
const nodedir =
  process.env.npm_config_nodedir ?? (existsSync(join(prefix, "include", "node", "common.gypi")) ? prefix : undefined)
const args = [gyp, "rebuild", ...(nodedir !== undefined ? [`--nodedir=${nodedir}`] : [])]
const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", env: process.env })
if (r.status !== 0) {
  rmSync(join(root, "build"), { recursive: true, force: true })
  fail(`node-gyp rebuild exited with ${r.status}`, `${r.stdout ?? ""}${r.stderr ?? ""}`)
}
// load it in a fresh process: a library missing at run time shows here, not in a later test
try {
  execFileSync(process.execPath, ["-e", `require(${JSON.stringify(addon)}).blasInfo()`], { stdio: "pipe" })
} catch (e) {
  rmSync(join(root, "build"), { recursive: true, force: true })
  fail(`the built addon does not load: ${String(e.stderr ?? e.message).split("\n")[0]}`)
}
say(
  `built with ${blas.library} (${blas.reason}); SiLU exp: ${blas.sleef !== undefined && blas.defines.includes("GNLAB_SLEEF") ? `SLEEF (${blas.sleef})` : `polynomial (${blas.sleef ?? "no SLEEF"})`}`
)
