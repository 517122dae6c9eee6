/**
 * The tfjs worker thread: owns one tfjs engine (for WebGPU: the only way to read device
 * memory in Node is asynchronously), serves the requests of worker/client.ts one at a time,
 * and raises the shared flag after each reply.
 */
import { parentPort, workerData } from "node:worker_threads"
import { bindDevice, featureMatVecDevice, type DeviceFeatures } from "../device.js"
import { EngineUnavailable, firstLine, initEngine } from "../engines.js"
import { activate, loadTf, type Tensor, type Tf } from "../tf.js"
import type { Reply, Request, WorkerInit } from "./protocol.js"

const { flag, port } = workerData as WorkerInit
const raised = new Int32Array(flag)

let tf: Tf | undefined
let engineName = ""
const bound = new Map<number, DeviceFeatures>()
let nextHandle = 1

/** Read a result tensor (asynchronously: WebGPU maps a staging buffer) and release it. */
async function read(t: Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array
  } finally {
    t.dispose()
  }
}

function features(h: number): DeviceFeatures {
  const f = bound.get(h)
  if (f === undefined) throw new Error(`unknown or disposed data set handle ${h}`)
  return f
}

async function handle(req: Request): Promise<unknown> {
  if (req.op === "init") {
    tf = await loadTf()
    const engine = await initEngine(tf, req.variant)
    engineName = engine.engineName
    return engine
  }
  if (tf === undefined) throw new Error("worker: init must come first")
  activate(tf, engineName)
  switch (req.op) {
    case "bind": {
      const h = nextHandle++
      bound.set(h, bindDevice(tf, req.x, req.n, req.dim, req.activation))
      return h
    }
    case "setHidden":
      features(req.h).setHidden(req.u)
      return null
    case "phiMul":
    case "phiTMul":
    case "psiTXMul":
      return read(features(req.h)[req.op](req.v))
    case "psiXMul":
      return read(features(req.h).psiXMul(req.c, req.du))
    case "gram":
      return read(features(req.h).gram(req.a, req.b))
    case "dispose":
      bound.get(req.h)?.dispose()
      bound.delete(req.h)
      return null
    case "featureMatVec":
      return read(featureMatVecDevice(tf, req.x, req.n, req.dim, req.u, req.m, req.c, req.activation))
    case "numTensors":
      return tf.memory().numTensors
  }
}

function reply(r: Reply): void {
  port.postMessage(r)
  Atomics.store(raised, 0, 1)
  Atomics.notify(raised, 0)
}

// one request at a time: the client blocks until each reply, so requests never overlap
parentPort!.on("message", (req: Request) => {
  handle(req).then(
    (value) => reply({ ok: true, value }),
    (e: unknown) =>
      reply({
        ok: false,
        error: e instanceof EngineUnavailable ? e.reason : firstLine(e),
        unavailable: e instanceof EngineUnavailable
      })
  )
})
