#!/usr/bin/env bash
# Builds the GPU-check kit: a folder that runs tools/device/webgpu-check.sh on a machine with
# nothing but a shell, the GPU driver and xz or python3 (no node, no npm registry, no internet):
#
#   tools/device/dist/gnlab-gpu-kit/      ~38 MB, the folder to carry (under the 64 MiB carry limit)
#     webgpu-check.sh                     the check (a copy of tools/device/webgpu-check.sh)
#     node.xz                             this machine's `node` binary, xz-compressed (unpacked
#                                         by the check with xz, else python3's lzma module)
#     gnlab.mjs.xz bench.mjs.xz host.js.xz worker.js.xz   gnlab, the benchmark, the tfjs worker
#                                         and the CPU backend's worker thread, bundled by esbuild
#                                         (tfjs inside), compressed too
#     node_modules/webgpu/                Dawn's binding (dist/linux-x64/dawn.node.xz, unpacked too)
#     lib/libvulkan.so.1                  the Vulkan loader (Debian's libvulkan1, or this machine's)
#     lib/fallback/                       libstdc++ and libgcc_s, used only when the system's are
#                                         too old for node or dawn.node (GLIBCXX_3.4.30)
#     KIT.json                            what went in: node version, input hash, sizes
#   tools/device/dist/gnlab-gpu-kit.tar   the same folder as one file (not compressed again)
#
#   bash tools/device/build-kit.sh              # builds (about 1 min; `dist/` is git-ignored)
#   bash tools/device/build-kit.sh --if-stale   # does nothing when KIT.json's input hash matches
#
# The input hash covers this node binary, dawn.node, every file of packages/*/src, tools/src and
# tools/device/*.sh and *.mjs, and package-lock.json, so a kit reused by --if-stale is never older than its
# inputs. GNLAB_KIT_XZ sets xz's preset (default 1: 17 s for node's 99 MB on a loaded core,
# 28 MB; preset 6 saves 4 MB and takes 2.5 min). The build fails when the kit exceeds 60 MB.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dist="$root/tools/device/dist"
kit="$dist/gnlab-gpu-kit"
xzlevel="${GNLAB_KIT_XZ:-1}"
max_bytes=60000000
esbuild="$root/node_modules/.bin/esbuild"
webgpu="$root/node_modules/webgpu"
node_bin="$(command -v node || true)"
[ -n "$node_bin" ] || { echo "build-kit: no node on PATH" >&2; exit 1; }
node_bin="$(readlink -f "$node_bin")"
[ -x "$esbuild" ] || { echo "build-kit: run npm ci first (no $esbuild)" >&2; exit 1; }
[ -f "$webgpu/dist/linux-x64/dawn.node" ] || { echo "build-kit: no $webgpu/dist/linux-x64/dawn.node (npm ci)" >&2; exit 1; }
command -v xz >/dev/null || { echo "build-kit: needs xz (apt-get install xz-utils)" >&2; exit 1; }

inputs_hash() {
  {
    echo "xz=$xzlevel node=$("$node_bin" -v)"
    sha256sum "$node_bin" "$webgpu/dist/linux-x64/dawn.node" "$webgpu/index.js" "$webgpu/package.json"
    cd "$root"
    git ls-files -co --exclude-standard -- 'packages/*/src' tools/src 'tools/device/*.sh' 'tools/device/*.mjs' package-lock.json |
      LC_ALL=C sort | while IFS= read -r f; do [ -f "$f" ] && sha256sum "$f"; done
  } | sha256sum | cut -d' ' -f1
}
hash="$(inputs_hash)"
if [ "${1:-}" = --if-stale ] && [ -f "$kit/KIT.json" ] && [ -f "$dist/gnlab-gpu-kit.tar" ] &&
  grep -q "\"inputs\": \"$hash\"" "$kit/KIT.json"; then
  echo "build-kit: $kit is up to date (inputs $hash)"
  exit 0
fi

start=$SECONDS
rm -rf "$kit" "$dist/gnlab-gpu-kit.tar"
mkdir -p "$kit/node_modules/webgpu/dist/linux-x64" "$kit/lib/fallback"
# node first, in the background: it is the slow part
xz "-$xzlevel" -T1 -c "$node_bin" >"$kit/node.xz" &
xz_node=$!

