/**
 * Inference speed of both default-size models (lookback 50): the engine that serves (`loadPredictor`: ONNX
 * Runtime, the served path including tensor creation and softmax) at 1 and 2 intra-op threads, against the
 * baseline, tfjs-wasm's `model.predict` on the same windows, in the same run. Batch 1 latency (p50/p99) and
 * batch 256 throughput. Windows are real BTCUSDT windows when ../shared is present, else synthetic (speed does
 * not depend on the values). Weights are the seeded initial ones: speed does not depend on them either.
 * Ensembles (the default 3 members) are also timed exported one branch per member, the exporter's general
 * path, against the default fused export (ml/onnx/fused_ensemble.ts).
 *
 *   deno task bench:inference
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { FEATURE_COUNT, windowBatch, windowEnds } from "../features/index.ts";
import { initBackend } from "../ml/runtime/index.ts";
import { loadPredictor, type ModelType } from "../engine/index.ts";
import { writeUntrainedCheckpoint } from "./untrained_checkpoint.ts";
import { haveRealData, loadRealSeries } from "../test/real_data.ts";

const LOOKBACK = 50;
const BIG = 256;
const THREADS = [1, 2] as const;
const TARGET_MS = 0.5;

async function windows(): Promise<{ x: Float32Array; source: string }> {
  if (haveRealData()) {
    const series = await loadRealSeries("BTCUSDT");
    const { ends } = windowEnds(series, { lookback: LOOKBACK, horizon: 0 });
    const step = Math.floor(ends.length / BIG);
    const picked = Int32Array.from({ length: BIG }, (_, i) => ends[i * step]);
    return { x: windowBatch(series, picked, LOOKBACK, 0).x, source: "real BTCUSDT 1h windows" };
  }
  const x = new Float32Array(BIG * LOOKBACK * FEATURE_COUNT).map((_, i) => Math.sin(i * 12.9898) * 2);
  return { x, source: "synthetic windows (../shared absent)" };
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** `warmUp` untimed calls, then up to `count` timed ones within `budgetMs`; returns sorted milliseconds. */
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
  readonly engine: string;
  readonly p50: number;
  readonly p99: number;
  readonly throughput: number;
}

const row = (engine: string, single: number[], big: number[]): Row => ({
  engine,
  p50: quantile(single, 0.5),
  p99: quantile(single, 0.99),
  throughput: BIG / (quantile(big, 0.5) / 1000),
});

async function benchModel(type: ModelType, x: Float32Array): Promise<Row[]> {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_bench_" });
  const model = await writeUntrainedCheckpoint(dir, type, LOOKBACK, x, "bench");
  // The same ensemble exported one branch per member (the exporter before fused_ensemble.ts), same weights.
  const branches = join(dir, "branches");
  (await writeUntrainedCheckpoint(branches, type, LOOKBACK, x, "bench", { fuseMembers: false })).dispose();
  const size = LOOKBACK * FEATURE_COUNT;
  const rows: Row[] = [];
  const onnxRow = async (path: string, threads: number, what: string) => {
    const predictor = await loadPredictor(path, { threads });
    let k = 0;
    const one = await time(() => predictor.predict(x.subarray((k++ % BIG) * size), 1), 200, 4000, 5000);
    const big = await time(() => predictor.predict(x, BIG), 3, 30, 8000);
    await predictor.close();
    rows.push(row(`ONNX Runtime, ${threads} thread${threads > 1 ? "s" : ""}${what}`, one, big));
  };
  try {
    for (const threads of THREADS) await onnxRow(dir, threads, "");
    await onnxRow(branches, 1, ", members as separate branches");
    // The tfjs model takes scaled input; scaling is left untimed (ONNX does it in-graph), which favours tfjs.
    const xOne = tf.tensor3d(x.slice(0, size), [1, LOOKBACK, FEATURE_COUNT]);
    const xBig = tf.tensor3d(x, [BIG, LOOKBACK, FEATURE_COUNT]);
    const predict = (input: tf.Tensor) => async () => {
      const ys = model.predict(input, { batchSize: BIG }) as tf.Tensor[];
      await Promise.all(ys.map((y) => y.data()));
      tf.dispose(ys);
    };
    rows.push(
      row(
        "tfjs-wasm `model.predict` (baseline)",
        await time(predict(xOne), 5, 300, 8000),
        await time(predict(xBig), 1, 5, 20000),
      ),
    );
    tf.dispose([xOne, xBig]);
    return rows;
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
}

const backend = await initBackend("wasm");
const { x, source } = await windows();
const ms = (v: number) => `${v < 1 ? v.toFixed(3) : v.toFixed(1)} ms`;
console.log(
  `inputs: ${source}; tfjs backend ${backend.backend}; load average ${
    Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
  }\n`,
);
console.log(
  "| model | engine | batch 1 p50 | batch 1 p99 | batch 256 windows/s | vs tfjs-wasm (p50 / throughput) |",
);
console.log("|---|---|---|---|---|---|");
const hybrid: Row[] = [];
for (const type of ["transformer_lstm", "lightweight_lstm"] as const) {
  const rows = await benchModel(type, x);
  const base = rows[rows.length - 1];
  if (type === "transformer_lstm") hybrid.push(...rows.slice(0, -1));
  const fused = rows[0], split = rows.find((r) => r.engine.includes("branches"));
  for (const r of rows) {
    const ratio = r === base
      ? "1×"
      : `${(base.p50 / r.p50).toFixed(0)}× / ${(r.throughput / base.throughput).toFixed(1)}×`;
    console.log(
      `| ${type} | ${r.engine} | ${ms(r.p50)} | ${ms(r.p99)} | ${
        Math.round(r.throughput).toLocaleString("en")
      } | ${ratio} |`,
    );
  }
  if (split) {
    console.log(
      `| ${type} | fused ensemble vs separate branches (1 thread) | ${
        (split.p50 / fused.p50).toFixed(2)
      }× faster | | ${(fused.throughput / split.throughput).toFixed(2)}× | |`,
    );
  }
}
console.log(`\nload average after: ${Deno.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
for (const r of hybrid) {
  console.log(
    `hybrid batch-1 p50, ${r.engine}: ${ms(r.p50)} (target ≤ ${TARGET_MS} ms: ${
      r.p50 <= TARGET_MS ? "met" : "NOT met"
    })`,
  );
}
