/** What `train` prints besides the epoch lines: the data it found and the test metrics beside the baselines. */
import { join } from "node:path";
import { EMA_WARM_UP, offsetText } from "../../features/index.ts";
import { columnsOf, padColumns, plural, utcDay, utcMinute } from "../../base/index.ts";
import { checkpointsFlag } from "../flags.ts";
import { OUTDATED_RUN } from "../train_runs/folder/index.ts";
import type { DecisionRule } from "../../engine/index.ts";
import { FEW_TRAINING_WINDOWS, formatTable } from "../../ml/evaluate/index.ts";
import { testSplitTable } from "../../ml/report/index.ts";
import { classCounts, type Dataset, describeCounts } from "../../ml/data/index.ts";
import type { Metrics } from "../../ml/metrics/index.ts";
import type { MembersResult } from "../../ml/train/index.ts";

/** A cut falls on a candle, not a day: "2022-11-05 13:00 UTC". */
export const hour = utcMinute;
const n = (v: number) => v.toLocaleString("en-US");

/**
 * The data's lines. `interval` (the candles' own, null without open times) is named beside lookback and horizon,
 * which count its candles: the run said "horizon 4" alone, the same on 30m candles as on 1h.
 */
export function dataLines(
  d: Dataset,
  fineTune = false,
  interval: string | null = null,
  /** How far the candles open past their interval's UTC grid (`gridOffsetOf`): noted when not 0. */
  gridOffsetMs: number | null = null,
): string[] {
  // Columns as wide as their longest entry: a symbol of a million candles (15m since 1992, 1m for two years)
  // or a name past 10 characters (1000SHIBUSDT) shifted its row against the others.
  // By terminal columns: 币安人生USDT takes 12 in 8 code units.
  const symbolWidth = Math.max(10, ...d.symbols.map((s) => columnsOf(s.symbol)));
  const candleWidth = Math.max(7, ...d.symbols.map((s) => n(s.candles).length));
  const lines = d.symbols.map((s) =>
    `  ${padColumns(s.symbol, symbolWidth)} ${n(s.candles).padStart(candleWidth)} candles ${
      utcDay(s.firstOpenTime)
    } … ${utcDay(s.lastOpenTime)}` +
    `  windows train ${n(s.train)}, validation ${n(s.validation)}, test ${n(s.test)}`
  );
  return [
    `data: ${plural(d.symbols.length, "symbol")}${
      interval === null ? "" : ` of ${interval} candles`
    }, lookback ${d.lookback}, horizon ${d.horizon}`,
    ...lines,
    `  windows: train ${n(d.train.size)}, validation ${n(d.validation.size)}, test ${n(d.test.size)}; ` +
    `${n(d.skipped)} skipped for missing indicators, ` +
    `${n(d.symbols.reduce((sum, s) => sum + s.purged, 0))} dropped at split boundaries` +
    gappedNote(d.gapped),
    ...(d.cuts
      ? [
        `  split at the same dates for every symbol: validation from ${
          hour(d.cuts.validationStart)
        }, test from ${hour(d.cuts.testStart)}`,
      ]
      : []),
    `  train classes: ${describeCounts(d.trainClassCounts)}`,
    `  test classes:  ${describeCounts(classCounts(d.test.labels))}`,
    ...smallSplitNotes(d, fineTune),
    ...missingSymbolNotes(d, fineTune),
    ...(interval === null ? [NO_INTERVAL_NOTE] : []),
    ...(gridOffsetMs ? [offGridNote(interval!, gridOffsetMs)] : []),
  ];
}

/**
 * Candles off their interval's UTC grid (1d candles at 16:00 UTC, from an exchange whose days begin at
 * midnight UTC+8): the version records the offset, and serve holds the bot's candles to it, refusing UTC-grid
 * ones; said here, since a bot fed another exchange's candles is refused from the first request.
 */
export function offGridNote(interval: string, gridOffsetMs: number): string {
  return `  note: these ${interval} candles open ${
    offsetText(gridOffsetMs)
  } past the UTC grid exchanges such as Binance ` +
    "use; the version records it, and serve takes the bot's candles on this grid only (UTC-grid ones are " +
    "refused): feed the bot the same exchange's candles";
}

/**
 * Candles without open times (a C# export without `t`) give a version with no interval, which the run said
 * only by leaving "of 1h candles" out: serve then holds no request's candles to the model's, and monitor can
 * join none of its predictions (a seat's trial).
 */
export const NO_INTERVAL_NOTE =
  "  note: the candles carry no open times, so this version records no interval: " +
  "serve will not check that the bot's candles are the model's, and monitor cannot match its predictions " +
  "with outcomes; collect candles with their open times (the C# export's `t`, a CSV's open_time)";

/**
 * The data's notes without their indent (small splits, symbols left out): what train prints under its data
 * lines, which report.html's verdict repeats, so a reader of the page alone learns how far its scores go.
 */
