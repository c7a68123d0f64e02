"""Would recalibrating on the most recent labelled windows help out of time? (issue 11, session 30)

Reads `evaluate`'s predictions.csv files and, for transformer_lstm and gradient_boosting, replays a weekly
recalibration: every Monday 00:00 UTC inside the test quarter, fit on the windows of the last --days days whose
label is known by then (open time + horizon candles ≤ that Monday), apply to that week's windows. Only windows
from the first Monday with 28 days of the file behind it are scored (the file holds the test quarter only), raw
and recalibrated alike.

  --method offsets      three additive logit offsets (sum zero), maximum likelihood with an L2 penalty
                        0.5·λ·|b|² (--penalty λ, in summed log-likelihood units): the class shares of recent weeks
  --method temperature  one temperature scale s on the calibrated probabilities (p ∝ p^(1/s), s in 0.5 … 2)
  --method oracle       the scale s of 0.6 … 1.6 (step 0.05) best on the whole quarter itself: what a perfect
                        temperature would buy (not a method: it reads the outcomes it scores)

Outside CI (needs numpy and scipy). Example:
  python3 bench/recalibration.py --method offsets --days 28 --penalty 50 run1/predictions.csv run2/…
"""

import argparse
import csv
import sys

import numpy as np
from scipy.optimize import minimize, minimize_scalar

DAY = 86_400_000
CLASSES = {"DOWN": 0, "SIDEWAYS": 1, "UP": 2}
LEARNERS = ("transformer_lstm", "gradient_boosting")


def load(path):
    rows = list(csv.DictReader(open(path)))
    t = np.array([int(r["open_time"]) for r in rows])
    y = np.array([CLASSES[r["label"]] for r in rows])
    p = {
        name: np.array([[float(r[f"{name}_p_{c}"]) for c in ("down", "sideways", "up")] for r in rows])
        for name in LEARNERS
    }
    return t, y, p


def nll(p, y):
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1)).mean())


def ece(p, y, bins=10):
    """Top-class ECE over equal-width bins, as ml/metrics/calibration.ts computes it."""
    top = p.argmax(1)
    conf = p[np.arange(len(y)), top]
    hit = (top == y).astype(float)
    b = np.minimum(bins - 1, np.floor(conf * bins).astype(int))
    return float(sum((b == k).mean() * abs(hit[b == k].mean() - conf[b == k].mean()) for k in range(bins) if (b == k).any()))


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def fit_offsets(logp, y, penalty):
    def loss(v):
        b = np.array([v[0], v[1], -v[0] - v[1]])
        z = logp + b
        z = z - z.max(1, keepdims=True)
        ll = (z[np.arange(len(y)), y] - np.log(np.exp(z).sum(1))).sum()
        return -ll + 0.5 * penalty * (b**2).sum()

    v = minimize(loss, np.zeros(2), method="BFGS").x
    return lambda lp: softmax(lp + np.array([v[0], v[1], -v[0] - v[1]]))


def fit_scale(logp, y):
    s = minimize_scalar(lambda s: nll(softmax(logp / s), y), bounds=(0.5, 2.0), method="bounded").x
    return lambda lp: softmax(lp / s)


def replay(t, y, p, args, interval):
    """The recalibrated probabilities and the mask of scored windows."""
    logp = np.log(np.clip(p, 1e-12, 1))
    out = p.copy()
    # The Unix epoch was a Thursday: Mondays are 4 days after a multiple of 7 days.
    first = ((t.min() - 4 * DAY) // (7 * DAY) + 1) * 7 * DAY + 4 * DAY
    mondays = np.arange(first, t.max() + 1, 7 * DAY)
    mondays = mondays[mondays >= t.min() + 28 * DAY]
    scored = t >= mondays[0]
    for m in mondays:
        week = (t >= m) & (t < m + 7 * DAY)
        known = (t >= m - args.days * DAY) & (t + args.horizon * interval <= m)
        fit = fit_offsets(logp[known], y[known], args.penalty) if args.method == "offsets" else fit_scale(logp[known], y[known])
        out[week] = fit(logp[week])
    return out, scored


def oracle(y, p):
    logp = np.log(np.clip(p, 1e-12, 1))
    return min((nll(softmax(logp / s), y), s, softmax(logp / s)) for s in np.arange(0.6, 1.61, 0.05))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--method", choices=("offsets", "temperature", "oracle"), required=True)
    ap.add_argument("--days", type=float, default=28)
    ap.add_argument("--penalty", type=float, default=50)
    ap.add_argument("--horizon", type=int, default=4)
    args = ap.parse_args()
    totals = {name: [] for name in LEARNERS}
    for path in args.files:
        t, y, probs = load(path)
        interval = int(np.median(np.diff(np.unique(t))))
        cells = []
        for name, p in probs.items():
            if args.method == "oracle":
                best, s, q = oracle(y, p)
                raw, mask = nll(p, y), np.ones(len(y), bool)
                cells.append(f"{name} {raw:.4f} → {best:.4f} at s {s:.2f}, ECE {ece(p, y):.4f} → {ece(q, y):.4f}")
                totals[name].append((best - raw, ece(p, y), ece(q, y)))
                continue
            q, mask = replay(t, y, p, args, interval)
            raw, new = nll(p[mask], y[mask]), nll(q[mask], y[mask])
            e0, e1 = ece(p[mask], y[mask]), ece(q[mask], y[mask])
            totals[name].append((new - raw, e0, e1))
            cells.append(f"{name} {raw:.4f} → {new:.4f} ({new - raw:+.4f}), ECE {e0:.4f} → {e1:.4f}")
        print(f"{path} ({mask.sum()} scored windows): " + "; ".join(cells))
    for name, rows in totals.items():
        d = np.array(rows)
        print(
            f"{name}: mean Δ log-loss {d[:, 0].mean():+.5f}, lower in {(d[:, 0] < 0).sum()} of {len(d)}, "
            f"mean ECE {d[:, 1].mean():.4f} → {d[:, 2].mean():.4f}"
        )


if __name__ == "__main__":
    sys.exit(main())
