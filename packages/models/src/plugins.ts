/**
 * Model plugins for pipelines: build the network and its initial parameters for a seed.
 */
import { activationIds } from "@gnlab/compute"
import { InvalidFile, parseInitFile, Rng } from "@gnlab/data-gen"
import { readFileSync } from "node:fs"
import { assembleHidden, finiteWidth, initParams, type Network, type Params } from "./finite-width.js"
import { meanField } from "./mean-field.js"
import {
  param,
  paramsSchema,
  type Infer,
  type JsonSchema,
  type ParamDecls,
  type ParamProblem
} from "@gnlab/pipeline"
import { quadratureIds, quadratureRules } from "./quadrature.js"

/** A model plugin (params validated, defaults filled in, by the time its functions see them). */
export interface ModelPlugin {
  readonly kind: "model"
  readonly id: string
  readonly description: string
  readonly params: ParamDecls
  readonly schema: JsonSchema
  /** other names `gnlab train --model` accepts */
  readonly aliases?: ReadonlyArray<string>
  /** params naming input files: checked to exist, and hashed into the cell id by content */
  readonly files?: ReadonlyArray<string>
  /** problems of valid params beyond the schema (run by validate), e.g. an initFile's contents */
  check?(params: Readonly<Record<string, unknown>>): ReadonlyArray<ParamProblem>
  /** The network for inputs of dimension `inputDim` and its initial parameters for `seed`. */
  build(
    params: Readonly<Record<string, unknown>>,
    inputDim: number,
    seed: number
  ): { readonly net: Network; readonly params0: Params }
  /** its hidden units M when the params say it (memory and time estimates) */
  width?(params: Readonly<Record<string, unknown>>): number | undefined
}

/** A model plugin as written: its functions get the params typed from the declaration. */
export interface ModelDeclaration<P extends ParamDecls> {
  readonly id: string
  readonly description: string
  readonly params: P
  readonly aliases?: ReadonlyArray<string>
  /** object-level schema rules beyond the per-param ones (e.g. if/then) */
  readonly rules?: JsonSchema
  readonly files?: ReadonlyArray<keyof P & string>
  check?(params: Infer<P>): ReadonlyArray<ParamProblem>
  build(params: Infer<P>, inputDim: number, seed: number): { readonly net: Network; readonly params0: Params }
  width?(params: Infer<P>): number | undefined
}

/** Declare a model plugin: its schema is derived from `params`. */
export const defineModel = <const P extends ParamDecls>(d: ModelDeclaration<P>): ModelPlugin => ({
  kind: "model",
  ...d,
  schema: paramsSchema(d.params, d.rules)
})

const common = {
  activation: param.literal(activationIds, { default: "silu", description: "σ" }),
  bias: param.boolean({ default: true, description: "hidden units have a bias" })
}

/** The finite-width network of eq. 4 (ω = 1/M), initialised from the seed's init stream or a file. */
export const finiteWidthPlugin = defineModel({
  id: "finite-width",
  // `gnlab train --model finite` (its value before plugins named the models)
  aliases: ["finite"],
  description: "f(x) = (1/M) Σ v_i σ(u_i·x̃), u_i ~ N(0, τ0² I), v = 0 (eq. 4)",
  params: {
    width: param.integer({
      minimum: 1,
      unit: "units",
      description: "hidden units M (required unless initFile is given)"
    }),
    initStd: param.number({
      exclusiveMinimum: 0,
      default: 1,
      description: "τ0: std of hidden weights and biases at init"
    }),
    ...common,
    initFile: param.string({
      minLength: 1,
      flag: "init",
      description:
        "initial weights from a JSON file (the format of gnlab train --init); width then comes from the file"
    })
  },
  // width is required unless the weights come from initFile (a cell without either cannot run)
  rules: { if: { not: { required: ["initFile"] } }, then: { required: ["width"] } },
  files: ["initFile"],
  check(p) {
    if (typeof p.initFile !== "string") return []
    let init: ReturnType<typeof parseInitFile>
    try {
      init = parseInitFile(readFileSync(p.initFile, "utf8"), p.initFile)
    } catch (e) {
      // an unreadable file is reported by validate's file check
      return e instanceof InvalidFile
        ? [{ param: "initFile", expected: "initial weights in the --init format", found: e.message }]
        : []
    }
    // the width is the file's: a width param that says otherwise would be recorded wrong
    if (p.width !== undefined && p.width !== init.width)
      return [
        {
          param: "width",
          expected: `the initFile's ${init.width} hidden units (or no width)`,
          found: String(p.width)
        }
      ]
    // the network's bias follows the file: a bias param that says otherwise would be recorded wrong
    const hasBias = init.hiddenBias !== undefined
    return p.bias === hasBias
      ? []
      : [
          {
            param: "bias",
            expected: hasBias
              ? "bias: true (the initFile has hiddenBias)"
              : "bias: false (the initFile has no hiddenBias, so the network has no bias)",
            found: String(p.bias)
          }
        ]
  },
  build(p, inputDim, seed) {
    if (typeof p.initFile === "string") {
      const init = parseInitFile(readFileSync(p.initFile, "utf8"), p.initFile)
      if (init.d !== inputDim)
        throw new Error(
          `${p.initFile}: hiddenWeights rows have ${init.d} numbers but the data have d = ${inputDim}`
        )
      const net = finiteWidth({
        width: init.width,
        inputDim,
        bias: init.hiddenBias !== undefined,
        activation: p.activation
      })
      return {
        net,
        params0: {
          u: assembleHidden(net, init.hiddenWeights, init.hiddenBias),
          v: Float64Array.from(init.outputWeights)
        }
      }
    }
    if (typeof p.width !== "number") throw new Error("finite-width: give width (or initFile)")
    const net = finiteWidth({
      width: p.width,
      inputDim,
      bias: p.bias,
      activation: p.activation
    })
    const rng = Rng.stream(seed, "init")
    return { net, params0: initParams(net, p.initStd, (k) => rng.normals(k)) }
  },
  width: (p) => p.width
})

/** The mean-field network of eq. 5 by particle quadrature (MC or randomized QMC) of N(0, τ0² I_D). */
export const meanFieldPlugin = defineModel({
  id: "mean-field",
  description: "f(x) = Σ_j ω_j v_j σ(u_j·x̃), particles of N(0, τ0² I) by quadrature, L2(μ) metric (eq. 5)",
  params: {
    width: param.integer({
      minimum: 1,
      required: true,
      unit: "particles",
      description: "number of particles M"
    }),
    initStd: param.number({ exclusiveMinimum: 0, default: 1, description: "τ0 of the base measure" }),
    ...common,
    quadrature: param.literal(quadratureIds, {
      default: "mc",
      description: "quadrature rule: Monte Carlo or scrambled Sobol (RQMC)"
    })
  },
  build(p, inputDim, seed) {
    const spec = { width: p.width, inputDim, bias: p.bias, activation: p.activation }
    const mf = meanField(spec, quadratureRules[p.quadrature], p.initStd, Rng.stream(seed, "init"))
    return { net: mf.net, params0: mf.params0 }
  },
  width: (p) => p.width
})

/** The model plugins of this package. */
export const modelPlugins: ReadonlyArray<ModelPlugin> = [finiteWidthPlugin, meanFieldPlugin]
