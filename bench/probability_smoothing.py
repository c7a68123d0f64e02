"""Whether averaging a window's probabilities with the previous windows' of the same symbol lowers log-loss out of
time (bench/RESULTS.md § "Session 51"): neighbouring windows share most of their label candles (horizon 4), so
their predictions' noise might average out. Reads an `evaluate` run's predictions.csv; k = 1 is the run itself.

    python3 bench/probability_smoothing.py EVALUATE_OUTPUT_DIR [EVALUATE_OUTPUT_DIR …]

For each run and for transformer_lstm and gradient_boosting: the pooled log-loss when each window's three
probabilities are the mean of its own and up to k − 1 earlier windows' (one candle apart, the same symbol;
fewer where a gap or the fold's start leaves fewer: windows of another fold come from another model).
"""
import collections
import csv
import math
import os
import sys

LABELS = {"DOWN": 0, "SIDEWAYS": 1, "UP": 2}
LEARNERS = ("transformer_lstm", "gradient_boosting")


def smoothed_log_loss(rows: list, learner: str, k: int, step_ms: int) -> float:
    # Within a fold only: its windows come from one model (folds retrain monthly).
    by_symbol = collections.defaultdict(dict)
    for r in rows:
        by_symbol[(r["fold"], r["symbol"])][int(r["open_time"])] = r
    total = 0.0
    for r in rows:
        own = by_symbol[(r["fold"], r["symbol"])]
        t = int(r["open_time"])
        probs = []
        for j in range(k):
            q = own.get(t - j * step_ms)
            if q is None:
                break
            probs.append([float(q[f"{learner}_p_{c}"]) for c in ("down", "sideways", "up")])
        p = [sum(x[i] for x in probs) / len(probs) for i in range(3)]
        total -= math.log(max(p[LABELS[r["label"]]], 1e-12))
    return total / len(rows)


def main() -> None:
    for folder in sys.argv[1:]:
        with open(os.path.join(folder, "predictions.csv")) as f:
            rows = list(csv.DictReader(f))
        first = rows[0]["symbol"]
        times = sorted({int(r["open_time"]) for r in rows if r["symbol"] == first})
        step = min(b - a for a, b in zip(times, times[1:]))
        cells = [os.path.basename(os.path.normpath(folder))]
        for learner in LEARNERS:
            losses = " ".join(f"k{k} {smoothed_log_loss(rows, learner, k, step):.4f}" for k in (1, 2, 3, 4))
            cells.append(f"{learner}: {losses}")
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
