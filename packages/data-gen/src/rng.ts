/**
 * gnlab's portable PRNG: xoroshiro128+ from `pure-rand` (fast-check's generator library;
 * integer-exact in every JS engine, with a jump function and an exportable state).
 *
 * - A seed (integer in [0, 2³²)) gives four independent streams — teacher, train inputs,
 *   test inputs, initialisation — stream k being the seeded generator advanced by k jumps
 *   of 2⁶⁴ steps, so streams never overlap and each array depends only on its stream:
 *   the data of a seed do not change with the width or τ0.
 * - 64 outputs are discarded after seeding (pure-rand seeds from 32 bits; the warm-up
 *   decorrelates neighbouring seeds).
 * - uniform: 53-bit doubles in [0, 1) from two 32-bit outputs (the res53 construction).
 * - normal: Box–Muller, pairs (r cos θ, r sin θ) filled in order; an odd tail uses one pair.
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus"
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator"

/** The named streams of a seed, in jump order. */
export const streamNames = ["teacher", "trainInputs", "testInputs", "init"] as const
export type StreamName = (typeof streamNames)[number]

const WARMUP = 64
const TWO_PI = 2 * Math.PI

/** A seeded stream of uniform and normal numbers. */
export class Rng {
  private constructor(private readonly gen: JumpableRandomGenerator) {}

  /** The stream `stream` of `seed` (seed: integer in [0, 2³²)). */
  static stream(seed: number, stream: StreamName): Rng {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new RangeError(`seed must be an integer in [0, 4294967295], got ${seed}`)
    const gen = xoroshiro128plus(seed | 0)
    for (let i = 0; i < WARMUP; i++) gen.next()
    const jumps = streamNames.indexOf(stream)
    for (let j = 0; j < jumps; j++) gen.jump()
    return new Rng(gen)
  }

  /** Restore a stream from `state()` (for checkpoints). */
  static fromState(state: ReadonlyArray<number>): Rng {
    return new Rng(xoroshiro128plusFromState(state))
  }

  /** The generator state: four 32-bit integers. */
  state(): ReadonlyArray<number> {
    return this.gen.getState()
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.gen.next() >>> 5 // 27 bits
    const b = this.gen.next() >>> 6 // 26 bits
    return (a * 67108864 + b) / 9007199254740992
  }

  /** Fill `out` with independent N(0, 1) draws (Box–Muller). */
  fillNormal(out: Float64Array): Float64Array {
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - this.uniform())) // 1 − u ∈ (0, 1]: log is finite
      const t = TWO_PI * this.uniform()
      out[i] = r * Math.cos(t)
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(t)
    }
    return out
  }

  /** A new array of `count` N(0, 1) draws. */
  normals(count: number): Float64Array {
    return this.fillNormal(new Float64Array(count))
  }
}
