/**
 * Boosting inside the graph: ONNX Runtime's TreeEnsembleRegressor on the lagged rows of unscaled windows gives
 * `predictBoostedTrees`' probabilities, on values sitting exactly on and beside every threshold and NaN, at a
 * dynamic batch; the file passes the ONNX checker with the ai.onnx.ml import.
 */
import assert from "node:assert/strict";
import { FEATURE_COUNT } from "../../features/index.ts";
import { type BoostedTrees, boostedTrees, predictBoostedTrees } from "../baselines/index.ts";
import {
  boostingModel,
  COLUMNS,
  edgeRows,
  fittedGbdt,
  synthetic,
  windowsOf as lagged,
} from "../baselines/boosted_trees_test_support.ts";
import { boostingProbabilities } from "./boosting.ts";
import { decodeModel, encodeModel, GraphBuilder, ML_DOMAIN, ML_OPSET, OPSET } from "./graph.ts";
import { identity } from "./ops.ts";
import { assertOnnxChecks, maxAbsDiff, runOnnx } from "../../test/onnx.ts";

const LOOKBACK = 6;

function boostingGraph(trees: BoostedTrees, lookback = LOOKBACK): Uint8Array {
  const g = new GraphBuilder("boosting");
  const input = g.input("input", "float32", ["batch", lookback, FEATURE_COUNT]);
  identity(g, boostingProbabilities(g, input, trees, lookback), "probabilities");
  g.output("probabilities", "float32", ["batch", 3]);
  return encodeModel(g.toModel({ docString: "boosting", producerVersion: "test", metadata: {} }));
}

function windowsOf(rows: Float32Array, trees: BoostedTrees, lookback = LOOKBACK): Float32Array {
  return lagged(rows, lookback, trees.lags);
}

async function onnxProbabilities(bytes: Uint8Array, x: Float32Array, lookback = LOOKBACK) {
  const count = x.length / (lookback * FEATURE_COUNT);
  const out = await runOnnx(bytes, { input: { data: x, dims: [count, lookback, FEATURE_COUNT] } });
  assert.deepEqual(out.probabilities.dims, [count, 3]);
  return out.probabilities.data;
}

const gbdt = fittedGbdt();

Deno.test("ONNX Runtime's tree ensemble equals predictBoostedTrees on every threshold's neighbours and NaN", async () => {
  const trees = boostedTrees(boostingModel(gbdt), 1.7);
  const bytes = boostingGraph(trees);
  const edges = edgeRows(gbdt), random = synthetic(7, 8).x;
  for (const rows of [edges, random, random.subarray(0, COLUMNS)]) {
    const expected = predictBoostedTrees(trees, rows);
    const d = maxAbsDiff(await onnxProbabilities(bytes, windowsOf(rows, trees)), expected);
    console.log(`batch ${rows.length / COLUMNS}: max |ONNX − TS| ${d.toExponential(2)}`);
    assert.ok(d <= 1e-6, `batch ${rows.length / COLUMNS}: probabilities differ by ${d}`);
  }
  // Sanity: the rows reach different leaves (a constant ensemble would match anything constant).
  const p = predictBoostedTrees(trees, edges);
  assert.ok(Math.max(...p) - Math.min(...p) > 0.2);
});

Deno.test("a window shorter than the largest lag reads its first candle for it, as laggedCandles does", async () => {
  const trees = boostedTrees(boostingModel(gbdt), 1);
  const lookback = 3;
  const rows = synthetic(5, 10).x;
  const d = maxAbsDiff(
    await onnxProbabilities(boostingGraph(trees, lookback), windowsOf(rows, trees, lookback), lookback),
    predictBoostedTrees(trees, rows),
  );
  assert.ok(d <= 1e-6, `${d}`);
});

Deno.test("the graph imports ai.onnx.ml opset 3 beside opset 17 and passes the ONNX checker", async () => {
  const bytes = boostingGraph(boostedTrees(boostingModel(gbdt), 1));
  const m = decodeModel(bytes);
  assert.deepEqual(m.opsetImport.map((o) => [o.domain, Number(o.version)]), [["", OPSET], [
    ML_DOMAIN,
    ML_OPSET,
  ]]);
  await assertOnnxChecks(bytes);
});

Deno.test("boosting that stopped before its first tree gives softmax(initial ÷ temperature) in the graph too", async () => {
  // Early stopping on few or noisy windows can keep no iteration: the trees are empty and boosting predicts
  // its class priors. Before: ONNX Runtime's TreeEnsembleRegressor with no nodes answered 0 for every class
  // (base values ignored), so train --blend-boosting on such data saved its version without model.onnx
  // ("does not match the trained model … class_logits 8.1e-2 … please report it") and export refused it.
  // The initial scores and temperature of such a fit (train --blend-boosting on 260 1h candles per symbol).
  const trees = { ...boostedTrees(boostingModel(gbdt), 3.07), initial: [-1.65, -0.675, -1.208], trees: [] };
  const rows = synthetic(5, 11).x;
  const expected = predictBoostedTrees(trees, rows);
  assert.ok(Math.max(...expected) - Math.min(...expected) > 0.05, "priors, not uniform");
  const d = maxAbsDiff(await onnxProbabilities(boostingGraph(trees), windowsOf(rows, trees)), expected);
  assert.ok(d <= 1e-6, `probabilities differ by ${d}`);
  // Likewise a class no tree scores while another's trees do: its base value counts in the graph as well.
  const one = { ...trees, trees: boostedTrees(boostingModel(gbdt), 1).trees.filter((t) => t.class === 0) };
  const partial = maxAbsDiff(
    await onnxProbabilities(boostingGraph(one), windowsOf(rows, one)),
    predictBoostedTrees(one, rows),
  );
  assert.ok(partial <= 1e-6, `one class's trees only: probabilities differ by ${partial}`);
});
