import assert from "node:assert/strict";
import {
  parseBatchEnvelope,
  parsePredictRequest,
  type RequestCandle,
  schemaParsePredictRequest,
} from "./schemas.ts";

const LOOKBACK = 3;

function body(change: Partial<RequestCandle> = {}, at = 1) {
  const candle = (i: number): RequestCandle => ({
    open: 100 + i,
    high: 103 + i,
    low: 99 + i,
    close: 102 + i,
    volume: 10,
    rsi: 55,
    macd: 0.1,
    macdSign: 0.05,
    macdHist: 0.05,
    ema: 101,
    stochSlowK: 80,
    stochSlowD: 75,
  });
  const candles = [0, 1, 2].map((i) => (i === at ? { ...candle(i), ...change } : candle(i)));
  return { symbol: "BTCUSDT", candles };
}

const detail = (change: Partial<RequestCandle>) => {
  const parsed = parsePredictRequest(body(change), LOOKBACK);
  return parsed.ok ? null : parsed.detail;
};

Deno.test("requests: the candle rule collect applies (features' candleProblem), naming the field", () => {
  assert.equal(detail({}), null);
  assert.equal(
    detail({ open: 0, high: 0, low: 0, close: 0, volume: 0 }),
    "candles[1].open: must be positive, got 0",
  );
  assert.equal(detail({ volume: -1 }), "candles[1].volume: must not be negative, got -1");
  assert.match(
    detail({ high: 1e308 })!,
    /^candles\[1\]\.high: must be at most 1000000000000 .*, got 1e\+308$/,
  );
  assert.equal(detail({ high: 98 }), "candles[1].high: 98 is below low (100)");
  assert.equal(detail({ volume: 0 }), null, "a candle without trades is fine");
});

Deno.test("requests: RSI and the stochastics within 0–100, a hair of rounding allowed", () => {
  assert.equal(detail({ rsi: 100.0005, stochSlowK: -0.0005, stochSlowD: 0 }), null);
  assert.equal(detail({ rsi: 4200 }), "candles[1].rsi: must be within 0–100, got 4200");
  assert.equal(detail({ stochSlowK: -3 }), "candles[1].stochSlowK: must be within 0–100, got -3");
  assert.equal(
    detail({ stochSlowD: 120, rsi: -1 }),
    "candles[1].rsi: must be within 0–100, got -1 (and 1 more field with problems)",
  );
});

Deno.test("requests: an EMA of 0 or below, a TA library's warm-up slot, is refused in the window read (flat trial s47)", () => {
  // Before: a bot with 60 candles of a new pair sent EMA(50)'s 49 warm-up zeros (C#'s `new double[n]` before
  // TA-Lib's outBegIdx) and got a 200, the features reading close/ema − 1 as 0: a flat market.
  for (const ema of [0, -101]) {
    const expected =
      `candles[1].ema: must be positive (an average of positive prices is), got ${ema}; 0 is ` +
      "what an indicator library leaves before EMA(50)'s first value: the last 3 candles (the model's " +
      "lookback) need EMA(50)'s history, 52 candles of the symbol";
    assert.equal(detail({ ema }), expected);
    const schema = schemaParsePredictRequest(body({ ema }), LOOKBACK);
    assert.equal(schema.ok ? null : schema.detail, expected);
  }
  assert.equal(detail({ ema: 1e-9 }), null, "a tiny EMA of tiny prices is fine");
  // A candle before the window is not read: a bot sending a symbol's whole history, warm-up zeros first, is fine.
  const history = body();
  history.candles.unshift({ ...history.candles[0], ema: 0 });
  assert.ok(parsePredictRequest(history, LOOKBACK).ok);
  assert.ok(schemaParsePredictRequest(history, LOOKBACK).ok);
});

