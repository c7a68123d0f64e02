import assert from "node:assert/strict";
import { columnsOf, cutToColumns, padColumns } from "./text_width.ts";

Deno.test("text width: wide characters take two columns, others one; padding and cuts keep characters whole", () => {
  assert.equal(columnsOf("BTCUSDT"), 7);
  assert.equal(columnsOf("币安人生USDT"), 12);
  assert.equal(columnsOf("비트USDT"), 8);
  assert.equal(columnsOf("𠀀A"), 3, "an astral Han character is one character of two columns");
  assert.equal(padColumns("ETHBTC", 12), "ETHBTC      ");
  assert.equal(padColumns("币安人生USDT", 10), "币安人生USDT", "never cut");
  assert.equal(cutToColumns("币安人生USDT", 5), "币安");
  assert.equal(cutToColumns("币安人生USDT", 9), "币安人生U");
  assert.equal(cutToColumns("𠀀𠀀", 3), "𠀀", "a surrogate pair is never split");
  assert.equal(cutToColumns("abc", 10), "abc");
});
