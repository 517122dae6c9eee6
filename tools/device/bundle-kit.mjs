// One self-contained ES module of a gnlab entry point for the GPU-check kit (build-kit.sh):
//   node tools/device/bundle-kit.mjs ENTRY.ts OUT.mjs
// Native and Node-binding packages stay outside; CommonJS inside an ES module needs `require`.
// The report (Vega, resvg's native binary) and the dataset commands (DuckDB's native binding)
// are imported on demand by `gnlab report` / `export`, `query`, `compare` only: their root
// modules stay outside — but not `@gnlab/report/plugins` (the plot plugins' declarations, which
// every command registers), which an `--external:@gnlab/report` flag would also exclude.
import { build } from "esbuild"

const [entry, outfile] = process.argv.slice(2)
const onDemand = /^(@gnlab\/report|@gnlab\/dataset|@duckdb\/.*)$/
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  conditions: ["gnlab-source"],
  mainFields: ["module", "main"],
  external: ["webgpu", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"],
  plugins: [
    {
      name: "on-demand",
      setup(b) {
        b.onResolve({ filter: onDemand }, (a) => ({ path: a.path, external: true }))
      }
    }
  ],
  banner: {
    js: "import { createRequire as __gnlabRequire } from 'node:module'; const require = __gnlabRequire(import.meta.url);"
  }
})
