/**
 * The progress of train's and evaluate's long phases besides the epochs (reading the CSV, labelling the windows,
 * calibrating, scoring the test split, boosting), and monitor's reads of the CSV and the log, shown as the
 * epochs' batches are: a bar on a terminal, a line every ~30 s in a log. On a large training CSV each took
 * minutes with no output (2.2M 15m candles: ~25 s to read, a minute to label, 9 minutes of boosting), and
 * monitor's two reads of a 1.1 GB log ~30 s.
 */
import type { BatchProgress } from "../base/index.ts";
import { GBDT_DEFAULTS } from "../ml/baselines/index.ts";

/** Bytes, counted in MB where a phase reports bytes. */
export const MB = { unit: "MB", scale: 2 ** 20 } as const;

/**
 * A long phase's progress, passed to `io.progress` as the training batches are (undefined without it): `done`
 * of `total` chunks, or of bytes shown in `unit.scale`s.
 */
export function phaseProgress(
  io: { readonly progress?: BatchProgress },
  label: string,
  unit?: { readonly unit: string; readonly scale: number },
): ((done: number, total: number) => void) | undefined {
  const { progress } = io;
  if (!progress) return undefined;
  if (!unit) return (done, total) => progress.update(done, total, label, "");
  return (done, total) =>
    progress.update(Math.floor(done / unit.scale), Math.ceil(total / unit.scale), label, "", unit.unit);
}

/**
 * The gradient-boosting baseline's iterations as progress (its `onIteration`): it stops once validation stops
 * improving, at most GBDT_DEFAULTS.maxIterations, so the count is of "iterations at most" and its ETA a bound.
 * Minutes on a big training split whose signal keeps it going (9 on 2.2M windows of 15m candles), silent before.
 */
export function boostingProgress(
  io: { readonly progress?: BatchProgress },
): ((iteration: number, validationLoss: number) => void) | undefined {
  const { progress } = io;
  return progress &&
    ((it, loss) =>
      progress.update(
        it,
        GBDT_DEFAULTS.maxIterations,
        "gradient boosting baseline",
        `validation log-loss ${loss.toFixed(4)}`,
        "iterations at most",
      ));
}
