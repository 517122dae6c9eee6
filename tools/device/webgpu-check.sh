#!/usr/bin/env bash
# tfjs:webgpu on a GPU machine, in one bounded run (< 8 minutes in all).
#
#   bash tools/device/webgpu-check.sh            # from the repository root
#
# Writes everything under "$OUT" (a temporary folder if unset): webgpu-check.log (all output),
# nvidia-smi.txt, adapter.json, backends.json, bench-1000x2000.json, agree-*.json and
# summary.json, which is also printed last.
#
# Dependencies, in this order: node_modules if it already works; else `npm ci` (needs the
# registry); else the kit of tools/device/build-kit.sh (tools/device/dist, ~35 MB, git-ignored:
# build it where npm works and carry it with the checkout). Vulkan: the system's loader, else
# `apt-get install libvulkan1 mesa-vulkan-drivers` when apt works, else the kit's
# libvulkan.so.1; the NVIDIA Vulkan driver comes with the NVIDIA driver (libGLX_nvidia.so.0):
# when no ICD file names it, one is written under $OUT and used through VK_ICD_FILENAMES.
# GNLAB_DAWN_FLAGS (comma-separated Dawn options, e.g. "adapter=NVIDIA H200") is passed on;
# GNLAB_NO_NPM_CI=1 skips `npm ci` (no registry there: use the carried kit at once).
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT="$(pwd)"
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/webgpu-check.log") 2>&1
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$OUT}" # Mesa's Vulkan drivers complain without it

BUDGET=450 # seconds for all steps; the slowest steps get what is left
START=$SECONDS
left() { echo $((BUDGET - (SECONDS - START))); }
# step NAME MAX_SECONDS COMMAND...: run under `timeout`, never longer than the budget left;
# its own lines go to stderr, so that the command's stdout can be redirected to a file
step() {
  local name=$1 max=$2 t
  shift 2
  t=$(left)
  ((t > max)) && t=$max
  if ((t < 5)); then
    echo "== $name: skipped (time budget spent)" >&2
    return 124
  fi
  echo "== $name (at most ${t} s)" >&2
  timeout -k 5 "$t" "$@"
  local rc=$?
  echo "== $name: exit $rc" >&2
  return $rc
}

echo "== machine: $(uname -srm), node $(node -v 2>/dev/null || echo missing), $(nproc) cores"
grep -m1 PRETTY_NAME /etc/os-release 2>/dev/null
step "nvidia-smi" 30 nvidia-smi | tee "$OUT/nvidia-smi.txt"

# --- dependencies --------------------------------------------------------------------------
works() { node --input-type=module -e "await import('@tensorflow/tfjs-core'); await import('tsx/esm/api')" >/dev/null 2>&1; }
KIT="$ROOT/tools/device/dist"
MODE=none
if works; then
  MODE=node_modules
else
  # GNLAB_NO_NPM_CI=1 skips it where the registry is known to be out of reach (device time is scarce)
  if [ "${GNLAB_NO_NPM_CI:-0}" != 1 ]; then
    step "npm ci" 240 npm ci --no-audit --no-fund && works && MODE=node_modules
  fi
fi
if [ "$MODE" = none ] && [ -f "$KIT/gnlab.mjs" ]; then MODE=kit; fi
case $MODE in
  node_modules)
    GNLAB=(node "$ROOT/packages/runner/bin/gnlab.js")
    BENCH=(node "$ROOT/node_modules/tsx/dist/cli.mjs" "$ROOT/tools/src/bench-main.ts")
    WEBGPU="$ROOT/node_modules/webgpu/index.js"
    ;;
  kit)
    GNLAB=(node "$KIT/gnlab.mjs")
    BENCH=(node "$KIT/bench.mjs")
    WEBGPU="$KIT/node_modules/webgpu/index.js"
    ;;
  *)
    echo "== no node_modules, npm ci failed and no kit at $KIT: only the GPU facts above"
    echo "{\"mode\":\"none\",\"error\":\"no dependencies: build tools/device/dist with tools/device/build-kit.sh and carry it\"}" |
      tee "$OUT/summary.json"
    exit 1
    ;;
esac
echo "== dependencies: $MODE"

# --- Vulkan ----------------------------------------------------------------------------------
has_loader() { ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; }
if ! has_loader && command -v apt-get >/dev/null; then
  step "apt-get install libvulkan1 mesa-vulkan-drivers" 150 bash -c \
    'apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvulkan1 mesa-vulkan-drivers >/dev/null'
fi
if ! has_loader && [ -f "$KIT/lib/libvulkan.so.1" ]; then
  export LD_LIBRARY_PATH="$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "== Vulkan loader: the kit's ($KIT/lib)"
