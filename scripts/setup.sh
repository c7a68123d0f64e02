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
echo "ready: export PATH=\"$PWD/.tools/node_modules/.bin:\$PATH\""
