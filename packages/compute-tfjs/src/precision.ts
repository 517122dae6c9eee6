/**
 * What float32 device arithmetic limits, as measured (packages/compute-tfjs/README.md,
 * "Precision"), and the defaults gnlab changes on a float32 backend because of it.
 *
 * Features, Gram and Jacobian products are float32 (unit roundoff u = 2⁻²⁴ ≈ 6e-8); the
 * N × N solves and σ*(A), σmax(A) are float64 on the host, so they are exact for the float32
 * Gram they are given. Measured on tfjs:wasm against the float64 CPU backend:
 *  - each primitive agrees to ≤ 3e-7 relative (max-norm);
 *  - the relative train loss L/L0 of GN bottoms out at ~1e-14 (the rounding of f = Φ(ω∘v));
 *  - at fixed weights |σ*(A_f32) − σ*(A)| ≲ 8e-8·σmax, so σ* has ~10% error at
 *    σ* / σmax = 1e-6 and is noise (it can come out negative) below ~1e-8;
 *  - a rank-deficient Gram (RF's K = ΦΦᵀ/M² when N > M; A at v = 0 when N > M) gets noise
 *    eigenvalues of ±2e-8·λmax instead of zeros. With the float64 defaults (pseudo-inverse
 *    cut-off 1e-10, damping floor ε0 = 1e-7) RF inverts that noise: at N = 300, M = 100 its
 *    test loss came out 3× the CPU backend's. With cut-off and ε0 at 1e-6 it agrees to 2e-3.
 */

/** Limits and defaults for a float32 backend. */
export const float32Limits = {
  /** unit roundoff of float32 */
  unitRoundoff: 2 ** -24,
  /** below this relative tolerance (L ≤ tol·L0) a run may never converge on float32 */
  tolFloor: 1e-12,
  /** below this σ* / σmax the reported σ*(A) (and GN's ε = max(ε0, σ*)) is rounding-dominated */
  sigmaRatioFloor: 1e-6,
  /** GN/RF damping floor ε0 used by default on float32 backends (float64: 1e-7) */
  eps0: 1e-6,
  /** RF pseudo-inverse relative cut-off used by default on float32 backends (float64: 1e-10) */
  rfCutoff: 1e-6
} as const
