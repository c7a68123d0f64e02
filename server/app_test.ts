import assert from "node:assert/strict";
import { z } from "zod";
import { FEATURE_NAMES } from "../features/index.ts";
import { createApp } from "./app.ts";
import type { LogRecord } from "./log.ts";
import type { PredictionLog } from "./prediction_log.ts";
import type { PredictionRecord } from "../engine/index.ts";
import { ModelStore } from "./models/store.ts";
import { markRemoteAddress, RateLimiter } from "./rate_limit.ts";
import { browserGuardFor } from "./browser_guard.ts";
import { FakePredictor, predictBody } from "../test/fake_predictor.ts";

// SPEC §4 response shapes, field by field ("exactly": every documented field, this name, this JSON type;
// extra fields allowed, so the objects are not strict).
const Probability = z.number().min(0).max(1);
const PredictResponseSchema = z.object({
  symbol: z.string(),
  prediction: z.enum(["UP", "DOWN", "SIDEWAYS"]),
  confidence: Probability,
  probabilities: z.object({ down: Probability, sideways: Probability, up: Probability }),
  expected_return: z.number(),
  trend_score: z.number().int().min(-5).max(5),
  attention_summary: z.record(z.string().regex(/^t-([1-9]|[1-4]\d|50)$/), z.number()),
});
const HealthySchema = z.object({
  status: z.literal("healthy"),
  model: z.literal("loaded"),
  device: z.literal("cpu"),
  input_features: z.literal(35),
});
const UnhealthySchema = z.object({ status: z.literal("unhealthy"), model: z.literal("not_loaded") });
const ModelInfoSchema = z.object({
  model_type: z.enum(["TransformerLSTMModel", "LightweightLSTMModel"]),
  input_features: z.literal(35),
  feature_names: z.array(z.string()).length(35),
  lookback: z.literal(50),
  version: z.string(),
  trained_at: z.string(),
  horizon: z.number().int().positive(),
  classes: z.tuple([z.literal("DOWN"), z.literal("SIDEWAYS"), z.literal("UP")]),
});
const ErrorSchema = z.object({ detail: z.string().min(1) });

function setup(options: { apiKey?: string; bodyLimit?: number; model?: FakePredictor | null } = {}) {
  const store = new ModelStore();
  const model = options.model === undefined ? new FakePredictor() : options.model;
  if (model) store.install(model);
  const logs: LogRecord[] = [];
  const app = createApp(store, {
    apiKey: options.apiKey,
    bodyLimit: options.bodyLimit,
    log: (r) => logs.push(r),
  });
  return { app, store, model, logs };
}

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "Content-Type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

async function expectError(res: Response, status: number, detail?: RegExp | string): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const body = ErrorSchema.parse(JSON.parse(text));
  assert.doesNotMatch(body.detail, /\n\s+at /, "no stack trace");
  if (typeof detail === "string") assert.equal(body.detail, detail);
  else if (detail) assert.match(body.detail, detail);
  return body.detail;
}

Deno.test("GET / and /health report a loaded model exactly as SPEC §4", async () => {
  const { app } = setup();
  for (const path of ["/", "/health"]) {
    const res = await app.request(path);
    assert.equal(res.status, 200);
    const body = HealthySchema.parse(await res.json());
    assert.equal(body.input_features, 35);
  }
});

Deno.test("with no model: /health is unhealthy (503), /predict and /model/info answer 503", async () => {
  const { app } = setup({ model: null });
  const health = await app.request("/health");
  assert.equal(health.status, 503);
  UnhealthySchema.parse(await health.json());
  await expectError(await app.request("/predict", post(predictBody())), 503, /no model loaded/);
  await expectError(await app.request("/predict/batch", post({ requests: [predictBody()] })), 503);
  await expectError(await app.request("/model/info"), 503);
});

