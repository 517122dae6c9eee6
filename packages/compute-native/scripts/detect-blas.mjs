// Finds the BLAS/LAPACK the addon links against, for binding.gyp and scripts/build-native.mjs.
//   node scripts/detect-blas.mjs                 one JSON object: {found, library, reason, …}
//   node scripts/detect-blas.mjs --include-dirs  (and --libraries, --ldflags, --defines) for gyp
// Order: GNLAB_BLAS=none skips; GNLAB_BLAS_INCLUDE / GNLAB_BLAS_LIBS override ("-I" dirs and
// linker arguments, space-separated); pkg-config openblas; the usual install places of OpenBLAS
// (Debian/Ubuntu multiarch, /usr/local, Homebrew); on macOS, Accelerate when no OpenBLAS is found.
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"

const here = new URL(".", import.meta.url).pathname

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return undefined
  }
}

const words = (s) => (s ?? "").split(/\s+/).filter((w) => w.length > 0)

function hasCblas(dirs) {
  return dirs.find((d) => existsSync(join(d, "cblas.h")))
}

function libDirWith(dirs, names) {
  for (const d of dirs) for (const n of names) if (existsSync(join(d, n))) return d
  return undefined
}

/** Directories /usr/include/<triplet> and /usr/lib/<triplet> of Debian's multiarch layout. */
function multiarch(base) {
  try {
    return readdirSync(base)
      .filter((e) => /-linux-gnu/.test(e))
      .flatMap((e) => [join(base, e), join(base, e, "openblas-pthread"), join(base, e, "openblas")])
  } catch {
    return []
  }
}

/**
 * SLEEF (vectorised exp for the SiLU kernel; Debian/Ubuntu: libsleef-dev) on x86-64, found by
 * sleef.h and libsleef beside each other in the usual places; GNLAB_SLEEF=none leaves it out.
 * Without it the kernels use their own polynomial exp (about twice as slow, same accuracy class).
 */
export function detectSleef() {
  if (process.env.GNLAB_SLEEF === "none") return { found: false, reason: "GNLAB_SLEEF=none" }
  if (process.arch !== "x64") return { found: false, reason: `not x86-64 (${process.arch})` }
  const inc = [...multiarch("/usr/include"), "/usr/local/include", "/usr/include"].find((d) =>
    existsSync(join(d, "sleef.h"))
  )
  const lib = libDirWith([...multiarch("/usr/lib"), "/usr/lib64", "/usr/local/lib", "/usr/lib"], ["libsleef.so"])
  if (inc === undefined || lib === undefined)
    return { found: false, reason: "no sleef.h + libsleef (Debian/Ubuntu: apt-get install libsleef-dev)" }
  return {
    found: true,
    includeDirs: [inc],
    libraries: [`-L${lib}`, "-lsleef", `-Wl,-rpath,${lib}`],
    defines: ["GNLAB_SLEEF"],
    reason: `${inc}/sleef.h, ${lib}/libsleef.so`
  }
}

/** The BLAS found (detectBlas) with SLEEF added when it is there. */
export function detect() {
  const blas = detectBlas()
  if (!blas.found) return blas
  const sleef = detectSleef()
  if (!sleef.found) return { ...blas, sleef: sleef.reason }
  return {
    ...blas,
    includeDirs: [...blas.includeDirs, ...sleef.includeDirs],
    libraries: [...blas.libraries, ...sleef.libraries],
    defines: [...blas.defines, ...sleef.defines],
    sleef: sleef.reason
  }
}

