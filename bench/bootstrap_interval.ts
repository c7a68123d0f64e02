/**
 * How often `evaluate` tells two equally good learners apart: simulated evaluations of two models that see the
 * same truth through independent noise (neither better), in blocks of 96 candles × 5 symbols whose label
 * shares move together (a regime per block, as markets do), scored by `evaluate`'s block bootstrap
 * (`ml/evaluate/bootstrap.ts`). A difference is "called" when the 95 % interval excludes 0, either way;
 * nominal: 5 %. Block counts: 6 (three months of 4h candles), 12 (2h), 23 (1h).
 *
 *   deno task bench:bootstrap-interval [--trials 300] [--blocks 6,12,23] [--seed 9]
 */
import { parseArgs } from "node:util";
import { normalFrom, seededRng } from "../features/index.ts";
import { blockBootstrap } from "../ml/evaluate/index.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    trials: { type: "string", default: "300" },
    blocks: { type: "string", default: "6,12,23" },
    seed: { type: "string", default: "9" },
  },
});
const trials = Number(values.trials);
const rng = seededRng(Number(values.seed));
const PRIORS = [0.27, 0.46, 0.27];
const PER_BLOCK = 96 * 5;

const gauss = normalFrom(rng);

function softmax(logits: number[]): number[] {
  const top = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - top));
  const sum = e[0] + e[1] + e[2];
  return e.map((v) => v / sum);
}

/** Whether one simulated evaluation's intervals exclude 0: [log-loss, macro-F1]. */
function evaluation(blockCount: number): [boolean, boolean] {
  const n = blockCount * PER_BLOCK;
  const labels = new Int8Array(n), blocks = new Int32Array(n);
  const a = { probabilities: new Float32Array(3 * n), classes: new Int8Array(n) };
  const b = { probabilities: new Float32Array(3 * n), classes: new Int8Array(n) };
  for (let k = 0; k < blockCount; k++) {
    const regime = 0.3 * gauss(); // the block's SIDEWAYS share moves, and both models miss it alike
    for (let j = 0; j < PER_BLOCK; j++) {
      const i = k * PER_BLOCK + j;
      blocks[i] = k;
      const truth = PRIORS.map((q, c) => Math.log(q) + 0.4 * gauss() + (c === 1 ? regime : 0));
      const p = softmax(truth);
      const u = rng();
      labels[i] = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
      for (const model of [a, b]) {
        const seen = softmax(truth.map((t) => t + 0.3 * gauss()));
        model.probabilities.set(seen, 3 * i);
        model.classes[i] = seen.indexOf(Math.max(...seen));
      }
    }
  }
  const r = blockBootstrap(labels, a, b, blocks, { resamples: 300, seed: Math.floor(rng() * 1e9) });
  const excludes = (i: { low: number; high: number }) => i.low > 0 || i.high < 0;
  return [excludes(r.log_loss_diff), excludes(r.macro_f1_diff)];
}

console.log(
  `${trials} simulated evaluations per block count, two equally good learners; load ${
    Deno.loadavg().map((v) => v.toFixed(2)).join(" ")
  }`,
);
console.log("blocks  log-loss told apart  macro-F1 told apart  (nominal 5 %)");
for (const count of values.blocks.split(",").map(Number)) {
  let ll = 0, f1 = 0;
  for (let t = 0; t < trials; t++) {
    const [l, f] = evaluation(count);
    ll += l ? 1 : 0;
    f1 += f ? 1 : 0;
  }
  const pct = (v: number) => `${(100 * v / trials).toFixed(1)} %`.padStart(6);
  console.log(`${String(count).padStart(6)}  ${pct(ll).padStart(19)}  ${pct(f1).padStart(19)}`);
}
