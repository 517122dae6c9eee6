/**
 * The GPU-check kit (tools/device/build-kit.sh, webgpu-check.sh) on this CPU machine, as the GPU
 * machine will see it: unpacked into an empty folder, run with a PATH that has no node and with
 * no node_modules above it. The check must unpack its own node, print the machine's facts, reach
 * "Dawn found no adapter" and say why in summary.json's `diagnosis`.
 *
 * The kit is built once (about 35 s of CPU: xz of node's 99 MB, esbuild) and reused while the
 * hash of its inputs (node, dawn.node, every source file it bundles) is the one in its KIT.json
 * (`build-kit.sh --if-stale`), so a stale kit is never tested.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process"
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))
const tar = join(root, "tools/device/dist/gnlab-gpu-kit.tar")
const has = (cmd: string) => spawnSync("bash", ["-c", `command -v ${cmd}`]).status === 0
const missing = [
  has("xz") ? null : "xz (apt-get install xz-utils)",
  existsSync(join(root, "node_modules/webgpu/dist/linux-x64/dawn.node"))
    ? null
    : "node_modules/webgpu (npm ci)",
  existsSync(join(root, "node_modules/.bin/esbuild")) ? null : "esbuild (npm ci)"
].filter((m) => m !== null)

/** A bin folder with every command of the system folders but those named in `without`. */
function binWithout(dir: string, without: ReadonlyArray<string>): string {
  mkdirSync(dir, { recursive: true })
  for (const d of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    let names: string[]
    try {
      names = readdirSync(d)
    } catch {
      continue
    }
    for (const n of names) {
      if (without.includes(n) || existsSync(join(dir, n))) continue
      symlinkSync(join(d, n), join(dir, n))
    }
  }
  return dir
}

const NODE = ["node", "nodejs", "npm", "npx", "corepack", "tsx", "yarn", "pnpm"]

