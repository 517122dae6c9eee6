/** A small registry for the DSL's own tests (the real plugins live in their packages). */
import { makeRegistry } from "../src/index.js"

export const registry = makeRegistry([
  {
    kind: "dataset",
    id: "teacher-student",
    description: "teacher data",
    schema: {
      type: "object",
      additionalProperties: false,
      required: ["nTrain"],
      properties: {
        nTrain: { type: "integer", minimum: 1 },
        nTest: { type: "integer", minimum: 1, default: 10000 }
      }
    }
  },
  {
    kind: "model",
    id: "finite-width",
    description: "eq. 4",
    schema: {
      type: "object",
      additionalProperties: false,
      properties: {
        width: { type: "integer", minimum: 1 },
        initStd: { type: "number", exclusiveMinimum: 0, default: 1 },
        initFile: { type: "string", minLength: 1 }
      },
      if: { not: { required: ["initFile"] } },
      then: { required: ["width"] }
    },
    files: ["initFile"]
  },
  {
    kind: "dataset",
    id: "data-file",
    description: "data from a file",
    schema: {
      type: "object",
      additionalProperties: false,
      required: ["file"],
      properties: { file: { type: "string", minLength: 1 } }
    },
    files: ["file"]
  },
  {
    kind: "method",
    id: "flow",
    description: "a method without lr",
    schema: {
      type: "object",
      additionalProperties: false,
      properties: { tEnd: { type: "number", default: 1 } }
    }
  },
  {
    kind: "method",
    id: "gn",
    description: "GN",
    schema: {
      type: "object",
      additionalProperties: false,
      properties: { lr: { type: "number", exclusiveMinimum: 0, default: 10 } }
    }
  },
  {
    kind: "method",
    id: "gd",
    description: "GD",
    schema: {
      type: "object",
      additionalProperties: false,
      properties: {
        lr: { type: "number", default: 10 },
        maxIter: { type: "integer", minimum: 0, default: 100 }
      }
    }
  },
  {
    kind: "metrics",
    id: "trajectory",
    description: "rows",
    schema: {
      type: "object",
      additionalProperties: false,
      properties: { recordPerDecade: { type: "number", default: 20 } }
    }
  },
  {
    kind: "plot",
    id: "curves",
    description: "curves",
    schema: {
      type: "object",
      additionalProperties: false,
      properties: {
        facet: { type: "string", pattern: "^(dataset|model|method|metrics)\\.[A-Za-z][A-Za-z0-9]*$" },
        x: { type: "string", default: "dataset.nTrain" }
      }
    }
  }
])

export const good = {
  name: "t",
  dataset: { plugin: "teacher-student", params: { nTrain: 50 } },
  model: { plugin: "finite-width", params: { width: 20 } },
  methods: [{ plugin: "gn" }, { plugin: "gd", label: "GD", params: { maxIter: 10 } }],
  seeds: [1, 2],
  sweep: { grid: { "model.initStd": [0.5, 10], "dataset.nTrain": [50, 100] }, zip: { "method.lr": [1, 2] } }
}
