import assert from "node:assert/strict";
import { plural } from "./plural.ts";

Deno.test("plural: the noun agrees with the count, counts get thousands separators", () => {
  assert.equal(plural(1, "symbol"), "1 symbol");
  assert.equal(plural(0, "epoch"), "0 epochs");
  assert.equal(plural(1488, "row"), "1,488 rows");
  assert.equal(plural(2, "candle", "candles"), "2 candles");
});
