/**
 * Where a cell was computed: the gnlab version, the git commit of the gnlab checkout and
 * whether it had uncommitted changes, the backend and its kernels, the machine. Recorded in
 * every cell's summary (`provenance`), never part of the cell id: two machines computing the
 * same cell share its cache entry, and the entry says which one computed it.
 */
import { execFileSync } from "node:child_process"
import { arch, cpus, hostname, platform, release } from "node:os"

/** The git state of a checkout. */
export interface GitState {
  readonly commit: string
  /** tracked files differ from the commit */
  readonly dirty: boolean
}

/** The machine a cell ran on. */
export interface MachineInfo {
  readonly hostname: string
  readonly cpuModel: string
  readonly cores: number
  /** platform, kernel release, architecture */
  readonly os: string
  readonly node: string
}

/** The provenance of a cell (summary.json's `provenance`). */
export interface Provenance {
  readonly gnlabVersion: string
  /** null when gnlab does not run from a git checkout (or git is missing) */
  readonly git: GitState | null
  readonly backend: string
  /** the CPU kernels (native OpenBLAS/Accelerate or TypeScript) and their threads; null on other backends */
  readonly kernels: { readonly provider: string; readonly threads: number } | null
  readonly machine: MachineInfo
}

const git = (dir: string, args: ReadonlyArray<string>): string =>
  execFileSync("git", ["-C", dir, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 10_000
  })

/** The git commit and dirty flag of the checkout holding `dir`; null outside a checkout. */
export function gitState(dir: string): GitState | null {
  try {
    const commit = git(dir, ["rev-parse", "HEAD"]).trim()
    if (!/^[0-9a-f]{40,64}$/.test(commit)) return null
    const dirty = git(dir, ["status", "--porcelain", "--untracked-files=no"]).trim().length > 0
    return { commit, dirty }
  } catch {
    return null
  }
}

/** This machine. */
export function machineInfo(): MachineInfo {
  const cpu = cpus()
  return {
    hostname: hostname(),
    cpuModel: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version
  }
}
