/**
 * Teacher–student data (paper §5.1, SPEC.md "Data"):
 *   x ~ N(0, I_d),  f*(x) = (1/M*) Σ_k v*_k σ(u*_k · x + b*_k),  M* = 5, σ = SiLU,
 * every teacher weight (u*, b*, v*) ~ N(0, 1), y = f*(x) without noise.
 * Train sets are the first N points of a pool of max(N, 2000) points, so N-sweeps are nested.
 */
import { Rng } from "./rng.js"

/** A regression data set: row-major inputs (n × d) and targets. */
export interface Dataset {
  readonly d: number
  readonly nTrain: number
  readonly xTrain: Float64Array
  readonly yTrain: Float64Array
  readonly nTest: number
  readonly xTest: Float64Array
  readonly yTest: Float64Array
}

/** The teacher network: hidden weights (width × d), biases, output weights. */
export interface Teacher {
  readonly d: number
  readonly width: number
  readonly weights: Float64Array
  readonly bias: Float64Array
  readonly output: Float64Array
}

/** Options of the teacher–student data set. */
export interface TeacherStudentOptions {
  readonly seed: number
  readonly nTrain: number
  /** test set size (default 10 000) */
  readonly nTest?: number
  /** input dimension (default 10) */
  readonly d?: number
  /** teacher width M* (default 5) */
  readonly teacherWidth?: number
  /** size of the nested train pool (default max(nTrain, 2000)) */
  readonly poolSize?: number
}

/** Default pool size: the authors draw 2 000 train inputs and take prefixes. */
export const TRAIN_POOL = 2000

/** Draw the teacher of a seed (teacher stream: weights, then biases, then output weights). */
export function drawTeacher(seed: number, d = 10, width = 5): Teacher {
  const rng = Rng.stream(seed, "teacher")
  return { d, width, weights: rng.normals(width * d), bias: rng.normals(width), output: rng.normals(width) }
}

/** f*(x) for each row of x (n × d). */
export function teacherForward(t: Teacher, x: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n)
  for (let a = 0; a < n; a++) {
    let s = 0
    for (let k = 0; k < t.width; k++) {
      let z = t.bias[k]
      for (let j = 0; j < t.d; j++) z += t.weights[k * t.d + j] * x[a * t.d + j]
      s += t.output[k] * (z / (1 + Math.exp(-z))) // SiLU
    }
    y[a] = s / t.width
  }
  return y
}

/** The teacher–student data set of a seed. */
export function teacherStudent(options: TeacherStudentOptions): Dataset {
  const d = options.d ?? 10
  const nTest = options.nTest ?? 10000
  const nTrain = options.nTrain
  const pool = Math.max(nTrain, options.poolSize ?? TRAIN_POOL)
  const teacher = drawTeacher(options.seed, d, options.teacherWidth ?? 5)
  const xPool = Rng.stream(options.seed, "trainInputs").normals(pool * d)
  const xTrain = xPool.slice(0, nTrain * d)
  const xTest = Rng.stream(options.seed, "testInputs").normals(nTest * d)
  return {
    d,
    nTrain,
    xTrain,
    yTrain: teacherForward(teacher, xTrain, nTrain),
    nTest,
    xTest,
    yTest: teacherForward(teacher, xTest, nTest)
  }
}
