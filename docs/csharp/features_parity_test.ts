/**
 * The C# feature port in CandlecastFeatures.cs must give the bot exactly the numbers candlecast's model was
 * trained on. Compiles it with Mono's mcs (installed by .ci/run) and compares with features/engineer.ts on real
 * windows, extreme bars included. Skipped with a message when mcs/mono are not installed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  engineerWindow,
  FEATURE_COUNT,
  FEATURE_NAMES,
  SERIES_COLUMNS,
  windowEnds,
} from "../../features/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { FakePredictor, predictBody, type WireCandle } from "../../test/fake_predictor.ts";
import { predictBodies } from "../../server/index.ts";
import { fromFileUrl } from "../../test/paths.ts";

const here = fromFileUrl(new URL("./", import.meta.url));
const haveMono = existsSync("/usr/bin/mcs") && existsSync("/usr/bin/mono");
if (!haveMono) {
  console.warn("skipping the C# feature parity test: install mono-mcs and mono-runtime (apt) to run it");
}

async function run(cmd: string, args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

/**
 * CandlecastFeatures.cs and its harness, FeatureCheck.cs, compiled as the bot's C# 7 compiler would, into a
 * temporary folder removed when the test's `await using` ends (before, each test left a candlecast-cs-* folder).
 */
async function compileFeatureCheck(): Promise<{ exe: string } & AsyncDisposable> {
  const dir = await mkdtemp(join(tmpdir(), "candlecast-cs-"));
  const remove = () => Deno.remove(dir, { recursive: true });
  const exe = join(dir, "check.exe");
  try {
    await run("/usr/bin/mcs", [
      "-langversion:7",
      `-out:${exe}`,
      join(here, "CandlecastFeatures.cs"),
      join(here, "FeatureCheck.cs"),
    ]);
  } catch (error) {
    await remove();
    throw error;
  }
  return { exe, [Symbol.asyncDispose]: remove };
}

Deno.test({
  name: "the C# feature port equals features/engineer.ts on real windows",
  ignore: !haveMono || !haveRealData(),
  fn: async () => {
    await using check = await compileFeatureCheck();
    const crash = Date.UTC(2020, 2, 12, 12);
    for (const symbol of ["BTCUSDT", "ETHUSDT", "SOLUSDT"]) {
      const s = await loadRealSeries(symbol);
      const { ends } = windowEnds(s, { lookback: 50, horizon: 0 });
      const crashEnd = ends.find((t) => s.openTime[t] >= crash) ?? ends[0];
      for (const t of [ends[0], ends[Math.floor(ends.length / 2)], ends[ends.length - 1], crashEnd]) {
        const start = t - 49;
        const lines = [];
        for (let i = start; i <= t; i++) {
          lines.push(SERIES_COLUMNS.map((name) => String(s[name][i])).join(","));
        }
        const csharp = (await run("/usr/bin/mono", [check.exe, "50"], lines.join("\n") + "\n")).trim().split(
          "\n",
        )
          .flatMap((row) => row.split(",").map(Number));
        const ts = engineerWindow(s, start, 50);
        assert.equal(csharp.length, ts.length);
        for (let i = 0; i < ts.length; i++) {
          const tolerance = 1e-6 * Math.max(1, Math.abs(ts[i]));
          assert.ok(
            Math.abs(csharp[i] - ts[i]) <= tolerance,
            `${symbol} window ending ${t}, candle ${Math.floor(i / FEATURE_COUNT)}, ` +
              `${FEATURE_NAMES[i % FEATURE_COUNT]}: C# ${csharp[i]} vs TypeScript ${ts[i]}`,
          );
        }
      }
    }
  },
});

/**
 * What serve's /predict pipeline (`predictBodies`: parsing, the time checks, the features' float32 overflow)
 * answers for these candles: its 422 detail, or null when it predicts. The candles carry no open times, as the
 * in-process path has none to check.
 */
async function serveRefusal(candles: readonly WireCandle[]): Promise<string | null> {
  const [outcome] = await predictBodies(new FakePredictor({ lookback: 50 }), [{
    symbol: "BTCUSDT",
    candles,
  }]);
  return outcome.ok ? null : outcome.failure.detail;
}