Deno.test("with no model, a prediction's 503 comes before anything its body would be refused for (docs/api.md)", async () => {
  // Looked for before the body is read, so a client is not made to upload a batch to be told no model is loaded.
  const { app } = setup({ model: null });
  const plain = { method: "POST", headers: { "Content-Type": "text/plain" }, body: "{}" };
  await expectError(await app.request("/predict", plain), 503, /no model loaded/);
  const broken = { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" };
  await expectError(await app.request("/predict/batch", broken), 503, /no model loaded/);
});

Deno.test("a 503 says 'no model loaded' and what to do, never the server's paths or load errors", async () => {
  const secret = "/srv/secret/checkpoints/current";
  const { app, store } = setup({ model: null });
  const cases: [() => void, RegExp][] = [
    [() => {}, /^no model loaded yet; retry shortly$/],
    [
      () => store.explain(`no model at ${secret}: train one`),
      /^no model loaded: none is installed on the server; /,
    ],
    [
      () => store.recordFailure(`${secret}/model.onnx: the ONNX model is missing`),
      /^no model loaded: it failed to load and is being retried; the server log says why$/,
    ],
  ];
  for (const [happen, expected] of cases) {
    happen();
    for (
      const res of [await app.request("/predict", post(predictBody())), await app.request("/model/info")]
    ) {
      const detail = await expectError(res, 503, expected);
      assert.doesNotMatch(detail, /secret|\//);
    }
  }
});

Deno.test("POST /predict answers the SPEC §4 body, its fields consistent with each other", async () => {
  const { app, model } = setup();
  const res = await app.request("/predict", post(predictBody("ETHUSDT", 80)));
  assert.equal(res.status, 200);
  const body = PredictResponseSchema.parse(await res.json());
  assert.equal(body.symbol, "ETHUSDT");
  const p = body.probabilities;
  assert.ok(Math.abs(p.down + p.sideways + p.up - 1) < 1e-6);
  const best = Math.max(p.down, p.sideways, p.up);
  assert.equal(body.confidence, best);
  assert.equal(body.prediction, ({ [p.down]: "DOWN", [p.sideways]: "SIDEWAYS", [p.up]: "UP" })[best]);
  assert.equal(Object.keys(body.attention_summary).length, 3);
  const weights = Object.values(body.attention_summary);
  assert.deepEqual(weights, [...weights].sort((a, b) => b - a), "largest first");
  assert.deepEqual(model?.calls, [1]);
});

Deno.test("attention_summary is {} for a model without attention", async () => {
  const { app } = setup({ model: new FakePredictor({ attention: false }) });
  const body = PredictResponseSchema.parse(await (await app.request("/predict", post(predictBody()))).json());
  assert.deepEqual(body.attention_summary, {});
});

Deno.test("the seed README's curl example works unchanged (extra fields are ignored)", async () => {
  const { app } = setup();
  const candle = {
    open: 50000,
    high: 51000,
    low: 49500,
    close: 50500,
    volume: 1000,
    rsi: 55,
    macd: 0.5,
    macdSign: 0.3,
    macdHist: 0.2,
    ema: 50200,
    stochSlowK: 60,
    stochSlowD: 55,
  };
  const body = { symbol: "BTCUSDT", candles: Array.from({ length: 50 }, () => ({ ...candle, t: 1 })) };
  const res = await app.request("/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json; charset=utf-8" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  const parsed = PredictResponseSchema.parse(await res.json());
  // trend_score on the last candle: close>ema +1, ema flat −1, macdHist>0 +1, rsi>50 +1, K>D +1.
  assert.equal(parsed.trend_score, 3);
});

Deno.test("GET /model/info carries SPEC §4's fields plus version, trained_at, horizon, classes, metrics", async () => {
  const { app } = setup({ model: new FakePredictor({ version: "v7_2026-03-01" }) });
  const res = await app.request("/model/info");
  assert.equal(res.status, 200);
  const raw = await res.json();
  const body = ModelInfoSchema.parse(raw);
  assert.deepEqual(body.feature_names, FEATURE_NAMES);
  assert.equal(body.model_type, "TransformerLSTMModel");
  assert.equal(body.version, "v7_2026-03-01");
  assert.deepEqual(raw.metrics, { accuracy: 0.5 });
  assert.equal(raw.interval, null, "not recorded by this version");
});

Deno.test("GET /model/info says whether the probabilities are the network's alone or a blend with boosting", async () => {
  const plain = await (await setup({ model: new FakePredictor() }).app.request("/model/info")).json();
  assert.equal(plain.blend, null);
  const blend = { with: "gradient_boosting", weight: 0.5, temperature: 0.95 } as const;
  const { app } = setup({ model: new FakePredictor({ preprocessor: { blend } }) });
  const raw = await (await app.request("/model/info")).json();
  assert.deepEqual(raw.blend, blend);
  assert.equal(raw.model_type, "TransformerLSTMModel", "model_type still names the network");
});

Deno.test("GET /model/info names the candle interval the version was trained on, the one /predict takes", async () => {
  // Before, a bot on 30m candles could read horizon 4 but not 4 of what, and learnt the interval from a 422.
  const { app } = setup({ model: new FakePredictor({ version: "v7_2026-03-01", interval: "30m" }) });
  const raw = await (await app.request("/model/info")).json();
  assert.equal(raw.interval, "30m");
  assert.equal(raw.horizon, 4);
  assert.equal(raw.grid_offset_ms, undefined, "on the UTC grid: left out");
  // A version whose candles opened off the UTC grid (16:00 UTC days) says so: the bot's must open there too.
  const { app: offGrid } = setup({
    model: new FakePredictor({ version: "v8_2026-03-01", interval: "1d", gridOffsetMs: 57_600_000 }),
  });
  assert.equal((await (await offGrid.request("/model/info")).json()).grid_offset_ms, 57_600_000);
});

Deno.test("POST /predict refuses candles stamped in local time (off the model's UTC grid), and logs no prediction", async () => {
  // A bot in India stamping openTime in local time (+5:30): before, a 200 whose logged prediction monitor
  // could never score ("not found in <csv>", blaming the closes).
  const logged: PredictionRecord[] = [];
  const predictionLog = { record: (r: PredictionRecord) => logged.push(r) } as unknown as PredictionLog;
  const store = new ModelStore();
  store.install(new FakePredictor({ version: "v7_2026-03-01", interval: "1h" }));
  const app = createApp(store, { log: () => {}, predictionLog });
  const H = 3_600_000, first = Date.UTC(2026, 0, 1);
  const body = (offset: number) => {
    const b = predictBody("BTCUSDT", 50, 3);
    return { ...b, candles: b.candles.map((c, i) => ({ ...c, openTime: first + offset + i * H })) };
  };
  await expectError(
    await app.request("/predict", post(body(5.5 * H))),
    422,
    /^candles\[0\]\.openTime: \d+ \(2026-01-01T05:30:00\.000Z\): open times are 30 min past the 1h UTC grid .*send UTC open times/,
  );
  assert.deepEqual(logged, []);
  const res = await app.request("/predict", post(body(0)));
  assert.equal(res.status, 200, "UTC open times are answered and logged");
  assert.equal(logged.length, 1);
});

Deno.test("POST /predict/batch answers one entry per request, failures in place", async () => {
  const { app, model } = setup();
  const bad = predictBody("BADUSDT", 50, 3);
  (bad.candles[7] as unknown as Record<string, unknown>).close = "NaN";
  const res = await app.request(
    "/predict/batch",
    post({ requests: [predictBody("BTCUSDT"), bad, predictBody("SOLUSDT", 60, 2), { symbol: "X" }] }),
  );
  assert.equal(res.status, 200);
  const { predictions } = await res.json();
  assert.equal(predictions.length, 4);
  assert.equal(PredictResponseSchema.parse(predictions[0]).symbol, "BTCUSDT");
  assert.deepEqual(predictions[1], {
    symbol: "BADUSDT",
    status: 422,
    detail: "requests[1].candles[7].close: expected a finite number",
  });
  assert.equal(PredictResponseSchema.parse(predictions[2]).symbol, "SOLUSDT");
  assert.match(predictions[3].detail, /^requests\[3\]\.candles: is missing/);
  assert.deepEqual(model?.calls, [2], "valid items go to the model in one call");
});

Deno.test("a batch item predicts exactly what /predict predicts for the same body", async () => {
  const { app } = setup();
  const body = predictBody("ADAUSDT", 64, 9);
  const single = await (await app.request("/predict", post(body))).json();
  const { predictions } = await (await app.request("/predict/batch", post({ requests: [body, body] })))
    .json();
  assert.deepEqual(predictions[0], single);
  assert.deepEqual(predictions[1], single);
});

Deno.test("422 names the field for every kind of invalid candle", async () => {
  const { app } = setup();
  const cases: [(b: ReturnType<typeof predictBody>) => void, string | RegExp][] = [
    [(b) => b.candles.splice(10), "candles: expected at least 50 candles (the model's lookback), got 10"],
    [
      (b) => (b.candles[12] as unknown as Record<string, unknown>).close = "NaN",
      "candles[12].close: expected a finite number",
    ],
    // A bot formatting numbers with a de-DE host's culture: said as such (before: "expected a finite number").
    [
      (b) => (b.candles[11] as unknown as Record<string, unknown>).open = "42000,5",
      'candles[11].open: expected a finite number, got the string "42000,5", a decimal comma: send numbers as ' +
      "JSON numbers with '.' (in C#, a double, or x.ToString(CultureInfo.InvariantCulture))",
    ],
    [
      (b) => delete (b.candles[3] as Partial<typeof b.candles[3]>).rsi,
      "candles[3].rsi: is missing (expected a finite number)",
    ],
    [
      (b) => (b.candles[4] as unknown as Record<string, unknown>).macd = null,
      "candles[4].macd: expected a finite number",
    ],
    [(b) => b.candles[5].volume = -1, /^candles\[5\]\.volume: must not be negative, got -1/],
    [(b) => b.candles[6].low = b.candles[6].high + 1, /^candles\[6\]\.high: .* is below low/],
    [
      (b) => b.candles[8].high = Math.max(b.candles[8].open, b.candles[8].close) - 1e-6,
      /^candles\[8\]\.high: .*max\(open, close\)/,
    ],
    [
      (b) => b.candles[9].low = Math.min(b.candles[9].open, b.candles[9].close) + 1e-6,
      /^candles\[9\]\.low: .*min\(open, close\)/,
    ],
    [(b) => (b as unknown as Record<string, unknown>).symbol = 7, "symbol: expected a string"],
    [
      (b) => (b as unknown as Record<string, unknown>).candles = "many",
      "candles: expected an array of candles",
    ],
    [(b) => (b.candles as unknown[])[2] = [1, 2], "candles[2]: expected a candle object"],
    [
      // Newest first: the open times give it away.
      (b) => b.candles.reverse().forEach((c, i) => timed(c).openTime = (60 - i) * 3_600_000),
      /^candles\[1\]\.openTime: 212400000 is before candles\[0\]\.openTime \(216000000\): candles go oldest first/,
    ],
    [
      (b) => b.candles.forEach((c, i) => timed(c).openTime = Math.min(i, 30) * 3_600_000),
      /^candles\[31\]\.openTime: 108000000 repeats candles\[30\]\.openTime/,
    ],
  ];
  const timed = (c: unknown) => c as { openTime?: number };
  for (const [mutate, detail] of cases) {
    const body = predictBody();
    mutate(body);
    await expectError(await app.request("/predict", post(body)), 422, detail);
  }
  await expectError(await app.request("/predict", post([1, 2])), 422, /^body: expected a JSON object/);
  await expectError(await app.request("/predict", post("null")), 422, /^body: /);
  await expectError(await app.request("/predict/batch", post({ requests: "x" })), 422, /^requests: /);
});

Deno.test("one candle short of the lookback is a 422 naming the count, on /predict and as a batch item", async () => {
  // Guards: a 49-candle body got a 500, not SPEC §4's 422 "expected at least 50".
  const { app, model } = setup();
  const short = predictBody("BTCUSDT", 49);
  const expected = "candles: expected at least 50 candles (the model's lookback), got 49";
  await expectError(await app.request("/predict", post(short)), 422, expected);
  const res = await app.request("/predict/batch", post({ requests: [short] }));
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json()).predictions, [
    { symbol: "BTCUSDT", status: 422, detail: `requests[0].${expected}` },
  ]);
  assert.deepEqual(model?.calls, [], "the model is not asked");
});

Deno.test("an EMA of 0 on the first candle of the model's window is a 422; on the candle before it, a 200", async () => {
  // Guards: `ema: 0` on the first candle the model reads was answered (a flat market read), not refused.
  const { app } = setup();
  const withZeroEma = (at: number) => {
    const body = predictBody("BTCUSDT", 60);
    body.candles[at].ema = 0;
    return body;
  };
  await expectError(
    await app.request("/predict", post(withZeroEma(10))),
    422,
    /^candles\[10\]\.ema: must be positive .*: the last 50 candles \(the model's lookback\) need/,
  );
  // docs/api.md: only the last `lookback` candles' EMA is checked (a history's warm-up zeros come first).
  const res = await app.request("/predict", post(withZeroEma(9)));
  assert.equal(res.status, 200, await res.clone().text());
  PredictResponseSchema.parse(await res.json());
});

Deno.test("oversized arrays are refused before validation: candles and batch items are bounded", async () => {
  const { app } = setup();
  await expectError(
    await app.request("/predict", post({ symbol: "X", candles: new Array(10_001).fill(0) })),
    422,
    "candles: must hold at most 10000 candles (only the last 50 are used), got 10001",
  );
  await expectError(
    await app.request("/predict/batch", post({ requests: new Array(1_001).fill(0) })),
    422,
    "requests: must hold at most 1000 requests",
  );
});

Deno.test("finite values that overflow float32 features are a 422, not a NaN prediction", async () => {
  const { app } = setup();
  const body = predictBody();
  // macd: unbounded (RSI is range-checked at the schema now), and macd/close overflows float32.
  body.candles[49].macd = 1e300;
  await expectError(
    await app.request("/predict", post(body)),
    422,
    /^candles\[49\]: .*feature macd\w* overflow/,
  );
});

Deno.test("400 for malformed JSON, empty bodies and bad UTF-8", async () => {
  const { app } = setup();
  await expectError(
    await app.request("/predict", post('{"symbol": "BTC", "candles": [')),
    400,
    /^body: malformed JSON/,
  );
  await expectError(await app.request("/predict", post("")), 400, /^body: empty/);
  await expectError(await app.request("/predict", { method: "POST" }), 400, /^body: empty/);
  const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
  await expectError(
    await app.request("/predict", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: bytes,
    }),
    400,
    "body: not valid UTF-8",
  );
});

Deno.test("bare NaN and ±Infinity (Python's json.dumps, .NET's INF) are a 422 naming the field, not malformed JSON", async () => {
  const { app } = setup();
  const text = JSON.stringify(predictBody());
  // INF and -INF: DataContractJsonSerializer's, the shipped C# client's serializer. Before: a 400 "malformed
  // JSON" for the whole batch where one symbol's MACD was infinite (a C# integrator's trial).
  for (const token of ["NaN", "Infinity", "-Infinity", "INF", "-INF"]) {
    let n = 0;
    // The 13th candle's close (each candle has one "close" key).
    const body = text.replace(/"close":[^,}]+/g, (m) => n++ === 12 ? `"close":${token}` : m);
    await expectError(
      await app.request("/predict", post(body)),
      422,
      "candles[12].close: expected a finite number",
    );
    const batch = `{"requests":[${body}]}`;
    const { predictions } = await (await app.request("/predict/batch", post(batch))).json();
    assert.equal(predictions[0].detail, "requests[0].candles[12].close: expected a finite number");
  }
  // A bare NaN is a number, where a string goes too: not the symbol "NaN" (it was a 200 for "NaN").
  const bareSymbol = text.replace(/"symbol":"[^"]*"/, '"symbol":NaN');
  await expectError(await app.request("/predict", post(bareSymbol)), 422, /^symbol: /);
  // Inside strings the words stay text (a symbol is one word, so no spaces); malformed besides them is a 400.
  const named = JSON.stringify({ ...predictBody(), symbol: 'NaN,-Infinity,"NaN"' });
  assert.equal((await app.request("/predict", post(named))).status, 200);
  await expectError(
    await app.request("/predict", post('{"symbol": NaN, "candles": [')),
    400,
    /^body: malformed/,
  );
  await expectError(
    await app.request("/predict", post(`{NaN: 1, ${text.slice(1)}`)),
    400,
    /^body: malformed/,
  );
});

