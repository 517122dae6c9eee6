/**
 * `npm run bench [-- --sizes 500x1000,1000x2000,2000x5000 --reps 3]`: prints one JSON
 * object with the CPU backend's step timings per size (see docs/performance.md).
 */
import { cpus } from "node:os"
import { parseArgs } from "node:util"
import { timeSize } from "./bench.js"

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "500x1000,1000x2000,2000x5000" },
    reps: { type: "string", default: "3" }
  }
})
const sizes = values.sizes.split(",").map((s) => s.split("x").map(Number) as [number, number])
const reps = Number(values.reps)
const results = []
for (const [n, m] of sizes) {
  const r = timeSize(n, m, reps)
  process.stderr.write(
    `N=${n} M=${m}: GN ${r.gnStepSeconds.toFixed(3)} s/step, GD ${r.gdStepSeconds.toFixed(4)} s/step, Gram ${r.gramGflops.toFixed(2)} GFLOP/s\n`
  )
  results.push(r)
}
console.log(
  JSON.stringify(
    { backend: "cpu", node: process.version, cpu: cpus()[0]?.model, threads: 1, sizes: results },
    null,
    2
  )
)
