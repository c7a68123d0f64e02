/**
 * Features for every window of the five real 1h series (~244k windows of 50 candles). Baseline in the same
 * run: a plain copy of each window's raw columns (the memory traffic any feature code must pay), so the
 * ratio says what the 35 formulas cost on top of touching the data.
 *
 *   deno task bench:features
 */
import { FEATURE_COUNT, SERIES_COLUMNS, windowEnds } from "../features/index.ts";
import { engineerWindow } from "../features/engineer.ts";
import { haveRealData, loadAllRealSeries } from "../test/real_data.ts";

if (!haveRealData()) {
  console.log("bench:features needs ../shared/data/binance-spot-1h beside the clone; skipped.");
  Deno.exit(0);
}

const LOOKBACK = 50;
const loadStart = performance.now();
const all = await loadAllRealSeries();
const loadSeconds = (performance.now() - loadStart) / 1000;
const plan = all.map((s) => ({ s, ends: windowEnds(s, { lookback: LOOKBACK, horizon: 0 }).ends }));
const windows = plan.reduce((n, p) => n + p.ends.length, 0);
const candles = all.reduce((n, s) => n + s.length, 0);

const BATCH = 256;
const out = new Float32Array(BATCH * LOOKBACK * FEATURE_COUNT);
const raw = new Float64Array(BATCH * LOOKBACK * 12);

function timeRun(perWindow: (s: typeof all[number], start: number, slot: number) => void): number {
  const t0 = performance.now();
  for (const { s, ends } of plan) {
    for (let i = 0; i < ends.length; i++) perWindow(s, ends[i] - LOOKBACK + 1, i % BATCH);
  }
  return (performance.now() - t0) / 1000;
}

const copyColumns = (s: typeof all[number], start: number, slot: number) => {
  const cols = SERIES_COLUMNS.map((name) => s[name]);
  for (let c = 0; c < cols.length; c++) {
    raw.set(cols[c].subarray(start, start + LOOKBACK), (slot * 12 + c) * LOOKBACK);
  }
};
const engineer = (s: typeof all[number], start: number, slot: number) =>
  engineerWindow(s, start, LOOKBACK, out, slot * LOOKBACK * FEATURE_COUNT);

timeRun(engineer); // warm-up: let V8 optimise before measuring
const baseline = timeRun(copyColumns);
const seconds = timeRun(engineer);

const line = (label: string, value: string) => console.log(`${label.padEnd(34)} ${value}`);
line("series / candles", `${all.length} / ${candles.toLocaleString("en")}`);
line("CSV load + indicators", `${loadSeconds.toFixed(2)} s`);
line("windows (lookback 50)", windows.toLocaleString("en"));
line("features for every window", `${seconds.toFixed(2)} s`);
line("windows/s", Math.round(windows / seconds).toLocaleString("en"));
line("candles/s (window × 50)", Math.round((windows * LOOKBACK) / seconds).toLocaleString("en"));
line("baseline: copy raw columns", `${baseline.toFixed(2)} s`);
line("ratio features / copy", `${(seconds / baseline).toFixed(1)}×`);
line("target (all windows < 10 s)", seconds < 10 ? "met" : "NOT met");
