/**
 * A Ctrl-C is heard while the boosting baseline fits: its loop is synchronous, and Deno runs a signal listener
 * only when the event loop turns, so on big data (9 min of boosting on 2.2M 15m candles) a second Ctrl-C or a
 * SIGTERM went unheard until the fit ended; `fitGradientBoosting` now lets the loop turn between iterations.
 * So does the distillation teacher's out-of-fold boosting (`--distill-weight`), whose fits were heard only
 * between them (34 s after the signal on the five 1h series), and so do the baselines' other long stretches:
 * the logistic regression's 300 passes and the inputs and binning before boosting's first iteration (5 s and
 * 10 s unheard in evaluate's first fold on the five 1h series).
 */
import assert from "node:assert/strict";
import { sigintOutcome } from "../../test/sigint_child.ts";

const imports = `
import { syntheticSeries } from ${JSON.stringify(new URL("../../test/evaluation.ts", import.meta.url).href)};
import { DEFAULT_SPLIT, prepareDataset } from ${
  JSON.stringify(new URL("../data/index.ts", import.meta.url).href)
};
import { fitGradientBoosting, outOfFoldBoosting } from ${
  JSON.stringify(new URL("./index.ts", import.meta.url).href)
};
const data = prepareDataset(syntheticSeries(40), {
  lookback: 12, horizon: 4, labelRule: { kind: "volatility", multiplier: 0.5 }, split: DEFAULT_SPLIT,
});
`;

const baseline = `${imports}
Deno.addSignalListener("SIGINT", () => Deno.exit(130));
console.log("fitting");
// No early stop: it boosts until the signal is heard.
await fitGradientBoosting(data, { minSamplesLeaf: 5, maxIterations: 1e9, patience: 1e9 });
`;

const teacher = `${imports}
const stop = new AbortController();
Deno.addSignalListener("SIGINT", () => stop.abort());
console.log("fitting");
// No early stop in the fit that chooses the iterations: it boosts until the signal is heard, then says so.
const taught = await outOfFoldBoosting(data, { signal: stop.signal, stopping: { maxIterations: 1e9, patience: 1e9 } });
Deno.exit(taught === null ? 130 : 1);
`;

const baselines = `
import { syntheticSeries } from ${JSON.stringify(new URL("../../test/evaluation.ts", import.meta.url).href)};
import { DEFAULT_SPLIT, prepareDataset } from ${
  JSON.stringify(new URL("../data/index.ts", import.meta.url).href)
};
import { predictBaselines } from ${JSON.stringify(new URL("./index.ts", import.meta.url).href)};
// 500 days: each fit of the baselines takes over a second, longer than the 250 ms between timer turns.
const data = prepareDataset(syntheticSeries(500), {
  lookback: 12, horizon: 4, labelRule: { kind: "volatility", multiplier: 0.5 }, split: DEFAULT_SPLIT,
});
const scaling = { scaler: data.scaler, clip: 5, returnScale: data.returnScale };
Deno.addSignalListener("SIGINT", () => Deno.exit(130));
console.log("fitting");
// No boosting iterations (those always let the loop turn): only the other stretches, again and again.
for (;;) await predictBaselines(data, scaling, { seed: 1, gradientBoosting: { maxIterations: 0 } });
`;

Deno.test({
  name:
    "predictBaselines: SIGINT while the logistic regression fits and boosting bins its inputs is heard at once",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const outcome = await sigintOutcome(baselines, { ready: "fitting", afterMs: 1_000, withinMs: 5_000 });
    assert.equal(outcome, 130, "the signal was not heard within 5 s");
  },
});

Deno.test({
  name: "fitGradientBoosting: SIGINT during the fit is heard at once, not when the fit ends",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    // Well into the boosting.
    const outcome = await sigintOutcome(baseline, { ready: "fitting", afterMs: 1_000, withinMs: 5_000 });
    assert.equal(outcome, 130, "the signal was not heard within 5 s of the fit");
  },
});

Deno.test({
  name: "outOfFoldBoosting: SIGINT during a fit is heard at once and aborts the teacher",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const outcome = await sigintOutcome(teacher, { ready: "fitting", afterMs: 1_000, withinMs: 5_000 });
    assert.equal(outcome, 130, "the signal was not heard within 5 s of the fit");
  },
});
