#!/bin/bash
# A client pipelining GET /health without reading its answers, against one serve worker: the worker's RSS and
# another client's /health every 3 s (server/listen/backpressure.ts). No internet; a demo store is made in a
# temp folder. Usage: bash bench/pipeline_flood.sh [MAIN_TS] [CONNECTIONS] [SECONDS]
#   MAIN_TS: the candlecast to serve with (default: this checkout's main.ts; an old checkout's to compare)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MAIN="${1:-$ROOT/main.ts}"; CONNS="${2:-4}"; SECS="${3:-10}"
DIR="$(mktemp -d)"; trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$DIR"' EXIT
deno run -A --config "$ROOT/deno.json" "$ROOT/main.ts" demo --short --dir "$DIR/demo" > /dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CANDLECAST_API_KEY=0123456789abcdef0123456789abcdef deno run -A --config "$ROOT/deno.json" "$MAIN" serve \
  --checkpoint "$DIR/demo/checkpoints/current" --port "$PORT" --workers 1 --no-predictions-log > /dev/null 2>&1 &
SERVE=$!
for _ in $(seq 60); do curl -s -o /dev/null "localhost:$PORT/health" && break; sleep 0.5; done
echo "serve $MAIN on $PORT: idle rss_kb=$(ps -o rss= -p $SERVE) load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$PORT" "$SECS" "$CONNS" <<'PY' &
import socket, sys, threading, time
port, secs, conns = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
burst = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 200
def flood():
    s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(2); t = time.time()
    while time.time() - t < secs:
        try: s.sendall(burst)
        except socket.timeout: pass
        except OSError: return  # cut by the server
    time.sleep(30)
for _ in range(conns): threading.Thread(target=flood, daemon=True).start()
time.sleep(secs + 20)
PY
for i in 1 2 3 4 5; do
  sleep 3
  echo "t=$((i * 3))s rss_kb=$(ps -o rss= -p $SERVE) health=$(curl -s -m3 -o /dev/null -w '%{http_code} %{time_total}s' "localhost:$PORT/health")"
done
echo "end load $(cut -d' ' -f1-3 /proc/loadavg)"
