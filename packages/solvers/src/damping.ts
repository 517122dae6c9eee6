/**
 * GN's damping rules (optimistix-style: a value plugged into one GN, not subclasses).
 * GN solves (A + ε I) z = g; ε is chosen from σ*(A), the smallest eigenvalue of A.
 */

/** The damping rule of a GN run. */
export type Damping =
  /** ε = max(ε0, σ*(A)) — the authors' rule (default ε0 = 1e-7) */
  | { readonly rule: "max-sigma-min"; readonly eps0: number }
  /** ε fixed */
  | { readonly rule: "fixed"; readonly eps: number }
  /** ε = ((1 − η)/η) μ_H σ*(A) — the theory's rule (SPEC.md, Prop. 3), 0 < η < 1 */
  | { readonly rule: "theory"; readonly eta: number; readonly muH: number }

/** The authors' default. */
export const defaultDamping: Damping = { rule: "max-sigma-min", eps0: 1e-7 }

/** ε = max(ε0, σ*). */
export const dampingMaxSigmaMin = (sigmaMin: number, eps0: number): number => Math.max(eps0, sigmaMin)

/** ε = ((1 − η)/η) μ_H σ*. */
export const dampingTheory = (sigmaMin: number, eta: number, muH: number): number =>
  ((1 - eta) / eta) * muH * Math.max(0, sigmaMin)

/** ε for a rule given σ*(A). */
export function dampingValue(d: Damping, sigmaMin: number): number {
  switch (d.rule) {
    case "max-sigma-min":
      return dampingMaxSigmaMin(sigmaMin, d.eps0)
    case "fixed":
      return d.eps
    case "theory":
      return dampingTheory(sigmaMin, d.eta, d.muH)
  }
}