export function dataNotes(d: Dataset, fineTune = false): string[] {
  return [...smallSplitNotes(d, fineTune), ...missingSymbolNotes(d, fineTune)].map((line) =>
    line.replace(/^ {2}note: /, "")
  );
}

/**
 * A note where some symbols have no test (or validation) windows while others do: series that do not overlap
 * in time leave one symbol wholly before the common cut, and the test figures, metrics.json and the report then
 * speak of the other symbols only, which nothing said. A symbol with no window at all (a pair listed days ago,
 * its candles inside the indicators' warm-up) gets its own note saying why: it was told it had no validation
 * and no test windows "(the split's dates are common to every symbol)", which was not the reason. A symbol
 * with validation or test windows and no training ones (listed after the validation start) is scored on, and
 * served, as a symbol the model never trained on, which is said too (except in a fine-tune, which trains on
 * the new windows alone).
 */
export function missingSymbolNotes(
  d: Pick<Dataset, "symbols" | "lookback" | "horizon">,
  fineTune = false,
): string[] {
  const windowless = (s: Dataset["symbols"][number]) => s.train + s.validation + s.test === 0;
  const used = d.symbols.filter((s) => !windowless(s));
  if (used.length === 0) return [];
  const splitNotes = (["validation", "test"] as const).flatMap((k) => {
    const without = used.filter((s) => s[k] === 0).map((s) => s.symbol);
    const within = used.filter((s) => s[k] > 0).map((s) => s.symbol);
    if (without.length === 0 || within.length === 0) return [];
    return [
      `  note: ${without.join(", ")} ${without.length === 1 ? "has" : "have"} no ${k} windows (the split's ` +
      `dates are common to every symbol): the ${k} scores cover ${within.join(", ")} only`,
    ];
  });
  const untrained = used.filter((s) => s.train === 0).map((s) => s.symbol);
  const untrainedNotes = fineTune || untrained.length === used.length || untrained.length === 0 ? [] : [
    `  note: ${untrained.join(", ")} ${untrained.length === 1 ? "has" : "have"} no training windows (${
      untrained.length === 1 ? "its candles begin" : "their candles begin"
    } after the training split): the validation and test scores include a symbol the model never trained on`,
  ];
  const span = d.lookback + d.horizon;
  const emptyNotes = d.symbols.filter(windowless).map((s) => {
    const why = s.skipped > 0
      ? `its ${n(s.skipped)} candidate ${
        s.skipped === 1 ? "window holds" : "windows hold"
      } candles still in ` +
        `the indicators' warm-up: a symbol needs ${EMA_WARM_UP} candles of it (EMA(50)'s) before its first window ` +
        `of lookback ${d.lookback} + horizon ${d.horizon}, ${
          EMA_WARM_UP + span
        } candles where collect computed them`
      : s.gapped > 0
      ? `candles are missing before the label candle of each of its ${n(s.gapped)} windows`
      // The warm-up too: "a window takes 54 candles" sent a user to collect 54, which still gave none.
      : `a window takes lookback ${d.lookback} + horizon ${d.horizon} = ${span} candles, after the ` +
        `indicators' warm-up of ${EMA_WARM_UP} (EMA(50)'s) where collect computed them: ${
          EMA_WARM_UP + span
        } candles`;
    return `  note: ${s.symbol} gave no windows (${
      plural(s.candles, "candle")
    }; ${why}): it is neither trained on ` +
      "nor scored; collect more of its candles";
  });
  return [...splitNotes, ...untrainedNotes, ...emptyNotes];
}

/** Said only when it happened: most series have no outage inside a label's few candles. */
function gappedNote(gapped: number): string {
  return gapped > 0 ? `, ${n(gapped)} left out: candles missing before the label candle` : "";
}

/** Below this many windows a split's scores are mostly chance, and `train` says so beside them. */
export const SMALL_SPLIT = 1_000;

/**
 * A note for each of validation and test holding fewer than SMALL_SPLIT windows: with `--split-dates` a day
 * apart a version was saved, and listed, on 32 test windows without a word. The width is the 95 % sampling
 * half-width of an accuracy near 1/2, √(1/n); log-loss and macro-F1 move as much. A training split that small
 * is noted too (a validation start days after the data's first candles trained on 22 windows, silently),
 * except in a fine-tune, which trains on the new windows alone by design.
 */
export function smallSplitNotes(
  d: Pick<Dataset, "train" | "validation" | "test">,
  fineTune = false,
): string[] {
  // The bound evaluate notes a fold's training windows by: one rule for both commands.
  const train = !fineTune && d.train.size < FEW_TRAINING_WINDOWS
    ? [
      `  note: the training split holds only ${plural(d.train.size, "window")}: too few to learn from, so ` +
      "the model will say little more than the class shares; more data or a later validation start in " +
      "--split-dates give it something to learn",
    ]
    : [];
  return [
    ...train,
    ...(["validation", "test"] as const).filter((k) => d[k].size < SMALL_SPLIT).map((k) =>
      `  note: the ${k} split holds only ${plural(d[k].size, "window")}: its scores move by about ` +
      `±${
        Math.sqrt(1 / Math.max(1, d[k].size)).toFixed(2)
      } in accuracy by chance alone; more data or wider ` +
      "--split-dates give a score that says something"
    ),
  ];
}

