#!/bin/sh
# The container's entry point: runs `candlecast <command>` on Deno with the permissions that command needs,
# never --allow-all. The Dockerfile sets the two sets:
#   CANDLECAST_SERVE_PERMISSIONS    serve: reads /app, writes only data/ (the predictions log) and /tmp (the
#                                   workers' shared counters), listens on 0.0.0.0, runs only deno (its workers)
#   CANDLECAST_COMMAND_PERMISSIONS  every other command (retrain, train, collect, models, monitor, export):
#                                   unscoped read and write, because Deno.symlink (how `current` is switched
#                                   atomically) refuses path-scoped grants; env, ffi and run stay scoped
# The chosen set is exported as CANDLECAST_DENO_PERMISSIONS, which serve's workers and retrain's steps are
# started with too (cli/self_command.ts): a child never gets more than its parent. --no-prompt first: under
# `docker run -it` a read outside the set would otherwise stop at Deno's permission prompt instead of failing.
set -eu
if [ "${1:-}" = "serve" ]; then
  CANDLECAST_DENO_PERMISSIONS="--no-prompt $CANDLECAST_SERVE_PERMISSIONS"
else
  CANDLECAST_DENO_PERMISSIONS="--no-prompt $CANDLECAST_COMMAND_PERMISSIONS"
fi
export CANDLECAST_DENO_PERMISSIONS
# Unquoted on purpose: one word per flag (none holds a space). exec: Deno is PID 1, as the health check expects.
# shellcheck disable=SC2086
exec deno run $CANDLECAST_DENO_PERMISSIONS main.ts "$@"
