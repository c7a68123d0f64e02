import assert from "node:assert/strict";
import { FEATURE_COUNT } from "../../features/index.ts";
import { type GbdtModel, predictGbdt } from "./gbdt.ts";
import {
  boostingModel,
  COLUMNS,
  edgeRows,
  fittedGbdt,
  neighbours,
  synthetic,
} from "./boosted_trees_test_support.ts";
import {
  type BoostedTrees,
  boostedTrees,
  float32AtMost,
  lagWindows,
  parseBoostedTrees,
  predictBoostedTrees,
} from "./boosted_trees.ts";

const fitted = fittedGbdt();

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

Deno.test("float32AtMost: the largest float32 not above a double", () => {
  for (const t of [0.1, -0.1, 1 / 3, -1 / 3, 1e-40, -1e-46, 3.5e38, 1.5, 0, -0]) {
    const r = float32AtMost(t);
    assert.equal(Math.fround(r), r, `${t} → ${r} is a float32`);
    assert.ok(r <= t, `${r} ≤ ${t}`);
    const up = r === 0 ? 2 ** -149 : Math.max(...neighbours(r));
    assert.ok(up > t, `the next float32 (${up}) is above ${t}`);
  }
  assert.equal(float32AtMost(-1e-46), -(2 ** -149));
});

Deno.test("boosted trees predict what the binned GBDT predicts, on every threshold's float32 neighbours and NaN", () => {
  assert.ok(fitted.iterations >= 5, `iterations ${fitted.iterations}`);
  const trees = boostedTrees(boostingModel(fitted), 1);
  assert.equal(trees.trees.length, fitted.iterations * 3);
  const edges = edgeRows(fitted);
  const test = synthetic(500, 4).x;
  for (const x of [edges, test]) {
    const d = maxDiff(predictBoostedTrees(trees, x), predictGbdt(fitted, x));
    assert.ok(d <= 1e-7, `max difference ${d} over ${x.length / COLUMNS} rows`);
  }
  // Sanity: the edge rows do land on both sides of the thresholds (the trees' outputs vary).
  const p = predictBoostedTrees(trees, edges);
  assert.ok(Math.max(...p) - Math.min(...p) > 0.2);
  // A threshold that rounded up is stepped down, so the value just above the double goes right.
  const rounded = fitted.bins.thresholds.flatMap((t) => [...t]).filter((t) => Math.fround(t) > t);
  assert.ok(rounded.length > 0, "some thresholds are not float32 values");
});

Deno.test("the temperature divides the raw scores", () => {
  const x = synthetic(50, 5).x;
  const one = boostedTrees(boostingModel(fitted), 1), hot = boostedTrees(boostingModel(fitted), 2);
  const p1 = predictBoostedTrees(one, x), p2 = predictBoostedTrees(hot, x);
  for (let i = 0; i < 50; i++) {
    // softmax(z/2) ∝ √softmax(z)
    const s = [0, 1, 2].map((c) => Math.sqrt(p1[i * 3 + c]));
    const sum = s[0] + s[1] + s[2];
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(p2[i * 3 + c] - s[c] / sum) < 1e-6);
  }
});

Deno.test("a split at or past a column's last bin sends every row left", () => {
  const tree = (bin: number) => ({
    feature: Int16Array.from([0, -1, -1]),
    bin: Uint8Array.from([bin, 0, 0]),
    left: Int32Array.from([1, -1, -1]),
    right: Int32Array.from([2, -1, -1]),
    value: Float64Array.from([0, 1, -1]),
  });
  const thresholds = Array.from({ length: COLUMNS }, () => Float64Array.from([0.5]));
  const gbdt = (bin: number): GbdtModel => ({
    classes: 3,
    bins: { columns: COLUMNS, thresholds },
    initial: new Float64Array(3),
    trees: [[tree(bin), tree(bin), tree(bin)]],
    validationLoss: [],
    iterations: 1,
  });
  const x = new Float32Array(3 * COLUMNS);
  x[0] = 0.25, x[COLUMNS] = 0.75, x[2 * COLUMNS] = Infinity;
  for (const bin of [0, 1]) {
    const t = boostedTrees(boostingModel(gbdt(bin)), 1);
    assert.equal(maxDiff(predictBoostedTrees(t, x), predictGbdt(gbdt(bin), x)), 0);
  }
  // Bin 1 is past the one threshold: the split is gone, the tree is its left leaf.
  assert.deepEqual(boostedTrees(boostingModel(gbdt(1)), 1).trees[0].feature, [-1]);
});

Deno.test("lagWindows reads lag 0, 1, 4 from the window's end, a lag past its start from its first candle", () => {
  const lookback = 3;
  const w = Float32Array.from({ length: 2 * lookback * FEATURE_COUNT }, (_, i) => i);
  const rows = lagWindows(w, lookback, [0, 1, 4]);
  assert.equal(rows.length, 2 * COLUMNS);
  const at = (b: number, t: number) => (b * lookback + t) * FEATURE_COUNT;
  assert.deepEqual([rows[0], rows[FEATURE_COUNT], rows[2 * FEATURE_COUNT]], [at(0, 2), at(0, 1), at(0, 0)]);
  assert.equal(rows[COLUMNS + 1], at(1, 2) + 1);
});

Deno.test("boosting.json: a saved model parses back; a broken one is refused naming the file and field", () => {
  const trees = boostedTrees(boostingModel(fitted), 1.3);
  const json: BoostedTrees = JSON.parse(JSON.stringify(trees));
  assert.deepEqual(parseBoostedTrees(json, "v1/boosting.json"), trees);
  const broken = (edit: (t: { -readonly [K in keyof BoostedTrees]: unknown }) => void) => {
    const copy = JSON.parse(JSON.stringify(trees));
    edit(copy);
    return () => parseBoostedTrees(copy, "v1/boosting.json");
  };
  const branch = trees.trees[0].feature.findIndex((f) => f >= 0);
  assert.ok(branch >= 0);
  const tree0 = (t: { trees: unknown }) => (t.trees as { [k: string]: number[] }[])[0];
  assert.throws(broken((t) => (t.columns = 70)), /^Error: v1\/boosting\.json: columns: is 70/);
  assert.throws(broken((t) => (t.temperature = 0)), /v1\/boosting\.json: temperature/);
  assert.throws(broken((t) => (t.initial = [0, 0])), /v1\/boosting\.json: initial/);
  assert.throws(
    broken((t) => tree0(t).left[branch] = branch),
    /trees\.0\.left\.\d+: \d+ is not a node after/,
  );
  assert.throws(broken((t) => tree0(t).right[branch] = 10_000), /trees\.0\.right\.\d+/);
  assert.throws(broken((t) => tree0(t).value.pop()), /trees\.0\.value: has \d+ nodes/);
  assert.throws(broken((t) => tree0(t).feature[branch] = COLUMNS), /trees\.0\.feature\.\d+: 105 is not one/);
  assert.throws(
    broken((t) => tree0(t).threshold[branch] = 0.1),
    /trees\.0\.threshold\.\d+: 0\.1 is not a float32/,
  );
  assert.throws(broken((t) => delete t.lags), /v1\/boosting\.json: lags/);
});
