#!/usr/bin/env bash
# candlecast without the compiled binary: install this as /opt/candlecast/dist/candlecast and the systemd units,
# the crontab and `retrain` (which starts its steps the same way) work unchanged on Deno from scripts/setup.sh.
#   install -m 755 deploy/candlecast-deno.sh dist/candlecast
set -euo pipefail
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
