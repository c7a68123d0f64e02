import assert from "node:assert/strict";
import { CLASSES, FEATURE_NAMES } from "../features/index.ts";
import { testPreprocessor } from "../test/onnx.ts";
import { blendWords, boostingShare, parsePreprocessor } from "./preprocessor.ts";

Deno.test("a blend is put in the same words everywhere, boosting's share without float noise", () => {
  assert.equal(
    blendWords({ with: "gradient_boosting", weight: 0.5 }),
    "0.5 × the network + 0.5 × gradient boosting",
  );
  // 1 − 0.7 is 0.30000000000000004 in float64: export, models and the reports printed that.
  assert.equal(
    blendWords({ with: "gradient_boosting", weight: 0.7 }),
    "0.7 × the network + 0.3 × gradient boosting",
  );
  assert.equal(boostingShare(0.9), 0.1);
});

Deno.test("preprocessor.json with other feature names, or the same ones reordered, is refused", () => {
  // Guards: a version trained on other features (or another column order) was served, scaling the wrong columns.
  const message =
    /^Error: v1\/preprocessor\.json: the model was trained on other features than this candlecast computes; retrain it$/;
  const swapped = [...FEATURE_NAMES];
  [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
  const renamed = FEATURE_NAMES.map((name, i) => i === 5 ? `${name}_old` : name);
  for (const featureNames of [swapped, renamed]) {
    const scaler = { ...testPreprocessor().scaler, featureNames };
    assert.throws(
      () => parsePreprocessor(testPreprocessor({ featureNames, scaler }), "v1/preprocessor.json"),
      message,
    );
  }
  assert.deepEqual(parsePreprocessor(testPreprocessor()).featureNames, FEATURE_NAMES);
});

Deno.test("preprocessor.json with the classes in another order is refused, naming both orders", () => {
  // Guards: a version whose outputs are UP,SIDEWAYS,DOWN was served with its UP probability called DOWN.
  assert.throws(
    () =>
      parsePreprocessor(testPreprocessor({ classes: ["UP", "SIDEWAYS", "DOWN"] }), "v1/preprocessor.json"),
    /^Error: v1\/preprocessor\.json: classes must be DOWN,SIDEWAYS,UP, found UP,SIDEWAYS,DOWN$/,
  );
  assert.deepEqual(parsePreprocessor(testPreprocessor()).classes, CLASSES);
});

Deno.test("class priors that are not three shares summing to 1 are refused as the file is read", () => {
  // Before: [0, 0, 0] was taken, and the prior rule (which never names a class of prior 0) answered DOWN to all.
  const prior = (classPriors: readonly number[]) => ({
    ...testPreprocessor({ decisionRule: "prior" }),
    classPriors,
  });
  for (
    const [priors, why] of [
      [[0, 0, 0], "sum to 0, not 1"],
      [[0.5, 0.5, 0.5], "sum to 1.5, not 1"],
      [[0.3, 0.3, 0.3], "sum to 0.8999999999999999, not 1"],
    ] as const
  ) {
    assert.throws(
      () => parsePreprocessor(prior(priors), "v1/preprocessor.json"),
      new RegExp(`^Error: v1/preprocessor\\.json: classPriors: the training split's class shares ${why}`),
    );
  }
  // Negative, infinite (JSON's 1e400), missing one: refused by the tuple itself, as before or now.
  for (const priors of [[1.2, -0.1, -0.1], [Infinity, 0, 0], [0.5, 0.5]]) {
    assert.throws(() => parsePreprocessor(prior(priors)), /classPriors/);
  }
  // As train writes them (counts / n, a few ulps off 1), a share of 0 (a class the split lacks), and by hand.
  const counts = [389, 770, 345].map((c) => c / 1504);
  for (const priors of [counts, [0, 0.6, 0.4], [0.9, 0.05, 0.05], [1 / 3, 1 / 3, 1 / 3]]) {
    assert.deepEqual(parsePreprocessor(prior(priors)).classPriors, priors);
  }
  // Absent: a version from before they were stored, serving argmax.
  assert.equal(parsePreprocessor(testPreprocessor()).classPriors, undefined);
});
