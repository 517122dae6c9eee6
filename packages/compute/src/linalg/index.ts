/**
 * Host float64 linear algebra on row-major Float64Arrays: Cholesky solves for the damped GN step,
 * Lanczos estimates of the Gram matrix's extreme eigenvalues, and a full symmetric
 * eigendecomposition as the reference and pseudo-inverse path.
 */
export { addToDiagonal, cholesky, choleskySolve } from "./cholesky.js"
export type { LinalgRoutines } from "./routines.js"
export { lanczosLargest } from "./lanczos.js"
export type { LanczosOptions, LanczosResult } from "./lanczos.js"
export { extremeEigenvalues, symmetricMatvec } from "./spectrum.js"
export type { Spectrum, SpectrumWarmStart } from "./spectrum.js"
export { pinvSolveSymmetric, symmetricEigen } from "./symmetric-eigen.js"
export type { PinvSolve, SymmetricEigen } from "./symmetric-eigen.js"