Deno.test("requests: the fast check returns exactly what the schema returns, for valid and broken bodies", () => {
  // A seeded xorshift, so a failure names a reproducible case.
  let state = 12345;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const fields = [
    "open",
    "high",
    "low",
    "close",
    "volume",
    "rsi",
    "macd",
    "macdSign",
    "macdHist",
    "ema",
    "stochSlowK",
    "stochSlowD",
    "openTime",
  ];
  const odd: unknown[] = [
    undefined,
    null,
    "1",
    "",
    true,
    NaN,
    Infinity,
    -Infinity,
    -1,
    0,
    -0,
    0.5,
    1e308,
    2 ** 53,
    2 ** 53 - 1,
    101,
    100.0005,
    -0.0005,
    {},
    [],
    [1],
    1_700_000_000_000,
    1_700_000_000, // seconds
    1_700_000_000_000_000, // µs
  ];
  const mutate = (b: Record<string, unknown>) => {
    if (!Array.isArray(b.candles) || b.candles.length === 0) return;
    const candles = b.candles as Record<string, unknown>[];
    const candle = candles[Math.floor(random() * candles.length)] ?? {};
    const r = random();
    if (typeof candle !== "object" || candle === null) return;
    if (r < 0.6) candle[pick(fields)] = pick(odd);
    else if (r < 0.65) delete candle[pick(fields)];
    else if (r < 0.7) candle.extra = pick(odd);
    else if (r < 0.75) {
      b.symbol = pick([
        ...odd,
        "X".repeat(64),
        "X".repeat(65),
        "ÉTH",
        " BTCUSDT",
        "BTC\nUSDT",
        "btcusdt",
        "한국USDT".normalize("NFD"),
      ]);
    } else if (r < 0.8) b.candles = pick(odd);
    else if (r < 0.85) candles.length = Math.floor(random() * 3);
    else if (r < 0.9) candles[Math.floor(random() * candles.length)] = pick(odd) as Record<string, unknown>;
    else if (r < 0.95) b.extra = 1;
    // else: left valid
  };
  let valid = 0;
  for (let i = 0; i < 800; i++) {
    const b = structuredClone(body()) as unknown as Record<string, unknown>;
    if (random() < 0.5) {
      const candles = b.candles as Record<string, unknown>[];
      candles.forEach((c, k) => c.openTime = 3_600_000 * k);
      // Sometimes out of order: a repeated or an earlier open time (the schema's order check).
      if (random() < 0.2) candles[pick([1, 2])].openTime = pick([0, 3_600_000]);
    }
    for (let m = Math.floor(random() * 3); m > 0; m--) mutate(b);
    const fast = parsePredictRequest(b, LOOKBACK, "requests[2]");
    assert.deepEqual(fast, schemaParsePredictRequest(b, LOOKBACK, "requests[2]"), JSON.stringify(b));
    if (fast.ok) valid++;
  }
  assert.ok(valid > 80, `only ${valid} valid bodies: the fast path was barely tested`);
});

Deno.test("requests: candles with open times go oldest first, each time once; the first offender is named", () => {
  const timed = (times: (number | undefined)[]) => {
    const b = body();
    return {
      ...b,
      candles: b.candles.map((c, i) => times[i] === undefined ? c : { ...c, openTime: times[i] }),
    };
  };
  const parse = (times: (number | undefined)[], prefix = "") => {
    const parsed = parsePredictRequest(timed(times), LOOKBACK, prefix);
    assert.deepEqual(parsed, schemaParsePredictRequest(timed(times), LOOKBACK, prefix));
    return parsed.ok ? null : parsed.detail;
  };
  const H = 3_600_000;
  assert.equal(parse([0, H, 2 * H]), null);
  assert.equal(
    parse([undefined, undefined, undefined]),
    null,
    "without open times the order is the client's",
  );
  assert.equal(parse([H, undefined, 2 * H]), null, "a candle without a time is skipped");
  assert.equal(
    parse([2 * H, H, 0]),
    `candles[1].openTime: ${H} is before candles[0].openTime (${2 * H}): candles go oldest first, ` +
      "one per open time",
  );
  assert.equal(
    parse([0, H, H], "requests[4]"),
    `requests[4].candles[2].openTime: ${H} repeats requests[4].candles[1].openTime (${H}): candles go oldest ` +
      "first, one per open time",
  );
  assert.equal(
    parse([2 * H, undefined, H]),
    `candles[2].openTime: ${H} is before candles[0].openTime (${2 * H}): candles go oldest first, ` +
      "one per open time",
  );
});