Deno.test("415 for a non-JSON content type; a missing content type is read as JSON", async () => {
  const { app } = setup();
  const text = JSON.stringify(predictBody());
  await expectError(
    await app.request("/predict", { method: "POST", headers: { "Content-Type": "text/plain" }, body: text }),
    415,
    /Content-Type must be application\/json/,
  );
  const res = await app.request("/predict", { method: "POST", body: new TextEncoder().encode(text) });
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

Deno.test("415 for a compressed body (Content-Encoding), which nothing decompresses; identity is read as JSON", async () => {
  const { app } = setup();
  const text = JSON.stringify(predictBody());
  const gzipped = await new Response(
    new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")),
  ).arrayBuffer();
  await expectError(
    await app.request("/predict", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
      body: new Uint8Array(gzipped),
    }),
    415,
    'Content-Encoding "gzip" is not supported: send the JSON body uncompressed',
  );
  const res = await app.request("/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Content-Encoding": "identity" },
    body: text,
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

Deno.test("415 for a JSON body declared in a charset other than UTF-8; charset=utf-8 or none is read as JSON", async () => {
  const { app } = setup();
  const text = JSON.stringify(predictBody());
  // Before: each was decoded as UTF-8 without a word and answered 200 (or a 400 "not valid UTF-8" for a byte
  // of latin1 above 0x7f), where the client had said the bytes were in another encoding.
  for (const charset of ["latin1", "ISO-8859-1", '"windows-1252"', "utf-16", "UTF-16LE", ""]) {
    await expectError(
      await app.request("/predict", {
        method: "POST",
        headers: { "Content-Type": `application/json; charset=${charset}` },
        body: text,
      }),
      415,
      `Content-Type charset "${charset.replaceAll('"', "")}" is not supported: send the JSON body as UTF-8 ` +
        "(charset=utf-8, or no charset)",
    );
  }
  const batch = await app.request("/predict/batch", {
    method: "POST",
    headers: { "Content-Type": "application/json;charset=latin1" },
    body: `{"requests":[${text}]}`,
  });
  assert.equal(batch.status, 415);
  assert.match((await batch.json()).detail, /^Content-Type charset "latin1" is not supported/);
  // C#'s StringContent(json, Encoding.UTF8, "application/json") sends "application/json; charset=utf-8".
  for (
    const contentType of [
      "application/json; charset=utf-8",
      "application/json; charset=UTF-8",
      "application/json;charset=utf8",
      'application/json; charset="UTF-8"',
      "application/json",
      "application/vnd.api+json; charset=Utf-8",
      // C#'s StringContent(json, Encoding.ASCII, "application/json"): ASCII bytes are UTF-8's.
      "application/json; charset=us-ascii",
      "application/json; charset=US-ASCII",
    ]
  ) {
    const res = await app.request("/predict", {
      method: "POST",
      headers: { "Content-Type": contentType },
      body: text,
    });
    assert.equal(res.status, 200, contentType);
    await res.body?.cancel();
  }
});

Deno.test("413 for a body over the limit, declared or streamed without a length", async () => {
  const { app } = setup();
  const big = JSON.stringify({
    symbol: "BTCUSDT",
    candles: Array.from({ length: 8000 }, () => predictBody().candles[0]),
  });
  assert.ok(big.length > 1024 * 1024);
  await expectError(await app.request("/predict", post(big)), 413, /1048576-byte limit/);
  // A chunked upload with no Content-Length: refused once the count passes the limit, without reading it all.
  let pulled = 0;
  const chunk = new TextEncoder().encode("[" + "1,".repeat(32 * 1024));
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += chunk.byteLength;
      if (pulled > 64 * 1024 * 1024) controller.close();
      else controller.enqueue(chunk);
    },
  });
  const res = await app.request("/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: stream,
    duplex: "half",
  } as RequestInit);
  await expectError(res, 413);
  assert.ok(pulled < 2 * 1024 * 1024, `stopped reading early (read ${pulled} bytes)`);
  // The limit is an option.
  const small = setup({ bodyLimit: 100 });
  await expectError(await small.app.request("/predict", post(predictBody())), 413, /100-byte limit/);
});

