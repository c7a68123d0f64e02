/**
 * A `candlecast monitor` setup from synthetic candles, of any size: a training CSV (60 days of simulated
 * hourly candles), two versions (preprocessor.json, one with test metrics), and a predictions log of `count`
 * seeded records spread over those days — with the cases monitor counts: unknown versions, unmatched symbols,
 * predictions joined by close instead of open time, ones awaiting their horizon, and unreadable lines.
 */
import { join } from "node:path";
import { computeIndicators, seededRng, seriesFromCandles, writeTrainingCsv } from "../features/index.ts";
import { simulateMarket } from "../features/market_simulator.ts";
import { testPreprocessor } from "./onnx.ts";

const HOUR = 3_600_000;
const CANDLES = 24 * 60;
const LOOKBACK = 12;

export interface MonitorFixture {
  readonly data: string;
  readonly predictions: string;
  readonly checkpoints: string;
}

export async function writeMonitorFixture(dir: string, count: number, seed = 1): Promise<MonitorFixture> {
  const series = seriesFromCandles(
    "SIMUSDT",
    simulateMarket({
      seed: 5,
      start: Date.UTC(2026, 0, 1),
      intervalMs: HOUR,
      count: CANDLES,
      startPrice: 100,
      baseVolume: 10,
    }),
  );
  computeIndicators(series);
  const data = join(dir, "data.csv");
  await writeTrainingCsv(data, [series]);

  const checkpoints = join(dir, "checkpoints");
  for (const version of ["v1_2026-01-01", "v2_2026-02-01"]) {
    const folder = join(checkpoints, version);
    await Deno.mkdir(folder, { recursive: true });
    const p = testPreprocessor({ lookback: LOOKBACK, horizon: 4 });
    await Deno.writeTextFile(join(folder, "preprocessor.json"), JSON.stringify(p));
    if (version.startsWith("v1")) {
      const test = { accuracy: 0.45, macro_f1: 0.45, log_loss: 1.0 };
      await Deno.writeTextFile(join(folder, "metrics.json"), JSON.stringify({ test }));
    }
  }

  const predictions = join(dir, "predictions.jsonl");
  const random = seededRng(seed);
  const span = CANDLES - LOOKBACK + 1; // the last candle's predictions await their horizon
  const file = await Deno.open(predictions, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let lines: string[] = [];
  const flush = async () => {
    const bytes = encoder.encode(lines.join(""));
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
    lines = [];
  };
  try {
    for (let i = 0; i < count; i++) {
      const t = LOOKBACK - 1 + Math.floor((i * span) / count);
      const raw = [random(), random(), random()];
      const sum = raw[0] + raw[1] + raw[2];
      const [down, sideways, up] = raw.map((v) => v / sum);
      const top = down >= sideways && down >= up ? "DOWN" : sideways >= up ? "SIDEWAYS" : "UP";
      const record = {
        time: new Date(series.openTime[t] + HOUR + 1_000 + Math.floor(random() * 60_000)).toISOString(),
        symbol: i % 43 === 0 ? "NOPEUSDT" : "SIMUSDT",
        last_candle_time: i % 31 === 0 ? null : series.openTime[t],
        last_close: series.close[t],
        version: i % 50 === 0 ? "v9_gone" : t < CANDLES * 0.6 ? "v1_2026-01-01" : "v2_2026-02-01",
        prediction: top,
        probabilities: { down, sideways, up },
        expected_return: (random() - 0.5) * 0.01,
      };
      lines.push(JSON.stringify(record) + "\n");
      if (i % 97 === 0) lines.push('{"time": "cut short by a crash\n');
      if (lines.length >= 4096) await flush();
    }
    await flush();
  } finally {
    file.close();
  }
  return { data, predictions, checkpoints };
}
