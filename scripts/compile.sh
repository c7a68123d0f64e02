#!/usr/bin/env bash
# Builds the single binary dist/candlecast with `deno compile --self-extracting` (the onnxruntime addon loads
# libonnxruntime.so.1 from its own folder, so the embedded files must exist on disk). deno compile needs the
# `denort` runtime of the same Deno version; it is taken from DENORT_BIN, else from Deno's download cache, else
# Deno tries to download it. Where none can be had this stops with one line saying how to provide it (exit 3).
set -euo pipefail
cd "$(dirname "$0")/.."
DENO_VERSION=$(deno --version | head -1 | cut -d' ' -f2)
target=$(deno eval 'console.log(Deno.build.target)')
cache="${DENO_DIR:-$HOME/.cache/deno}/dl/release/v${DENO_VERSION}/denort-${target}.zip"

if [ -n "${DENORT_BIN:-}" ]; then
  if [ ! -x "$DENORT_BIN" ]; then
    echo "deno task compile: DENORT_BIN=$DENORT_BIN is not an executable file" >&2
    exit 3
  fi
elif [ ! -f "$cache" ] && ! timeout 20 curl -sfI "https://dl.deno.land/release/v${DENO_VERSION}/denort-${target}.zip" >/dev/null 2>&1; then
  echo "deno task compile: skipped: no denort runtime here; download denort-${target}.zip for Deno ${DENO_VERSION}" \
    "from Deno's GitHub release, unzip it and run DENORT_BIN=/path/to/denort deno task compile" >&2
  exit 3
fi

# Only this platform's onnxruntime binaries (the package ships every platform's: ~288 MB).
excludes=()
for dir in node_modules/onnxruntime-node/bin/napi-v*/*/; do
  os=$(basename "$dir")
  case "$os" in linux) ;; *) excludes+=(--exclude "$dir") ;; esac
done
for dir in node_modules/onnxruntime-node/bin/napi-v*/linux/*/; do
  case "$(basename "$dir")" in x64) [ "$(uname -m)" = x86_64 ] || excludes+=(--exclude "$dir") ;;
    *) [ "$(uname -m)" = x86_64 ] && excludes+=(--exclude "$dir") ;; esac
done

mkdir -p dist
deno compile --self-extracting --output dist/candlecast \
  --allow-read --allow-write --allow-net --allow-env --allow-ffi --allow-sys --allow-run \
  --include node_modules/@tensorflow/tfjs-backend-wasm/dist \
  --include cli/program.ts \
  --include cli/exit_with_parent.ts \
  --include ml/train/member_worker.ts \
  --include ml/train/replica_worker.ts \
  "${excludes[@]}" main.ts

# A runtime that is not denort (e.g. the full deno CLI) produces a file that ignores the embedded program.
if ! dist/candlecast --version 2>/dev/null | grep -qx "$(deno eval 'import { VERSION } from "./engine/version.ts"; console.log(VERSION)')"; then
  rm -f dist/candlecast
  echo "deno task compile: the runtime in DENORT_BIN=${DENORT_BIN:-} is not denort ${DENO_VERSION}; the binary did not run" >&2
  exit 3
fi
echo "built dist/candlecast ($(du -h dist/candlecast | cut -f1))"
