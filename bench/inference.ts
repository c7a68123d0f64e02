/**
 * Inference speed of both default-size models (lookback 50): the engine that serves (`loadPredictor`: ONNX
 * Runtime, the served path including tensor creation and softmax) against the baseline, tfjs-wasm's
 * `model.predict` on the same windows, in the same run. Batch 1 latency (p50/p99) and batch 256 throughput.
 * Windows are real BTCUSDT windows when ../shared is present, else synthetic (speed does not depend on values).
 *
 *   deno task bench:inference [--threads N]   (ONNX Runtime intra-op threads, default 1)
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  CLASSES,
  FEATURE_COUNT,
  FEATURE_NAMES,
  fitScaler,
  windowBatch,
  windowEnds,
} from "../features/index.ts";
import { initBackend } from "../ml/backend.ts";
import { loadPredictor } from "../ml/engine/index.ts";
import { buildModel, defaultModelConfig } from "../ml/models/index.ts";
import { exportOnnx } from "../ml/onnx/index.ts";
import type { ModelType, Preprocessor } from "../ml/preprocessor.ts";
import { haveRealData, loadRealSeries } from "../test/real_data.ts";

const LOOKBACK = 50;
const BIG = 256;
const threadsArg = Deno.args.indexOf("--threads");
const THREADS = threadsArg >= 0 ? Number(Deno.args[threadsArg + 1]) : 1;
if (!Number.isInteger(THREADS) || THREADS < 1) {
  console.error("usage: deno task bench:inference [--threads N]  (N a positive integer)");
  Deno.exit(2);
}

async function windows(): Promise<{ x: Float32Array; source: string }> {
  const size = LOOKBACK * FEATURE_COUNT;
  if (haveRealData()) {
    const series = await loadRealSeries("BTCUSDT");
    const { ends } = windowEnds(series, { lookback: LOOKBACK, horizon: 0 });
    const step = Math.floor(ends.length / BIG);
    const picked = Int32Array.from({ length: BIG }, (_, i) => ends[i * step]);
    return { x: windowBatch(series, picked, LOOKBACK, 0).x, source: "real BTCUSDT 1h windows" };
  }
  const x = new Float32Array(BIG * size).map((_, i) => Math.sin(i * 12.9898) * 2);
  return { x, source: "synthetic windows (../shared absent)" };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Runs `fn` for `warmUp` rounds, then until `count` timings or `budgetMs` pass; returns sorted ms timings. */
async function time(
  fn: () => Promise<unknown>,
  warmUp: number,
  count: number,
  budgetMs: number,
): Promise<number[]> {
  for (let i = 0; i < warmUp; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < count && performance.now() - start < budgetMs) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}

interface Row {
  model: string;
  engine: string;
  p50: number;
  p99: number;
  n1: number;
  throughput: number;
}

async function benchModel(type: ModelType, x: Float32Array): Promise<Row[]> {
  const model = buildModel(defaultModelConfig(type, LOOKBACK), 42);
  const preprocessor: Preprocessor = {
    modelType: type,
    featureNames: [...FEATURE_NAMES],
    lookback: LOOKBACK,
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    classes: [...CLASSES],
    scaler: fitScaler(FEATURE_NAMES, x),
    clip: 10,
    returnScale: { mean: 0, std: 0.01 },
    temperature: 1,
  };
  const dir = await Deno.makeTempDir({ prefix: "candlecast_bench_" });
  try {
    await Deno.writeFile(join(dir, "model.onnx"), exportOnnx(model, preprocessor, { version: "bench" }));
    await Deno.writeTextFile(join(dir, "preprocessor.json"), JSON.stringify(preprocessor));
    await Deno.writeTextFile(
      join(dir, "manifest.json"),
      JSON.stringify({ version: "bench", created_at: "now" }),
    );
    const predictor = await loadPredictor(dir, { threads: THREADS });
    const size = LOOKBACK * FEATURE_COUNT;
    const one = x.slice(0, size);
    let k = 0;
    const ortOne = await time(() => predictor.predict(x.subarray((k++ % BIG) * size), 1), 100, 3000, 4000);
    const ortBig = await time(() => predictor.predict(x, BIG), 3, 30, 8000);
    await predictor.close();

    // tfjs-wasm baseline: the scaled input is what the tfjs model takes; scaling is not timed (it is in the graph
    // for ONNX, so this favours tfjs slightly).
    const xOne = tf.tensor3d(one, [1, LOOKBACK, FEATURE_COUNT]);
    const xBig = tf.tensor3d(x, [BIG, LOOKBACK, FEATURE_COUNT]);
    const predict = (input: tf.Tensor) => async () => {
      const ys = model.predict(input, { batchSize: BIG }) as tf.Tensor[];
      await Promise.all(ys.map((y) => y.data()));
      tf.dispose(ys);
    };
    const tfOne = await time(predict(xOne), 5, 300, 8000);
    const tfBig = await time(predict(xBig), 1, 5, 20000);
    tf.dispose([xOne, xBig]);
    const row = (engine: string, single: number[], big: number[]): Row => ({
      model: type,
      engine,
      p50: quantile(single, 0.5),
      p99: quantile(single, 0.99),
      n1: single.length,
      throughput: BIG / (quantile(big, 0.5) / 1000),
    });
    return [
      row(`ONNX Runtime (engine, ${THREADS} thread${THREADS > 1 ? "s" : ""})`, ortOne, ortBig),
      row("tfjs-wasm", tfOne, tfBig),
    ];
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
}

const backend = await initBackend("wasm");
const { x, source } = await windows();
console.log(`inputs: ${source}; tfjs backend ${backend.backend}; ONNX Runtime intra-op threads ${THREADS}\n`);
console.log(
  "| model | engine | batch 1 p50 | batch 1 p99 | batch 256 windows/s | ORT speed-up (p50 / throughput) |",
);
console.log("|---|---|---|---|---|---|");
for (const type of ["transformer_lstm", "lightweight_lstm"] as const) {
  const [ort, base] = await benchModel(type, x);
  const ms = (v: number) => `${v < 1 ? v.toFixed(3) : v.toFixed(1)} ms`;
  const speedUp = `${(base.p50 / ort.p50).toFixed(0)}× / ${(ort.throughput / base.throughput).toFixed(1)}×`;
  for (const r of [ort, base]) {
    console.log(
      `| ${r.model} | ${r.engine} | ${ms(r.p50)} | ${ms(r.p99)} | ${
        Math.round(r.throughput).toLocaleString("en")
      } | ` +
        `${r === ort ? speedUp : "baseline"} |`,
    );
  }
  if (type === "transformer_lstm") {
    console.log(
      `<!-- hybrid batch-1 p50 on ONNX Runtime: ${ms(ort.p50)} (target ≤ 0.5 ms: ${
        ort.p50 <= 0.5 ? "met" : "NOT met"
      }) -->`,
    );
  }
}