function detectBlas() {
  const mode = process.env.GNLAB_BLAS
  if (mode === "none") return { found: false, reason: "GNLAB_BLAS=none" }
  if (process.env.GNLAB_BLAS_INCLUDE || process.env.GNLAB_BLAS_LIBS) {
    return {
      found: true,
      library: "custom",
      includeDirs: words(process.env.GNLAB_BLAS_INCLUDE),
      libraries: words(process.env.GNLAB_BLAS_LIBS),
      ldflags: [],
      defines: [],
      reason: "GNLAB_BLAS_INCLUDE / GNLAB_BLAS_LIBS"
    }
  }
  const mac = process.platform === "darwin"
  // pkg-config (Debian, Fedora, Arch, Homebrew with PKG_CONFIG_PATH)
  const cflags = run("pkg-config", ["--cflags-only-I", "openblas"])
  const libs = run("pkg-config", ["--libs", "openblas"])
  if (cflags !== undefined && libs !== undefined) {
    const inc = words(cflags).map((w) => w.replace(/^-I/, ""))
    const dir = hasCblas([...inc, "/usr/include", "/usr/local/include"])
    if (dir !== undefined) {
      const libDirs = words(libs)
        .filter((w) => w.startsWith("-L"))
        .map((w) => w.slice(2))
      return {
        found: true,
        library: "openblas",
        includeDirs: [dir],
        libraries: [...words(libs), ...(mac ? libDirs.map((d) => `-Wl,-rpath,${d}`) : [])],
        ldflags: [],
        defines: [],
        reason: `pkg-config openblas (${dir}/cblas.h)`
      }
    }
  }
  // the usual places
  const brew = ["/opt/homebrew/opt/openblas", "/usr/local/opt/openblas"]
  const incDirs = [
    ...(process.env.OPENBLAS_PREFIX ? [join(process.env.OPENBLAS_PREFIX, "include")] : []),
    ...brew.map((b) => join(b, "include")),
    "/usr/include/openblas",
    "/usr/local/include/openblas",
    "/usr/include/x86_64-linux-gnu/openblas-pthread",
    ...multiarch("/usr/include"),
    "/usr/local/include",
    "/usr/include"
  ]
  const libDirs = [
    ...(process.env.OPENBLAS_PREFIX ? [join(process.env.OPENBLAS_PREFIX, "lib")] : []),
    ...brew.map((b) => join(b, "lib")),
    ...multiarch("/usr/lib"),
    "/usr/lib64",
    "/usr/local/lib",
    "/usr/lib"
  ]
  const inc = hasCblas(incDirs)
  const lib = libDirWith(libDirs, ["libopenblas.so", "libopenblas.dylib"])
  if (inc !== undefined && lib !== undefined) {
    return {
      found: true,
      library: "openblas",
      includeDirs: [inc],
      libraries: [`-L${lib}`, "-lopenblas", `-Wl,-rpath,${lib}`],
      ldflags: [],
      defines: [],
      reason: `${inc}/cblas.h, ${lib}/libopenblas`
    }
  }
  if (mac && mode !== "openblas") {
    return {
      found: true,
      library: "accelerate",
      includeDirs: [],
      libraries: [],
      ldflags: ["-framework", "Accelerate"],
      defines: ["GNLAB_ACCELERATE"],
      reason: "Apple Accelerate"
    }
  }
  return {
    found: false,
    reason:
      inc === undefined
        ? "no cblas.h of OpenBLAS found (Debian/Ubuntu: apt-get install libopenblas-dev)"
        : "no libopenblas found (Debian/Ubuntu: apt-get install libopenblas-dev)"
  }
}

const flag = process.argv[2]
if (flag !== undefined && import.meta.url === `file://${process.argv[1]}`) {
  const d = detect()
  const pick = {
    "--include-dirs": d.includeDirs,
    "--libraries": d.libraries,
    "--ldflags": d.ldflags,
    "--defines": d.defines
  }[flag]
  // gyp splits this on whitespace; never print nothing (an empty expansion confuses gyp)
  const list = pick ?? []
  const fallback = { "--include-dirs": [join(here, "..", "src", "native")], "--defines": ["GNLAB_NATIVE=1"] }[flag]
  console.log((list.length > 0 ? list : (fallback ?? [])).join(" "))
} else if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(detect()))
}
