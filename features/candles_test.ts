import assert from "node:assert/strict";
import {
  assertValidSeries,
  boundedIndicatorProblem,
  candleAt,
  CandleError,
  candleFileError,
  candleProblem,
  inTimeOrder,
  ohlcvProblem,
  parseNumberCell,
  seriesFromCandles,
  sliceSeries,
} from "./candles.ts";

const ok = { openTime: 1, open: 10, high: 12, low: 9, close: 11, volume: 5 };

Deno.test("a well-formed candle has no problem", () => {
  assert.equal(ohlcvProblem(ok, "row 1"), null);
  assert.equal(ohlcvProblem({ ...ok, open: 5, high: 5, low: 5, close: 5, volume: 0 }, "row 1"), null);
});

Deno.test("validation names the row and the field", () => {
  const cases: [Partial<typeof ok>, RegExp][] = [
    [{ close: NaN }, /^BTCUSDT row 7: close must be a finite number/],
    [{ volume: Infinity }, /^BTCUSDT row 7: volume must be a finite number/],
    [{ low: -1 }, /^BTCUSDT row 7: low must be positive, got -1/],
    [{ volume: -1 }, /^BTCUSDT row 7: volume must not be negative, got -1/],
    // An all-zero candle and one absurd high passed before and made training fail with NaN (issue 13.10).
    [{ open: 0, high: 0, low: 0, close: 0, volume: 0 }, /^BTCUSDT row 7: open must be positive, got 0/],
    [{ high: 1e308 }, /^BTCUSDT row 7: high must be at most 1000000000000 .*, got 1e\+308/],
    [{ volume: 1e300 }, /^BTCUSDT row 7: volume must be at most/],
    [{ high: 8 }, /^BTCUSDT row 7: high \(8\) is below low \(9\)/],
    [{ high: 10.5 }, /^BTCUSDT row 7: high \(10.5\) is below max\(open, close\) \(11\)/],
    [{ low: 10.5 }, /^BTCUSDT row 7: low \(10.5\) is above min\(open, close\) \(10\)/],
  ];
  for (const [change, message] of cases) {
    const problem = ohlcvProblem({ ...ok, ...change }, "BTCUSDT row 7");
    assert.match(problem ?? "", message);
  }
});

Deno.test("a series must ascend in time without duplicates", () => {
  const s = seriesFromCandles("ETHUSDT", [ok, { ...ok, openTime: 2 }, { ...ok, openTime: 2 }]);
  assert.throws(
    () => assertValidSeries(s),
    (e) => e instanceof CandleError && /ETHUSDT candle 2/.test(e.message),
  );
  assertValidSeries(seriesFromCandles("ETHUSDT", [ok, { ...ok, openTime: 5 }]));
});

Deno.test("rows round-trip through the columnar series; missing indicators are NaN", () => {
  const s = seriesFromCandles("X", [{ ...ok, openTime: null }, { ...ok, openTime: 2, rsi: 40 }]);
  assert.equal(candleAt(s, 0).openTime, null);
  assert.ok(Number.isNaN(candleAt(s, 0).rsi));
  assert.equal(candleAt(s, 1).rsi, 40);
  const view = sliceSeries(s, 1, 2);
  assert.equal(view.length, 1);
  view.close[0] = 99; // a view shares memory with its series
  assert.equal(s.close[1], 99);
});

Deno.test("one rule for collect and serve: the problem names the field, its value and the rule", () => {
  assert.deepEqual(candleProblem({ ...ok, close: 0 }), {
    field: "close",
    kind: "value",
    value: 0,
    rule: "must be positive",
  });
  assert.deepEqual(candleProblem({ ...ok, high: 10.5 }), {
    field: "high",
    kind: "shape",
    value: 10.5,
    rule: "is below max(open, close) (11)",
  });
});

Deno.test("RSI and the stochastics: 0–100 with a little slack for the client's rounding", () => {
  for (const v of [0, 50, 100, -1e-4, 100.0001, NaN]) {
    assert.equal(boundedIndicatorProblem(v), null, String(v));
  }
  assert.equal(boundedIndicatorProblem(-0.5), "must be within 0–100, got -0.5");
  assert.equal(boundedIndicatorProblem(1e6), "must be within 0–100, got 1000000");
});

