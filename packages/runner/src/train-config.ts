/**
 * The resolved configuration of one training run, and its validation from raw flag values.
 * Validation is pure and collects nothing partial: the first problem is an InvalidArgument
 * naming the flag and the fix, before anything is computed or written.
 */
import { activationIds, isActivationId, type ActivationId } from "@gnlab/compute"
import type { Damping } from "@gnlab/solvers"
import { InvalidArgument } from "./errors.js"

export const methodIds = ["gn", "gd", "rf"] as const
export type MethodId = (typeof methodIds)[number]

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
  readonly lr: number
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
  readonly d: number
  readonly nTest: number
  readonly activation: string
  readonly noBias: boolean
  readonly lr?: number
  readonly tol: number
  readonly maxIter?: number
  readonly damping: string
  readonly eps0: number
  readonly eps?: number
  readonly eta?: number
  readonly muH: number
  readonly rfCutoff: number
  readonly recordPerDecade: number
  readonly testPerDecade: number
  readonly data?: string
  readonly init?: string
}

/** Default update caps: GD is slow to converge (the paper runs up to 10⁷). */
export const defaultMaxIter: Record<MethodId, number> = { gd: 100_000, gn: 10_000, rf: 1_000 }
/** Default learning rates (the authors': 10; RF refinement 100). */
export const defaultLr: Record<MethodId, number> = { gd: 10, gn: 10, rf: 100 }

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
  } = {}
): TrainConfig {
  const method = (methodIds as ReadonlyArray<string>).includes(f.method)
    ? (f.method as MethodId)
    : fail("--method", oneOf(f.method, methodIds))
  const activation = isActivationId(f.activation)
    ? f.activation
    : fail("--activation", oneOf(f.activation, activationIds))
  const d = fromFiles.d ?? positiveInt("--d", f.d)
  if (fromFiles.d !== undefined && f.d !== 10 && f.d !== fromFiles.d)
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
  const damping: Damping =
    f.damping === "max-sigma-min"
      ? { rule: "max-sigma-min", eps0: nonNegative("--eps0", f.eps0) }
      : f.damping === "fixed"
        ? {
            rule: "fixed",
            eps:
              f.eps === undefined
                ? fail("--eps", "is required with --damping fixed")
                : positive("--eps", f.eps)
          }
        : f.damping === "theory"
          ? {
              rule: "theory",
              eta:
                f.eta === undefined || !(f.eta > 0 && f.eta < 1)
                  ? fail("--eta", `must be in (0, 1) with --damping theory, got ${f.eta}`)
                  : f.eta,
              muH: positive("--mu-h", f.muH)
            }
          : fail("--damping", oneOf(f.damping, ["max-sigma-min", "fixed", "theory"]))
  if (!Number.isInteger(f.seed) || f.seed < 0 || f.seed > 0xffffffff)
    fail("--seed", `must be an integer in [0, 4294967295], got ${f.seed}`)
  const maxIter =
    f.maxIter === undefined
      ? defaultMaxIter[method]
      : Number.isInteger(f.maxIter) && f.maxIter >= 0
        ? f.maxIter
        : fail("--max-iter", `must be an integer ≥ 0, got ${f.maxIter}`)
  return {
    method,
    nTrain,
    width,
    initStd: fromFiles.width !== undefined ? f.initStd : positive("--init-std", f.initStd),
    seed: f.seed,
    d,
    nTest: positiveInt("--n-test", f.nTest),
    activation,
    bias: !f.noBias,
    lr: f.lr === undefined ? defaultLr[method] : positive("--lr", f.lr),
    tol: nonNegative("--tol", f.tol),
    maxIter,
    damping,
    rfCutoff: positive("--rf-cutoff", f.rfCutoff),
    recordPerDecade: positive("--record-per-decade", f.recordPerDecade),
    testPerDecade: nonNegative("--test-per-decade", f.testPerDecade),
    dataFile: f.data,
    initFile: f.init
  }
}
