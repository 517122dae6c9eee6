/**
 * Runs a test suite once per CPU kernel provider: the TypeScript kernels always, the native
 * (OpenBLAS) kernels when @gnlab/compute-native is built — otherwise that suite is skipped and
 * its title says why. The provider is switched for the suite's tests and restored after.
 */
import { afterAll, beforeAll, describe } from "vitest"
import { nativeAvailability, useCpuKernels, type CpuKernelsChoice } from "../src/index.js"

/** The providers a suite runs under, with the reason the native one is missing (if it is). */
export const providers: ReadonlyArray<{ readonly choice: CpuKernelsChoice; readonly skip?: string }> = [
  { choice: "typescript" },
  (() => {
    const n = nativeAvailability()
    return n.available ? { choice: "native" as const } : { choice: "native" as const, skip: n.reason }
  })()
]

/** describe(`<title> [<provider> kernels]`) for each provider, the native one skipped when not built. */
export function describeEachProvider(title: string, body: (choice: CpuKernelsChoice) => void): void {
  for (const p of providers) {
    const name = `${title} [${p.choice} kernels]${p.skip !== undefined ? ` — skipped: ${p.skip}` : ""}`
    describe.skipIf(p.skip !== undefined)(name, () => {
      beforeAll(() => {
        useCpuKernels(p.choice)
      })
      afterAll(() => {
        useCpuKernels("auto")
      })
      body(p.choice)
    })
  }
}