Deno.test("413 for a body of more JSON objects and arrays than any request holds, before it is parsed", async () => {
  // Under 1 MiB, `[[[…]]]` or `[{},{},…]` is half a million containers: JSON.parse built ~30 MB of them for
  // each (and took ~0.3 s on the nested one), so the 64 requests a worker handles at once took a serve worker
  // from 130 MiB to 2.1 GiB (3.2 GiB after a second round), against the 240 MiB docs/deployment.md plans for.
  const { app } = setup();
  for (
    const body of [
      "[".repeat(500_000) + "]".repeat(500_000),
      "[" + Array(340_000).fill("{}").join(",") + "]",
      JSON.stringify({ requests: Array(30_000).fill({ candles: [] }) }),
    ]
  ) {
    assert.ok(body.length <= 1024 * 1024);
    await expectError(
      await app.request("/predict", post(body)),
      413,
      "body: more than 20000 JSON objects and arrays (a request has about one per candle); send fewer " +
        "candles or requests",
    );
  }
  // The most a request under 1 MiB can hold, all of it valid: candles with the shortest numbers there are.
  const candle = {
    open: 1,
    high: 1,
    low: 1,
    close: 1,
    volume: 0,
    rsi: 50,
    macd: 0,
    macdSign: 0,
    macdHist: 0,
    ema: 1,
    stochSlowK: 50,
    stochSlowD: 50,
  };
  const most = Math.floor(1024 * 1024 / (JSON.stringify(candle).length + 1)) - 1;
  const full = JSON.stringify({ symbol: "BTCUSDT", candles: Array(most).fill(candle) });
  assert.ok(full.length <= 1024 * 1024 && most > 7800);
  const res = await app.request("/predict", post(full));
  assert.equal(res.status, 200, await res.text());
  const batch = JSON.stringify({
    requests: Array(1000).fill({ symbol: "BTCUSDT", candles: Array(7).fill(candle) }),
  });
  assert.ok(batch.length <= 1024 * 1024);
  const items = await app.request("/predict/batch", post(batch));
  assert.equal(items.status, 200, "a batch of 1000 items is parsed (each then fails alone: too few candles)");
  await items.body?.cancel();
});

