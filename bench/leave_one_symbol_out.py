#!/usr/bin/env python3
"""Training CSVs for a leave-one-symbol-out check (bench/RESULTS.md, "Session 49").

For each symbol S of a training CSV (as `candlecast collect` writes it), writes `<out>/loso_S.csv`: the other
symbols' rows before the test date, and S's rows from `lookback - 1` candles before it on. With
`train --split-dates <validation>,<test>` every learner then trains and validates on the other symbols alone,
and the test split is S's windows alone: S is a symbol the model never saw.

    python3 bench/leave_one_symbol_out.py five_1h.csv out/ 2023-01-01 [lookback 50] [interval hours 1]
"""
import csv
import datetime
import os
import sys


def main() -> None:
    source, out, test = sys.argv[1], sys.argv[2], sys.argv[3]
    lookback = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    hours = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
    day = datetime.datetime.fromisoformat(test).replace(tzinfo=datetime.timezone.utc)
    test_ms = int(day.timestamp() * 1000)
    # The first window of S ends on the test date's first candle: S has no train or validation window.
    first_ms = test_ms - int((lookback - 1) * hours * 3_600_000)
    with open(source, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    os.makedirs(out, exist_ok=True)
    for held_out in sorted({r[0] for r in body}):
        path = os.path.join(out, f"loso_{held_out}.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            for r in body:
                t = int(r[1])
                if (r[0] == held_out and t >= first_ms) or (r[0] != held_out and t < test_ms):
                    w.writerow(r)
        print(path)


if __name__ == "__main__":
    main()
