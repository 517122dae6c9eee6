/**
 * gnlab against the authors' own PyTorch trajectory (float64, same data and init):
 * GN losses after each of the first 90 updates to 1e-9 relative, the first 3 000 GD
 * losses to 1e-11, and the RF test loss to 1e-9.
 */
import { describe, expect, it } from "vitest"
import { authorsFixture, methods, problemOf, runAll, testLossOf } from "./helpers.js"

const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b)

describe("the authors' trajectory (N=100, M=1000, τ0=1)", () => {
  const { data, net, params0, trajectory } = authorsFixture()

  it("GN: losses after each of the first 90 updates match to 1e-9, and it stops after 90 updates", () => {
    const problem = problemOf(net, data)
    const { events, final } = runAll(methods.gn(), problem, params0, {
      tol: 1e-8,
      maxIter: 1000,
      divergenceFactor: 1e6
    })
    const want: number[] = trajectory.gn.lossBeforeUpdate
    let worst = 0
    for (let k = 0; k <= 90; k++) worst = Math.max(worst, relErr(events[k].state.loss, want[k]))
    expect(worst).toBeLessThan(1e-9)
    // σ*(A) at w_k is what the update k+1 solved with
    let worstSigma = 0
    for (let k = 0; k < 90; k++)
      worstSigma = Math.max(
        worstSigma,
        relErr(events[k + 1].diagnostics!.sigmaMin!, trajectory.gn.sigmaMinBeforeUpdate[k])
      )
    expect(worstSigma).toBeLessThan(1e-6)
    // gnlab stops as soon as L ≤ tol·L0: after 90 updates (the authors' loop applies a 91st)
    expect(final.stop).toBe("converged")
    expect(final.state.iter).toBe(90)
  })

  it("GN: with the authors' 91 updates the final train and test losses match", () => {
    const problem = problemOf(net, data)
    const { final } = runAll(methods.gn(), problem, params0, { tol: 0, maxIter: 91, divergenceFactor: 1e6 })
    expect(relErr(final.state.loss, trajectory.gn.trainLossAfterLastUpdate)).toBeLessThan(1e-7)
    expect(
      relErr(testLossOf(net, data, final.state.params), trajectory.gn.testLossAfterLastUpdate)
    ).toBeLessThan(1e-9)
  })

  it("GD: the first 3 000 losses match to 1e-11", () => {
    const problem = problemOf(net, data)
    const { events, final } = runAll(methods.gd(), problem, params0, {
      tol: 1e-8,
      maxIter: 3000,
      divergenceFactor: 1e6
    })
    const want: number[] = trajectory.gd.lossBeforeUpdate
    let worst = 0
    for (let k = 0; k < 3000; k++) worst = Math.max(worst, relErr(events[k].state.loss, want[k]))
    expect(worst).toBeLessThan(1e-11)
    expect(relErr(final.state.loss, trajectory.gd.trainLossAfterLastUpdate)).toBeLessThan(1e-11)
    expect(
      relErr(testLossOf(net, data, final.state.params), trajectory.gd.testLossAfterLastUpdate)
    ).toBeLessThan(1e-11)
  })

  it("RF: the test loss matches to 1e-9 and the train set is interpolated", () => {
    const problem = problemOf(net, data)
    const { events, final } = runAll(methods.rf(), problem, params0, {
      tol: 1e-8,
      maxIter: 1000,
      divergenceFactor: 1e6
    })
    expect(final.stop).toBe("converged")
    expect(relErr(testLossOf(net, data, final.state.params), trajectory.rf.testLoss)).toBeLessThan(1e-9)
    expect(final.state.loss).toBeLessThanOrEqual(1e-8 * events[0].state.loss)
  })
})
