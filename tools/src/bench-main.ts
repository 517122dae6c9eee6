/**
 * `npm run bench [-- --sizes 500x1000,1000x2000,2000x5000 --reps 3 --backends all]`: prints
 * one JSON object with each backend's step timings per size (see docs/performance.md).
 * `--backends all` (the default) is the CPU backend and every tfjs variant available here;
 * otherwise a comma-separated list of `--backend` names (cpu, tfjs:wasm, tfjs:webgpu, …).
 * A size whose GN step would take longer than `--max-step-seconds` (extrapolated from the
 * previous size as N²M) is skipped on that backend and listed under `skipped`.
 *
 * CPU backend options: `--kernels auto|native|typescript|both` (which kernel provider; `both`
 * measures the CPU backend once with each) and `--threads T` (the most threads a kernel call
 * uses; default: GNLAB_THREADS, else all cores). `--reference PATH` also runs the numpy
 * reference (`reference.py timing --eigs lanczos`, with OPENBLAS_NUM_THREADS = T) on each size
 * right before gnlab, so both are measured under the same load, and adds `reference` (its medians
 * and other_cpu_fraction) and `comparison` (gnlab / numpy ratios) to the output.
 * `--scaling` adds, per backend, the least-squares exponent of the GN step time in N over the
 * sizes measured (`gnStepExponentInN`).
 */
import {
  cpuBackend,
  cpuKernels,
  useCpuKernels,
  useCpuThreads,
  type ComputeBackend,
  type CpuKernelsChoice
} from "@gnlab/compute"
import { isTfjsVariant, openVariant, tfjsAvailability, type TfjsVariant } from "@gnlab/compute-tfjs"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { timeSize, type SizeTiming } from "./bench.js"

/** A bad flag: one line naming it and the fix, exit 2 — no stack trace. */
function usage(message: string): never {
  process.stderr.write(
    `bench: ${message}\n(npm run bench -- --sizes 500x1000,2000x5000 --reps 3 --backends cpu --kernels native --threads 1)\n`
  )
  process.exit(2)
}

const parsed = (() => {
  try {
    return parseArgs({
      options: {
        sizes: { type: "string", default: "500x1000,1000x2000,2000x5000" },
        reps: { type: "string", default: "3" },
        backends: { type: "string", default: "all" },
        "max-step-seconds": { type: "string", default: "30" },
        kernels: { type: "string", default: "auto" },
        threads: { type: "string" },
        reference: { type: "string" },
        python: { type: "string", default: "/usr/bin/python3" },
        scaling: { type: "boolean", default: false }
      }
    })
  } catch (e) {
    // node:util's message already names the flag ("Unknown option '--methods'")
    return usage(e instanceof Error ? e.message : String(e))
  }
})()
const values = parsed.values
const sizes = values.sizes.split(",").map((s) => {
  const nm = s.split("x").map(Number)
  if (nm.length !== 2 || !nm.every((v) => Number.isInteger(v) && v >= 1))
    usage(`--sizes: expected NxM pairs such as 500x1000,2000x5000, got "${s}"`)
  return nm as [number, number]
})
const reps = Number(values.reps)
if (!(Number.isInteger(reps) && reps >= 1)) usage(`--reps: expected a positive integer, got ${values.reps}`)
const maxStep = Number(values["max-step-seconds"])
if (!(maxStep > 0)) usage(`--max-step-seconds: expected a positive number, got ${values["max-step-seconds"]}`)
const threads = values.threads === undefined ? undefined : Number(values.threads)
if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))
  usage(`--threads: expected a positive integer, got ${values.threads}`)
if (threads !== undefined) useCpuThreads(threads)
const kernelChoices: CpuKernelsChoice[] =
  values.kernels === "both" ? ["native", "typescript"] : [values.kernels as CpuKernelsChoice]
for (const k of kernelChoices)
  if (!["auto", "native", "typescript"].includes(k))
    usage(`--kernels: expected auto, native, typescript or both, got "${values.kernels}"`)

const log = (line: string) => process.stderr.write(`${line}\n`)

/** One size of `reference.py timing`: the medians gnlab is compared with. */
interface ReferenceTiming {
  readonly N: number
  readonly M: number
  readonly openblasThreads: number
  readonly gnStepSeconds: number
  readonly gdStepSeconds: number
  /** the fastest of its reps */
  readonly gnStepSecondsMin: number
  readonly gdStepSecondsMin: number
  readonly gramSeconds: number
  /** 2·N²·M / the gram part of its GN step */
  readonly gramGflops: number
  /** float64 GEMM 2000×5000 @ 5000×2000 measured in the same run */
  readonly gemmGflops: number
  readonly choleskySeconds: number
  /** share of the machine used by other processes while it ran */
  readonly otherCpuFraction: number
}

