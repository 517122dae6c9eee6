import { describe, expect, it } from "vitest"
import { dopri5Advance, dopri5Init, OdeFailure, type OdeOptions, type OdeRhs } from "../src/index.js"

const solve = (rhs: OdeRhs, y0: number[], times: number[], o: OdeOptions) => {
  let s = dopri5Init(rhs, 0, Float64Array.from(y0), o)
  const out: Float64Array[] = []
  for (const t of times) {
    s = dopri5Advance(rhs, s, t, o)
    expect(s.t).toBe(t)
    out.push(s.y)
  }
  return { out, state: s }
}

describe("Dormand–Prince 5(4) against known solutions", () => {
  it("y′ = −y: e^{−t} to the tolerance, at every output time", () => {
    const o = { rtol: 1e-10, atol: 1e-14 }
    const times = [0.1, 0.5, 1, 2, 5, 10]
    const { out } = solve((_, y) => y.map((v) => -v), [1], times, o)
    times.forEach((t, i) => expect(Math.abs(out[i][0] - Math.exp(-t)) / Math.exp(-t)).toBeLessThan(1e-9))
  })

  it("is exact for y′ = p(t) with p of degree 4 (order 5)", () => {
    const o = { rtol: 1e-6, atol: 1e-6, hInit: 1 }
    const { out } = solve((t) => Float64Array.of(5 * t ** 4 - 3 * t ** 2 + 1), [0], [1, 3], o)
    // the 4th-order error estimate is not zero, so several steps are taken; each is exact
    expect(Math.abs(out[0][0] - 1)).toBeLessThan(1e-15)
    expect(Math.abs(out[1][0] - (3 ** 5 - 3 ** 3 + 3)) / 219).toBeLessThan(1e-15)
  })

  it("harmonic oscillator over 10 periods: the global error falls with the tolerance", () => {
    const rhs: OdeRhs = (_, y) => Float64Array.of(y[1], -y[0])
    const tEnd = 20 * Math.PI
    const errs = [1e-6, 1e-8, 1e-10].map((tol) => {
      const { out } = solve(rhs, [1, 0], [tEnd], { rtol: tol, atol: tol })
      return Math.hypot(out[0][0] - 1, out[0][1])
    })
    expect(errs[0]).toBeLessThan(1e-3)
    expect(errs[1]).toBeLessThan(errs[0] / 10)
    expect(errs[2]).toBeLessThan(errs[1] / 10)
    expect(errs[2]).toBeLessThan(1e-7)
  })

  it("Arenstorf orbit (Hairer–Nørsett–Wanner I, §II.0): closes after one period", () => {
    const mu = 0.012277471
    const mup = 1 - mu
    const rhs: OdeRhs = (_, [y1, y2, y1p, y2p]) => {
      const d1 = ((y1 + mu) ** 2 + y2 ** 2) ** 1.5
      const d2 = ((y1 - mup) ** 2 + y2 ** 2) ** 1.5
      return Float64Array.of(
        y1p,
        y2p,
        y1 + 2 * y2p - (mup * (y1 + mu)) / d1 - (mu * (y1 - mup)) / d2,
        y2 - 2 * y1p - (mup * y2) / d1 - (mu * y2) / d2
      )
    }
    const y0 = [0.994, 0, 0, -2.00158510637908252240537862224]
    const period = 17.0652165601579625588917206249
    const { out, state } = solve(rhs, y0, [period / 2, period], { rtol: 1e-11, atol: 1e-11 })
    expect(Math.hypot(out[1][0] - y0[0], out[1][1] - y0[1])).toBeLessThan(1e-6)
    expect(state.stats.evaluations).toBe(6 * (state.stats.accepted + state.stats.rejected) + 2)
    // the orbit passes through y2 = 0 at half period on the far side (y1 ≈ −1.2)
    expect(out[0][0]).toBeLessThan(-1)
  })

  it("resumes: advancing through intermediate outputs equals going straight to the end (to tolerance)", () => {
    const rhs: OdeRhs = (t, y) => Float64Array.of(Math.cos(t) * y[0])
    const o = { rtol: 1e-10, atol: 1e-12 }
    const exact = Math.exp(Math.sin(7))
    const stepped = solve(rhs, [1], [1, 2, 3, 3, 4.5, 7], o).out[5][0]
    const direct = solve(rhs, [1], [7], o).out[0][0]
    expect(Math.abs(stepped - exact)).toBeLessThan(1e-8)
    expect(Math.abs(direct - exact)).toBeLessThan(1e-8)
  })

  it("reports a finite-time blow-up (y′ = y², y(0) = 1, T = 1) as a tagged failure near T", () => {
    const rhs: OdeRhs = (_, y) => y.map((v) => v * v)
    const o = { rtol: 1e-8, atol: 1e-8 }
    const s0 = dopri5Init(rhs, 0, Float64Array.of(1), o)
    let failure: unknown
    try {
      dopri5Advance(rhs, s0, 2, o)
    } catch (e) {
      failure = e
    }
    expect(failure).toBeInstanceOf(OdeFailure)
    const f = failure as OdeFailure
    expect(f._tag).toBe("OdeFailure")
    // the pole is found to about the global error (rtol): t within 1e-6 of 1, y beyond 1e6
    expect(Math.abs(f.t - 1)).toBeLessThan(1e-6)
    expect(f.last.t).toBe(f.t)
    expect(f.last.y[0]).toBeGreaterThan(1e6)
  })
})