Deno.test({
  name: "the C# port refuses the candles serve refuses, naming the same candle and field",
  ignore: !haveMono,
  fn: async () => {
    await using check = await compileFeatureCheck();
    const valid = predictBody("BTCUSDT", 60, 3).candles;
    const change = (i: number, fields: Partial<WireCandle>) =>
      valid.map((c, k) => k === i ? { ...c, ...fields } : c);
    // Round numbers where the detail prints them: Mono writes some doubles with a 17th digit JavaScript leaves off.
    // Before: the in-process path computed features of all of these and the bot got a normal-looking label.
    const cases: [string, WireCandle[]][] = [
      ["zero close", change(3, { close: 0, low: 0 })],
      ["NaN close", change(7, { close: NaN })],
      ["negative volume", change(8, { volume: -1 })],
      ["a price past 1e12", change(9, { high: 2e12 })],
      ["high below low", change(12, { open: 100.5, high: 100, low: 101, close: 100.5 })],
      ["low above min(open, close)", change(13, { open: 100, high: 103, low: 101, close: 102 })],
      ["RSI past 100", change(55, { rsi: 100.5 })],
      ["a stochastic below 0", change(40, { stochSlowD: -2 })],
      ["an EMA warm-up zero in the window", change(20, { ema: 0 })],
      ["too few candles", valid.slice(11)],
      // Finite candles whose features overflow float32 (serve's nonFiniteFeature). Before: the C# port passed
      // ±Infinity to the graph, which clips it, and the bot got an ordinary label where serve answers a 422.
      ["macd 1e300 (macd_n)", change(59, { macd: 1e300 })],
      ["macdHist −1e45 (macd_hist_n)", change(59, { macdHist: -1e45 })],
      ["ema 1e-300 (ema_dist)", change(59, { ema: 1e-300 })],
      ["low 1e-300 (hl_ratio)", change(59, { low: 1e-300, open: Math.min(valid[59].open, valid[59].close) })],
      ["macd 1e300 mid-window", change(40, { macd: 1e300 })],
      ["macd 1.7e308 (its double is ∞ in macd_accel)", change(58, { macd: 1.7e308 })],
    ];
    for (const [what, candles] of cases) {
      const serve = await serveRefusal(candles);
      assert.ok(serve !== null, `${what}: serve refuses it`);
      const csharp = (await run("/usr/bin/mono", [check.exe, "50"], csvOf(candles))).trim();
      assert.equal(csharp, `refused: ${serve}`, what);
    }
    // Accepted by both: an EMA zero before the window, a stochastic a rounding hair below 0, and magnitudes
    // that overflow nothing in the window (before it, or within float32).
    const accepted: [string, WireCandle[]][] = [
      ["an EMA zero before the window", change(5, { ema: 0 })],
      ["a stochastic a rounding hair below 0", change(30, { stochSlowK: -0.0005 })],
      ["macd 1e300 before the window", change(5, { macd: 1e300 })],
      ["macd 1e40 (macd_n ~2e35, finite in float32)", change(59, { macd: 1e40 })],
      ["ema 1e-30 (ema_dist ~5e34)", change(59, { ema: 1e-30 })],
    ];
    for (const [what, candles] of accepted) {
      assert.equal(await serveRefusal(candles), null, `${what}: serve predicts it`);
      const csharp = (await run("/usr/bin/mono", [check.exe, "50"], csvOf(candles))).trim().split("\n");
      assert.equal(csharp.length, 50, `${what}: ${csharp[0]}`);
    }
  },
});

/** Candles as FeatureCheck.cs reads them: the series columns' values, one candle a line. */
function csvOf(candles: readonly WireCandle[]): string {
  return candles.map((c) =>
    [
      c.open,
      c.high,
      c.low,
      c.close,
      c.volume,
      c.rsi,
      c.macd,
      c.macdSign,
      c.macdHist,
      c.ema,
      c.stochSlowK,
      c.stochSlowD,
    ]
      .map((v) => Number.isNaN(v) ? "NaN" : String(v)).join(",")
  ).join("\n") + "\n";
}
