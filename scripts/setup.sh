#!/usr/bin/env bash
# Installs candlecast's toolchain from nothing but Node.js and npm: Deno (pinned, from the npm package
# `deno`) into .tools/, then the npm dependencies pinned in deno.lock. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
DENO_VERSION=2.9.6
if [ "$(.tools/node_modules/.bin/deno --version 2>/dev/null | head -1 | cut -d' ' -f2)" != "$DENO_VERSION" ]; then
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION"
fi
# onnxruntime-node's installer would download CUDA libraries; the CPU binaries ship inside the package.
ONNXRUNTIME_NODE_INSTALL=skip .tools/node_modules/.bin/deno install --frozen
# The optional native kernels (ml/runtime/native/*.c: the matrix products, the LSTM loops and the transposes in
# C with AVX2 + FMA; the same bits as the WebAssembly kernels, training steps 1.1-2x faster,
# a whole train or evaluate 1.1-1.3x). Without a C compiler or
# on another platform training uses the WebAssembly kernels, so this never fails the setup.
native=ml/runtime/native
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "native kernels: skipped (x86-64 Linux only); training uses the WebAssembly kernels"
elif ! command -v cc >/dev/null; then
  echo "native kernels: skipped (no C compiler: apt-get install gcc); training uses the WebAssembly kernels"
elif cc -O3 -ffp-contract=off -shared -fPIC -o "$native/libcandlecast_kernels.so.tmp" "$native"/*.c; then
  mv "$native/libcandlecast_kernels.so.tmp" "$native/libcandlecast_kernels.so"
else
  rm -f "$native/libcandlecast_kernels.so.tmp"
  echo "native kernels: the build failed (above); training uses the WebAssembly kernels"
fi
echo "ready: export PATH=\"$PWD/.tools/node_modules/.bin:\$PATH\""
