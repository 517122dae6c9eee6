/**
 * Dataset plugins for pipelines: a kind, an id, a JSON Schema of the parameters, and `load`.
 * The pipeline DSL validates params against `schema` (defaults filled in) before `load` runs.
 */
import { readFileSync } from "node:fs"
import { InvalidFile, parseDataFile } from "./files.js"
import { teacherStudent, type Dataset } from "./teacher.js"

/** A dataset plugin. */
export interface DatasetPlugin {
  readonly kind: "dataset"
  readonly id: string
  readonly description: string
  readonly schema: { readonly [k: string]: unknown }
  /** params naming input files: checked to exist, and hashed into the cell id by content */
  readonly files?: ReadonlyArray<string>
  /** problems of valid params beyond the schema (run by validate), e.g. a data file's contents */
  readonly check?: (
    params: Readonly<Record<string, unknown>>
  ) => ReadonlyArray<{ readonly param: string; readonly expected: string; readonly found: string }>
  /** The data of a seed (params already validated and completed with defaults). */
  load(params: Readonly<Record<string, unknown>>, seed: number): Dataset
}

/** Teacher–student data of SPEC.md (paper §5.1). */
export const teacherStudentPlugin: DatasetPlugin = {
  kind: "dataset",
  id: "teacher-student",
  description:
    "x ~ N(0, I_d), y = (1/M*) Σ v*_k silu(u*_k·x + b*_k), teacher weights ~ N(0,1); nested train pool",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["nTrain"],
    properties: {
      nTrain: { type: "integer", minimum: 1, description: "train points N (a prefix of the pool)" },
      nTest: { type: "integer", minimum: 1, default: 10000, description: "test points" },
      d: { type: "integer", minimum: 1, default: 10, description: "input dimension" },
      teacherWidth: { type: "integer", minimum: 1, default: 5, description: "teacher units M*" },
      poolSize: {
        type: "integer",
        minimum: 1,
        default: 2000,
        description: "size of the nested train pool (max with nTrain)"
      }
    }
  },
  load: (p, seed) =>
    teacherStudent({
      seed,
      nTrain: p.nTrain as number,
      nTest: p.nTest as number,
      d: p.d as number,
      teacherWidth: p.teacherWidth as number,
      poolSize: p.poolSize as number
    })
}

/** Data from a JSON file in the `--data` format of `gnlab train` (the seed is ignored). */
export const dataFilePlugin: DatasetPlugin = {
  kind: "dataset",
  id: "data-file",
  description:
    'Data from a JSON file {"xTrain", "yTrain", "xTest", "yTest"} (the format of gnlab train --data)',
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["file"],
    properties: {
      file: {
        type: "string",
        minLength: 1,
        description: "path of the data file (relative to the working directory)"
      }
    }
  },
  files: ["file"],
  check(p) {
    try {
      parseDataFile(readFileSync(p.file as string, "utf8"), p.file as string)
      return []
    } catch (e) {
      // an unreadable file is reported by validate's file check
      return e instanceof InvalidFile
        ? [{ param: "file", expected: "data in the --data format", found: e.message }]
        : []
    }
  },
  load: (p) => parseDataFile(readFileSync(p.file as string, "utf8"), p.file as string)
}

/** The dataset plugins of this package. */
export const datasetPlugins: ReadonlyArray<DatasetPlugin> = [teacherStudentPlugin, dataFilePlugin]