Deno.test("bearer auth: 401 without or with a wrong key, / and /health stay open", async () => {
  const { app } = setup({ apiKey: "s3cret" });
  const attempts: Record<string, string>[] = [
    {},
    { Authorization: "Bearer nope" },
    { Authorization: "Basic czNjcmV0" },
    { Authorization: "Bearer" },
    { Authorization: "Bearer s3cret2" },
  ];
  for (const headers of attempts) {
    const res = await app.request("/predict", post(predictBody(), headers));
    await expectError(res, 401);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
  }
  await expectError(await app.request("/model/info"), 401);
  await expectError(await app.request("/metrics"), 401);
  assert.equal((await app.request("/health")).status, 200);
  assert.equal((await app.request("/")).status, 200);
  const ok = await app.request("/predict", post(predictBody(), { Authorization: "Bearer s3cret" }));
  assert.equal(ok.status, 200);
  PredictResponseSchema.parse(await ok.json());
  // A header the client did send is not "missing": the detail says what is wrong with it, never echoing a key.
  const details: [Record<string, string>, string][] = [
    [{}, "missing bearer key: send 'Authorization: Bearer <CANDLECAST_API_KEY>'"],
    [
      { Authorization: "s3cret" },
      "Authorization header holds no scheme (the key alone?): send 'Authorization: Bearer <CANDLECAST_API_KEY>'",
    ],
    [
      { Authorization: "Basic czNjcmV0" },
      "Authorization header uses the Basic scheme, not Bearer: send 'Authorization: Bearer <CANDLECAST_API_KEY>'",
    ],
    [
      { Authorization: "Bearer" },
      "Authorization: Bearer without a key: send 'Authorization: Bearer <CANDLECAST_API_KEY>'",
    ],
    [
      { Authorization: "Bearer s3 cret" },
      "Authorization: Bearer takes one key, with no spaces in it (got 2 words): send 'Authorization: Bearer <CANDLECAST_API_KEY>'",
    ],
    // Two headers arrive joined by ", "; a key pasted with a non-breaking space after it. Both were "got N words".
    [
      { Authorization: "Bearer s3cret, Bearer s3cret" },
      "Authorization holds more than one Bearer key (two Authorization headers?): send one, send 'Authorization: " +
      "Bearer <CANDLECAST_API_KEY>'",
    ],
    [
      { Authorization: "Bearer s3cret\u00a0" },
      "Authorization: Bearer's key holds U+00A0, which no key has (pasted with it?): send 'Authorization: Bearer " +
      "<CANDLECAST_API_KEY>'",
    ],
    // The same from a UTF-8 client, as node:http hands it on (bytes C2 A0 read as Latin-1): was U+00C2.
    [
      { Authorization: "Bearer s3cret\u00c2\u00a0" },
      "Authorization: Bearer's key holds U+00A0, which no key has (pasted with it?): send 'Authorization: Bearer " +
      "<CANDLECAST_API_KEY>'",
    ],
    [{ Authorization: "Bearer nope" }, "wrong bearer key"],
    // .NET's AuthenticationHeaderValue(key, "Bearer"): the key came first and was named as "the scheme", in
    // the answer and, since serve logs a 401's detail, in the server's log.
    [
      { Authorization: "s3cret Bearer" },
      "Authorization header has Bearer second, after the key (AuthenticationHeaderValue's arguments swapped?): " +
      "send 'Authorization: Bearer <CANDLECAST_API_KEY>'",
    ],
    [
      { Authorization: "deadbeef0123s3cret Token" },
      "Authorization header uses the wrong scheme, not Bearer: send 'Authorization: Bearer <CANDLECAST_API_KEY>'",
    ],
  ];
  for (const [headers, detail] of details) {
    const shown = await expectError(await app.request("/model/info", { headers }), 401, detail);
    assert.doesNotMatch(shown, /s3cret|czNjcmV0|cret/, "the header's key is never echoed");
  }
  const lower = await app.request("/model/info", { headers: { Authorization: "bearer s3cret" } });
  assert.equal(lower.status, 200);
  await lower.body?.cancel();
});

Deno.test("404 for unknown paths, 405 with Allow for a known path and the wrong method", async () => {
  const { app } = setup();
  await expectError(
    await app.request("/predict/"),
    404,
    'Not Found: "/predict/" (the routes: /, /health, /predict, /predict/batch, /model/info, /metrics)',
  );
  const res = await app.request("/predict");
  await expectError(res, 405, /POST/);
  assert.equal(res.headers.get("allow"), "POST");
  await expectError(await app.request("/health", post({})), 405);
});

Deno.test("a failing model is a 500 without internals, and the error is logged", async () => {
  const model = new FakePredictor();
  model.predict = () => Promise.reject(new Error("onnx exploded"));
  const { app, logs } = setup({ model });
  const detail = await expectError(await app.request("/predict", post(predictBody())), 500);
  assert.doesNotMatch(detail, /onnx exploded/);
  assert.ok(logs.some((l) => l.event === "server_error" && String(l.error).includes("onnx exploded")));
});

