/**
 * Cross-check of ml/baselines' GBDT against scikit-learn's HistGradientBoostingClassifier (outside CI: needs
 * python3-sklearn). Writes one synthetic task with a nonlinear signal to CSV, fits both with the same settings
 * (learning rate 0.1, 31 leaves, ≥ 200 rows a leaf, L2 1, 255 bins) for the same fixed number of iterations,
 * and prints both test log-losses and the largest probability difference.
 *
 *   PYTHON=/usr/bin/python3 deno run --allow-read --allow-write --allow-run --allow-env bench/gbdt_sklearn.ts
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { seededRng } from "../ml/data/index.ts";
import { fitGbdt, predictGbdt } from "../ml/baselines/index.ts";

const { values } = parseArgs({ args: Deno.args, options: { iterations: { type: "string", default: "60" } } });
const ITERATIONS = Number(values.iterations);
const COLUMNS = 12;

function task(n: number, seed: number) {
  const rng = seededRng(seed);
  const x = new Float32Array(n * COLUMNS).map(() => rng() * 2 - 1);
  const labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * COLUMNS;
    const score = x[o] * x[o + 1] + 0.5 * Math.sin(3 * x[o + 2]) + 0.3 * (x[o + 3] > 0.2 ? 1 : -1) + rng() -
      0.5;
    labels[i] = Math.abs(x[o + 4]) > 0.85 ? 1 : score > 0.15 ? 2 : score < -0.15 ? 0 : 1;
  }
  return { x, labels };
}

const csv = (d: { x: Float32Array; labels: Int8Array }) =>
  Array.from(
    { length: d.labels.length },
    (_, i) => [...d.x.subarray(i * COLUMNS, (i + 1) * COLUMNS), d.labels[i]].join(","),
  )
    .join("\n") + "\n";

const train = task(30_000, 1), validation = task(5_000, 2), test = task(10_000, 3);
const dir = await Deno.makeTempDir({ prefix: "gbdt-sklearn-" });
await Deno.writeTextFile(join(dir, "train.csv"), csv(train));
await Deno.writeTextFile(join(dir, "test.csv"), csv(test));

// patience ≥ iterations: exactly ITERATIONS rounds unless validation never improves (it does here).
const m = fitGbdt(train, validation, 3, { maxIterations: ITERATIONS, patience: ITERATIONS });
const ours = predictGbdt(m, test.x);
let ll = 0;
for (let i = 0; i < test.labels.length; i++) ll -= Math.log(ours[i * 3 + test.labels[i]]);
console.log(
  `candlecast GBDT: ${m.iterations} iterations, test log-loss ${(ll / test.labels.length).toFixed(5)}`,
);

const py = new URL("./gbdt_sklearn.py", import.meta.url).pathname;
// PYTHON: an interpreter with scikit-learn (e.g. /usr/bin/python3 after apt-get install python3-sklearn).
const python = Deno.env.get("PYTHON") ?? "python3";
// One OpenMP thread: the machine is shared, and the comparison is of results, not speed.
const out = await new Deno.Command(python, {
  args: [py, dir, String(m.iterations)],
  stdout: "piped",
  env: { OMP_NUM_THREADS: "1" },
}).output();
if (!out.success) {
  await Deno.remove(dir, { recursive: true });
  throw new Error(`${python} ${py} failed; set PYTHON to an interpreter with scikit-learn`);
}
const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
console.log(lines[0]);
const theirs = lines.slice(1).map(Number);
let maxDiff = 0;
for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
console.log(
  `largest |p − p_sklearn| over ${test.labels.length} test rows × 3 classes: ${maxDiff.toFixed(4)}`,
);
await Deno.remove(dir, { recursive: true });
