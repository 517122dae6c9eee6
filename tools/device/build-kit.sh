#!/usr/bin/env bash
# Builds tools/device/dist/: a self-contained copy of `gnlab` and the benchmark for a machine
# without node_modules and without registry access (the GPU machine of webgpu-check.sh).
# Everything JavaScript is bundled by esbuild (tfjs and its WebGPU backend included); the
# `webgpu` package (Dawn's native binding, ~21 MB) is copied beside the bundles, and the
# Vulkan loader libvulkan.so.1 from Debian's libvulkan1 when apt can download it.
# About 40 MB: carry it with the checkout (`dist/` is git-ignored). Run from anywhere:
#   bash tools/device/build-kit.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
kit="$root/tools/device/dist"
esbuild="$root/node_modules/.bin/esbuild"
[ -x "$esbuild" ] || { echo "build-kit: run npm ci first (no $esbuild)" >&2; exit 1; }
rm -rf "$kit"
mkdir -p "$kit/node_modules/webgpu/dist/linux-x64" "$kit/lib"
bundle() {
  # native and Node-binding packages stay outside; CommonJS inside an ES module needs `require`;
  # the report (Vega, resvg's native binary) is loaded by `gnlab report` only and is left out
  "$esbuild" "$1" --bundle --platform=node --format=esm --target=node20 --log-level=warning \
    --conditions=gnlab-source --main-fields=module,main --external:@gnlab/report \
    --external:webgpu --external:@tensorflow/tfjs-backend-wasm \
    --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --banner:js="import { createRequire as __gnlabRequire } from 'node:module'; const require = __gnlabRequire(import.meta.url);" \
    --outfile="$2"
}
bundle "$root/packages/runner/src/main.ts" "$kit/gnlab.mjs"
bundle "$root/tools/src/bench-main.ts" "$kit/bench.mjs"
# the tfjs worker (tfjs:webgpu): the bundled client looks for host.js beside itself
bundle "$root/packages/compute-tfjs/src/worker/host.ts" "$kit/host.js"
echo '{ "type": "module", "private": true }' > "$kit/package.json"
cp "$root/node_modules/webgpu/package.json" "$root/node_modules/webgpu/index.js" "$kit/node_modules/webgpu/"
cp "$root/node_modules/webgpu/dist/linux-x64/dawn.node" "$kit/node_modules/webgpu/dist/linux-x64/"
if command -v apt-get >/dev/null; then
  tmp="$(mktemp -d)"
  if (cd "$tmp" && timeout 60 apt-get download libvulkan1 >/dev/null 2>&1); then
    dpkg-deb -x "$tmp"/libvulkan1_*.deb "$tmp/x"
    cp -L "$tmp"/x/usr/lib/*/libvulkan.so.1 "$kit/lib/"
  else
    echo "build-kit: apt-get download libvulkan1 failed: the kit has no Vulkan loader" >&2
  fi
  rm -rf "$tmp"
fi
du -sh "$kit"
