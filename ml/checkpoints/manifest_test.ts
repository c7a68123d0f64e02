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
