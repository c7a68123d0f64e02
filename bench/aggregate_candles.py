"""Aggregate 1h OHLCV candles into h-hour candles on UTC boundaries (the 2h, 3h, 4h, 6h, 8h, 12h and 1d series
of bench/RESULTS.md since session 43).

    python3 bench/aggregate_candles.py HOURS [SOURCE_DIR] [OUTPUT_DIR] [--keep-incomplete]

SOURCE_DIR holds SYMBOL-1h.csv files (open_time,open,high,low,close,volume; default ../shared/data/binance-spot-1h);
each becomes OUTPUT_DIR/SYMBOL-{HOURS}h.csv (default agg/). A bucket starts at a multiple of HOURS hours since the
epoch (UTC midnight for 24; HOURS must divide 24, since a multiple of 168 from the epoch starts weeks on a Thursday,
not Binance's Monday, and calendar months are no multiple of hours) and is dropped unless it holds every hour (a gap would make a shorter candle pass for
a full one). --keep-incomplete keeps such buckets, as session 29's throw-away script did (its 2h series held
122,434 candles). Then `candlecast collect --source csv --csv-path OUTPUT_DIR/SYMBOL-4h.csv --symbol SYMBOL
--interval 4h --output …` computes the indicators, once per symbol into one training CSV.
"""
import csv
import os
import sys

HOUR_MS = 3_600_000


def aggregate(path: str, hours: int, keep_incomplete: bool) -> list[list[str]]:
    buckets: dict[int, list[dict[str, str]]] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            buckets.setdefault(int(row["open_time"]) // (hours * HOUR_MS), []).append(row)
    out = []
    for b in sorted(buckets):
        rows = sorted(buckets[b], key=lambda r: int(r["open_time"]))
        whole = len(rows) == hours and int(rows[0]["open_time"]) == b * hours * HOUR_MS
        if not whole and not keep_incomplete:
            continue
        out.append([
            str(b * hours * HOUR_MS),
            rows[0]["open"],
            repr(max(float(r["high"]) for r in rows)),
            repr(min(float(r["low"]) for r in rows)),
            rows[-1]["close"],
            repr(sum(float(r["volume"]) for r in rows)),
        ])
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not args:
        sys.exit(__doc__)
    hours = int(args[0])
    if hours < 1 or 24 % hours != 0:
        sys.exit(f"HOURS must divide 24 (1, 2, 3, 4, 6, 8, 12, 24), not {hours}: longer buckets from the epoch are "
                 "not an exchange's weeks (they start on a Thursday) or months\n\n" + (__doc__ or ""))
    source = args[1] if len(args) > 1 else os.path.join("..", "shared", "data", "binance-spot-1h")
    output = args[2] if len(args) > 2 else "agg"
    os.makedirs(output, exist_ok=True)
    for name in sorted(os.listdir(source)):
        if not name.endswith("-1h.csv"):
            continue
        symbol = name.split("-")[0]
        rows = aggregate(os.path.join(source, name), hours, "--keep-incomplete" in sys.argv)
        with open(os.path.join(output, f"{symbol}-{hours}h.csv"), "w", newline="") as f:
            f.write("open_time,open,high,low,close,volume\n")
            for r in rows:
                f.write(",".join(r) + "\n")
        print(f"{symbol}: {len(rows)} {hours}h candles", file=sys.stderr)


if __name__ == "__main__":
    main()
