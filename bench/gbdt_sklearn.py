"""scikit-learn side of bench/gbdt_sklearn.ts: fit HistGradientBoostingClassifier with the same settings for
a fixed number of iterations; print its test log-loss, then the test probabilities, one per line."""
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss

folder, iterations = sys.argv[1], int(sys.argv[2])
train = np.loadtxt(f"{folder}/train.csv", delimiter=",", dtype=np.float64)
test = np.loadtxt(f"{folder}/test.csv", delimiter=",", dtype=np.float64)
model = HistGradientBoostingClassifier(
    learning_rate=0.1,
    max_iter=iterations,
    max_leaf_nodes=31,
    max_depth=None,
    min_samples_leaf=200,
    l2_regularization=1.0,
    max_bins=255,
    early_stopping=False,
    random_state=0,
)
model.fit(train[:, :-1].astype(np.float32), train[:, -1].astype(int))
p = model.predict_proba(test[:, :-1].astype(np.float32))
print(f"scikit-learn HistGradientBoostingClassifier: {iterations} iterations, test log-loss "
      f"{log_loss(test[:, -1].astype(int), p):.5f}")
for v in p.reshape(-1):
    print(f"{v:.6f}")
