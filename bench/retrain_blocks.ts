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
import { seededRng } from "../features/index.ts";
import { equalLearners } from "../test/equal_learners.ts";
import {
  blockBootstrap,
  type BootstrapResult,
  heldOutDifference,
  holdoutBlockDays,
  minimumBlocks,
  timeBlocks,
} from "../ml/evaluate/index.ts";

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
// H and SYMBOLS: what equalLearners simulates.
const HOUR = 3_600_000, DAY = 24 * HOUR, H = 4, SYMBOLS = 5;
const PER_DAY: Record<string, number> = { "1h": 24, "2h": 12, "4h": 6, "6h": 4, "8h": 3, "12h": 2, "1d": 1 };

/** One simulated holdout: [clearly better, either way] with one-day blocks, then with retrain's. */
function holdout(days: number, perDay: number): [boolean, boolean][] {
  const { set, a, b } = equalLearners(rng, days, perDay);
  const openTime = set.series[0].openTime;
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
