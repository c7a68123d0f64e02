#!/usr/bin/env bash
# candlecast without the compiled binary: install this as /opt/candlecast/dist/candlecast and the systemd units,
# the crontab and `retrain` (which starts its steps the same way) work unchanged on Deno from scripts/setup.sh.
#   install -m 755 deploy/candlecast-deno.sh dist/candlecast
set -euo pipefail
# What makes Deno fail before candlecast runs, with a Rust backtrace and no word of what to do: said here.
if ! pwd -P >/dev/null 2>&1; then
  echo "candlecast: the working folder was deleted (or moved away) while this shell was in it; Deno cannot start there" >&2
  echo "hint: cd to a folder that exists and run it again" >&2
  exit 1
fi
if [ -n "${HOME:-}" ] && [ ! -d "$HOME" ]; then
  # A file as HOME, or on its way: Deno reads HOME/.npmrc ("Not a directory"). A HOME not there is left to Deno.
  above="$HOME"
  while [ -n "$above" ] && [ ! -e "$above" ]; do
    case "$above" in */*) above="${above%/*}" ;; *) above="" ;; esac
  done
  if [ -n "$above" ] && [ ! -d "$above" ]; then
    echo "candlecast: HOME ($HOME) is not a folder ($above is a file); Deno reads its settings and keeps its cache under HOME" >&2
    echo "hint: set HOME to this user's home folder (in a systemd unit: Environment=HOME=…)" >&2
    exit 1
  fi
fi
# An address-space or data-segment limit: V8 reserves far more than it uses (32 GiB at start), and aborts under
# it ("Fatal process out of memory: Oilpan: CagedHeap reservation", exit 133; training's WebAssembly under
# `ulimit -d`). Said, then run all the same: a limit high enough works.
for limit in "v LimitAS=" "d LimitDATA="; do
  value="$(ulimit "-${limit%% *}")"
  if [ "$value" != unlimited ]; then
    echo "candlecast: warning: ulimit -${limit%% *} (${limit#* }) is $value KiB: Deno (V8) reserves far more address space than it uses and may abort under such a limit (at start, or when training); limit memory with a cgroup instead (MemoryMax= in a systemd unit; docs/deployment.md, Requirements)" >&2
  fi
done
home="${CANDLECAST_HOME:-$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)}"
export NO_COLOR="${NO_COLOR:-1}"
deno="$home/.tools/node_modules/.bin/deno"
if [ ! -x "$deno" ]; then
  # Said as candlecast says a failure (bash's own was "…/deno: No such file or directory", exit 127).
  echo "candlecast: no Deno in $home/.tools (scripts/setup.sh installs it there)" >&2
  echo "hint: run 'bash $home/scripts/setup.sh' once, or set CANDLECAST_HOME to the checkout that has it" >&2
  exit 1
fi
exec "$deno" run --allow-read --allow-write --allow-net --allow-env --allow-ffi \
  --allow-sys --allow-run "$home/main.ts" "$@"
