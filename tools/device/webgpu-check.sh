#!/usr/bin/env bash
# tfjs:webgpu on a GPU machine, in one bounded run (< 8 minutes in all).
#
#   bash tools/device/dist/gnlab-gpu-kit/webgpu-check.sh   # the kit: needs no node, no registry
#   bash tools/device/webgpu-check.sh                      # a checkout: node_modules, else the kit
#
# Writes three files in "$OUT" (a temporary folder if unset): webgpu-check.log (all output, as it
# goes), summary.json (printed last; its "diagnosis" says why tfjs:webgpu did not run, null when
# it did) and files.tar: nvidia-smi.txt, vulkan.txt, adapter.json, vk-loader-debug.txt,
# backends.json, bench-1000x2000.json, agree-*.json.
#
# The kit (tools/device/build-kit.sh) carries its own node (node.xz, unpacked with xz or
# python3's lzma module), the bundled gnlab and benchmark, Dawn's binding and the Vulkan loader;
# from a checkout the script uses node_modules when they work and otherwise runs the kit's copy
# of itself (GNLAB_KIT=1 forces the kit). The NVIDIA Vulkan driver comes with the NVIDIA driver:
# its ICD file (nvidia_icd.json) is looked for where drivers and the container toolkit put it,
# written for the run when only the library (libGLX_nvidia.so.0) is there, and when Dawn finds
# no adapter the script says which part is missing: the driver, the loader, the ICD file or
# the library it names. GNLAB_DAWN_FLAGS (comma-separated Dawn options, e.g.
# "adapter=NVIDIA H200") is passed on. The kit is unpacked (node, dawn.node: 3 s) into
# GNLAB_KIT_RUN (default ${TMPDIR:-/tmp}/gnlab-gpu-kit-run.<uid>), never into itself.
# GNLAB_CHECK_UNPACK_ONLY=1 unpacks and stops; GNLAB_CHECK_ADAPTER_ONLY=1 stops after the
# facts, the adapter and the diagnosis (~10 s). Instructions: tools/device/README.md.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
export OUT

# --- which copy runs: a checkout's node_modules, or the kit ---------------------------------
if [ -f "$HERE/node.xz" ]; then
  MODE=kit
  KIT="$HERE"
else
  ROOT="$(cd "$HERE/../.." && pwd)"
  KIT="$ROOT/tools/device/dist/gnlab-gpu-kit"
  works() {
    command -v node >/dev/null &&
      (cd "$ROOT" && node --input-type=module -e "await import('@tensorflow/tfjs-core'); await import('tsx/esm/api')") >/dev/null 2>&1
  }
  if [ "${GNLAB_KIT:-0}" != 1 ] && works; then
    MODE=node_modules
  elif [ -f "$KIT/webgpu-check.sh" ]; then
    echo "== no working node_modules here (or GNLAB_KIT=1): running the kit's check, $KIT"
    exec bash "$KIT/webgpu-check.sh"
  else
    echo "== no node_modules and no kit at $KIT: build it with tools/device/build-kit.sh" >&2
    echo '{"mode":"none","diagnosis":"no dependencies: build the kit with tools/device/build-kit.sh and carry it"}' >"$OUT/summary.json"
    exit 1
  fi
fi

exec > >(tee -a "$OUT/webgpu-check.log") 2>&1
# $OUT gets three files: the log (as it is written), summary.json and files.tar, every other file
# of the check (the device tool brings back 8 files at most); they are written in $WORK
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gnlab-webgpu-check.XXXXXX")"
pack() {
  if tar -cf "$OUT/files.tar" -C "$WORK" . 2>/dev/null; then rm -rf "$WORK"; else echo "== could not write $OUT/files.tar (the files are in $WORK)"; fi
}
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$WORK}" # Mesa's Vulkan drivers complain without it

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
# a JSON string (or null for an empty value), for summaries written without node
jstr() {
  if [ -z "$1" ]; then printf null; else printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n\t' '  ')"; fi
}

