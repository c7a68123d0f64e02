#!/bin/bash
# Peak RSS and wall time of `collect --source json` on a C# bot's export of N candles (the shared BTCUSDT 1h
# candles, restamped a minute apart and repeated to N), for one or more candlecast checkouts in turn, each run
# REPEATS times alternating, so a baseline is measured in the same run. Also the same candles as a CSV, which
# this checkout reads, for scale. No internet; files in a temp folder.
# Usage: bash bench/csharp_export_memory.sh N REPEATS MAIN_TS [MAIN_TS ...]
#   e.g. mkdir -p /tmp/old && git archive 9487d41 | tar -x -C /tmp/old && bash bench/csharp_export_memory.sh 1000000 2 /tmp/old/main.ts main.ts
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="$1"; REPEATS="$2"; shift 2
CANDLES="$ROOT/../shared/data/binance-spot-1h/BTCUSDT-1h.csv"
[ -f "$CANDLES" ] || { echo "skipped: $CANDLES is absent (the shared data sits beside the checkout)"; exit 0; }
DIR="$(mktemp -d)"; trap 'rm -rf "$DIR"' EXIT
python3 - "$CANDLES" "$N" "$DIR" <<'PY'
import csv, json, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [r for r in csv.DictReader(open(src))]
t0 = 1_600_000_000_000 - 1_600_000_000_000 % 60_000
candles = []
with open(f"{out}/candles.csv", "w") as f:
    f.write("open_time,open,high,low,close,volume\n")
    for i in range(n):
        r = rows[i % len(rows)]
        t = t0 + i * 60_000
        f.write(f"{t},{r['open']},{r['high']},{r['low']},{r['close']},{r['volume']}\n")
        candles.append({"t": t, "o": float(r["open"]), "h": float(r["high"]), "l": float(r["low"]),
                        "c": float(r["close"]), "v": float(r["volume"])})
json.dump([{"symbol": "BTCUSDT", "candles": candles}], open(f"{out}/export.json", "w"))
PY
echo "N=$N export $(du -h "$DIR/export.json" | cut -f1), csv $(du -h "$DIR/candles.csv" | cut -f1); load $(cut -d' ' -f1-3 /proc/loadavg)"
measure() { # LABEL MAIN SOURCE ARGS...
  local label="$1" main="$2"; shift 2
  rm -f "$DIR/out.csv"
  /usr/bin/time -f "%M %e" -o "$DIR/time" deno run -A --config "$ROOT/deno.json" "$main" collect "$@" \
    --output "$DIR/out.csv" > /dev/null 2>&1
  read -r kb secs < "$DIR/time"
  echo "$label: peak_rss_mb=$((kb / 1024)) wall_s=$secs md5=$(md5sum < "$DIR/out.csv" | cut -c1-8) load $(cut -d' ' -f1 /proc/loadavg)"
}
for r in $(seq "$REPEATS"); do
  for main in "$@"; do measure "json $main (run $r)" "$main" --source json --json-path "$DIR/export.json"; done
done
measure "csv $ROOT/main.ts" "$ROOT/main.ts" --source csv --csv-path "$DIR/candles.csv" --symbol BTCUSDT --interval 1m