fi
echo "== Vulkan ICD files:"
ls -l /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d 2>/dev/null
if ! grep -qsl nvidia /usr/share/vulkan/icd.d/* /etc/vulkan/icd.d/* /usr/local/share/vulkan/icd.d/* 2>/dev/null; then
  NV=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia.so.0/ {print $NF; exit}')
  [ -z "$NV" ] && NV=$(find /usr/lib /usr/lib64 /usr/local/nvidia /usr/lib/x86_64-linux-gnu -name 'libGLX_nvidia.so.0' 2>/dev/null | head -1)
  if [ -n "$NV" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$NV" >"$OUT/nvidia_icd.json"
    export VK_ICD_FILENAMES="$OUT/nvidia_icd.json" VK_DRIVER_FILES="$OUT/nvidia_icd.json"
    echo "== wrote an NVIDIA ICD for $NV"
  else
    echo "== no NVIDIA Vulkan driver (libGLX_nvidia.so.0) visible: the container may lack the 'graphics' driver capability"
  fi
fi
command -v vulkaninfo >/dev/null && step "vulkaninfo --summary" 20 vulkaninfo --summary

# --- the WebGPU adapter, as Dawn sees it ------------------------------------------------------
cat >"$OUT/adapter.mjs" <<'JS'
const { create, globals } = await import(process.argv[2])
Object.assign(globalThis, globals)
const flags = (process.env.GNLAB_DAWN_FLAGS ?? "").split(",").filter(Boolean)
const describe = (a) => a && { vendor: a.info?.vendor, architecture: a.info?.architecture, device: a.info?.device,
  description: a.info?.description, isFallbackAdapter: a.isFallbackAdapter,
  maxBufferSize: a.limits?.maxBufferSize, maxStorageBufferBindingSize: a.limits?.maxStorageBufferBindingSize,
  features: a.features ? [...a.features] : [] }
const out = {}
for (const p of ["high-performance", "low-power"])
  out[p] = describe(await create(flags).requestAdapter({ powerPreference: p }))
// Dawn lists every adapter when asked for one that does not exist
try { await create([...flags, "adapter=gnlab-list-adapters"]).requestAdapter() } catch (e) { out.list = e.message }
console.log(JSON.stringify(out, null, 2))
process.exit(0)
JS
step "WebGPU adapter (Dawn)" 60 node "$OUT/adapter.mjs" "$WEBGPU" | tee "$OUT/adapter.json"

# --- gnlab -----------------------------------------------------------------------------------
step "gnlab backends" 90 "${GNLAB[@]}" backends
step "gnlab backends --json" 90 "${GNLAB[@]}" backends --json >"$OUT/backends.json"
WEBGPU_OK=$(node -e 'try { const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(b.backends.some((x) => x.backend === "tfjs:webgpu" && x.available)) } catch { console.log(false) }' "$OUT/backends.json")
echo "== tfjs:webgpu available: $WEBGPU_OK"

if [ "$WEBGPU_OK" = true ]; then
  # one GN and one GD step (after two warm-up steps) at N = 1000, M = 2000, on the GPU and the CPU
  step "bench 1000x2000 tfjs:webgpu vs cpu" 200 "${BENCH[@]}" --backends tfjs:webgpu,cpu --sizes 1000x2000 --reps 1 \
    >"$OUT/bench-1000x2000.json"
  # the same seed on both backends: GN 50 and GD 500 updates (compute-tfjs agreement sizes)
  for m in "gn 50" "gd 500"; do
    set -- $m
    for b in tfjs:webgpu cpu; do
      step "train $1 $2 on $b" 60 "${GNLAB[@]}" train --backend "$b" --method "$1" --max-iter "$2" --tol 0 \
        --n-train 100 --width 500 --n-test 1000 --seed 1 --eps0 1e-7 --quiet --json >"$OUT/agree-$1-${b/:/-}.json"
    done
  done
  if (($(left) > 150)); then
    step "bench 2000x5000 tfjs:webgpu" 140 "${BENCH[@]}" --backends tfjs:webgpu --sizes 2000x5000 --reps 1 \
      >"$OUT/bench-2000x5000.json"
  fi
fi

# --- summary ---------------------------------------------------------------------------------
node - "$OUT" "$MODE" <<'JS' | tee "$OUT/summary.json"
const fs = require("fs"), path = require("path")
const [out, mode] = process.argv.slice(2)
const read = (f) => { try { return JSON.parse(fs.readFileSync(path.join(out, f), "utf8")) } catch { return null } }
const gpu = (() => { try { return fs.readFileSync(path.join(out, "nvidia-smi.txt"), "utf8").match(/NVIDIA [A-Z]\w*[^|]*?(?=\s{2,}|\|)/)?.[0]?.trim() ?? null } catch { return null } })()
const backends = read("backends.json")
const webgpu = backends?.backends?.find((b) => b.backend === "tfjs:webgpu") ?? null
const pick = (bench) => Object.fromEntries((bench?.backends ?? []).map((b) => [b.backend,
  b.sizes.map((s) => ({ N: s.N, M: s.M, gnStepSeconds: s.gnStepSeconds, gdStepSeconds: s.gdStepSeconds, gramGflops: s.gramGflops }))
    .concat(b.failed ?? [])]))
const rel = (a, b) => (a == null || b == null ? null : Math.abs(a - b) / Math.abs(b))
const agree = Object.fromEntries(["gn", "gd"].map((m) => {
  const g = read(`agree-${m}-tfjs-webgpu.json`), c = read(`agree-${m}-cpu.json`)
  return [m, g && c && { iterations: g.iterations, trainLoss: [g.finalTrainLoss, c.finalTrainLoss], testLoss: [g.finalTestLoss, c.finalTestLoss],
    relDiffTrain: rel(g.finalTrainLoss, c.finalTrainLoss), relDiffTest: rel(g.finalTestLoss, c.finalTestLoss) }]
}))
console.log(JSON.stringify({ mode, gpu, adapter: read("adapter.json")?.["high-performance"] ?? null, webgpu,
  tfjs: backends?.tfjs ?? null, bench1000x2000: pick(read("bench-1000x2000.json")),
  bench2000x5000: pick(read("bench-2000x5000.json")), agree }, null, 2))
JS
echo "== done in $((SECONDS - START)) s; files in $OUT"
