"""The calibration of what serve states as `confidence`, recomputed from an `evaluate` run's files (bench/RESULTS.md
§ "Session 50"): the top-class ECE evaluate prints, and the ECE of the probability of the class the prior rule
names (each window's probabilities ÷ its fold's training priors, argmax), over the same 10 bins.

    python3 bench/served_confidence_ece.py EVALUATE_OUTPUT_DIR [LEARNER]

Reads predictions.csv and evaluation.json (folds[].priors[LEARNER]); LEARNER defaults to transformer_lstm.
Today's `evaluate` prints the second figure itself ("prior ECE" beside the decision rule).
"""
import csv
import json
import os
import sys

import numpy as np

CLASSES = {"DOWN": 0, "SIDEWAYS": 1, "UP": 2}


def ece(p: np.ndarray, labels: np.ndarray, chosen: np.ndarray, bins: int = 10) -> float:
    conf = p[np.arange(len(p)), chosen]
    hit = (chosen == labels).astype(float)
    b = np.minimum(bins - 1, np.floor(conf * bins).astype(int))
    return float(sum((b == k).sum() / len(p) * abs(hit[b == k].mean() - conf[b == k].mean())
                     for k in range(bins) if (b == k).any()))


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    folder, learner = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "transformer_lstm"
    evaluation = json.load(open(os.path.join(folder, "evaluation.json")))
    priors = {f["label"]: f["priors"][learner] for f in evaluation["folds"]}
    rows = list(csv.DictReader(open(os.path.join(folder, "predictions.csv"))))
    p = np.array([[float(r[f"{learner}_p_{c}"]) for c in ("down", "sideways", "up")] for r in rows])
    labels = np.array([CLASSES[r["label"]] for r in rows])
    fold_priors = np.array([priors[r["fold"]] for r in rows])
    top, served = p.argmax(1), (p / fold_priors).argmax(1)
    print(f"{folder}: {len(p)} windows; top-class ECE {ece(p, labels, top):.4f} "
          f"(evaluate printed {evaluation['overall'][learner]['ece']:.4f}); "
          f"served confidence's ECE {ece(p, labels, served):.4f}")


if __name__ == "__main__":
    main()