bundle() {
  # esbuild through tools/device/bundle-kit.mjs (what stays outside, and why, is written there)
  (cd "$root" && node tools/device/bundle-kit.mjs "$1" "$2")
}
bundle "$root/packages/runner/src/main.ts" "$kit/gnlab.mjs"
bundle "$root/tools/src/bench-main.ts" "$kit/bench.mjs"
# the tfjs worker (tfjs:webgpu) and the CPU backend's worker threads: the bundled code looks
# for host.js and worker.js beside itself (without worker.js each pool waits 60 s, then runs alone)
bundle "$root/packages/compute-tfjs/src/worker/host.ts" "$kit/host.js"
bundle "$root/packages/compute/src/cpu/worker.ts" "$kit/worker.js"
# 14 MB of JavaScript: 2.6 MB compressed (the kit travels with a 64 MiB limit on everything)
xz "-$xzlevel" -T1 "$kit/gnlab.mjs" "$kit/bench.mjs" "$kit/host.js" "$kit/worker.js"
echo '{ "type": "module", "private": true }' >"$kit/package.json"
cp "$webgpu/package.json" "$webgpu/index.js" "$kit/node_modules/webgpu/"
xz "-$xzlevel" -T1 -c "$webgpu/dist/linux-x64/dawn.node" >"$kit/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
cp "$root/tools/device/webgpu-check.sh" "$kit/webgpu-check.sh"
chmod +x "$kit/webgpu-check.sh"

# the Vulkan loader: Debian's libvulkan1 (apt-get download needs no root), else this machine's
loader=none
if command -v apt-get >/dev/null; then
  tmp="$(mktemp -d)"
  # no package lists yet (a fresh container): fetch them once when root
  if (cd "$tmp" && timeout 60 apt-get download libvulkan1 >/dev/null 2>&1) ||
    { [ "$(id -u)" = 0 ] && timeout 120 apt-get update -qq >/dev/null 2>&1 &&
      (cd "$tmp" && timeout 60 apt-get download libvulkan1 >/dev/null 2>&1); }; then
    dpkg-deb -x "$tmp"/libvulkan1_*.deb "$tmp/x"
    cp -L "$tmp"/x/usr/lib/*/libvulkan.so.1 "$kit/lib/" && loader="$(basename "$tmp"/libvulkan1_*.deb)"
  fi
  rm -rf "$tmp"
fi
if [ "$loader" = none ]; then
  sys="$(ldconfig -p 2>/dev/null | awk '/libvulkan\.so\.1 .*x86-64/ {print $NF; exit}')"
  if [ -n "$sys" ]; then
    cp -L "$sys" "$kit/lib/libvulkan.so.1" && loader="$sys"
  else
    echo "build-kit: WARNING: no Vulkan loader (apt-get download libvulkan1 failed, none installed):" \
      "the check will work only where libvulkan1 is installed" >&2
  fi
fi
# libstdc++/libgcc_s of this machine, for a GPU machine whose own are older than dawn.node needs
for l in libstdc++.so.6 libgcc_s.so.1; do
  p="$(ldconfig -p 2>/dev/null | awk -v l="$l" '$1 == l && /x86-64/ {print $NF; exit}')"
  [ -n "$p" ] && cp -L "$p" "$kit/lib/fallback/$l"
done

wait "$xz_node"
bytes="$(du -sb "$kit" | cut -f1)"
cat >"$kit/KIT.json" <<EOF
{
  "inputs": "$hash",
  "node": "$("$node_bin" -v)",
  "nodeBytes": $(stat -c %s "$node_bin"),
  "xzPreset": $xzlevel,
  "vulkanLoader": "$loader",
  "builtOn": "$(uname -srm), $(grep -m1 PRETTY_NAME /etc/os-release 2>/dev/null | cut -d= -f2 | tr -d '"')",
  "builtAt": "$(date -u +%FT%TZ)",
  "bytes": $bytes
}
EOF
tar -cf "$dist/gnlab-gpu-kit.tar" -C "$dist" gnlab-gpu-kit
echo "build-kit: $kit: $((bytes / 1000000)) MB ($bytes bytes; node.xz $(($(stat -c %s "$kit/node.xz") / 1000000)) MB)," \
  "Vulkan loader: $loader, $((SECONDS - start)) s; also $dist/gnlab-gpu-kit.tar"
if ((bytes > max_bytes)); then
  echo "build-kit: the kit is $bytes bytes, over the 60 MB limit (carry limit 64 MiB): use GNLAB_KIT_XZ=6" >&2
  exit 1
fi
