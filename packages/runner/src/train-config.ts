/**
 * The resolved configuration of one training run, and its validation from raw flag values.
 * Validation is pure and collects nothing partial: the first problem is an InvalidArgument
 * naming the flag and the fix, before anything is computed or written.
 */
import { activationIds, isActivationId, type ActivationId } from "@gnlab/compute"
import { quadratureIds, sobolMaxDim, type QuadratureId } from "@gnlab/models"
import {
  defaultFlowMuH,
  defaultRosenbrockGdSteps,
  flowTimeGrid,
  gdTimeGrid,
  hessianChoices,
  type Damping,
  type HessianChoice
} from "@gnlab/solvers"
import { InvalidArgument } from "./errors.js"

export const methodIds = ["gn", "gd", "rf", "gn-flow", "gradient-flow"] as const
export type MethodId = (typeof methodIds)[number]
/** The discrete methods (a learning rate, an update cap). */
export type DiscreteMethodId = "gn" | "gd" | "rf"
/** The continuous-time flows (integrated to --t-end, recorded on a log grid of t). */
export const isFlowMethod = (m: MethodId): m is "gn-flow" | "gradient-flow" =>
  m === "gn-flow" || m === "gradient-flow"

export const modelIds = ["finite", "mean-field"] as const
export type ModelId = (typeof modelIds)[number]

/** Decades of flow time below --t-end that a flow's output grid covers. */
export const flowGridDecades = 4
/** Default relative tolerance of the flows' ODE solver (absolute tolerance: 1e-3 × it). */
export const defaultOdeRtol = 1e-7

/** Everything that defines a run (recorded in summary.json). */
export interface TrainConfig {
  readonly method: MethodId
  readonly nTrain: number
  readonly width: number
  readonly initStd: number
  readonly seed: number
  readonly d: number
  readonly nTest: number
  readonly activation: ActivationId
  readonly bias: boolean
  /** "finite" (eq. 4) or "mean-field" (eq. 5 by particle quadrature) */
  readonly model: ModelId
  /** the mean-field quadrature rule (null for the finite model) */
  readonly quadrature: QuadratureId | null
  /** learning rate (null for the flows) */
  readonly lr: number | null
  /** flows: the horizon T, H of eq. 3 (gn-flow), the ODE's relative tolerance; null otherwise */
  readonly tEnd: number | null
  readonly hessian: HessianChoice | null
  readonly odeRtol: number | null
  /** gradient-flow: its integrator, Rosenbrock's tolerances, and the GD cap it emulates (null otherwise) */
  readonly integrator: "dopri5" | "rosenbrock" | null
  readonly rtol: number | null
  readonly atol: number | null
  readonly gdSteps: number | null
  readonly gramReuse: number | null
  readonly tol: number
  readonly maxIter: number
  readonly damping: Damping
  /** RF pseudo-inverse relative cut-off */
  readonly rfCutoff: number
  /** points per decade of the trajectory's log grid, and of the test-loss grid */
  readonly recordPerDecade: number
  readonly testPerDecade: number
  readonly dataFile: string | undefined
  readonly initFile: string | undefined
}

/** Raw flag values as parsed by the CLI (undefined: not given). */
export interface TrainFlags {
  readonly method: string
  readonly nTrain?: number
  readonly width?: number
  readonly initStd: number
  readonly seed: number
  /** undefined: not given (10, or the --data file's) */
  readonly d?: number
  readonly nTest: number
  readonly activation: string
  readonly noBias: boolean
  readonly model?: string
  readonly quadrature?: string
  readonly lr?: number
  readonly tEnd?: number
  readonly hessian?: string
  readonly odeRtol?: number
  readonly integrator?: string
  readonly rtol?: number
  readonly atol?: number
  readonly gdSteps?: number
  readonly gramReuse?: number
  readonly tol: number
  readonly maxIter?: number
  /** default: theory for gn-flow, max-sigma-min otherwise */
  readonly damping?: string
  readonly eps0: number
  readonly eps?: number
  readonly eta?: number
  /** default: λ_min(H) for gn-flow (1/N with --hessian loss), 1 otherwise */
  readonly muH?: number
  readonly rfCutoff: number
  readonly recordPerDecade: number
  readonly testPerDecade: number
  readonly data?: string
  readonly init?: string
}

/** Default update caps: GD is slow to converge (the paper runs up to 10⁷). */
export const defaultMaxIter: Record<DiscreteMethodId, number> = { gd: 100_000, gn: 10_000, rf: 1_000 }
/** Default learning rates (the authors': 10; RF refinement 100). */
export const defaultLr: Record<DiscreteMethodId, number> = { gd: 10, gn: 10, rf: 100 }

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
  return d[a.length][b.length]
}

