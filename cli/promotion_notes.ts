/**
 * What a promotion changes for the bot beside the version's name, said on stderr beside the arrow: the candle
 * interval and the window serve takes (a warning: requests the bot sends may now be refused), the blend and
 * the decision rule (a note: what the probabilities and the named class are). `models promote`, `models
 * rollback` and `train`'s own promotion say the same.
 */
import { join } from "node:path";
import { writeStderrLine } from "../base/index.ts";
import { type Blend, blendWords, readManifestInfo, readPreprocessorFile } from "../engine/index.ts";
import { readManifest, recordedBlend } from "../ml/checkpoints/index.ts";

/** Everything `from` → `to` changes that the bot or its operator must know; nothing when either is missing. */
export async function notePromotionChanges(
  checkpoints: string,
  from: string | null,
  to: string,
): Promise<void> {
  if (from === null || from === to) return;
  await warnIntervalChange(checkpoints, from, to);
  await warnLookbackChange(checkpoints, from, to);
  await noteBlendChange(checkpoints, from, to);
  await noteRuleChange(checkpoints, from, to);
}

/**
 * A switch between versions trained on different candles (1h → 4h) is allowed, and may be meant, but serve
 * then refuses every window of the old interval: said on stderr, or the bot's requests all failed with 422
 * after a promotion that printed only its arrow (the version with the better macro-F1 in `models list` can be
 * the one on other candles).
 */
async function warnIntervalChange(checkpoints: string, from: string, to: string): Promise<void> {
  const interval = (v: string) => readManifestInfo(join(checkpoints, v)).then((m) => m.interval, () => null);
  const [before, after] = await Promise.all([interval(from), interval(to)]);
  if (before === null || after === null || before === after) return;
  writeStderrLine(
    `warning: ${to} was trained on ${after} candles, ${from} on ${before}: serve now refuses ${before} ` +
      `windows (422); the bot must send ${after} candles, and retrain collects ${after} candles from now on`,
  );
}

/**
 * A switch between a version serving a blend (`train --blend-boosting`) and one serving the network alone
 * changes what serve's probabilities are, not only their values: said on stderr beside the arrow (before,
 * nothing said it, and /model/info's blend was the only place it showed).
 */
async function noteBlendChange(checkpoints: string, from: string, to: string): Promise<void> {
  const blendOf = (v: string) =>
    readManifest(join(checkpoints, v)).then((m) => recordedBlend(m.hyperparameters), () => undefined);
  const [before, after] = await Promise.all([blendOf(from), blendOf(to)]);
  if (before === undefined || after === undefined || before?.weight === after?.weight) return;
  const serves = (b: Pick<Blend, "with" | "weight"> | null) =>
    b ? `a blend, ${blendWords(b)}` : "the network alone";
  writeStderrLine(
    `note: ${to} serves ${serves(after)}; ${from} served ${serves(before)}: serve's probabilities and ` +
      "/model/info's blend change with it",
  );
}

/**
 * A switch between versions that name `prediction` by different decision rules (a first-round version's argmax,
 * a later one's prior rule; a fine-tune of the first takes the second) changes which class serve names and the
 * `confidence` beside it: said on stderr beside the arrow, as a blend change is (it went unsaid: predict then
 * answered DOWN at 0.18 where SIDEWAYS had 0.62).
 */
async function noteRuleChange(checkpoints: string, from: string, to: string): Promise<void> {
  const ruleOf = (v: string) =>
    readPreprocessorFile(join(checkpoints, v)).then((p) => p.decisionRule ?? "argmax", () => undefined);
  const [before, after] = await Promise.all([ruleOf(from), ruleOf(to)]);
  if (before === undefined || after === undefined || before === after) return;
  writeStderrLine(
    `note: ${to} names its prediction by the '${after}' rule; ${from} named it by '${before}': serve's ` +
      "prediction and confidence change with it (/model/info states the rule)",
  );
}

/**
 * A switch to a version that reads more candles a window (a lookback of 30 → 50) makes serve refuse every
 * request of fewer (422 "expected at least 50 candles"): said on stderr, as an interval change is (a live-swap
 * trial: 1,497 of 4,344 requests refused after a promotion that printed only its arrow). A shorter lookback
 * takes the last candles of a longer window, so nothing is refused.
 */
async function warnLookbackChange(checkpoints: string, from: string, to: string): Promise<void> {
  const lookbackOf = (v: string) =>
    readPreprocessorFile(join(checkpoints, v)).then((p) => p.lookback, () => undefined);
  const [before, after] = await Promise.all([lookbackOf(from), lookbackOf(to)]);
  if (before === undefined || after === undefined || after <= before) return;
  writeStderrLine(
    `warning: ${to} reads ${after} candles a window, ${from} read ${before}: serve now refuses requests of ` +
      `fewer than ${after} candles (422); the bot must send at least ${after}`,
  );
}
