/**
 * How often `monitor` would warn about a version that is exactly as good as its test split: weeks of simulated
 * predictions from a calibrated model (labels drawn from its own probabilities, classes named by the prior
 * rule, as serve names them) are scored with monitor's week interval (`ml/monitor/week_interval.ts`), and a
 * "warning" counted when the interval lies wholly below the population macro-F1 or above its log-loss, monitor's
 * rule. Nominal: 2.5 % a metric (one side of a 95 % interval), ≤ 5 % either. The same weeks under an iid
 * bootstrap (blocks of 1) are the baseline of the same run: simulated predictions are independent, so what
 * the blocks add is the moving-block bootstrap's own narrowness at these sizes.
 *
 *   deno task bench:monitor-interval [--trials 400] [--sizes 96,168,336,840] [--seed 42]
 */
import { parseArgs } from "node:util";
import { normalFrom, seededRng } from "../features/index.ts";
import { computeMetrics } from "../ml/metrics/index.ts";
import { WeekSample } from "../ml/monitor/week_interval.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    trials: { type: "string", default: "400" },
    sizes: { type: "string", default: "96,168,336,840" },
    seed: { type: "string", default: "42" },
  },
});
const trials = Number(values.trials);
const sizes = values.sizes.split(",").map(Number);
const rng = seededRng(Number(values.seed));

/** The class shares of the 1h series' labels (DOWN, SIDEWAYS, UP), which the prior rule divides by. */
const PRIORS = [0.27, 0.46, 0.27];

const gauss = normalFrom(rng);

/** One prediction: calibrated probabilities around the priors, the label drawn from them, the class named. */
function prediction(): { p: number[]; label: number; named: number } {
  const logits = PRIORS.map((q) => Math.log(q) + 0.4 * gauss());
  const top = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - top));
  const sum = e[0] + e[1] + e[2];
  const p = e.map((v) => v / sum);
  const u = rng();
  const label = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
  const scaled = p.map((v, k) => v / PRIORS[k]);
  return { p, label, named: scaled.indexOf(Math.max(...scaled)) };
}

// The version's "test split": a large sample of the same model, scored as metrics.json scores it.
const N = 300_000;
const labels = new Int8Array(N), named = new Int8Array(N), probabilities = new Float32Array(3 * N);
for (let i = 0; i < N; i++) {
  const d = prediction();
  labels[i] = d.label;
  named[i] = d.named;
  probabilities.set(d.p, 3 * i);
}
const zeros = new Float64Array(N);
const test = computeMetrics(labels, probabilities, zeros, zeros, named);
console.log(
  `test split (${N.toLocaleString("en-US")} simulated predictions): macro-F1 ${test.macro_f1.toFixed(4)}, ` +
    `log-loss ${test.log_loss.toFixed(4)}; ${trials} weeks per size; load ${
      Deno.loadavg().map((v) => v.toFixed(2)).join(" ")
    }`,
);
const pct = (count: number) => `${(100 * count / trials).toFixed(1)} %`.padStart(7);
console.log(
  "predictions  blocks   macro-F1 warns  log-loss warns  either   | iid: macro-F1  log-loss  either",
);
for (const n of sizes) {
  const counts = { block: [0, 0, 0], iid: [0, 0, 0] };
  for (let t = 0; t < trials; t++) {
    const week = new WeekSample();
    for (let i = 0; i < n; i++) {
      const d = prediction();
      week.add(d.label, d.named, d.p[d.label]);
    }
    for (const [kind, block] of [["block", 24], ["iid", 1]] as const) {
      const ci = week.interval(400, block);
      const f1 = ci.macro_f1[1] < test.macro_f1, ll = ci.log_loss[0] > test.log_loss;
      counts[kind][0] += f1 ? 1 : 0;
      counts[kind][1] += ll ? 1 : 0;
      counts[kind][2] += f1 || ll ? 1 : 0;
    }
  }
  const [a, b, c] = counts.block, [d, e, f] = counts.iid;
  console.log(
    `${String(n).padStart(11)}  ${String(Math.floor(n / 24)).padStart(6)}   ${pct(a)}         ${pct(b)}   ${
      pct(c)
    }  |        ${pct(d)}   ${pct(e)}  ${pct(f)}`,
  );
}
