import assert from "node:assert/strict";
import { requireEveryClass, requireNewCandles, requireSameSplitRule } from "./preflight.ts";
import { CommandError } from "../errors.ts";
import type { ParentFiles } from "./parent.ts";
import type { CandleSeries } from "../../features/index.ts";

Deno.test("a fixed --threshold that leaves a class out is hinted the way that brings it back", () => {
  const fixed = (threshold: number) => ({ kind: "fixed", threshold }) as const;
  // Too large: every window SIDEWAYS, no UP or DOWN.
  assert.throws(
    () => requireEveryClass([0, 120, 0], fixed(0.5), "data.csv"),
    (e) => e instanceof CommandError && /give a smaller one/.test(e.hint ?? ""),
  );
  // Too small: no window SIDEWAYS (the hint said "smaller" here too).
  assert.throws(
    () => requireEveryClass([60, 0, 60], fixed(1e-12), "data.csv"),
    (e) => e instanceof CommandError && /give a larger one/.test(e.hint ?? ""),
  );
});

Deno.test("--resume of a run whose 70/15/15 split an older candlecast cut per symbol is refused; dates are not", () => {
  const fractions = { kind: "fractions", train: 0.7, validation: 0.15 } as const;
  const dates = { kind: "dates", validationStart: 0, testStart: 1 } as const;
  const old = { dir: "checkpoints/.train_x", state: {} };
  assert.throws(
    () => requireSameSplitRule(old, fractions),
    (e: Error) =>
      e instanceof CommandError &&
      /started by an older candlecast.*each symbol's own dates/.test(e.message) &&
      // The folder named: it stays (train keeps the newest stopped run), and models list went on listing it.
      /without --resume and delete checkpoints\/\.train_x /.test(e.hint ?? ""),
  );
  requireSameSplitRule(old, dates); // the same dates then and now
  requireSameSplitRule({ dir: old.dir, state: { splitAtCommonDates: true } }, fractions);
});

Deno.test("--incremental with no newer candles hints a collect that pastes for a path with a space", () => {
  const end = Date.UTC(2026, 0, 1);
  const parent = {
    version: "v3_2026-01-01",
    manifest: { data: { end_ms: end, symbols: {} } },
  } as unknown as ParentFiles;
  const series = [{ symbol: "BTCUSDT", openTime: [end - 3_600_000, end] }] as unknown as CandleSeries[];
  // Before: 'candlecast collect --output my data/train é.csv …', which the shell splits in two.
  assert.throws(
    () => requireNewCandles(parent, series, "my data/train é.csv"),
    (e: Error) =>
      e instanceof CommandError &&
      e.hint ===
        `collect newer candles into it first ('candlecast collect --output "my data/train é.csv" …'), ` +
          "then fine-tune",
  );
  // A plain path prints as it did.
  assert.throws(
    () => requireNewCandles(parent, series, "data/training_data.csv"),
    (e: Error) =>
      /'candlecast collect --output data\/training_data\.csv …'/.test((e as CommandError).hint ?? ""),
  );
});
