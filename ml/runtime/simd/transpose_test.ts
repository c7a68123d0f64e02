import assert from "node:assert/strict";
import { asMatrixTranspose } from "./transpose.ts";

Deno.test("asMatrixTranspose: kept leading axes, then a rotation, as [batch, rows, cols]", () => {
  assert.deepEqual(asMatrixTranspose([8, 5, 2, 16], [1, 2, 3, 0]), { batch: 1, rows: 8, cols: 160 });
  assert.deepEqual(asMatrixTranspose([5, 2, 16, 8], [3, 0, 1, 2]), { batch: 1, rows: 160, cols: 8 });
  assert.deepEqual(asMatrixTranspose([3, 4, 7], [0, 2, 1]), { batch: 3, rows: 4, cols: 7 });
  assert.deepEqual(asMatrixTranspose([2, 3, 4, 5], [0, 2, 3, 1]), { batch: 2, rows: 3, cols: 20 });
  assert.equal(asMatrixTranspose([2, 3, 4, 5], [0, 2, 1, 3]), null);
  assert.equal(asMatrixTranspose([2, 3, 4], [0, 1, 2]), null);
  assert.equal(asMatrixTranspose([2, 3, 4], [2, 0, 1]) !== null, true);
});