# --- the machine and its GPU: printed whatever happens next -----------------------------------
GLIBC="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
echo "== machine: $(uname -srm), glibc ${GLIBC:-unknown}, $(nproc 2>/dev/null || echo '?') cores, mode: $MODE"
grep -m1 PRETTY_NAME /etc/os-release 2>/dev/null
DRIVER=""
if [ -r /proc/driver/nvidia/version ]; then
  echo "== /proc/driver/nvidia/version:"
  cat /proc/driver/nvidia/version
  DRIVER="$(grep -o 'Kernel Module  *[0-9.]*' /proc/driver/nvidia/version | awk '{print $NF}')"
  [ -z "$DRIVER" ] && DRIVER="$(grep -oE '[0-9]{3}\.[0-9]+(\.[0-9]+)?' /proc/driver/nvidia/version | head -1)"
fi
if command -v nvidia-smi >/dev/null; then
  step "nvidia-smi" 30 nvidia-smi | tee "$WORK/nvidia-smi.txt"
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv 2>/dev/null | tee -a "$WORK/nvidia-smi.txt"
  [ -z "$DRIVER" ] && DRIVER="$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | grep -oE '[0-9]{3}\.[0-9]+(\.[0-9]+)?' | head -1)"
else
  echo "== nvidia-smi: not on PATH"
  for f in /proc/driver/nvidia/gpus/*/information; do [ -r "$f" ] && { echo "== $f:"; cat "$f"; }; done
fi
DEVNODES="$(ls /dev/nvidia* 2>/dev/null | tr '\n' ' ')"
echo "== device nodes: ${DEVNODES:-none (/dev/nvidia*)}"
echo "== NVIDIA_VISIBLE_DEVICES=${NVIDIA_VISIBLE_DEVICES-unset} NVIDIA_DRIVER_CAPABILITIES=${NVIDIA_DRIVER_CAPABILITIES-unset}"
HAVE_DRIVER=0
[ -n "$DRIVER" ] || [ -n "$DEVNODES" ] || command -v nvidia-smi >/dev/null && HAVE_DRIVER=1

# --- node: the kit's, unpacked here ----------------------------------------------------------
# unxz SRC DEST: xz, else python3's lzma module (Python is on the GPU machine)
unxz_to() {
  local src=$1 dest=$2
  if command -v xz >/dev/null; then
    xz -dc "$src" >"$dest.part.$$" && UNXZ="by xz"
  elif command -v python3 >/dev/null; then
    python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as i, open(sys.argv[2], "wb") as o: shutil.copyfileobj(i, o, 1 << 20)' "$src" "$dest.part.$$" && UNXZ="by python3"
  else
    echo "== cannot unpack $src: neither xz nor python3 is here" >&2
    return 1
  fi || return 1
  mv "$dest.part.$$" "$dest"
}
NODE_ERR=""
if [ "$MODE" = kit ]; then
  # unpacked outside the kit, which stays as built (read-only, and small enough to carry)
  # (not under $OUT: the device tool brings $OUT back, and node alone is 99 MB)
  RUN="${GNLAB_KIT_RUN:-${TMPDIR:-/tmp}/gnlab-gpu-kit-run.$(id -u)}"
  WANT="$(sed -n 's/.*"node": "\(v[^"]*\)".*/\1/p' "$KIT/KIT.json" 2>/dev/null)"
  UNXZ="earlier"
  if [ "$(cat "$RUN/KIT.json" 2>/dev/null)" != "$(cat "$KIT/KIT.json")" ] || [ ! -x "$RUN/bin/node" ] ||
    [ ! -f "$RUN/node_modules/webgpu/dist/linux-x64/dawn.node" ]; then
    rm -rf "$RUN"
    mkdir -p "$RUN/bin"
    for f in "$KIT"/*; do
      case "$f" in *.xz | */KIT.json | */node_modules) ;; *) cp -r "$f" "$RUN/" ;; esac
    done
    mkdir -p "$RUN/node_modules/webgpu/dist/linux-x64"
    cp "$KIT/node_modules/webgpu/index.js" "$KIT/node_modules/webgpu/package.json" "$RUN/node_modules/webgpu/"
    ok=1
    unxz_to "$KIT/node.xz" "$RUN/bin/node" && chmod +x "$RUN/bin/node" || ok=0
    for f in gnlab.mjs bench.mjs host.js worker.js node_modules/webgpu/dist/linux-x64/dawn.node; do
      unxz_to "$KIT/$f.xz" "$RUN/$f" || ok=0
    done
    [ "$ok" = 1 ] && cp "$KIT/KIT.json" "$RUN/KIT.json" # last: marks a complete unpacking
  fi
  if ! NODE_V="$("$RUN/bin/node" -v 2>"$WORK/node-error.txt")"; then
    # a system libstdc++ older than node's needs: the kit's, from the machine that built it
    export LD_LIBRARY_PATH="$RUN/lib/fallback${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    if NODE_V="$("$RUN/bin/node" -v 2>>"$WORK/node-error.txt")"; then
      echo "== node needs the kit's libstdc++ (lib/fallback): the system's is too old"
    else
      NODE_ERR="$(head -c 600 "$WORK/node-error.txt")"
    fi
  fi
  export PATH="$RUN/bin:$PATH"
  hash -r
  GNLAB=(node "$RUN/gnlab.mjs")
  BENCH=(node "$RUN/bench.mjs")
  WEBGPU="$RUN/node_modules/webgpu/index.js"
  if [ -z "$NODE_ERR" ]; then
    echo "== node: $NODE_V (the kit's, unpacked $UNXZ in $RUN/bin)"
  else
    echo "== node: the kit's node does not start here: $NODE_ERR"
  fi
