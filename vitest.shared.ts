/**
 * Shared vitest settings. Vitest 5 targets Node ≥ 22 and its reporter calls Map.groupBy
 * (Node 21+) when printing failures; this machine and CI run Node 20, so the polyfill
 * below keeps failure reports readable instead of crashing the reporter.
 */
import { defineConfig } from "vitest/config"

if (typeof (Map as unknown as { groupBy?: unknown }).groupBy !== "function") {
  Object.defineProperty(Map, "groupBy", {
    value: <K, V>(items: Iterable<V>, key: (v: V, i: number) => K): Map<K, V[]> => {
      const out = new Map<K, V[]>()
      let i = 0
      for (const v of items) {
        const k = key(v, i++)
        const list = out.get(k)
        if (list === undefined) out.set(k, [v])
        else list.push(v)
      }
      return out
    }
  })
}

/** The configuration every package's vitest.config.ts uses. */
export const sharedConfig = defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 300_000, hookTimeout: 60_000 }
})