/** "one of a, b, c" plus a suggestion when `got` is close to one of them. */
export function oneOf(got: string, choices: ReadonlyArray<string>): string {
  const best = [...choices].sort((x, y) => editDistance(got, x) - editDistance(got, y))[0]
  const hint = best !== undefined && editDistance(got, best) <= 2 ? ` (did you mean "${best}"?)` : ""
  return `expected one of ${choices.join(", ")}, got "${got}"${hint}`
}

const fail = (field: string, problem: string): never => {
  throw new InvalidArgument({ field, problem })
}
const positiveInt = (field: string, v: number | undefined): number =>
  v !== undefined && Number.isInteger(v) && v > 0 ? v : fail(field, `must be a positive integer, got ${v}`)
const nonNegative = (field: string, v: number): number =>
  Number.isFinite(v) && v >= 0 ? v : fail(field, `must be a finite number ≥ 0, got ${v}`)
const positive = (field: string, v: number): number =>
  Number.isFinite(v) && v > 0 ? v : fail(field, `must be a finite number > 0, got ${v}`)
/** Points per decade beyond this would make grids of billions of points (a V8 fatal error). */
export const maxPerDecade = 1000
const atMost = (field: string, v: number): number =>
  v <= maxPerDecade ? v : fail(field, `must be at most ${maxPerDecade} points per decade, got ${v}`)

/** --model and --quadrature: the finite network, or the mean-field one with its rule (default mc). */
function resolveModel(
  f: TrainFlags,
  d: number,
  initFile: boolean
): { model: ModelId; quadrature: QuadratureId | null } {
  const model = f.model ?? "finite"
  if (!(modelIds as ReadonlyArray<string>).includes(model)) return fail("--model", oneOf(model, modelIds))
  if (model === "finite")
    return f.quadrature === undefined
      ? { model, quadrature: null }
      : fail("--quadrature", "is only used with --model mean-field; drop it or add --model mean-field")
  if (initFile)
    fail(
      "--init",
      "is not used by --model mean-field (its particles come from --quadrature); drop --init or use --model finite"
    )
  const quadrature = f.quadrature ?? "mc"
  if (!(quadratureIds as ReadonlyArray<string>).includes(quadrature))
    return fail("--quadrature", oneOf(quadrature, quadratureIds))
  const dim = d + (f.noBias ? 0 : 1)
  if (quadrature === "rqmc" && dim > sobolMaxDim)
    fail(
      "--quadrature",
      `rqmc has Sobol direction numbers for D ≤ ${sobolMaxDim} input dimensions (bias included), got D = ${dim}; use --quadrature mc or a smaller --d`
    )
  return { model: "mean-field", quadrature: quadrature as QuadratureId }
}

/** The gradient flow's --integrator, --rtol/--atol (Rosenbrock only) and --gd-steps. */
function resolveGradientFlow(
  method: MethodId,
  f: TrainFlags
): Pick<TrainConfig, "integrator" | "rtol" | "atol" | "gdSteps" | "gramReuse"> {
  const only = (flag: string) =>
    fail(flag, "is only used by --method gradient-flow; drop it or use --method gradient-flow")
  if (method !== "gradient-flow") {
    if (f.integrator !== undefined) only("--integrator")
    if (f.rtol !== undefined) only("--rtol")
    if (f.atol !== undefined) only("--atol")
    if (f.gdSteps !== undefined) only("--gd-steps")
    if (f.gramReuse !== undefined) only("--gram-reuse")
    return { integrator: null, rtol: null, atol: null, gdSteps: null, gramReuse: null }
  }
  const integrators = ["dopri5", "rosenbrock"] as const
  const integrator = f.integrator ?? "dopri5"
  if (!(integrators as ReadonlyArray<string>).includes(integrator))
    return fail("--integrator", oneOf(integrator, integrators))
  const rosenbrock = integrator === "rosenbrock"
  if (!rosenbrock && (f.rtol !== undefined || f.atol !== undefined || f.gramReuse !== undefined))
    fail(
      f.rtol !== undefined ? "--rtol" : f.atol !== undefined ? "--atol" : "--gram-reuse",
      "sets the Rosenbrock integrator's tolerance; add --integrator rosenbrock (dopri5's is --ode-rtol)"
    )
  if (rosenbrock && f.odeRtol !== undefined)
    fail("--ode-rtol", "is dopri5's tolerance; with --integrator rosenbrock use --rtol and --atol")
  const rtol =
    f.rtol === undefined
      ? rosenbrock
        ? 1e-4
        : null
      : f.rtol > 0 && f.rtol < 1
        ? f.rtol
        : fail("--rtol", `must be in (0, 1), got ${f.rtol}`)
  const atol =
    f.atol === undefined
      ? rtol
      : f.atol >= 0 && f.atol <= 1
        ? f.atol
        : fail("--atol", `must be in [0, 1], got ${f.atol}`)
  const gramReuse =
    f.gramReuse === undefined
      ? rosenbrock
        ? 1
        : null
      : Number.isInteger(f.gramReuse) && f.gramReuse >= 1 && f.gramReuse <= 1000
        ? f.gramReuse
        : fail("--gram-reuse", `must be an integer in [1, 1000], got ${f.gramReuse}`)
  const gdSteps =
    f.gdSteps === undefined
      ? null
      : Number.isInteger(f.gdSteps) && f.gdSteps >= 1 && f.gdSteps <= 1e12
        ? f.gdSteps
        : fail("--gd-steps", `must be an integer in [1, 1e12], got ${f.gdSteps}`)
  return { integrator: integrator as "dopri5" | "rosenbrock", rtol, atol, gdSteps, gramReuse }
}

