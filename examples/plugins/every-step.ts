/**
 * A metrics plugin from outside the repository: a denser recording schedule than the
 * built-in trajectory (the metrics stage says when a cell records a row and a test loss).
 */
import { defineMetrics } from "@gnlab/metrics"
import { param } from "@gnlab/pipeline"

export const dense = defineMetrics({
  id: "dense",
  description: "a row and a test loss at about `perDecade` points per decade (every step up to 10)",
  params: {
    perDecade: param.number({
      exclusiveMinimum: 0,
      maximum: 1000,
      default: 100,
      unit: "rows per decade",
      description: "rows (and test-loss evaluations) per decade after iteration 10"
    })
  },
  recording: (p) => ({ recordPerDecade: p.perDecade, testPerDecade: p.perDecade })
})
