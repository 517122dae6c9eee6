#!/usr/bin/env node
// Runs the CLI from its esbuild bundle (packages/runner/bundle, made by `npm ci`): starting it
// takes a fraction of a second where transpiling the TypeScript sources through tsx takes
// seconds. The bundle is never stale: when a source it was made from is newer, it is rebuilt
// first; where it cannot be (no esbuild, a read-only install), or with GNLAB_FROM_SOURCE=1,
// gnlab runs from the sources through tsx as before.
import { pathToFileURL } from "node:url"
import { buildBundle, entryOf, readManifest, staleReasons } from "../scripts/bundle.mjs"

// `gnlab plugins | head` closes stdout early: that is not an error
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(0)
  throw e
})

/** The current bundle's entry, rebuilt first if stale; undefined when none can be had. */
async function bundledEntry() {
  if (process.env.GNLAB_FROM_SOURCE === "1") return undefined
  let manifest = readManifest()
  if (staleReasons(manifest).length > 0) {
    try {
      manifest = await buildBundle()
    } catch (e) {
      process.stderr.write(
        `gnlab: running from the TypeScript sources (slower start): the bundle could not be rebuilt (${e instanceof Error ? e.message.split("\n")[0] : String(e)})\n`
      )
      return undefined
    }
  }
  return entryOf(manifest)
}

const entry = await bundledEntry()
if (entry !== undefined) {
  await import(pathToFileURL(entry).href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/main.ts")
}