/**
 * The test-split table (model and baselines) as `train` prints it: the table its report.html shows, laid out
 * as text; `rule` is the decision rule serve uses.
 */
export function metricsTable(rows: readonly (readonly [string, Metrics])[], rule: DecisionRule): string[] {
  return formatTable(testSplitTable(rows, rule));
}

/**
 * How training ended, in one line. An ensemble's members stop on their own: one summed epoch count, the last
 * member's best epoch or the last member's stop reason ("early stopping after 15 epochs; best epoch 1") would
 * describe no member, so each member's count says whether it stopped early.
 */
export function stopLine(
  result: Pick<MembersResult, "perMember" | "history" | "bestEpoch" | "stopReason">,
): string {
  const interrupted = result.stopReason === "interrupted";
  // An epoch Ctrl-C cut short is validated and counted, but it did not run whole: "trained 4 epochs" for 3 and
  // a few batches overstated the training, so the count says so.
  const cut = (history: readonly { partial?: boolean }[]) =>
    history.at(-1)?.partial ? " (the last cut short)" : "";
  if (result.perMember.length > 1) {
    const epochs = result.perMember.map((r) =>
      `${r.history.length}${r.stopReason === "early_stopping" ? " (stopped early)" : cut(r.history)}`
    );
    return `${interrupted ? "interrupted" : "done"}: members trained ${epochs.join(" / ")} epochs, ` +
      `best epochs ${result.perMember.map((r) => r.bestEpoch ?? "none").join(" / ")} ` +
      `(each member keeps its best epoch's weights)`;
  }
  const how = interrupted
    ? "interrupted"
    : result.stopReason === "early_stopping"
    ? "early stopping"
    : "done";
  return `${how} after ${plural(result.history.length, "epoch")}${
    cut(result.history)
  }; best epoch ${result.bestEpoch} (its weights are kept)`;
}

/**
 * The line for an interrupted run kept in `checkpoints` while another trains. The resume command names the
 * store: printed bare, 'candlecast train --resume' looked in the default folder and found nothing to resume.
 * `refused`: why `--resume` would refuse the run (a damaged weights file or run.json, `DamagedRunError`'s
 * problem and hint), said as `models list` says it: the line offered `--resume` for it all the same.
 */
export function keptRunLine(
  dir: string,
  epochs: number | readonly number[],
  checkpoints: string,
  outdated = false,
  refused: { readonly problem: string; readonly hint: string } | null = null,
): string {
  // Each member's own count: their sum, "stopped after 5 epochs" for members at 3 and 2 of 8, read as a run
  // five epochs in (a disaster trial).
  const each = typeof epochs === "number" ? [epochs] : epochs;
  const when = each.length === 1
    ? `after ${plural(each[0], "epoch")}`
    : `with its ${each.length} members after ${each.slice(0, -1).join(", ")} and ${each.at(-1)} epochs`;
  const kept = `an earlier run stopped ${when} is kept in ${dir}; `;
  // Damage first, as models list orders them: --resume refuses it for that whoever started it.
  if (refused) {
    return kept + `'candlecast train --resume' cannot resume it: ${refused.problem}; ${refused.hint}`;
  }
  // One an older candlecast started is refused by --resume: pointing there sent the user into a refusal.
  if (outdated) return kept + OUTDATED_RUN;
  return kept + `'candlecast train --resume${checkpointsFlag(checkpoints)}' continues it`;
}

/**
 * A version saved but not promoted because `current` was changed by hand while the run trained (a `models
 * promote` or `rollback`; retrain keeps such a change the same way): from what to what, that the change stays,
 * and the command that serves the version instead. A fine-tune says whose: possibly the version just rolled
 * back from.
 */
export function currentChangedLines(
  checkpoints: string,
  written: { readonly dir: string; readonly version: string },
  change: { readonly expected: string | null; readonly now: string | null },
  parent: string | null,
): string[] {
  const { dir, version } = written;
  const fineTune = parent === null ? "" : `${version} is a fine-tune of ${parent}; `;
  return [
    `saved ${dir} (not promoted): ${join(checkpoints, "current")} was changed during the run, from ` +
    `${change.expected ?? "none"} to ${
      change.now ?? "none"
    } (by a 'models promote' or 'models rollback', or ` +
    "another train or retrain); that change is left in place",
    `${fineTune}to serve it: 'candlecast models promote ${version}${checkpointsFlag(checkpoints)}'`,
  ];
}