/** Run the numpy reference on one size (its own process, OPENBLAS_NUM_THREADS = t). */
function reference(path: string, n: number, m: number, t: number): ReferenceTiming | undefined {
  const dir = mkdtempSync(join(tmpdir(), "gnlab-ref-"))
  try {
    const out = join(dir, "timing.json")
    const r = spawnSync(
      values.python,
      [
        path,
        "timing",
        "--sizes",
        `${n}x${m}`,
        "--reps",
        String(Math.max(3, reps)),
        "--eigs",
        "lanczos",
        "--out",
        out
      ],
      {
        encoding: "utf8",
        env: { ...process.env, OPENBLAS_NUM_THREADS: String(t), OMP_NUM_THREADS: String(t) }
      }
    )
    if (r.status !== 0) {
      log(`reference N=${n} M=${m}: failed (${(r.stderr ?? "").trim().split("\n").pop()})`)
      return undefined
    }
    const row = (JSON.parse(readFileSync(out, "utf8")) as { timing: Record<string, unknown>[] }).timing[0]
    const med = (k: string) => (row[k] as { median_s: number }).median_s
    const min = (k: string) => Math.min(...(row[k] as { times_s: number[] }).times_s)
    const gn = row.gn_step_lanczos as { median_s: number; parts_median_s: Record<string, number> }
    const gram = gn.parts_median_s.gram
    return {
      N: n,
      M: m,
      openblasThreads: t,
      gnStepSeconds: gn.median_s,
      gdStepSeconds: med("gd_step"),
      gnStepSecondsMin: min("gn_step_lanczos"),
      gdStepSecondsMin: min("gd_step"),
      gramSeconds: gram,
      gramGflops: (2 * n * n * m) / gram / 1e9,
      gemmGflops: (2 * 2000 * 5000 * 2000) / (row.gemm64_2000x5000x2000_s as number) / 1e9,
      choleskySeconds: med("cholesky_only"),
      otherCpuFraction: row.other_cpu_fraction as number
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Least-squares slope of log t against log N. */
function exponent(points: { N: number; t: number }[]): number | null {
  if (points.length < 2) return null
  const xs = points.map((p) => Math.log(p.N))
  const ys = points.map((p) => Math.log(p.t))
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = ys.reduce((a, b) => a + b, 0) / ys.length
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my)
    sxx += (xs[i] - mx) ** 2
  }
  return sxy / sxx
}

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
// the CPU backend once per kernel provider
type Run = { name: string; kernels: CpuKernelsChoice | undefined }
const runs = names.flatMap((name): Run[] =>
  name === "cpu" ? kernelChoices.map((k) => ({ name, kernels: k })) : [{ name, kernels: undefined }]
)
const referenceTimings = new Map<string, ReferenceTiming>()
const results = []
for (const { name, kernels } of runs) {
  let backend: ComputeBackend = cpuBackend
  let close = async () => {}
  if (kernels !== undefined) {
    try {
      useCpuKernels(kernels)
    } catch (e) {
      unavailable.push({ backend: `cpu (${kernels})`, reason: e instanceof Error ? e.message : String(e) })
      log(`cpu (${kernels}): unavailable (${e instanceof Error ? e.message : String(e)})`)
      continue
    }
  }
  if (name !== "cpu") {
    const variant = name.replace(/^tfjs:/, "")
    if (!isTfjsVariant(variant))
      usage(
        `--backends: unknown backend "${name}" (cpu, tfjs:wasm, tfjs:cpu, tfjs:webgpu, tfjs:node, tfjs:node-gpu, or all)`
      )
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
  const label = name === "cpu" ? `cpu (${cpuKernels().provider})` : name
  const timings: SizeTiming[] = []
  const skipped: { N: number; M: number; estimatedGnStepSeconds: number }[] = []
  const failed: { N: number; M: number; error: string }[] = []
  try {
    for (const [n, m] of sizes) {
      const prev = timings[timings.length - 1]
      const estimate = prev === undefined ? 0 : (prev.gnStepSeconds * n * n * m) / (prev.N * prev.N * prev.M)
      if (estimate > maxStep) {
        skipped.push({ N: n, M: m, estimatedGnStepSeconds: estimate })
        log(`${label} N=${n} M=${m}: skipped (a GN step would take ~${estimate.toPrecision(2)} s)`)
        continue
      }
      const key = `${n}x${m}`
      if (values.reference !== undefined && !referenceTimings.has(key)) {
        const t = threads ?? (Number(process.env.GNLAB_THREADS) || availableParallelism())
        // relative to where `npm run` was invoked (npm runs this script in tools/)
        const ref = reference(resolve(process.env.INIT_CWD ?? process.cwd(), values.reference), n, m, t)
        if (ref !== undefined) {
          referenceTimings.set(key, ref)
          log(
            `numpy (${t} OpenBLAS threads) N=${n} M=${m}: GN ${ref.gnStepSeconds.toFixed(3)} s/step, GD ${ref.gdStepSeconds.toFixed(4)} s/step, Gram ${ref.gramGflops.toFixed(1)} GFLOP/s, GEMM ${ref.gemmGflops.toFixed(1)} GFLOP/s, other CPU ${(100 * ref.otherCpuFraction).toFixed(0)}%`
          )
        }
      }
      let r: SizeTiming
      try {
        r = timeSize(n, m, reps, backend)
      } catch (e) {
        // a backend that fails (a device returning garbage) must not hide the others' figures
        const error = e instanceof Error ? e.message : String(e)
        failed.push({ N: n, M: m, error })
        log(`${label} N=${n} M=${m}: failed (${error})`)
        continue
      }
      const fused =
        r.gdFusedStepSeconds === null ? "" : `, GD fused ${r.gdFusedStepSeconds.toFixed(4)} s/step`
      const floor =
        r.gdFloor === null
          ? ""
          : ` (floor ${r.gdFloor.seconds.toFixed(4)} s = GEMM ${r.gdFloor.gemmSeconds.toFixed(4)} + SiLU ${r.gdFloor.siluSeconds.toFixed(4)})`
      log(
        `${label} N=${n} M=${m}: GN ${r.gnStepSeconds.toFixed(3)} s/step, GD ${r.gdStepSeconds.toFixed(4)} s/step${fused}${floor}, Gram ${r.gramGflops.toFixed(2)} GFLOP/s, ${r.threads} thread(s), peak RSS ${r.peakRssMiB.toFixed(0)} MiB`
      )
      timings.push(r)
    }
  } finally {
    await close()
  }
  results.push({
    backend: backend.info.name,
    kernels: timings[0]?.kernels ?? (name === "cpu" ? cpuKernels().provider : name),
    precision: backend.info.precision,
    details: backend.info.details,
    sizes: timings,
    skipped,
    failed,
    ...(values.scaling
      ? { gnStepExponentInN: exponent(timings.map((t) => ({ N: t.N, t: t.gnStepSeconds }))) }
      : {})
  })
}
const comparison = results.flatMap((b) =>
  b.sizes.flatMap((t) => {
    const ref = referenceTimings.get(`${t.N}x${t.M}`)
    return ref === undefined
      ? []
      : [
          {
            backend: b.backend,
            kernels: b.kernels,
            N: t.N,
            M: t.M,
            gnOverNumpy: t.gnStepSeconds / ref.gnStepSeconds,
            gdOverNumpy: t.gdStepSeconds / ref.gdStepSeconds,
            gnOverNumpyMin: t.gnStepSecondsMin / ref.gnStepSecondsMin,
            gdOverNumpyMin: t.gdStepSecondsMin / ref.gdStepSecondsMin,
            gdFusedOverNumpy: t.gdFusedStepSeconds === null ? null : t.gdFusedStepSeconds / ref.gdStepSeconds,
            gdFusedOverNumpyMin:
              t.gdFusedStepSecondsMin === null ? null : t.gdFusedStepSecondsMin / ref.gdStepSecondsMin,
            gdFloorOverNumpy: t.gdFloor === null ? null : t.gdFloor.seconds / ref.gdStepSeconds,
            gramOverNumpyGemm: t.gramGflops / ref.gemmGflops,
            otherCpuFraction: ref.otherCpuFraction
          }
        ]
  })
)
console.log(
  JSON.stringify(
    {
      node: process.version,
      cpu: cpus()[0]?.model,
      cores: availableParallelism(),
      threads: threads ?? (Number(process.env.GNLAB_THREADS) || availableParallelism()),
      loadAverage: loadavg(),
      date: new Date().toISOString(),
      backends: results,
      unavailable,
      ...(values.reference !== undefined ? { reference: [...referenceTimings.values()], comparison } : {})
    },
    null,
    2
  )
)
