import assert from "node:assert/strict";
import { ManifestSchema, seenUntilOf } from "./manifest.ts";

const END = Date.parse("2023-12-31T23:00:00Z");
const manifestWith = (split: unknown) =>
  ManifestSchema.parse({
    version: "v1_2024-01-01",
    created_at: "2024-01-01T00:00:00Z",
    parent: null,
    model_type: "transformer_lstm",
    data: { end_ms: END, symbols: {}, split },
    files: {},
  });

Deno.test("seenUntilOf: a split's common test start, else the data's end", () => {
  const dates = {
    kind: "dates",
    validation_start: "2022-01-01T00:00:00.000Z",
    test_start: "2023-01-01T00:00:00.000Z",
  };
  assert.equal(seenUntilOf(manifestWith(dates)), Date.parse("2023-01-01T00:00:00Z"));
  // Fractions are cut at dates common to every symbol and record them: the test months were never seen.
  const fractions = {
    kind: "fractions",
    train: 0.7,
    validation: 0.15,
    test_start: "2022-11-05T13:00:00.000Z",
  };
  assert.equal(seenUntilOf(manifestWith(fractions)), Date.parse("2022-11-05T13:00:00Z"));
  // Versions cut per symbol (before common dates, or candles without open times) held out no one date.
  assert.equal(seenUntilOf(manifestWith({ kind: "fractions", train: 0.7, validation: 0.15 })), END);
  assert.equal(
    seenUntilOf(manifestWith({ kind: "fractions", train: 0.7, validation: 0.15, test_start: null })),
    END,
  );
  assert.equal(seenUntilOf(manifestWith(null)), END);
  // A fine-tune whose cut dates a symbol new to it pulled before its parent's data end: the parent saw up to it.
  const since = "2023-06-01T00:00:00.000Z";
  const fineTuned = ManifestSchema.parse({
    ...manifestWith(fractions),
    data: { end_ms: END, symbols: {}, split: fractions, since },
  });
  assert.equal(seenUntilOf(fineTuned), Date.parse(since));
});

Deno.test("a manifest's open times must be milliseconds a date holds: a damaged one is refused as read", () => {
  const manifest = (endMs: unknown, lastMs: unknown = null) => ({
    version: "v1_2024-01-01",
    created_at: "2024-01-01T00:00:00Z",
    parent: null,
    model_type: "transformer_lstm",
    data: { end_ms: endMs, symbols: { BTCUSDT: { last_ms: lastMs } } },
    files: {},
  });
  // Before: 1e300 passed, and `train --incremental` and `retrain` failed on it with "unexpected failure: Invalid
  // time value".
  for (const bad of [1e300, 8.64e15 + 1, -8.64e15 - 1]) {
    const cases: [unknown, string[]][] = [
      [manifest(bad), ["data", "end_ms"]],
      [manifest(END, bad), ["data", "symbols", "BTCUSDT", "last_ms"]],
    ];
    for (const [input, path] of cases) {
      const parsed = ManifestSchema.safeParse(input);
      assert.ok(!parsed.success, `${bad} was taken at ${path.join(".")}`);
      assert.deepEqual(parsed.error.issues.map((i) => i.path), [path]);
      assert.match(
        parsed.error.issues[0].message,
        /milliseconds since 1970-01-01 UTC a date holds \(±8\.64e15\)/,
      );
    }
  }
  // Times before 1970 and fractional ones are a training CSV's own, recorded by train as read (a review: train's
  // own version was refused as damaged by train --incremental and evaluate --checkpoint).
  for (const good of [null, 0, END, 8.64e15, -1, -1731600000, 1687647600000.5]) {
    assert.ok(ManifestSchema.safeParse(manifest(good, good)).success);
  }
});