Deno.test("inTimeOrder sorts a file's rows by time, drops verbatim repeats, and refuses two different candles of one time", () => {
  const at = (openTime: number, close = 11) => ({ ...ok, openTime, close, high: 12 });
  const row = (i: number) => `row ${i + 1}`;
  // Two months joined the wrong way round, one candle in both.
  const joined = seriesFromCandles("X", [at(3), at(4), at(1), at(2), at(3)]);
  const { series, source, moved, repeats } = inTimeOrder(joined, row);
  assert.deepEqual(Array.from(series.openTime), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(source), [2, 3, 0, 1]);
  assert.deepEqual([moved, repeats], [2, 1]);
  // Already in order: the same object back.
  const sorted = seriesFromCandles("X", [at(1), at(2)]);
  assert.equal(inTimeOrder(sorted, row).series, sorted);
  // Untimed rows keep their order (it is their only time).
  const untimed = seriesFromCandles("X", [at(2), { ...at(1), openTime: null }]);
  assert.equal(inTimeOrder(untimed, row).series, untimed);
  assert.throws(() => inTimeOrder(seriesFromCandles("X", [at(2), at(1), at(2, 11.5)]), row), (e: Error) => {
    assert.ok(e instanceof CandleError);
    assert.equal(
      e.message,
      "row 1 and row 3 both open at 1970-01-01T00:00:00.002Z with different values: two candles for one time",
    );
    // A US local-time file repeats 01:00 when daylight saving ends: "keep the right one" alone had the user
    // delete a real candle and keep a shifted series (a locale seat).
    assert.match(
      e instanceof CandleError ? e.hint ?? "" : "",
      /daylight saving ends: .* convert them to UTC/,
    );
    return true;
  });
});

Deno.test("a number with a decimal comma (a de-DE or tr-TR host's ToString) is named as such, with the fix", () => {
  // Before: '"38807,709" is not a finite number' and "fix the data named, or collect it again".
  for (const cell of ["38807,709", "-0,5", "1.234,5"]) {
    assert.throws(() => parseNumberCell(cell, false, "x.csv line 2 (open)"), (e: CandleError) => {
      assert.match(
        e.message,
        new RegExp(`"${cell.replace(".", "\\.")}" is not a finite number: a decimal comma`),
      );
      assert.match(e.hint ?? "", /'\.' as the decimal mark.*CultureInfo\.InvariantCulture/);
      return true;
    });
  }
  assert.throws(
    () => parseNumberCell("abc", false, "x"),
    (e: CandleError) => !/decimal/.test(e.message + (e.hint ?? "")),
  );
});

Deno.test("a number in hexadecimal, binary or octal notation is refused; decimal forms are read", () => {
  // Before: Number(cell) read "0x10" as 16 and "0b11" as 3, without a word.
  for (const cell of ["0x10", "0X1F", "0b11", "0B1", "0o17", "0O7"]) {
    assert.throws(() => parseNumberCell(cell, false, "x.csv line 2 (open)"), (e: CandleError) => {
      assert.ok(e instanceof CandleError && e.exitCode === 1, String(e));
      assert.equal(
        e.message,
        `x.csv line 2 (open): "${cell}" is not a decimal number (0x, 0b and 0o write hexadecimal, binary and octal)`,
      );
      assert.match(e.hint ?? "", /^write numbers in decimal/);
      return true;
    });
  }
  // Also with a space before it, as a reader that does not trim cells passes it.
  assert.throws(() => parseNumberCell(" 0x10", false, "w"), /is not a decimal number/);
  const read = ["1e3", "1E-3", "+5", ".5", "5.", "-1.5", "0", "0.25", "007", "1.5e+2"].map((cell) =>
    parseNumberCell(cell, false, "w")
  );
  assert.deepEqual(read, [1000, 0.001, 5, 0.5, 5, -1.5, 0, 0.25, 7, 150]);
});

Deno.test("candleFileError: a file this user may not read is the machine's refusal, not data to fix", () => {
  const denied = Object.assign(new Error("EACCES: permission denied, open 'secret.csv'"), { code: "EACCES" });
  // Before: a CandleError "secret.csv: EACCES …" with the hint "fix the data named, or collect it again".
  assert.equal(
    candleFileError("secret.csv", denied),
    denied,
    "passed on for the caller's filesystem mapping",
  );
  const missing = candleFileError("gone.csv", Object.assign(new Error("ENOENT"), { code: "ENOENT" }));
  assert.ok(missing instanceof CandleError);
  assert.equal(missing.message, "gone.csv: no such file");
});