Deno.test("every answer carries X-Content-Type-Options: nosniff, once: successes, errors, 404s and refusals", async () => {
  // None did: a browser could sniff a JSON body that quotes the client (a 404's path, a 422's field) as HTML.
  const nosniff = async (res: Response, status: number) => {
    await res.body?.cancel();
    assert.equal(res.status, status);
    // Repeated, Headers would join the values ("nosniff, nosniff").
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", `${status}`);
  };
  const failing = new FakePredictor();
  failing.predict = () => Promise.reject(new Error("onnx exploded"));
  const keyed = setup({ apiKey: "k3y" });
  await nosniff(await keyed.app.request("/health"), 200);
  await nosniff(await keyed.app.request("/health", { method: "HEAD" }), 200);
  await nosniff(await keyed.app.request("/predict", post(predictBody())), 401);
  const bearer = { Authorization: "Bearer k3y" };
  await nosniff(await keyed.app.request("/predict", post(predictBody(), bearer)), 200);
  await nosniff(await keyed.app.request("/metrics", { headers: bearer }), 200);
  await nosniff(await keyed.app.request("/predict/", post(predictBody(), bearer)), 404);
  await nosniff(await keyed.app.request("/health", post({})), 405);
  await nosniff(await keyed.app.request("/predict", post("{", bearer)), 400);
  await nosniff(await keyed.app.request("/predict", post({ symbol: "BTCUSDT" }, bearer)), 422);
  await nosniff(
    await keyed.app.request("/predict", post(predictBody(), { ...bearer, "Content-Type": "text/csv" })),
    415,
  );
  await nosniff(await setup({ bodyLimit: 10 }).app.request("/predict", post(predictBody())), 413);
  await nosniff(await setup({ model: null }).app.request("/predict", post(predictBody())), 503);
  await nosniff(await setup({ model: failing }).app.request("/predict", post(predictBody())), 500);
  // The browser guard's refusal and its preflight answer, and the rate limiter's 429.
  const store = new ModelStore();
  store.install(new FakePredictor());
  const guarded = createApp(store, {
    log: () => {},
    browsers: browserGuardFor("127.0.0.1", undefined, ["https://dash.example"]),
    rateLimit: new RateLimiter({ rate: 0.001, burst: 1 }),
  });
  await nosniff(await guarded.request("/health", { headers: { Origin: "https://evil.example" } }), 403);
  await nosniff(
    await guarded.request("/predict", {
      method: "OPTIONS",
      headers: { Origin: "https://dash.example", "Access-Control-Request-Method": "POST" },
    }),
    204,
  );
  const from = () => {
    const request = new Request("http://candlecast.invalid/predict", post(predictBody()));
    markRemoteAddress(request, "203.0.113.5");
    return request;
  };
  await nosniff(await guarded.fetch(from()), 200);
  await nosniff(await guarded.fetch(from()), 429);
  await store.close();
});

Deno.test("one log line per request: method, path, status, latency, symbol, model version; no body", async () => {
  const { app, logs } = setup({ model: new FakePredictor({ version: "v3_2026-02-02" }) });
  await (await app.request("/predict", post(predictBody("SOLUSDT")))).json();
  await (await app.request("/predict", post({ symbol: "XRPUSDT", candles: [] }))).json();
  await (await app.request("/health")).json();
  assert.equal(logs.length, 3);
  const [ok, bad, health] = logs;
  assert.deepEqual(
    { ...ok, latency_ms: 0 },
    {
      method: "POST",
      path: "/predict",
      status: 200,
      latency_ms: 0,
      symbol: "SOLUSDT",
      model_version: "v3_2026-02-02",
    },
  );
  assert.equal(typeof ok.latency_ms, "number");
  assert.equal(bad.status, 422);
  assert.equal(bad.symbol, "XRPUSDT");
  assert.equal(health.path, "/health");
  // The 422's detail names the field ("candles: …"); no candle of the body is there.
  assert.match(String(bad.detail), /^candles: /);
  assert.ok(!JSON.stringify(logs).includes("stochSlowK"), "no bodies in logs");
});

/** `init` as a Request from `address`, as the listener hands one over (`markRemoteAddress`). */
function from(address: string, path: string, init: RequestInit = {}): Request {
  const request = new Request(`http://candlecast.invalid${path}`, init);
  markRemoteAddress(request, address);
  return request;
}

/** Candles of `symbol` opening `offsetMs` past the UTC hour: a bot stamping them in UTC+5:30 is 5.5 h off. */
function hourly(symbol: string, offsetMs: number) {
  const H = 3_600_000, first = Date.UTC(2026, 0, 1);
  const b = predictBody(symbol, 50, 3);
  return { ...b, candles: b.candles.map((c, i) => ({ ...c, openTime: first + offsetMs + i * H })) };
}

