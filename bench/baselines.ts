/**
 * The baselines on a date split, built exactly as `train` builds its Dataset (issue 11's reference: five 1h
 * series, train < 2022, validate 2022, test 2023, lookback 50, horizon 4, volatility labels): test log-loss of
 * majority, logistic regression and gradient boosting, the boosting's iterations, its fit time (wall-clock and
 * CPU: on a shared machine the CPU seconds are what one free core would take) and the load average.
 *
 *   deno task bench:baselines --data data/training_data.csv [--split-dates 2022-01-01,2023-01-01]
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { readTrainingCsv } from "../features/index.ts";
import { prepareDataset } from "../ml/data/index.ts";
import {
  fitGradientBoosting,
  fitLogistic,
  fitMajority,
  lastCandles,
  predictGradientBoosting,
  predictLogistic,
  predictMajority,
} from "../ml/baselines/index.ts";
import { sampleIndices, seededRng } from "../ml/data/index.ts";
import { computeMetrics } from "../ml/metrics/index.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    data: { type: "string", default: "data/training_data.csv" },
    "split-dates": { type: "string", default: "2022-01-01,2023-01-01" },
    lookback: { type: "string", default: "50" },
    horizon: { type: "string", default: "4" },
    seed: { type: "string", default: "42" },
  },
});

// Deno.loadavg needs --allow-sys (reading /proc/loadavg would need --allow-all).
const load = () => Promise.resolve(`load ${Deno.loadavg().map((v) => v.toFixed(2)).join(" ")}`);
const [validationStart, testStart] = values["split-dates"].split(",").map((d) =>
  Date.parse(d + "T00:00:00Z")
);
const seed = Number(values.seed);

let t0 = performance.now();
const series = await readTrainingCsv(values.data);
const data = prepareDataset(series, {
  lookback: Number(values.lookback),
  horizon: Number(values.horizon),
  labelRule: { kind: "volatility", multiplier: 0.5 },
  split: { kind: "dates", validationStart, testStart },
});
console.log(
  `dataset: train ${data.train.size}, validation ${data.validation.size}, test ${data.test.size} windows ` +
    `(${((performance.now() - t0) / 1000).toFixed(1)} s; ${await load()})`,
);

const scaling = { scaler: data.scaler, clip: 10, returnScale: data.returnScale };
const test = lastCandles(data.test, data, scaling);
const majority = predictMajority(fitMajority(data.train.labels, data.train.returns), data.test.size);
const mm = computeMetrics(data.test.labels, majority.probabilities, test.returns, majority.returns);
console.log(`majority             test log-loss ${mm.log_loss.toFixed(4)}`);

t0 = performance.now();
// As `train` does: the logistic regression fits a seeded sample of 50,000 training windows.
const picks = sampleIndices(data.train.size, 50_000, seededRng(seed));
const sample = lastCandles(data.train, data, scaling, picks);
const logistic = predictLogistic(
  fitLogistic(sample.features, sample.labels, sample.returns, data.returnScale, { clip: scaling.clip }),
  test.features,
);
const lm = computeMetrics(data.test.labels, logistic.probabilities, test.returns, logistic.returns);
console.log(
  `logistic_regression  test log-loss ${lm.log_loss.toFixed(4)}  ` +
    `(${((performance.now() - t0) / 1000).toFixed(1)} s; ${await load()})`,
);

t0 = performance.now();
const cpu0 = process.cpuUsage();
const gb = await fitGradientBoosting(data, {
  seed,
  onIteration: (it, loss) => {
    if (it % 10 === 0) {
      console.log(
        `  iteration ${it}: validation log-loss ${loss.toFixed(5)} (${
          ((performance.now() - t0) / 1000).toFixed(0)
        } s)`,
      );
    }
  },
});
const fit = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const gp = predictGradientBoosting(gb, data.test, data);
const gm = computeMetrics(data.test.labels, gp.probabilities, test.returns, gp.returns);
console.log(
  `gradient_boosting    test log-loss ${gm.log_loss.toFixed(4)}  ` +
    `(${gb.gbdt.iterations} iterations of ${gb.gbdt.validationLoss.length - 1} run, validation ` +
    `${gb.gbdt.validationLoss[gb.gbdt.iterations].toFixed(4)}; fit ${fit.toFixed(1)} s wall, ` +
    `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU on ${gb.trainWindows} ` +
    `windows, predict ${((performance.now() - t0) / 1000 - fit).toFixed(1)} s; ${await load()})`,
);