Deno.test("requests: open times in seconds or µs are refused with the ms they stand for (monitor joins by ms)", () => {
  const at = (t: number) => {
    const b = body();
    const candles = b.candles.map((c, i) => ({ ...c, openTime: t + i * (t < 1e11 ? 3_600 : 3_600_000_000) }));
    const parsed = parsePredictRequest({ ...b, candles }, LOOKBACK, "");
    assert.deepEqual(parsed, schemaParsePredictRequest({ ...b, candles }, LOOKBACK, ""));
    return parsed.ok ? null : parsed.detail;
  };
  // Before: accepted and logged as 1970-01-20, which monitor never matched with an outcome.
  assert.match(
    at(1_700_000_000)!,
    /^candles\[0\]\.openTime: 1700000000 reads as a time in seconds \(2023-11-14T22:13Z\); send milliseconds since the epoch \(1700000000000\)/,
  );
  assert.match(
    at(1_700_000_000_000_000)!,
    /^candles\[0\]\.openTime: 1700000000000000 reads as a time in microseconds \(2023-11-14T22:13Z\); send milliseconds since the epoch \(1700000000000\)/,
  );
  // Named by their unit, not "expected whole milliseconds": pandas' ns, and a float of seconds.
  assert.match(
    at(1.7e18)!,
    /^candles\[0\]\.openTime: 1700000000000000000 reads as a time in nanoseconds \(2023-11-14/,
  );
  assert.match(
    at(1_700_000_000.5)!,
    /^candles\[0\]\.openTime: 1700000000\.5 reads as a time in seconds .*\(1700000000500\)/,
  );
  assert.equal(at(1_700_000_000_000), null, "ms");
  assert.equal(at(0), null, "synthetic series' small times stay valid");
});

Deno.test("requests: a symbol is one word, its case as sent; spaces and control characters are refused", () => {
  for (const symbol of ["BTCUSDT", "btcusdt", "BTC-USDT", "BTC/USDT"]) {
    const parsed = parsePredictRequest({ ...body(), symbol }, LOOKBACK);
    assert.ok(parsed.ok && parsed.value.symbol === symbol, symbol);
  }
  for (const symbol of [" BTCUSDT", "BTCUSDT ", "BTC USDT", "BTC\nUSDT", "BTC\u0000USDT", "BTCUSDT\u200b"]) {
    const parsed = parsePredictRequest({ ...body(), symbol }, LOOKBACK);
    assert.ok(!parsed.ok && parsed.detail.includes("symbol") && parsed.detail.includes("one word"), symbol);
  }
});

Deno.test("requests: a symbol sent in NFD (a Hangul syllable as its jamo) is read in NFC, by the fast check and the schema", () => {
  // Before: kept as sent, so the log held 한국USDT in NFD, which monitor matched to no row of the training CSV
  // (collect writes NFC): one pair, its predictions never joined.
  const [nfc, nfd] = ["한국usdt".normalize("NFC"), "한국usdt".normalize("NFD")];
  for (const parse of [parsePredictRequest, schemaParsePredictRequest]) {
    const parsed = parse({ ...body(), symbol: nfd }, LOOKBACK);
    assert.ok(parsed.ok && parsed.value.symbol === nfc, parse.name);
    // An invalid body (too few candles) still goes by the schema and names the candles, not the symbol.
    const short = parse({ symbol: nfd, candles: body().candles.slice(0, 1) }, LOOKBACK);
    assert.ok(!short.ok && short.detail.startsWith("candles: "), parse.name);
  }
  // Its case as sent, as for any symbol.
  assert.deepEqual(parsePredictRequest({ ...body(), symbol: "Cafe\u0301" }, LOOKBACK), {
    ok: true,
    value: { ...body(), symbol: "Caf\u00E9" },
  });
});

Deno.test("requests: a number sent with a decimal comma is named, as collect names one; no long string is echoed", () => {
  const said = (value: string) => detail({ open: value as unknown as number }) ?? "";
  // A de-DE host grouping thousands ("1.234,5"): collect's rule names it, serve's own said only "expected a
  // finite number".
  for (const value of ["42000,5", " -0,5 ", "1.234,5"]) {
    assert.match(
      said(value),
      /^candles\[1\]\.open: expected a finite number, got the string ".*", a decimal comma/,
    );
  }
  // A megabyte of digits with one comma in it was echoed whole in the 422 (other strings are never echoed).
  const long = `${"1".repeat(100_000)},5`;
  assert.equal(said(long), "candles[1].open: expected a finite number");
  assert.equal(said("abc"), "candles[1].open: expected a finite number");
});

/** A valid body of `n` candles (the `body()` candle repeated with rising prices), `ema` set at `emaAt`. */
function candlesBody(n: number, emaAt?: number, ema = 0) {
  const [first] = body().candles;
  const candles = Array.from({ length: n }, (_, i) => ({
    ...first,
    open: first.open + i,
    high: first.high + i,
    low: first.low + i,
    close: first.close + i,
    ...(i === emaAt ? { ema } : {}),
  }));
  return { symbol: "BTCUSDT", candles };
}

const both = (value: unknown) => {
  const fast = parsePredictRequest(value, LOOKBACK);
  assert.deepEqual(fast, schemaParsePredictRequest(value, LOOKBACK));
  return fast.ok ? null : fast.detail;
};

Deno.test("requests: exactly lookback − 1 candles is refused, naming the count; lookback candles are read", () => {
  // Guards: a body one candle short of the lookback passed the schema and got a 500, not SPEC §4's 422.
  assert.equal(
    both(candlesBody(LOOKBACK - 1)),
    `candles: expected at least ${LOOKBACK} candles (the model's lookback), got ${LOOKBACK - 1}`,
  );
  assert.equal(both(candlesBody(LOOKBACK)), null);
});

Deno.test("requests: an EMA of 0 on the window's first candle is refused; on the candle before it, accepted", () => {
  // Guards: `ema: 0` on the first candle the model reads got a 200 and a prediction of a flat market.
  const expected = (i: number) =>
    `candles[${i}].ema: must be positive (an average of positive prices is), got 0; 0 is what an indicator ` +
    "library leaves before EMA(50)'s first value: the last 3 candles (the model's lookback) need EMA(50)'s " +
    "history, 52 candles of the symbol";
  for (const n of [LOOKBACK, LOOKBACK + 4]) {
    const first = n - LOOKBACK;
    assert.equal(both(candlesBody(n, first)), expected(first), `${n} candles`);
    // docs/api.md: only the last `lookback` candles' EMA is checked; earlier ones are not read.
    if (first > 0) assert.equal(both(candlesBody(n, first - 1)), null, `${n} candles`);
  }
});

Deno.test("requests: a field sent under another case (a C# serializer's PascalCase) is named in the detail", () => {
  const { symbol, candles } = body();
  const pascal = (o: object) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k[0].toUpperCase() + k.slice(1), v]));
  const detail = (value: unknown) => {
    const parsed = parsePredictRequest(value, LOOKBACK);
    return parsed.ok ? "accepted" : parsed.detail;
  };
  // Before: "symbol: is missing (expected a string) (and 1 more field with problems)", and nothing of why.
  assert.equal(
    detail({ Symbol: symbol, Candles: candles.map(pascal) }),
    'symbol: is missing (expected a string); the body has "Symbol": field names are case-sensitive, camelCase ' +
      'as docs/api.md writes them ("symbol", "candles", "openTime", "macdSign"; in C#: JsonSerializerOptions ' +
      "{ PropertyNamingPolicy = JsonNamingPolicy.CamelCase }) (and 1 more field with problems)",
  );
  assert.match(
    detail({ symbol, candles: candles.map(pascal) }),
    /^candles\[0\]\.open: .*; the body has "Open": /,
  );
  const { macdSign, ...rest } = candles[0];
  assert.match(
    detail({ symbol, candles: [{ ...rest, MACDSign: macdSign }, ...candles.slice(1)] }),
    /^candles\[0\]\.macdSign: .*; the body has "MACDSign": /,
  );
  const batch = parseBatchEnvelope({ Requests: [] });
  assert.match(batch.ok ? "accepted" : batch.detail, /^requests: is missing .*; the body has "Requests": /);
  // Missing outright, or wrong in type under its own name: no note.
  assert.equal(detail({ candles }), "symbol: is missing (expected a string)");
  assert.equal(detail({ symbol: 5, Symbol: "BTCUSDT", candles }), "symbol: expected a string");
});
