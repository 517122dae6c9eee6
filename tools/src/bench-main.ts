/**
 * `npm run bench [-- --sizes 500x1000,1000x2000,2000x5000 --reps 3 --backends all]`: prints
 * one JSON object with each backend's step timings per size (see docs/performance.md).
 * `--backends all` (the default) is the CPU backend and every tfjs variant available here;
 * otherwise a comma-separated list of `--backend` names (cpu, tfjs:wasm, tfjs:webgpu, …).
 * A size whose GN step would take longer than `--max-step-seconds` (extrapolated from the
 * previous size as N²M) is skipped on that backend and listed under `skipped`.
 */
import { cpuBackend, type ComputeBackend } from "@gnlab/compute"
import { isTfjsVariant, openVariant, tfjsAvailability, type TfjsVariant } from "@gnlab/compute-tfjs"
import { cpus } from "node:os"
import { parseArgs } from "node:util"
import { timeSize, type SizeTiming } from "./bench.js"

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "500x1000,1000x2000,2000x5000" },
    reps: { type: "string", default: "3" },
    backends: { type: "string", default: "all" },
    "max-step-seconds": { type: "string", default: "30" }
  }
})
const sizes = values.sizes.split(",").map((s) => s.split("x").map(Number) as [number, number])
const reps = Number(values.reps)
const maxStep = Number(values["max-step-seconds"])

const log = (line: string) => process.stderr.write(`${line}\n`)

/** The backends to measure and why the others are missing. */
async function selected(): Promise<{ names: string[]; unavailable: { backend: string; reason: string }[] }> {
  const requested = values.backends.split(",").map((s) => s.trim())
  if (!requested.includes("all")) return { names: requested, unavailable: [] }
  const tfjs = await tfjsAvailability()
  return {
    names: ["cpu", ...tfjs.filter((a) => a.available).map((a) => a.backend)],
    unavailable: tfjs.filter((a) => !a.available).map((a) => ({ backend: a.backend, reason: a.reason }))
  }
}

const { names, unavailable } = await selected()
const results = []
for (const name of names) {
  let backend: ComputeBackend = cpuBackend
  let close = async () => {}
  if (name !== "cpu") {
    const variant = name.replace(/^tfjs:/, "")
    if (!isTfjsVariant(variant)) throw new Error(`--backends: unknown backend "${name}"`)
    try {
      const opened = await openVariant(variant as TfjsVariant)
      backend = opened
      close = () => opened.close()
    } catch (e) {
      unavailable.push({ backend: name, reason: e instanceof Error ? e.message : String(e) })
      log(`${name}: unavailable (${e instanceof Error ? e.message : String(e)})`)
      continue
    }
  }
  const timings: SizeTiming[] = []
  const skipped: { N: number; M: number; estimatedGnStepSeconds: number }[] = []
  const failed: { N: number; M: number; error: string }[] = []
  try {
    for (const [n, m] of sizes) {
      const prev = timings[timings.length - 1]
      const estimate = prev === undefined ? 0 : (prev.gnStepSeconds * n * n * m) / (prev.N * prev.N * prev.M)
      if (estimate > maxStep) {
        skipped.push({ N: n, M: m, estimatedGnStepSeconds: estimate })
        log(`${name} N=${n} M=${m}: skipped (a GN step would take ~${estimate.toPrecision(2)} s)`)
        continue
      }
      let r: SizeTiming
      try {
        r = timeSize(n, m, reps, backend)
      } catch (e) {
        // a backend that fails (a device returning garbage) must not hide the others' figures
        const error = e instanceof Error ? e.message : String(e)
        failed.push({ N: n, M: m, error })
        log(`${name} N=${n} M=${m}: failed (${error})`)
        continue
      }
      log(
        `${name} N=${n} M=${m}: GN ${r.gnStepSeconds.toFixed(3)} s/step, GD ${r.gdStepSeconds.toFixed(4)} s/step, Gram ${r.gramGflops.toFixed(2)} GFLOP/s`
      )
      timings.push(r)
    }
  } finally {
    await close()
  }
  results.push({
    backend: backend.info.name,
    precision: backend.info.precision,
    details: backend.info.details,
    sizes: timings,
    skipped,
    failed
  })
}
console.log(
  JSON.stringify(
    { node: process.version, cpu: cpus()[0]?.model, threads: 1, backends: results, unavailable },
    null,
    2
  )
)
