/**
 * Dataset plugins for pipelines: a kind, an id, the declaration of the parameters, and `load`.
 * The pipeline DSL validates params against the schema derived from `params` (defaults
 * filled in) before `load` runs.
 */
import {
  param,
  paramsSchema,
  type Infer,
  type JsonSchema,
  type ParamDecls,
  type ParamProblem
} from "@gnlab/pipeline"
import { readFileSync } from "node:fs"
import { InvalidFile, parseDataFile } from "./files.js"
import { drawTeacher, teacherStudent, type Dataset, type Teacher } from "./teacher.js"

/** The sizes of a dataset known before it is loaded (for memory and time estimates). */
export interface DatasetSizes {
  readonly nTrain: number
  readonly nTest: number
  readonly d: number
  /** rows generated for the train set (a nested pool may be larger than N) */
  readonly pool: number
}

/** A dataset plugin (params validated, defaults filled in, by the time its functions see them). */
export interface DatasetPlugin {
  readonly kind: "dataset"
  readonly id: string
  readonly description: string
  readonly params: ParamDecls
  readonly schema: JsonSchema
  /** params naming input files: checked to exist, and hashed into the cell id by content */
  readonly files?: ReadonlyArray<string>
  /** problems of valid params beyond the schema (run by validate), e.g. a data file's contents */
  check?(params: Readonly<Record<string, unknown>>): ReadonlyArray<ParamProblem>
  /** The data of a seed. */
  load(params: Readonly<Record<string, unknown>>, seed: number): Dataset
  /** its sizes before loading, when the params say them (undefined: known once loaded) */
  sizes?(params: Readonly<Record<string, unknown>>): DatasetSizes | undefined
  /** the teacher that labelled the data, when there is one (the feature-learning distances use it) */
  teacher?(params: Readonly<Record<string, unknown>>, seed: number): Teacher
}

/** A dataset plugin as written: its functions get the params typed from the declaration. */
export interface DatasetDeclaration<P extends ParamDecls> {
  readonly id: string
  readonly description: string
  readonly params: P
  /** object-level schema rules beyond the per-param ones (e.g. if/then) */
  readonly rules?: JsonSchema
  readonly files?: ReadonlyArray<keyof P & string>
  check?(params: Infer<P>): ReadonlyArray<ParamProblem>
  load(params: Infer<P>, seed: number): Dataset
  sizes?(params: Infer<P>): DatasetSizes | undefined
  teacher?(params: Infer<P>, seed: number): Teacher
}

/** Declare a dataset plugin: its schema is derived from `params`. */
export const defineDataset = <const P extends ParamDecls>(d: DatasetDeclaration<P>): DatasetPlugin => ({
  kind: "dataset",
  ...d,
  schema: paramsSchema(d.params, d.rules)
})

/** Teacher–student data of SPEC.md (paper §5.1). */
export const teacherStudentPlugin = defineDataset({
  id: "teacher-student",
  description:
    "x ~ N(0, I_d), y = (1/M*) Σ v*_k silu(u*_k·x + b*_k), teacher weights ~ N(0,1); nested train pool",
  params: {
    nTrain: param.integer({
      minimum: 1,
      required: true,
      unit: "points",
      description: "train points N (a prefix of the pool)"
    }),
    nTest: param.integer({ minimum: 1, default: 10000, unit: "points", description: "test points" }),
    d: param.integer({ minimum: 1, default: 10, description: "input dimension" }),
    teacherWidth: param.integer({ minimum: 1, default: 5, unit: "units", description: "teacher units M*" }),
    poolSize: param.integer({
      minimum: 1,
      default: 2000,
      unit: "points",
      description: "size of the nested train pool (max with nTrain)"
    })
  },
  load: (p, seed) => teacherStudent({ seed, ...p }),
  sizes: (p) => ({
    nTrain: p.nTrain,
    nTest: p.nTest,
    d: p.d,
    pool: Math.max(p.nTrain, p.poolSize, p.teacherWidth)
  }),
  teacher: (p, seed) => drawTeacher(seed, p.d, p.teacherWidth)
})

/** Data from a JSON file in the `--data` format of `gnlab train` (the seed is ignored). */
export const dataFilePlugin = defineDataset({
  id: "data-file",
  description:
    'Data from a JSON file {"xTrain", "yTrain", "xTest", "yTest"} (the format of gnlab train --data)',
  params: {
    file: param.string({
      minLength: 1,
      required: true,
      flag: "data",
      description: "path of the data file (relative to the working directory)"
    })
  },
  files: ["file"],
  check(p) {
    try {
      parseDataFile(readFileSync(p.file, "utf8"), p.file)
      return []
    } catch (e) {
      // an unreadable file is reported by validate's file check
      return e instanceof InvalidFile
        ? [{ param: "file", expected: "data in the --data format", found: e.message }]
        : []
    }
  },
  load: (p) => parseDataFile(readFileSync(p.file, "utf8"), p.file)
})

/** The dataset plugins of this package. */
export const datasetPlugins: ReadonlyArray<DatasetPlugin> = [teacherStudentPlugin, dataFilePlugin]