/**
 * Resolve flags into a TrainConfig (throws InvalidArgument). Width and N may come from
 * --init / --data files; `fromFiles` gives their sizes so disagreements are reported.
 */
export function resolveTrainConfig(
  f: TrainFlags,
  fromFiles: {
    readonly nTrain?: number
    readonly d?: number
    readonly width?: number
    readonly initD?: number
    readonly hasBias?: boolean
    readonly nTest?: number
  } = {}
): TrainConfig {
  const method = (methodIds as ReadonlyArray<string>).includes(f.method)
    ? (f.method as MethodId)
    : fail("--method", oneOf(f.method, methodIds))
  const activation = isActivationId(f.activation)
    ? f.activation
    : fail("--activation", oneOf(f.activation, activationIds))
  const d = fromFiles.d ?? positiveInt("--d", f.d ?? 10)
  // whether --d was given, not whether it differs from its default: --d 10 against d = 3 data is an error
  if (fromFiles.d !== undefined && f.d !== undefined && f.d !== fromFiles.d)
    fail("--d", `is ${f.d} but the rows of --data have ${fromFiles.d} numbers; drop --d or make them agree`)
  const nTrain =
    fromFiles.nTrain !== undefined
      ? f.nTrain !== undefined && f.nTrain !== fromFiles.nTrain
        ? fail(
            "--n-train",
            `is ${f.nTrain} but --data has ${fromFiles.nTrain} train points; drop --n-train or make them agree`
          )
        : fromFiles.nTrain
      : positiveInt("--n-train", f.nTrain)
  const width =
    fromFiles.width !== undefined
      ? f.width !== undefined && f.width !== fromFiles.width
        ? fail(
            "--width",
            `is ${f.width} but --init has ${fromFiles.width} hidden units; drop --width or make them agree`
          )
        : fromFiles.width
      : positiveInt("--width", f.width)
  if (fromFiles.initD !== undefined && fromFiles.initD !== d)
    fail("--init", `hiddenWeights rows have ${fromFiles.initD} numbers but the data have d = ${d}`)
  if (fromFiles.hasBias === true && f.noBias)
    fail("--no-bias", "the --init file has hiddenBias; drop --no-bias or remove hiddenBias from the file")
  const flow = isFlowMethod(method)
  const { model, quadrature } = resolveModel(f, d, fromFiles.width !== undefined)
  const hessian: HessianChoice | null =
    method === "gn-flow"
      ? f.hessian === undefined
        ? "loss"
        : (hessianChoices as ReadonlyArray<string>).includes(f.hessian)
          ? (f.hessian as HessianChoice)
          : fail("--hessian", oneOf(f.hessian, hessianChoices))
      : f.hessian === undefined
        ? null
        : fail("--hessian", `is only used by --method gn-flow; drop it or use --method gn-flow`)
  // gn-flow: the theory's damping with η = 0.5 and μ_H = λ_min(H) by default (Prop. 3's rate)
  const dampingRule = f.damping ?? (method === "gn-flow" ? "theory" : "max-sigma-min")
  const damping: Damping =
    dampingRule === "max-sigma-min"
      ? { rule: "max-sigma-min", eps0: nonNegative("--eps0", f.eps0) }
      : dampingRule === "fixed"
        ? {
            rule: "fixed",
            eps:
              f.eps === undefined
                ? fail("--eps", "is required with --damping fixed")
                : positive("--eps", f.eps)
          }
        : dampingRule === "theory"
          ? {
              rule: "theory",
              eta:
                method === "gn-flow" && f.eta === undefined
                  ? 0.5
                  : f.eta === undefined || !(f.eta > 0 && f.eta < 1)
                    ? fail("--eta", `must be in (0, 1) with --damping theory, got ${f.eta}`)
                    : f.eta,
              muH:
                f.muH !== undefined
                  ? positive("--mu-h", f.muH)
                  : hessian !== null
                    ? defaultFlowMuH(hessian, nTrain)
                    : 1
            }
          : fail("--damping", oneOf(dampingRule, ["max-sigma-min", "fixed", "theory"]))
  if (method === "gn-flow" && f.lr !== undefined)
    fail("--lr", `--method ${method} is a flow and has no learning rate; drop --lr (its horizon is --t-end)`)
  const { integrator, rtol, atol, gdSteps, gramReuse } = resolveGradientFlow(method, f)
  if (gdSteps !== null && f.tEnd !== undefined)
    fail("--t-end", "and --gd-steps both set the horizon; give one (t_end = λ·gd-steps)")
  const tEnd = flow
    ? f.tEnd === undefined
      ? gdSteps !== null || integrator === "rosenbrock"
        ? null
        : fail(
            "--t-end",
            `is required with --method ${method}: the flow time T > 0 to integrate to${method === "gradient-flow" ? " (or --gd-steps K for t = λK)" : ""}`
          )
      : positive("--t-end", f.tEnd)
    : f.tEnd === undefined
      ? null
      : fail("--t-end", "is only used by --method gn-flow or gradient-flow; drop it or choose a flow")
  const odeRtol =
    flow && integrator !== "rosenbrock"
      ? f.odeRtol === undefined
        ? defaultOdeRtol
        : f.odeRtol > 0 && f.odeRtol < 1
          ? f.odeRtol
          : fail("--ode-rtol", `must be in (0, 1), got ${f.odeRtol}`)
      : f.odeRtol === undefined
        ? null
        : fail("--ode-rtol", "is only used by --method gn-flow or gradient-flow; drop it or choose a flow")
  if (!Number.isInteger(f.seed) || f.seed < 0 || f.seed > 0xffffffff)
    fail("--seed", `must be an integer in [0, 4294967295], got ${f.seed}`)
  const recordPerDecade = atMost("--record-per-decade", positive("--record-per-decade", f.recordPerDecade))
  const givenMaxIter =
    f.maxIter === undefined
      ? undefined
      : Number.isInteger(f.maxIter) && f.maxIter >= 0
        ? f.maxIter
        : fail("--max-iter", `must be an integer ≥ 0, got ${f.maxIter}`)
  // a flow's iterations are its output points: it ends at t_end, or after --max-iter of them
  const gridLength =
    gdSteps !== null || (integrator === "rosenbrock" && tEnd === null)
      ? gdTimeGrid(f.lr ?? 10, gdSteps ?? defaultRosenbrockGdSteps, recordPerDecade).length
      : flowTimeGrid(tEnd ?? 1, recordPerDecade, flowGridDecades).length
  const maxIter = isFlowMethod(method)
    ? Math.min(givenMaxIter ?? Infinity, gridLength)
    : (givenMaxIter ?? defaultMaxIter[method])
  return {
    method,
    nTrain,
    width,
    initStd: fromFiles.width !== undefined ? f.initStd : positive("--init-std", f.initStd),
    seed: f.seed,
    d,
    // the test set is the data file's when there is one (--n-test is ignored then)
    nTest: fromFiles.nTest ?? positiveInt("--n-test", f.nTest),
    activation,
    // the truth: an --init file without hiddenBias trains a bias-free network
    bias: fromFiles.hasBias === false ? false : !f.noBias,
    model,
    quadrature,
    lr:
      method === "gn-flow"
        ? null
        : f.lr === undefined
          ? method === "gradient-flow"
            ? 10
            : defaultLr[method]
          : positive("--lr", f.lr),
    tEnd,
    hessian,
    odeRtol,
    integrator,
    rtol,
    atol,
    gdSteps,
    gramReuse,
    tol: nonNegative("--tol", f.tol),
    maxIter,
    damping,
    rfCutoff: positive("--rf-cutoff", f.rfCutoff),
    recordPerDecade,
    testPerDecade: atMost("--test-per-decade", nonNegative("--test-per-decade", f.testPerDecade)),
    dataFile: f.data,
    initFile: f.init
  }
}
