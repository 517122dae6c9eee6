/**
 * Step timings of a compute backend (the CPU backend by default): seconds per GN and GD
 * update and the GFLOP/s of the Gram assembly, for given (N, M) at d = 10 — the figures
 * `reference.py timing` gives for numpy/OpenBLAS. A benchmark measures; it asserts nothing.
 */
import {
  cpuBackend,
  cpuKernels,
  extremeEigenvalues,
  nativeAddon,
  type ComputeBackend,
  type FeatureKernels
} from "@gnlab/compute"
import { Rng, teacherStudent } from "@gnlab/data-gen"
import {
  augmentInputs,
  finiteWidth,
  initParams,
  jacobianAdjointMul,
  ntkGram,
  type Params
} from "@gnlab/models"
import {
  dampingValue,
  defaultDamping,
  factorDamped,
  descend,
  evaluateAt,
  functionGradient,
  gd,
  gn,
  type Method,
  type Problem,
  type TrainState
} from "@gnlab/solvers"

/** Timings of one size. */
export interface SizeTiming {
  /** the backend's name ("cpu", "tfjs:wasm") */
  readonly backend: string
  readonly N: number
  readonly M: number
  readonly d: number
  readonly reps: number
  /** median seconds of one GN update (Gram, σ* and σmax by Lanczos, Cholesky solve, update, features) */
  readonly gnStepSeconds: number
  /** median seconds of one GD update */
  readonly gdStepSeconds: number
  /** median seconds of the Gram assembly alone */
  readonly gramSeconds: number
  /** the fastest of the reps (less sensitive than the median to other work on the machine) */
  readonly gnStepSecondsMin: number
  readonly gdStepSecondsMin: number
  readonly gramSecondsMin: number
  /** 2·N²·M flop (two symmetric rank-M products, half of each computed) per gramSeconds */
  readonly gramGflops: number
  readonly gnOverGd: number
  /** the CPU backend's kernel provider ("openblas", "typescript"); the backend's name otherwise */
  readonly kernels: string
  /** the most threads one kernel call used (CPU backend), 1 for other backends */
  readonly threads: number
  /** the process's peak resident memory so far (MiB): for one size per process, that size's peak */
  readonly peakRssMiB: number
  /**
   * median seconds of one GD update through the binding's fused step (`gdStep`, native engine,
   * SiLU): z = (f − y)/N, the step, the new residual and loss — what gd.step does; null without it
   */
  readonly gdFusedStepSeconds: number | null
  readonly gdFusedStepSecondsMin: number | null
  /**
   * the machine's floor for a GD step, measured with the same BLAS and threads: the three
   * N × M × D matrix products (X̃Uᵀ at the old and new weights, Ψᵀ diag(z) X̃) by dgemm, plus the
   * SiLU twice (with and without Ψ; features with SiLU minus without); null without the addon
   */
  readonly gdFloor: {
    readonly gemmSeconds: number
    readonly siluSeconds: number
    readonly seconds: number
  } | null
  /** median seconds of the parts of a GN update, timed separately */
  readonly gnPartsSeconds: {
    readonly gram: number
    readonly spectrum: number
    readonly dampedSolve: number
    readonly updateAndFeatures: number
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** Seconds of each of `reps` steps after `warmup` steps. */
function timeSteps<S extends TrainState>(
  method: Method<S>,
  problem: Problem,
  s: S,
  warmup: number,
  reps: number
): number[] {
  for (let i = 0; i < warmup; i++) s = method.step(problem, s).state
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    const t = performance.now()
    s = method.step(problem, s).state
    times.push((performance.now() - t) / 1000)
  }
  return times
}

/**
 * Seconds of `reps` GD updates (after 2) through the binding's fused `gdStep`, doing what gd.step
 * does around it: z = (f − y)/N, the step, the new residual and loss; null when the binding has
 * no fused step (TypeScript engine, other backends).
 */
function timeFusedGd(problem: Problem, params0: Params, lr: number, reps: number): number[] | null {
  const k: FeatureKernels = problem.kernels
  if (k.gdStep === undefined) return null
  const { net, y } = problem
  const n = y.length
  const u = Float64Array.from(params0.u)
  const v = Float64Array.from(params0.v)
  let residual = evaluateAt(problem, { u, v }).residual
  const times: number[] = []
  for (let i = 0; i < reps + 2; i++) {
    const t = performance.now()
    const step = {
      u,
      v,
      omega: net.outputWeights,
      metric: net.metric,
      z: functionGradient(residual),
      lr,
      du: new Float64Array(u.length),
      dv: new Float64Array(v.length),
      f: new Float64Array(n)
    }
    k.gdStep(step)
    residual = step.f.map((fa, a) => fa - y[a])
    let loss = 0
    for (let a = 0; a < n; a++) loss += residual[a] * residual[a]
    if (!Number.isFinite(loss)) throw new Error("fused GD step diverged")
    if (i >= 2) times.push((performance.now() - t) / 1000)
  }
  return times
}

/** The GD step's floor (see SizeTiming.gdFloor), measured with the native addon's dgemm and SiLU. */
function gdFloor(n: number, m: number, dim: number, reps: number): SizeTiming["gdFloor"] {
  const k = nativeAddon()
  if (k === undefined) return null
  let seed = 1
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1
  const x = Float64Array.from({ length: n * dim }, rand)
  const u = Float64Array.from({ length: m * dim }, rand)
  const phi = new Float64Array(n * m)
  const psi = new Float64Array(n * m)
  const g = new Float64Array(m * dim)
  const best = (fn: () => void): number => {
    fn()
    const ts: number[] = []
    for (let i = 0; i < reps; i++) {
      const t = performance.now()
      fn()
      ts.push((performance.now() - t) / 1000)
    }
    return median(ts)
  }
  const zGemm = best(() => k.dgemm(0, 1, n, m, dim, 1, x, dim, u, dim, 0, phi, m))
  const psiGemm = best(() => k.dgemm(1, 0, m, dim, n, 1, psi, m, x, dim, 0, g, dim))
  const withSilu = best(() => k.features(x, n, dim, u, m, 1, phi, psi))
  const withoutSilu = best(() => k.features(x, n, dim, u, m, 0, phi, null))
  const onlyPhi = best(() => k.features(x, n, dim, u, m, 1, phi, null))
  const gemmSeconds = 2 * zGemm + psiGemm
  const siluSeconds = Math.max(0, withSilu - withoutSilu) + Math.max(0, onlyPhi - withoutSilu)
  return { gemmSeconds, siluSeconds, seconds: gemmSeconds + siluSeconds }
}

/** Time GN, GD and the Gram assembly at one size (τ0 = 1, seed 0, as reference.py) on a backend. */
export function timeSize(n: number, m: number, reps = 3, backend: ComputeBackend = cpuBackend): SizeTiming {
  const data = teacherStudent({ seed: 0, nTrain: n, nTest: 10 })
  const net = finiteWidth({ width: m, inputDim: 10, bias: true, activation: "silu" })
  const rng = Rng.stream(0, "init")
  const params0 = initParams(net, 1, (k) => rng.normals(k))
  const kernels = backend.bind(augmentInputs(net, data.xTrain, n), n, net.dim, "silu")
  try {
    const problem: Problem = { net, kernels, y: data.yTrain }
    const gnMethod = gn({ lr: 10, damping: defaultDamping })
    const gnTimes = timeSteps(gnMethod, problem, gnMethod.init(problem, params0), 2, reps)
    const gdMethod = gd({ lr: 10 })
    const gdTimes = timeSteps(gdMethod, problem, gdMethod.init(problem, params0), 2, Math.max(reps, 5))
    const gnStepSeconds = median(gnTimes)
    const gdStepSeconds = median(gdTimes)
    const fusedTimes = timeFusedGd(problem, params0, 10, Math.max(reps, 5))
    // Gram alone, at weights with v ≠ 0 (after one GD step) so both terms are non-trivial
    const s1 = gdMethod.step(problem, gdMethod.init(problem, params0)).state
    const gramTimes: number[] = []
    for (let i = 0; i < reps; i++) {
      const t = performance.now()
      ntkGram(kernels, net, s1.params)
      gramTimes.push((performance.now() - t) / 1000)
    }
    const gramSeconds = median(gramTimes)
    // the parts of a GN update, in the order gn.step runs them
    const parts = {
      gram: [] as number[],
      spectrum: [] as number[],
      dampedSolve: [] as number[],
      updateAndFeatures: [] as number[]
    }
    const clock = (list: number[], t0: number): number => {
      const t1 = performance.now()
      list.push((t1 - t0) / 1000)
      return t1
    }
    let warm = {}
    for (let i = 0; i < reps; i++) {
      let t = performance.now()
      const a = ntkGram(kernels, net, s1.params)
      t = clock(parts.gram, t)
      const spectrum = extremeEigenvalues(a, n, warm)
      warm = { minVector: spectrum.minVector, maxVector: spectrum.maxVector }
      t = clock(parts.spectrum, t)
      const eps = dampingValue(defaultDamping, spectrum.sigmaMin)
      const z = factorDamped(a, n, eps, "gn", spectrum).solve(functionGradient(s1.residual))
      t = clock(parts.dampedSolve, t)
      evaluateAt(problem, descend(s1.params, 10, jacobianAdjointMul(kernels, net, s1.params, z)))
      clock(parts.updateAndFeatures, t)
      kernels.setHidden(s1.params.u)
    }
    const cpu = backend.info.name === "cpu" ? cpuKernels() : undefined
    return {
      backend: backend.info.name,
      kernels: cpu?.provider ?? backend.info.name,
      threads: cpu?.threads ?? 1,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      N: n,
      M: m,
      d: 10,
      reps,
      gnStepSeconds,
      gdStepSeconds,
      gnStepSecondsMin: Math.min(...gnTimes),
      gdStepSecondsMin: Math.min(...gdTimes),
      gramSeconds,
      gramSecondsMin: Math.min(...gramTimes),
      gramGflops: (2 * n * n * m) / gramSeconds / 1e9,
      gnOverGd: gnStepSeconds / gdStepSeconds,
      gdFusedStepSeconds: fusedTimes === null ? null : median(fusedTimes),
      gdFusedStepSecondsMin: fusedTimes === null ? null : Math.min(...fusedTimes),
      gdFloor: backend.info.name === "cpu" ? gdFloor(n, m, net.dim, Math.max(reps, 5)) : null,
      gnPartsSeconds: {
        gram: median(parts.gram),
        spectrum: median(parts.spectrum),
        dampedSolve: median(parts.dampedSolve),
        updateAndFeatures: median(parts.updateAndFeatures)
      }
    }
  } finally {
    kernels.dispose()
  }
}
