/**
 * How often `retrain`'s held-out interval names the candidate "clearly better" (`--promote-if
 * clearly-better`: the log-loss difference's 95 % interval wholly below 0; nominal 2.5 %) when it is exactly
 * as good as current: simulated holdouts of five symbols, horizon 4, labels from the sum of the next 4
 * returns, both learners seeing them through independent errors that persist from candle to candle (AR 0.8).
 * Blocks of one day, as before session 38, beside `heldOutDifference`'s own (`holdoutBlockDays`); either
 * way: the interval excludes 0 on either side (nominal 5 %). Holdouts of fewer than 6 blocks are never
 * judged (retrain refuses them under clearly-better).
 *
 *   deno task bench:retrain-blocks [--trials 1000] [--days 28,56] [--intervals 1h,4h,12h,1d] [--seed 7]
 */
import { parseArgs } from "node:util";
import { normalFrom, seededRng } from "../features/index.ts";
import { blockBootstrap, type BootstrapResult, minimumBlocks, timeBlocks } from "../ml/evaluate/index.ts";
import { heldOutDifference, holdoutBlockDays } from "../cli/retrain/holdout.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    trials: { type: "string", default: "1000" },
    days: { type: "string", default: "28,56" },
    intervals: { type: "string", default: "1h,4h,12h,1d" },
    seed: { type: "string", default: "7" },
  },
});
const trials = Number(values.trials);
const rng = seededRng(Number(values.seed));
const gauss = normalFrom(rng);
const HOUR = 3_600_000, DAY = 24 * HOUR, H = 4, SYMBOLS = 5;
const PER_DAY: Record<string, number> = { "1h": 24, "2h": 12, "4h": 6, "6h": 4, "8h": 3, "12h": 2, "1d": 1 };

function softmax(logits: number[]): number[] {
  const top = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - top));
  const sum = e[0] + e[1] + e[2];
  return e.map((v) => v / sum);
}

/** One simulated holdout: [clearly better, either way] with one-day blocks, then with retrain's. */
function holdout(days: number, perDay: number): [boolean, boolean][] {
  const candles = days * perDay, size = candles * SYMBOLS;
  const openTime = Float64Array.from(
    { length: candles + H },
    (_, i) => Date.UTC(2024, 0, 1) + (i * DAY) / perDay,
  );
  const set = {
    labels: new Int8Array(size),
    series: Array.from({ length: SYMBOLS }, () => ({ openTime })),
    seriesIndex: new Int32Array(size),
    ends: new Int32Array(size),
    size,
  };
  const learner = () => ({
    scored: { probabilities: new Float32Array(3 * size), classes: new Int8Array(size) },
  });
  const a = learner(), b = learner();
  for (let s = 0; s < SYMBOLS; s++) {
    const r = Array.from({ length: candles + H }, () => gauss());
    let ea = 0, eb = 0;
    for (let c = 0; c < candles; c++) {
      const i = s * candles + c;
      let forward = 0;
      for (let k = 1; k <= H; k++) forward += r[c + k];
      forward /= Math.sqrt(H);
      set.labels[i] = forward < -0.5 ? 0 : forward > 0.5 ? 2 : 1;
      set.seriesIndex[i] = s;
      set.ends[i] = c;
      ea = 0.8 * ea + 0.6 * gauss();
      eb = 0.8 * eb + 0.6 * gauss();
      for (const [m, e] of [[a, ea], [b, eb]] as const) {
        const p = softmax([Math.log(0.31) - 0.3 * e, Math.log(0.38), Math.log(0.31) + 0.3 * e]);
        m.scored.probabilities.set(p, 3 * i);
        m.scored.classes[i] = p.indexOf(Math.max(...p));
      }
    }
  }
  const times = Float64Array.from(set.ends, (c) => openTime[c]);
  const seed = Math.floor(rng() * 1e9);
  const called = (d: BootstrapResult): [boolean, boolean] => {
    if (d.blocks < minimumBlocks(d.level)) return [false, false];
    const { low, high } = d.log_loss_diff;
    return [high < 0, high < 0 || low > 0];
  };
  return [
    called(blockBootstrap(set.labels, a.scored, b.scored, timeBlocks(times, DAY), { seed })),
    called(heldOutDifference(set, a, b, H)),
  ];
}

const pct = (n: number) => `${(100 * n / trials).toFixed(1)} %`.padStart(7);
console.log(
  `${trials} simulated holdouts each, two equally good learners, horizon ${H}, ${SYMBOLS} symbols; load ${
    Deno.loadavg().map((v) => v.toFixed(2)).join(" ")
  }`,
);
console.log("interval  days  blocks of  clearly better (2.5 %)  either way (5 %)");
for (const name of values.intervals.split(",")) {
  const perDay = PER_DAY[name];
  if (perDay === undefined) {
    throw new Error(`--intervals: ${name} is none of ${Object.keys(PER_DAY).join(", ")}`);
  }
  const blockDays = holdoutBlockDays(DAY / perDay, H);
  for (const days of values.days.split(",").map(Number)) {
    const counts = [[0, 0], [0, 0]];
    for (let t = 0; t < trials; t++) {
      holdout(days, perDay).forEach(([clear, either], k) => {
        counts[k][0] += clear ? 1 : 0;
        counts[k][1] += either ? 1 : 0;
      });
    }
    for (const [k, span] of [[0, 1], [1, blockDays]] as const) {
      if (k === 1 && blockDays === 1) continue;
      console.log(
        `${name.padEnd(8)}  ${String(days).padStart(4)}  ${
          `${span} day${span === 1 ? "" : "s"}`.padEnd(9)
        }  ` +
          `${pct(counts[k][0]).padStart(22)}  ${pct(counts[k][1]).padStart(16)}`,
      );
    }
  }
}