Deno.test("a refused request's log line says why (the detail the client got) and who (its address)", async () => {
  // The line of a 422 for local-time candles said only status 422: why, and which client, were the client's
  // to know. Every refusal the app answers (401, 403, 404, 405, 413, 415, 400, 422; 429 in rate_limit_test)
  // now logs its detail, and every line the client's address.
  const store = new ModelStore();
  store.install(new FakePredictor({ version: "v3_2026-02-02", interval: "1h" }));
  const logs: LogRecord[] = [];
  const key = "a-long-enough-key-0123456789";
  const app = createApp(store, { apiKey: key, bodyLimit: 100_000, log: (r) => logs.push(r) });
  const auth = { Authorization: `Bearer ${key}` };
  const cases: [Request, number][] = [
    [from("203.0.113.5", "/predict", post(hourly("BTCUSDT", 5.5 * 3_600_000), auth)), 422],
    [
      from("203.0.113.5", "/predict", post(predictBody(), { Authorization: "Bearer not-the-key-at-all" })),
      401,
    ],
    [from("203.0.113.5", "/predict", post(predictBody())), 401],
    [from("198.51.100.9", "/model/info", { headers: { Origin: "https://evil.example" } }), 403],
    [from("198.51.100.9", "/nowhere", { headers: auth }), 404],
    [from("198.51.100.9", "/predict", { headers: auth }), 405],
    [from("::ffff:192.0.2.1", "/predict", post("x".repeat(200_000), auth)), 413],
    [
      from("192.0.2.1", "/predict", {
        ...post("{}", auth),
        headers: { ...auth, "Content-Type": "text/csv" },
      }),
      415,
    ],
    [from("192.0.2.1", "/predict", post("{", auth)), 400],
  ];
  for (const [request, status] of cases) {
    const res = await app.request(request);
    const detail = await expectError(res, status);
    const line = logs.at(-1)!;
    assert.equal(line.status, status);
    assert.equal(line.detail, detail, `${status}: the line's detail is the answer's`);
  }
  assert.deepEqual(logs.map((l) => l.client), [
    "203.0.113.5",
    "203.0.113.5",
    "203.0.113.5",
    "198.51.100.9",
    "198.51.100.9",
    "198.51.100.9",
    "::ffff:192.0.2.1",
    "192.0.2.1",
    "192.0.2.1",
  ]);
  assert.match(String(logs[0].detail), /30 min past the 1h UTC grid .*send UTC open times/);
  assert.ok(!JSON.stringify(logs).includes("not-the-key-at-all"), "a key sent is never logged");
  assert.ok(!JSON.stringify(logs).includes(key), "nor the server's");
  // A 200's line: the client, and no detail.
  await (await app.request(from("203.0.113.5", "/predict", post(predictBody(), auth)))).json();
  assert.equal(logs.at(-1)!.status, 200);
  assert.equal(logs.at(-1)!.client, "203.0.113.5");
  assert.ok(!("detail" in logs.at(-1)!));
});

Deno.test("a refusal's detail is logged cut to 300 characters, with control and line-separator characters escaped", async () => {
  // A detail quotes what the client sent (an Origin, a path): a long one cannot make the line long, and
  // characters JSON leaves raw (U+0085, U+2028) cannot break one event into two lines in a viewer.
  const { app, logs } = setup();
  const origin = `https://a\u0085b.example/${"o".repeat(1_000)}`;
  const detail = await expectError(
    await app.request(from("192.0.2.1", "/health", { headers: { Origin: origin } })),
    403,
  );
  assert.ok(detail.includes("\u0085"), "the client's answer quotes it as sent");
  const logged = String(logs.at(-1)!.detail);
  assert.match(
    logged,
    /^requests from web pages are refused \(Origin: https:\/\/a\\u0085b\.example\/o+\): this API .*…\(\d+ more\)$/,
  );
  assert.ok(logged.length <= 320, `${logged.length} characters`);
  // A path decoded to U+2028 and U+0007, quoted by the 404.
  const quoted = await expectError(await app.request(from("192.0.2.1", "/a%E2%80%A8b%07c")), 404);
  assert.ok(quoted.includes("\u2028"));
  // (The 404's own JSON quoting wrote U+0007 as \u0007; its backslash is escaped in turn, as every one is.)
  assert.match(String(logs.at(-1)!.detail), /^Not Found: "\/a\\u2028b\\u005cu0007c" /);
  // deno-lint-ignore no-control-regex
  const raw = /[\u0000-\u001f\u0085\u2028\u2029]/;
  for (const line of logs) assert.doesNotMatch(JSON.stringify(line), raw);
});

