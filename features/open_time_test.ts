import assert from "node:assert/strict";
import { misreadOpenTime } from "./open_time.ts";

Deno.test("misreadOpenTime: a lone time in s, µs or ns is named with its ms; ms and small synthetic times pass", () => {
  const ms = 1_700_000_000_000; // 2023-11-14T22:13:20Z
  assert.deepEqual(misreadOpenTime(ms / 1000), { phrase: "in seconds", ms });
  assert.deepEqual(misreadOpenTime(ms * 1000), { phrase: "in microseconds", ms });
  assert.deepEqual(misreadOpenTime(ms * 1e6), { phrase: "in nanoseconds", ms });
  assert.deepEqual(misreadOpenTime(1_700_000_000.5), { phrase: "in seconds", ms: 1_700_000_000_500 });
  assert.equal(misreadOpenTime(1e21)?.ms, null, "no time in any unit");
  for (const t of [ms, 0, 3_600_000, 216_000_000, 999_999_999]) {
    assert.equal(misreadOpenTime(t), null, `${t}`);
  }
});
