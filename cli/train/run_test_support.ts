/** What the training tests share: a small real training CSV and a tiny transformer_lstm's train options. */
import { join } from "node:path";
import { type CandleSeries, sliceSeries, writeTrainingCsv } from "../../features/index.ts";
import { loadRealSeries } from "../../test/real_data.ts";
import { TrainFlagsSchema, type TrainOptions } from "./options.ts";

/** Two real symbols, `count` candles each from the same start: enough for a tiny model in seconds. */
export async function csvOf(dir: string, name: string, count: number): Promise<string> {
  const series: CandleSeries[] = [];
  for (const symbol of ["BTCUSDT", "ETHUSDT"]) {
    series.push(sliceSeries(await loadRealSeries(symbol), 50_000, 50_000 + count));
  }
  const path = join(dir, name);
  await writeTrainingCsv(path, series);
  return path;
}

export function options(
  data: string,
  checkpoints: string,
  overrides: Record<string, unknown> = {},
): TrainOptions {
  return TrainFlagsSchema.parse({
    data,
    model: "transformer_lstm",
    batchSize: "32",
    epochs: "2",
    learningRate: "0.005",
    patience: "5",
    lookback: "12",
    horizon: "4",
    checkpoints,
    seed: "3",
    backend: "wasm",
    dModel: "8",
    heads: "2",
    ffn: "16",
    encoderLayers: "1",
    lstmHidden: "4",
    layers: "1",
    members: "1",
    classWeights: "sqrt",
    labelSmoothing: "0",
    clipNorm: "1",
    regressionWeight: "1",
    clip: "10",
    ...overrides,
  });
}