else
  NODE_V="$(node -v)"
  echo "== node: $NODE_V ($(command -v node)), node_modules of $ROOT"
  GNLAB=(node "$ROOT/packages/runner/bin/gnlab.js")
  BENCH=(node "$ROOT/node_modules/tsx/dist/cli.mjs" "$ROOT/tools/src/bench-main.ts")
  WEBGPU="$ROOT/node_modules/webgpu/index.js"
fi
if [ "${GNLAB_CHECK_UNPACK_ONLY:-0}" = 1 ]; then
  rm -rf "$WORK"
  [ -z "$NODE_ERR" ]
  exit
fi
if [ -n "$NODE_ERR" ]; then
  DIAG="the kit's node ($WANT) does not start on this machine (glibc ${GLIBC:-unknown}; node needs glibc >= 2.28): $NODE_ERR"
  echo "== diagnosis: $DIAG"
  printf '{"mode":"%s","node":null,"driver":%s,"diagnosis":%s}\n' "$MODE" "$(jstr "$DRIVER")" "$(jstr "$DIAG")" | tee "$OUT/summary.json"
  pack
  exit 1
fi

# --- Vulkan: the loader, the NVIDIA ICD file and the driver library it names ----------------
# the block's output goes to vulkan.txt, then to the log (it runs in this shell: its variables stay)
{
  NV_DIRS="/usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /lib/x86_64-linux-gnu /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
/usr/lib/x86_64-linux-gnu/nvidia/current /usr/lib/nvidia /run/nvidia/driver/usr/lib/x86_64-linux-gnu /run/nvidia/driver/usr/lib64 \
/usr/local/cuda/compat /usr/local/cuda/lib64"
  # ld_find NAME: FOUND, the path of a shared library, and FOUND_BY: how (ldconfig,
  # LD_LIBRARY_PATH, or a search of the driver folders the dynamic linker may not know)
  ld_find() {
    local d
    FOUND_BY=ldconfig
    FOUND="$(ldconfig -p 2>/dev/null | awk -v l="$1" '$1 == l && /x86-64/ {print $NF; exit}')"
    if [ -z "$FOUND" ] && [ -n "${LD_LIBRARY_PATH:-}" ]; then
      FOUND_BY=LD_LIBRARY_PATH
      for d in ${LD_LIBRARY_PATH//:/ }; do [ -e "$d/$1" ] && { FOUND="$d/$1"; break; }; done
    fi
    if [ -z "$FOUND" ]; then
      FOUND_BY=search
      # shellcheck disable=SC2086
      FOUND="$(find $NV_DIRS -maxdepth 2 -name "$1" 2>/dev/null | head -1)"
    fi
    [ -n "$FOUND" ] || FOUND_BY=""
  }

  # the loader: the system's (the dynamic linker's), else the kit's, else one found in a library folder
  ld_find libvulkan.so.1
  LOADER="$FOUND" LOADER_FROM=system
  if [ "$FOUND_BY" != ldconfig ] && [ "$FOUND_BY" != LD_LIBRARY_PATH ]; then
    if [ "$MODE" = kit ] && [ -f "$RUN/lib/libvulkan.so.1" ]; then
      LOADER="$RUN/lib/libvulkan.so.1" LOADER_FROM=kit
    elif [ "$MODE" = node_modules ] && [ -f "$KIT/lib/libvulkan.so.1" ]; then
      LOADER="$KIT/lib/libvulkan.so.1" LOADER_FROM=kit
    elif [ -n "$LOADER" ]; then
      LOADER_FROM="found by search"
    else
      LOADER_FROM=none
    fi
    [ -n "$LOADER" ] && export LD_LIBRARY_PATH="$(dirname "$LOADER")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  echo "== Vulkan loader (libvulkan.so.1): ${LOADER:-none} ($LOADER_FROM)"

  # the ICD files: the loader's own search path first, then where drivers, the NVIDIA container
  # toolkit and the GPU operator's driver container put them
  ICD_DIRS="${XDG_CONFIG_HOME:-${HOME:-/root}/.config}/vulkan/icd.d /etc/xdg/vulkan/icd.d /etc/vulkan/icd.d \
/usr/local/share/vulkan/icd.d /usr/share/vulkan/icd.d"
  dd="${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
  for d in ${dd//:/ }; do ICD_DIRS="$ICD_DIRS $d/vulkan/icd.d"; done
  ICD_MORE="/usr/local/nvidia/icd.d /usr/local/nvidia/share/vulkan/icd.d /usr/local/nvidia/etc/vulkan/icd.d \
/run/nvidia/driver/etc/vulkan/icd.d /run/nvidia/driver/usr/share/vulkan/icd.d /usr/lib/x86_64-linux-gnu/nvidia \
/usr/lib/x86_64-linux-gnu/nvidia/current /usr/share/nvidia /etc/nvidia /usr/local/share/nvidia"
  NV_ICD="" NV_ICD_STD=0 NV_LIB_NAMED=""
  echo "== Vulkan ICD files:"
  for d in $ICD_DIRS $ICD_MORE; do
    for f in "$d"/*.json; do
      [ -f "$f" ] || continue
      grep -qs '"ICD"' "$f" || continue
      lib="$(sed -n 's/.*"library_path" *: *"\([^"]*\)".*/\1/p' "$f" | head -1)"
      echo "   $f -> $lib"
      if [ -z "$NV_ICD" ] && printf '%s' "$lib" | grep -qi nvidia; then
        NV_ICD="$f" NV_LIB_NAMED="$lib"
        case " $ICD_DIRS " in *" $d "*) NV_ICD_STD=1 ;; esac
      fi
    done
  done
  [ -z "$NV_ICD" ] && echo "   (no ICD file names an NVIDIA library)"

  # the driver library: the ICD's, else libGLX_nvidia.so.0 wherever the driver put it
  NV_LIB="" FOUND_BY=""
  if [ -n "$NV_LIB_NAMED" ] && [ "${NV_LIB_NAMED#/}" != "$NV_LIB_NAMED" ] && [ -e "$NV_LIB_NAMED" ]; then
    NV_LIB="$NV_LIB_NAMED" FOUND_BY=named
  elif [ -n "$NV_LIB_NAMED" ]; then
    ld_find "$(basename "$NV_LIB_NAMED")"
    NV_LIB="$FOUND"
  else
    ld_find libGLX_nvidia.so.0
    NV_LIB="$FOUND"
  fi
  NV_LIB_DIR=""
  if [ -n "$NV_LIB" ]; then
    NV_LIB_DIR="$(dirname "$NV_LIB")"
    # a driver folder the dynamic linker does not search (e.g. /usr/local/nvidia/lib64): its
    # companion libraries (libnvidia-glcore, libnvidia-glvkspirv) sit beside it
    [ "$FOUND_BY" = search ] && export LD_LIBRARY_PATH="$NV_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    NV_ICD_USED="$NV_ICD"
    if [ -z "$NV_ICD" ] || [ "$NV_ICD_STD" = 0 ] || [ "$FOUND_BY" = search ]; then
      # no ICD file, one the loader does not look at, or one naming a library the dynamic
      # linker cannot find: write one that names the library by its path
      if [ -n "$NV_ICD" ]; then
        sed "s|\"library_path\" *: *\"[^\"]*\"|\"library_path\": \"$NV_LIB\"|" "$NV_ICD" >"$WORK/nvidia_icd.json"
      else
        printf '{"file_format_version":"1.0.1","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$NV_LIB" >"$WORK/nvidia_icd.json"
      fi
      echo "== wrote $WORK/nvidia_icd.json for $NV_LIB"
      NV_ICD_USED="$WORK/nvidia_icd.json"
    fi
    # only the NVIDIA driver: Dawn's adapter should be the GPU, not a CPU Vulkan (lavapipe)
    export VK_ICD_FILENAMES="$NV_ICD_USED" VK_DRIVER_FILES="$NV_ICD_USED"
  fi
  if [ -z "$NV_LIB" ] && [ -n "$NV_ICD" ]; then
    # the library was not found here: let the loader try the ICD file as it is
    export VK_ICD_FILENAMES="$NV_ICD" VK_DRIVER_FILES="$NV_ICD"
  fi
  echo "== NVIDIA Vulkan driver library: ${NV_LIB:-none} (ICD file ${NV_ICD:-none})"
  echo "== NVIDIA driver libraries:"
  for l in libGLX_nvidia.so.0 libEGL_nvidia.so.0 "libnvidia-glcore.so.${DRIVER:-*}" "libnvidia-glvkspirv.so.${DRIVER:-*}" \
    "libnvidia-gpucomp.so.${DRIVER:-*}" "libnvidia-vulkan-producer.so.${DRIVER:-*}" libcuda.so.1 libnvidia-ml.so.1; do
    ld_find "$l"
    p="$FOUND"
    [ -z "$p" ] && [ -n "$NV_LIB_DIR" ] && p="$(ls "$NV_LIB_DIR"/$l 2>/dev/null | head -1)"
    echo "   $l: ${p:-missing}"
  done
  ls -l /etc/vulkan/implicit_layer.d/nvidia_layers.json /usr/share/vulkan/implicit_layer.d/nvidia_layers.json 2>/dev/null
  echo "== LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-} VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
  # does the driver library load? (dlopen through node: a library that is no addon "did not self-register")
  NV_LIB_LOAD=""
  if [ -n "$NV_LIB" ]; then
    NV_LIB_LOAD="$(timeout 30 node -e 'try { process.dlopen({ exports: {} }, process.argv[1]); console.log("ok") } catch (e) { console.log(/self-register|Module did not/.test(e.message) ? "ok" : e.message.split("\n")[0]) }' "$NV_LIB" 2>&1 | tail -1)"
    echo "== dlopen $NV_LIB: $NV_LIB_LOAD"
  fi
  command -v vulkaninfo >/dev/null && step "vulkaninfo --summary" 20 vulkaninfo --summary
} >"$WORK/vulkan.txt" 2>&1
cat "$WORK/vulkan.txt"

# --- the WebGPU adapter, as Dawn sees it ------------------------------------------------------
cat >"$WORK/adapter.mjs" <<'JS'
const out = {}
let webgpu
try { webgpu = await import(process.argv[2]) } catch (e) { out.error = `dawn.node does not load: ${e.message.split("\n")[0]}` }
if (webgpu) {
  const { create, globals } = webgpu
  Object.assign(globalThis, globals)
  const flags = (process.env.GNLAB_DAWN_FLAGS ?? "").split(",").filter(Boolean)
  const describe = (a) => a && { vendor: a.info?.vendor, architecture: a.info?.architecture, device: a.info?.device,
    description: a.info?.description, isFallbackAdapter: a.isFallbackAdapter,
    maxBufferSize: a.limits?.maxBufferSize, maxStorageBufferBindingSize: a.limits?.maxStorageBufferBindingSize,
    features: a.features ? [...a.features] : [] }
  for (const p of ["high-performance", "low-power"]) {
    try { out[p] = describe(await create(flags).requestAdapter({ powerPreference: p })) } catch (e) { out[p] = null; out.error = e.message }
  }
  // Dawn lists every adapter when asked for one that does not exist
  try { await create([...flags, "adapter=gnlab-list-adapters"]).requestAdapter() } catch (e) { out.list = e.message }
}
console.log(JSON.stringify(out, null, 2))
process.exit(0)
JS
step "WebGPU adapter (Dawn)" 60 node "$WORK/adapter.mjs" "$WEBGPU" | tee "$WORK/adapter.json"
ADAPTER="$(node -e 'try { const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const h = a["high-performance"]; console.log(h ? [h.vendor, h.architecture, h.description].filter(Boolean).join(" ") || "yes" : "") } catch { console.log("") }' "$WORK/adapter.json")"
DAWN_ERR="$(node -e 'try { console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).error ?? "") } catch { console.log("the adapter probe printed no JSON") }' "$WORK/adapter.json")"

DIAG=""
if [ -z "$ADAPTER" ]; then
  echo "== WebGPU adapter: none: Dawn found no adapter${DAWN_ERR:+ ($DAWN_ERR)}"
  if [ -n "$LOADER" ]; then
    # the loader's own account of the drivers it tried
    VK_LOADER_DEBUG=error,warn,driver timeout 60 node "$WORK/adapter.mjs" "$WEBGPU" >"$WORK/vk-loader-debug.txt" 2>&1
    echo "== Vulkan loader messages (VK_LOADER_DEBUG=error,warn,driver; all in vk-loader-debug.txt):"
    grep -E 'ERROR|Found|Loading|Searching|nvidia|NVIDIA' "$WORK/vk-loader-debug.txt" | awk '!seen[$0]++' | head -20
  fi
  GRAPHICS="in a container, the NVIDIA container toolkit mounts the Vulkan driver (nvidia_icd.json, libGLX_nvidia.so.0, libnvidia-glcore, libnvidia-glvkspirv) only with the graphics capability: NVIDIA_DRIVER_CAPABILITIES=all or compute,utility,graphics (here: ${NVIDIA_DRIVER_CAPABILITIES-unset})"
  if [[ "$DAWN_ERR" == "dawn.node does not load"* ]]; then
    DIAG="$DAWN_ERR (dawn.node needs glibc >= 2.34 and libstdc++ with GLIBCXX_3.4.30; this machine has glibc ${GLIBC:-unknown})"
  elif [ "$HAVE_DRIVER" = 0 ]; then
    DIAG="no NVIDIA driver on this machine (no /proc/driver/nvidia/version, no nvidia-smi, no /dev/nvidia*): there is no GPU for Dawn to find (as expected on a machine without one)"
    [ -z "$LOADER" ] && DIAG="$DIAG; the Vulkan loader libvulkan.so.1 is missing too"
  elif [ -z "$LOADER" ]; then
    DIAG="no Vulkan loader: libvulkan.so.1 is neither installed nor in the kit (rebuild the kit where 'apt-get download libvulkan1' works, or install libvulkan1)"
  elif [ -z "$NV_ICD" ] && [ -z "$NV_LIB" ]; then
    DIAG="the NVIDIA driver ${DRIVER:+$DRIVER }is here but not its Vulkan part: no nvidia_icd.json and no libGLX_nvidia.so.0; $GRAPHICS"
  elif [ -z "$NV_LIB" ]; then
    DIAG="the ICD file $NV_ICD names $(sed -n 's/.*"library_path" *: *"\([^"]*\)".*/\1/p' "$NV_ICD" | head -1), which is not on this machine; $GRAPHICS"
  elif [ -n "$NV_LIB_LOAD" ] && [ "$NV_LIB_LOAD" != ok ]; then
    DIAG="the NVIDIA Vulkan driver library $NV_LIB does not load: $NV_LIB_LOAD (a missing libnvidia-glcore.so.${DRIVER:-<version>} or a user-space driver that does not match the kernel module ${DRIVER:-})"
  else
    DIAG="loader ($LOADER), ICD file (${VK_DRIVER_FILES:-$NV_ICD}) and driver library ($NV_LIB) are all here, yet Vulkan reports no NVIDIA device: see vk-loader-debug.txt (device nodes: ${DEVNODES:-none})"
    VKERR="$(grep -m1 'ERROR' "$WORK/vk-loader-debug.txt" 2>/dev/null | sed 's/^[A-Z |]*: *//')"
    [ -n "$VKERR" ] && DIAG="$DIAG; the loader says: $VKERR"
  fi
  echo "== diagnosis: $DIAG"
else
  echo "== WebGPU adapter: $ADAPTER"
  if [ "$HAVE_DRIVER" = 1 ] && ! printf '%s' "$ADAPTER" | grep -qi nvidia; then
    DIAG="Dawn's adapter ($ADAPTER) is not the NVIDIA GPU: the numbers below are not the GPU's (VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset})"
    echo "== diagnosis: $DIAG"
  fi
fi

# --- gnlab (skipped with GNLAB_CHECK_ADAPTER_ONLY=1: the facts and the diagnosis in ~10 s) -------
if [ "${GNLAB_CHECK_ADAPTER_ONLY:-0}" != 1 ]; then
  step "gnlab backends" 90 "${GNLAB[@]}" backends
  step "gnlab backends --json" 90 "${GNLAB[@]}" backends --json >"$WORK/backends.json"
  WEBGPU_OK=$(node -e 'try { const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(b.backends.some((x) => x.backend === "tfjs:webgpu" && x.available)) } catch { console.log(false) }' "$WORK/backends.json")
  echo "== tfjs:webgpu available: $WEBGPU_OK"
  if [ "$WEBGPU_OK" != true ] && [ -z "$DIAG" ]; then
    DIAG="Dawn has an adapter ($ADAPTER) but tfjs:webgpu is not available: $(node -e 'try { const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).backends.find((x) => x.backend === "tfjs:webgpu"); console.log(b?.why ?? b?.reason ?? JSON.stringify(b)) } catch (e) { console.log("gnlab backends failed") }' "$WORK/backends.json")"
    echo "== diagnosis: $DIAG"
  fi

  if [ "$WEBGPU_OK" = true ]; then
    # one GN and one GD step (after two warm-up steps) at N = 1000, M = 2000, on the GPU and the CPU
    step "bench 1000x2000 tfjs:webgpu vs cpu" 200 "${BENCH[@]}" --backends tfjs:webgpu,cpu --sizes 1000x2000 --reps 1 \
      >"$WORK/bench-1000x2000.json"
    # the same seed on both backends: GN 50 and GD 500 updates (compute-tfjs agreement sizes)
    for m in "gn 50" "gd 500"; do
      set -- $m
      for b in tfjs:webgpu cpu; do
        step "train $1 $2 on $b" 60 "${GNLAB[@]}" train --backend "$b" --method "$1" --max-iter "$2" --tol 0 \
          --n-train 100 --width 500 --n-test 1000 --seed 1 --eps0 1e-7 --quiet --json >"$WORK/agree-$1-${b/:/-}.json"
      done
    done
    if (($(left) > 150)); then
      step "bench 2000x5000 tfjs:webgpu" 140 "${BENCH[@]}" --backends tfjs:webgpu --sizes 2000x5000 --reps 1 \
        >"$WORK/bench-2000x5000.json"
    fi
  fi
fi

# --- summary ---------------------------------------------------------------------------------
export GNLAB_DIAG="$DIAG" GNLAB_NODE="$NODE_V" GNLAB_DRIVER="$DRIVER" GNLAB_LOADER="$LOADER" GNLAB_LOADER_FROM="$LOADER_FROM" \
  GNLAB_NV_ICD="$NV_ICD" GNLAB_NV_LIB="$NV_LIB" GNLAB_NV_LIB_LOAD="$NV_LIB_LOAD" GNLAB_GLIBC="$GLIBC"
node - "$WORK" "$MODE" <<'JS' | tee "$OUT/summary.json"
const fs = require("fs"), path = require("path")
const [out, mode] = process.argv.slice(2)
const env = (k) => process.env[k] || null
const read = (f) => { try { return JSON.parse(fs.readFileSync(path.join(out, f), "utf8")) } catch { return null } }
const gpu = (() => { try { return fs.readFileSync(path.join(out, "nvidia-smi.txt"), "utf8").match(/NVIDIA [A-Z]\w*[^|,]*?(?=\s{2,}|\||,)/)?.[0]?.trim() ?? null } catch { return null } })()
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
console.log(JSON.stringify({ mode, node: env("GNLAB_NODE"), glibc: env("GNLAB_GLIBC"), gpu, driver: env("GNLAB_DRIVER"),
  vulkan: { loader: env("GNLAB_LOADER"), loaderFrom: env("GNLAB_LOADER_FROM"), nvidiaIcd: env("GNLAB_NV_ICD"),
    icdUsed: env("VK_DRIVER_FILES"), nvidiaLibrary: env("GNLAB_NV_LIB"), nvidiaLibraryLoads: env("GNLAB_NV_LIB_LOAD") },
  adapter: read("adapter.json")?.["high-performance"] ?? null, diagnosis: env("GNLAB_DIAG"), webgpu,
  tfjs: backends?.tfjs ?? null, bench1000x2000: pick(read("bench-1000x2000.json")),
  bench2000x5000: pick(read("bench-2000x5000.json")), agree }, null, 2))
JS
pack
echo "== done in $((SECONDS - START)) s; in $OUT: webgpu-check.log, summary.json, files.tar (the other files)"