describe.skipIf(process.platform !== "linux" || process.arch !== "x64" || missing.length > 0)(
  `the GPU-check kit, unpacked where there is no node${missing.length > 0 ? ` (skipped: needs ${missing.join(", ")})` : ""}`,
  () => {
    let dir = ""
    let kit = ""
    let bin = ""
    beforeAll(() => {
      execFileSync("bash", [join(root, "tools/device/build-kit.sh"), "--if-stale"], {
        stdio: "inherit",
        timeout: 600_000
      })
      dir = mkdtempSync(join(tmpdir(), "gnlab-kit-"))
      // nothing named node_modules between the kit and the filesystem's root
      for (let d = dir; d !== "/"; d = join(d, "..")) expect(existsSync(join(d, "node_modules"))).toBe(false)
      mkdirSync(join(dir, "w"))
      execFileSync("tar", ["-xf", tar, "-C", join(dir, "w")])
      kit = join(dir, "w/gnlab-gpu-kit")
      bin = binWithout(join(dir, "bin"), NODE)
      expect(spawnSync("bash", ["-c", "command -v node"], { env: { PATH: bin } }).status).not.toBe(0)
    }, 600_000)
    afterAll(() => {
      if (dir !== "") rmSync(dir, { recursive: true, force: true })
    })

    it("is under 60 MB and says what it holds", () => {
      const meta = JSON.parse(readFileSync(join(kit, "KIT.json"), "utf8"))
      expect(meta.node).toBe(process.version)
      expect(meta.bytes).toBeLessThan(60_000_000)
      for (const f of [
        "node.xz",
        "gnlab.mjs.xz",
        "bench.mjs.xz",
        "host.js.xz",
        "worker.js.xz",
        "webgpu-check.sh"
      ])
        expect(existsSync(join(kit, f))).toBe(true)
      expect(existsSync(join(kit, "node_modules/webgpu/dist/linux-x64/dawn.node.xz"))).toBe(true)
    })

    it("runs its own node, prints the machine's facts and explains that Dawn found no adapter", () => {
      const out = join(dir, "out")
      const r = spawnSync("bash", [join(kit, "webgpu-check.sh")], {
        cwd: dir,
        env: { PATH: bin, HOME: dir, OUT: out, LANG: "C.UTF-8", GNLAB_KIT_RUN: join(dir, "run") },
        encoding: "utf8",
        timeout: 480_000
      })
      const log = r.stdout + r.stderr
      expect(r.status, log).toBe(0)
      expect(log).toContain(`== node: ${process.version} (the kit's, unpacked by xz`)
      expect(log).toMatch(/== machine: Linux .* mode: kit/)
      // the GPU facts: nvidia-smi, else the kernel driver's file, else the plain absence of both
      expect(log).toMatch(/== nvidia-smi|== \/proc\/driver\/nvidia\/version|== nvidia-smi: not on PATH/)
      expect(log).toMatch(/== Vulkan loader \(libvulkan.so.1\): \S+ \((system|kit|found by search|none)\)/)
      expect(log).toContain("Dawn found no adapter")
      // gnlab itself ran from the bundle and agrees
      expect(log).toMatch(/tfjs:webgpu +unavailable/)
      // three files come back (the device tool brings back 8 at most), the others in files.tar
      expect(readdirSync(out).sort()).toEqual(["files.tar", "summary.json", "webgpu-check.log"])
      expect(execFileSync("tar", ["-tf", join(out, "files.tar")], { encoding: "utf8" })).toMatch(
        /adapter\.json[\s\S]*backends\.json|backends\.json[\s\S]*adapter\.json/
      )
      const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"))
      expect(summary.mode).toBe("kit")
      expect(summary.node).toBe(process.version)
      expect(summary.webgpu.available).toBe(false)
      expect(typeof summary.diagnosis).toBe("string")
      expect(log).toContain(`== diagnosis: ${summary.diagnosis}`)
      if (!existsSync("/proc/driver/nvidia/version") && !has("nvidia-smi"))
        expect(summary.diagnosis).toMatch(/^no NVIDIA driver on this machine/)
    }, 500_000)

    it.skipIf(!has("python3"))("unpacks node with python3 where there is no xz", () => {
      const r = spawnSync("bash", [join(kit, "webgpu-check.sh")], {
        env: {
          PATH: binWithout(join(dir, "bin-no-xz"), [...NODE, "xz", "unxz", "xzcat"]),
          HOME: dir,
          OUT: join(dir, "out2"),
          GNLAB_KIT_RUN: join(dir, "run-py"),
          GNLAB_CHECK_UNPACK_ONLY: "1"
        },
        encoding: "utf8",
        timeout: 120_000
      })
      const log = r.stdout + r.stderr
      expect(r.status, log).toBe(0)
      expect(log).toContain(`== node: ${process.version} (the kit's, unpacked by python3`)
    })

    it.skipIf(existsSync("/proc/driver/nvidia/version"))(
      "names the missing part where the driver is there but its Vulkan part is not",
      async () => {
        // a machine with the NVIDIA driver (a stand-in nvidia-smi) and, in turn: no ICD file, an ICD
        // file naming a library that is not there, one naming a library that does not load
        const fake = join(dir, "fake")
        mkdirSync(fake)
        writeFileSync(
          join(fake, "nvidia-smi"),
          '#!/bin/sh\necho "NVIDIA H200  Driver Version: 550.54.15"\n',
          { mode: 0o755 }
        )
        writeFileSync(join(fake, "libnvidia-broken.so.0"), "not ELF\n")
        const icd = (lib: string) =>
          JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: lib, api_version: "1.3.277" } })
        const cases: Array<[string | null, RegExp]> = [
          [
            null,
            /NVIDIA driver 550\.54\.15 is here but not its Vulkan part: no nvidia_icd\.json and no libGLX_nvidia\.so\.0; .*graphics/
          ],
          [
            icd("libGLX_nvidia.so.0"),
            /nvidia_icd\.json names libGLX_nvidia\.so\.0, which is not on this machine; .*graphics/
          ],
          [icd(join(fake, "libnvidia-broken.so.0")), /libnvidia-broken\.so\.0 does not load: /]
        ]
        const run = promisify(execFile)
        // one unpacked kit for the three runs below (the test above unpacked it, unless filtered out)
        const env = { PATH: `${fake}:${bin}`, GNLAB_KIT_RUN: join(dir, "run") }
        if (!existsSync(join(dir, "run/KIT.json")))
          await run("bash", [join(kit, "webgpu-check.sh")], {
            env: { ...env, OUT: join(dir, "out0"), GNLAB_CHECK_UNPACK_ONLY: "1" }
          })
        await Promise.all(
          cases.map(async ([file, expected], i) => {
            const home = join(dir, `home${i}`)
            mkdirSync(join(home, ".config/vulkan/icd.d"), { recursive: true })
            if (file !== null) writeFileSync(join(home, ".config/vulkan/icd.d/nvidia_icd.json"), file)
            const out = join(home, "out")
            await run("bash", [join(kit, "webgpu-check.sh")], {
              env: { ...env, HOME: home, OUT: out, GNLAB_CHECK_ADAPTER_ONLY: "1" },
              timeout: 120_000
            })
            const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"))
            expect(summary.driver).toBe("550.54.15")
            expect(summary.diagnosis).toMatch(expected)
          })
        )
      }
    )
  }
)