Deno.test("a /predict/batch line counts its items and those refused, with the first refusal's detail; /metrics counts items by outcome", async () => {
  // A batch with refused items was a plain 200 in the log and on /metrics: a bot whose every item was refused
  // (local-time open times) looked healthy.
  const store = new ModelStore();
  store.install(new FakePredictor({ version: "v3_2026-02-02", interval: "1h" }));
  const logs: LogRecord[] = [];
  const app = createApp(store, { log: (r) => logs.push(r) });
  const local = hourly("ETHUSDT", 5.5 * 3_600_000);
  const mixed = await app.request(
    from("203.0.113.5", "/predict/batch", post({ requests: [hourly("BTCUSDT", 0), local, local] })),
  );
  assert.equal(mixed.status, 200);
  const { predictions } = await mixed.json();
  const line = logs.at(-1)!;
  assert.equal(line.status, 200);
  assert.equal(line.items, 3);
  assert.equal(line.refused, 2);
  assert.equal(line.detail, predictions[1].detail);
  assert.match(String(line.detail), /^requests\[1\]\.candles\[0\]\.openTime: .*30 min past the 1h UTC grid/);
  assert.equal(line.client, "203.0.113.5");
  // All refused: still a 200, and the line says so.
  await (await app.request(from("203.0.113.5", "/predict/batch", post({ requests: [local] })))).json();
  assert.deepEqual([logs.at(-1)!.status, logs.at(-1)!.items, logs.at(-1)!.refused], [200, 1, 1]);
  // All predicted: counted, no detail.
  await (await app.request("/predict/batch", post({ requests: [hourly("BTCUSDT", 0)] }))).json();
  assert.deepEqual([logs.at(-1)!.items, logs.at(-1)!.refused, logs.at(-1)!.detail], [1, 0, undefined]);
  // A batch refused whole (an empty list) is the request's 422, with its detail; no items counted.
  await expectError(await app.request("/predict/batch", post({ requests: [] })), 422);
  assert.equal(logs.at(-1)!.items, undefined);
  assert.match(String(logs.at(-1)!.detail), /requests/);
  const text = await (await app.request("/metrics")).text();
  assert.match(text, /^# TYPE candlecast_batch_items_total counter$/m);
  assert.match(text, /^candlecast_batch_items_total\{outcome="predicted",status="200"\} 2$/m);
  assert.match(text, /^candlecast_batch_items_total\{outcome="refused",status="422"\} 3$/m);
  // The requests themselves stay what the client got: three 200s and a 422.
  assert.match(
    text,
    /^candlecast_http_requests_total\{route="\/predict\/batch",method="POST",status="200"\} 3$/m,
  );
});

Deno.test("/metrics shows the batch item counters at 0 before any batch, so a rate over them is defined", async () => {
  const text = await (await setup().app.request("/metrics")).text();
  assert.match(text, /^candlecast_batch_items_total\{outcome="predicted",status="200"\} 0$/m);
  assert.match(text, /^candlecast_batch_items_total\{outcome="refused",status="422"\} 0$/m);
});

Deno.test("GET /metrics: Prometheus text with counts by route and status, latency histogram, model version", async () => {
  const { app } = setup({ model: new FakePredictor({ version: "v2_2026-01-02" }) });
  await (await app.request("/predict", post(predictBody()))).json();
  await (await app.request("/predict", post("{"))).json();
  await (await app.request("/random/path")).json();
  const res = await app.request("/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.match(text, /^candlecast_http_requests_total\{route="\/predict",method="POST",status="200"\} 1$/m);
  assert.match(text, /^candlecast_http_requests_total\{route="\/predict",method="POST",status="400"\} 1$/m);
  assert.match(text, /^candlecast_http_requests_total\{route="other",method="GET",status="404"\} 1$/m);
  assert.match(text, /^# TYPE candlecast_http_request_duration_seconds histogram$/m);
  assert.match(text, /^candlecast_http_request_duration_seconds_bucket\{route="\/predict",le="\+Inf"\} 2$/m);
  assert.match(text, /^candlecast_http_request_duration_seconds_count\{route="\/predict"\} 2$/m);
  assert.match(
    text,
    /^candlecast_model_info\{version="v2_2026-01-02",model_type="TransformerLSTMModel",.*\} 1$/m,
  );
  assert.match(text, /^candlecast_model_loaded 1$/m);
  // Every sample line is `name{labels} value` or `name value`.
  for (const line of text.trim().split("\n").filter((l) => !l.startsWith("#"))) {
    assert.match(line, /^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/, line);
  }
});

Deno.test("GET /metrics: the model-info gauge tells a blended version from one serving the network alone", async () => {
  const info = async (model: FakePredictor) => {
    const text = await (await setup({ model }).app.request("/metrics")).text();
    const lines = text.split("\n").filter((l) => l.startsWith("candlecast_model_info{"));
    assert.equal(lines.length, 1, text);
    // Still one valid sample line: `name{labels} value`, each label `key="value"`.
    assert.match(lines[0], /^candlecast_model_info\{([a-z_]+="[^"]*",)*[a-z_]+="[^"]*"\} 1$/);
    return lines[0];
  };
  assert.match(await info(new FakePredictor()), /,blend="none"\} 1$/);
  const blend = { with: "gradient_boosting", weight: 0.5, temperature: 0.95 } as const;
  const blended = await info(new FakePredictor({ preprocessor: { blend } }));
  assert.match(blended, /,blend="gradient_boosting:0\.5"\} 1$/);
  // model_type names the network either way, as /model/info's does.
  assert.match(blended, /model_type="TransformerLSTMModel"/);
});

Deno.test("metrics and log fields stay bounded: 1,000-character methods and paths become 'other', logs are cut", async () => {
  const { app, logs } = setup({ apiKey: "k3y" });
  for (let i = 0; i < 200; i++) {
    const method = `X${i}${"M".repeat(1000)}`;
    const res = await app.request(`/${"p".repeat(1000)}${i}`, { method });
    await res.body?.cancel();
  }
  const text = await (await app.request("/metrics", { headers: { Authorization: "Bearer k3y" } })).text();
  assert.ok(text.length < 20_000, `/metrics is ${text.length} bytes`);
  assert.doesNotMatch(text, /MMMM|pppp/);
  assert.match(text, /^candlecast_http_requests_total\{route="other",method="other",status="401"\} 200$/m);
  const longest = Math.max(...logs.map((r) => JSON.stringify(r).length));
  assert.ok(longest < 400, `longest log record ${longest} characters`);
});

Deno.test("/metrics counts windows the candle time checks refused, by reason, from /predict and batch items alike", async () => {
  // The forming candle a bot forgot to drop was one more 422 among the field errors: nothing on /metrics told
  // it from a bad RSI. A 45m version (a step with no UTC grid) lets a candle be stamped forming by the test's
  // clock at any time of day: a 1h one opened at xx:00 counts as closed from xx:59, within the minute's grace.
  const M = 60_000, step = 45 * M;
  const store = new ModelStore();
  store.install(new FakePredictor({ version: "v3_2026-02-02", interval: "45m" }));
  const app = createApp(store, { log: () => {} });
  const series = (text: string, reason: string) =>
    Number(
      new RegExp(`^candlecast_candle_time_refusals_total\\{reason="${reason}"\\} (\\d+)$`, "m").exec(text)
        ?.[1],
    );
  const reasons = ["forming", "future", "off_grid", "interval"];
  // At 0 before any refusal, so a rate over them is defined.
  const before = await (await app.request("/metrics")).text();
  assert.match(before, /^# TYPE candlecast_candle_time_refusals_total counter$/m);
  assert.deepEqual(reasons.map((r) => series(before, r)), [0, 0, 0, 0]);

  const b = predictBody("BTCUSDT", 50, 3);
  const endingAt = (lastOpen: number, apart = step, lastApart = apart) => ({
    ...b,
    candles: b.candles.map((c, i) => ({
      ...c,
      openTime: i === 49 ? lastOpen : lastOpen - lastApart - (48 - i) * apart,
    })),
  });
  const now = Math.floor(Date.now() / M) * M;
  const forming = endingAt(now - 10 * M);
  await expectError(
    await app.request("/predict", post(forming)),
    422,
    /after this server's clock .*this server's clock is behind$/,
  );
  await expectError(await app.request("/predict", post(endingAt(now + 3 * 60 * M))), 422, /closes at/);
  const batch = await app.request(
    "/predict/batch",
    post({
      requests: [
        endingAt(now - 2 * step), // closed: predicted
        forming,
        endingAt(now - 2 * step, step, step + 5 * M), // its last step 50 min: not whole 45m candles
        endingAt(now - 4 * 60 * M, 4 * 60 * M), // 4h candles
        predictBody("BTCUSDT", 10, 3), // too few candles: refused, by no time check
      ],
    }),
  );
  assert.deepEqual((await batch.json()).predictions.map((p: { detail?: string }) => p.detail === undefined), [
    true,
    false,
    false,
    false,
    false,
  ]);
  const text = await (await app.request("/metrics")).text();
  assert.deepEqual(reasons.map((r) => series(text, r)), [2, 1, 1, 1]);
  // The other counters as they were: the two /predict 422s, and the batch's four refused items.
  assert.match(text, /^candlecast_http_requests_total\{route="\/predict",method="POST",status="422"\} 2$/m);
  assert.match(text, /^candlecast_batch_items_total\{outcome="refused",status="422"\} 4$/m);
});
