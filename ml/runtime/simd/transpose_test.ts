import assert from "node:assert/strict";
import { asBlockTransposes, asMatrixTranspose, withoutUnitAxes } from "./transpose.ts";

Deno.test("asMatrixTranspose: kept leading axes, then a rotation, as [batch, rows, cols]", () => {
  assert.deepEqual(asMatrixTranspose([8, 5, 2, 16], [1, 2, 3, 0]), { batch: 1, rows: 8, cols: 160 });
  assert.deepEqual(asMatrixTranspose([5, 2, 16, 8], [3, 0, 1, 2]), { batch: 1, rows: 160, cols: 8 });
  assert.deepEqual(asMatrixTranspose([3, 4, 7], [0, 2, 1]), { batch: 3, rows: 4, cols: 7 });
  assert.deepEqual(asMatrixTranspose([2, 3, 4, 5], [0, 2, 3, 1]), { batch: 2, rows: 3, cols: 20 });
  assert.equal(asMatrixTranspose([2, 3, 4, 5], [0, 2, 1, 3]), null);
  assert.equal(asMatrixTranspose([2, 3, 4], [0, 1, 2]), null);
  assert.equal(asMatrixTranspose([2, 3, 4], [2, 0, 1]) !== null, true);
});

Deno.test("withoutUnitAxes and asBlockTransposes: [T, D, 4H, B] → [D, T, B, 4H] as 2-D block transposes", () => {
  assert.deepEqual(withoutUnitAxes([50, 1, 256, 32], [1, 0, 3, 2]), {
    shape: [50, 256, 32],
    perm: [0, 2, 1],
  });
  assert.deepEqual(withoutUnitAxes([1, 4, 1], [2, 1, 0]), { shape: [4], perm: [0] });
  // T = 3, D = 2: output block (d, t) comes from source block (t, d) = t·2 + d
  assert.deepEqual(asBlockTransposes([3, 2, 8, 4], [1, 0, 3, 2]), {
    sources: [0, 2, 4, 1, 3, 5],
    rows: 8,
    cols: 4,
  });
  assert.deepEqual(asBlockTransposes([3, 2, 8, 4], [0, 1, 3, 2])?.sources, [0, 1, 2, 3, 4, 5]);
  assert.equal(asBlockTransposes([3, 2, 8, 4], [1, 0, 2, 3]), null);
  assert.equal(asBlockTransposes([8, 4], [1, 0]), null);
});
