import assert from "node:assert/strict";
import { seededRng } from "../data/index.ts";
import { growTree, treeValue, treeWorkspace } from "./histogram_tree.ts";

function workspace(rows: number, columns: number, seed: number) {
  const rng = seededRng(seed);
  const bins = new Uint8Array(rows * columns).map(() => Math.floor(rng() * 40));
  const grad = new Float32Array(rows).map((_, i) => (bins[i * columns] < 20 ? -1 : 1) + (rng() - 0.5));
  const hess = new Float32Array(rows).fill(0.25);
  return { ws: treeWorkspace(bins, columns, new Uint16Array(columns).fill(40)), bins, grad, hess };
}

const params = { maxLeaves: 7, minSamplesLeaf: 50, l2: 1, shrinkage: 0.1, minHessian: 1e-3 };

Deno.test("a grown tree's leaves partition the rows, hold ≥ minSamplesLeaf each, ≤ maxLeaves", () => {
  const { ws, bins, grad, hess } = workspace(2000, 6, 1);
  const { tree, leaves } = growTree(ws, grad, hess, params);
  assert.ok(leaves.length > 1 && leaves.length <= params.maxLeaves, `${leaves.length} leaves`);
  const seen = new Uint8Array(ws.rows);
  for (const leaf of leaves) {
    assert.ok(leaf.end - leaf.start >= params.minSamplesLeaf);
    let g = 0, h = 0;
    for (let j = leaf.start; j < leaf.end; j++) {
      const r = ws.order[j];
      seen[r]++;
      // The tree routes every row of a leaf's range to that leaf.
      assert.equal(treeValue(tree, bins, ws.columns, r), tree.value[leaf.node]);
      g += grad[r];
      h += hess[r];
    }
    assert.ok(Math.abs(tree.value[leaf.node] - (-0.1 * g) / (h + 1)) < 1e-9);
  }
  assert.ok(seen.every((c) => c === 1));
  // The first split is on the informative column 0, at its midpoint.
  assert.equal(tree.feature[0], 0);
  assert.equal(tree.bin[0], 19);
});

Deno.test("too few rows to split gives a single leaf", () => {
  const { ws, grad, hess } = workspace(80, 3, 2);
  const { tree, leaves } = growTree(ws, grad, hess, params);
  assert.equal(leaves.length, 1);
  assert.equal(tree.feature[0], -1);
});
