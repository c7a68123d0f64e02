"""Would a temperature (and class bias) fit on the previous month's outcomes help? (issue 11, session 32)

Reads `evaluate`'s predictions.csv (monthly folds) from each folder given; for folds 2 and 3, fits on the
previous fold's test windows (a) one temperature on the model's calibrated log-probabilities, (b) that plus a
3-class bias, by maximum likelihood, and applies it to the fold. Prints per run and pooled log-loss and ECE
(10 bins, top class) as served and corrected. Session 30's bench/recalibration.py asks the same weekly.

Outside CI (numpy, scipy). Example:
  python3 bench/previous_month_recalibration.py eval_1h_q1_2019 eval_2h_q4_2019 …
"""
import numpy as np, sys, os
from scipy.optimize import minimize
CL = {"DOWN": 0, "SIDEWAYS": 1, "UP": 2}
def load(d):
    import csv
    rows = list(csv.DictReader(open(os.path.join(d, "predictions.csv"))))
    f = np.array([r["fold"] for r in rows]); y = np.array([CL[r["label"]] for r in rows])
    p = np.array([[float(r[f"transformer_lstm_p_{c}"]) for c in ("down", "sideways", "up")] for r in rows])
    return f, y, np.clip(p, 1e-7, 1)
def ll(p, y): return -np.mean(np.log(p[np.arange(len(y)), y]))
def ece(p, y, bins=10):
    c = p.max(1); hit = (p.argmax(1) == y).astype(float); e = 0
    for b in range(bins):
        m = (c >= b / bins) & ((c < (b + 1) / bins) if b < bins - 1 else (c <= 1))
        if m.any(): e += m.sum() * abs(c[m].mean() - hit[m].mean())
    return e / len(y)
def apply(lp, theta):
    z = lp / theta[0] + (theta[1:] if len(theta) > 1 else 0)
    z = z - z.max(1, keepdims=True); q = np.exp(z); return q / q.sum(1, keepdims=True)
def fit(lp, y, bias):
    x0 = np.array([1.0, 0, 0, 0]) if bias else np.array([1.0])
    obj = lambda t: ll(apply(lp, np.concatenate([[max(t[0], 0.05)], t[1:]])), y)
    r = minimize(obj, x0, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-8, "maxiter": 4000})
    t = r.x.copy(); t[0] = max(t[0], 0.05); return t
tot = {k: [] for k in ("none", "temp", "tempbias")}
yall = []
per = []
for d in sys.argv[1:]:
    f, y, p = load(d); lp = np.log(p)
    folds = sorted(set(f)); q = {k: [] for k in tot}; yy = []
    for i in range(1, len(folds)):
        prev, cur = f == folds[i - 1], f == folds[i]
        q["none"].append(p[cur])
        q["temp"].append(apply(lp[cur], fit(lp[prev], y[prev], False)))
        q["tempbias"].append(apply(lp[cur], fit(lp[prev], y[prev], True)))
        yy.append(y[cur])
    yq = np.concatenate(yy); yall.append(yq)
    row = [os.path.basename(d.rstrip("/")), len(yq)]
    for k in tot:
        pk = np.concatenate(q[k]); tot[k].append(pk); row += [ll(pk, yq), ece(pk, yq)]
    per.append(row)
print("| quarter | windows (folds 2–3) | log-loss as served | ECE | temperature from previous month | ECE | temperature + bias | ECE |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for r in per: print(f"| {r[0]} | {r[1]:,} | " + " | ".join(f"{v:.4f}" for v in r[2:]) + " |")
Y = np.concatenate(yall)
for k in tot:
    P = np.concatenate(tot[k]); print(f"pooled {k}: log-loss {ll(P, Y):.4f}  ECE {ece(P, Y):.4f}  n {len(Y)}")
for j, k in ((4, "temp"), (6, "tempbias")):
    print(f"{k}: log-loss lower in {sum(r[j] < r[2] for r in per)}/{len(per)}, ECE lower in {sum(r[j+1] < r[3] for r in per)}/{len(per)}")
