/**
 * Gradient boosting's class probabilities inside the graph, for a served blend: the lagged candles' unscaled
 * features (the rows `lagWindows` gives) into one ai.onnx.ml TreeEnsembleRegressor with a target per class,
 * divided by the calibration temperature and softmaxed. ONNX Runtime and Microsoft.ML.OnnxRuntime both run the
 * operator, so serve, predict and the C# client keep running one file.
 */
import { FEATURE_COUNT } from "../../features/index.ts";
import { type BoostedTree, type BoostedTrees, lagRow } from "../baselines/index.ts";
import { attr, type GraphBuilder, ML_DOMAIN } from "./graph.ts";
import { div, gather, reshape, softmax } from "./ops.ts";

/**
 * `trees`, with a tree that adds nothing (one leaf of weight 0) for each class none of them scores. ONNX
 * Runtime's TreeEnsembleRegressor answers 0 for a target no leaf names, its base value ignored: boosting that
 * early stopping left without a tree (few or noisy windows: it predicts its initial scores) answered
 * uniform probabilities in the graph, and model.onnx failed its check against the trained blend.
 */
function everyClassScored(trees: BoostedTrees): readonly BoostedTree[] {
  const scored = new Set(trees.trees.map((t) => t.class));
  const zero = (c: number): BoostedTree => ({
    class: c,
    feature: [-1],
    threshold: [0],
    left: [0],
    right: [0],
    value: [0],
  });
  return [
    ...trees.trees,
    ...Array.from({ length: trees.classes }, (_, c) => c).filter((c) => !scored.has(c)).map(zero),
  ];
}

/** The TreeEnsembleRegressor attributes of `trees`: one ONNX tree per boosted tree, leaves weighting its class. */
function ensembleAttrs(trees: BoostedTrees) {
  const nodes = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    trueIds: [] as number[],
    falseIds: [] as number[],
  };
  const targets = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    ids: [] as number[],
    weights: [] as number[],
  };
  everyClassScored(trees).forEach((tree, t) => {
    for (let n = 0; n < tree.feature.length; n++) {
      const leaf = tree.feature[n] === -1;
      nodes.treeIds.push(t);
      nodes.nodeIds.push(n);
      nodes.featureIds.push(leaf ? 0 : tree.feature[n]);
      nodes.modes.push(leaf ? "LEAF" : "BRANCH_LEQ");
      nodes.values.push(leaf ? 0 : tree.threshold[n]);
      nodes.trueIds.push(leaf ? 0 : tree.left[n]);
      nodes.falseIds.push(leaf ? 0 : tree.right[n]);
      if (leaf) {
        targets.treeIds.push(t);
        targets.nodeIds.push(n);
        targets.ids.push(tree.class);
        targets.weights.push(tree.value[n]);
      }
    }
  });
  return {
    n_targets: attr.int(trees.classes),
    aggregate_function: attr.string("SUM"),
    post_transform: attr.string("NONE"),
    base_values: attr.floats(trees.initial),
    nodes_treeids: attr.ints(nodes.treeIds),
    nodes_nodeids: attr.ints(nodes.nodeIds),
    nodes_featureids: attr.ints(nodes.featureIds),
    nodes_modes: attr.strings(nodes.modes),
    nodes_values: attr.floats(nodes.values),
    nodes_truenodeids: attr.ints(nodes.trueIds),
    nodes_falsenodeids: attr.ints(nodes.falseIds),
    // NaN takes the true (left) branch, as it falls in bin 0 when boosting bins it.
    nodes_missing_value_tracks_true: attr.ints(nodes.modes.map(() => 1)),
    target_treeids: attr.ints(targets.treeIds),
    target_nodeids: attr.ints(targets.nodeIds),
    target_ids: attr.ints(targets.ids),
    target_weights: attr.floats(targets.weights),
  };
}

/**
 * Boosting's probabilities [batch, 3] from `input`, the UNscaled windows [batch, lookback, 35] (trees split on
 * raw values): softmax((initial + Σ leaves) / temperature), what `predictBoostedTrees` computes.
 */
export function boostingProbabilities(
  g: GraphBuilder,
  input: string,
  trees: BoostedTrees,
  lookback: number,
): string {
  if (trees.columns !== FEATURE_COUNT * trees.lags.length) {
    throw new Error(`boosting: ${trees.columns} columns for ${trees.lags.length} lags of ${FEATURE_COUNT}`);
  }
  return g.scoped("boosting", () => {
    // The lags' time rows in column order, then one row per window: lag 0's 35 features, lag 1's, …
    const rows = gather(g, input, trees.lags.map((lag) => lagRow(lag, lookback)), 1);
    const x = reshape(g, rows, [0, trees.columns]);
    const [raw] = g.node("TreeEnsembleRegressor", [x], { domain: ML_DOMAIN, attrs: ensembleAttrs(trees) });
    return softmax(g, div(g, raw, g.floats("temperature", [trees.temperature], [])), -1);
  });
}
