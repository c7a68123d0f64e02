/** What a trained version records about itself: manifest fields, history, and the checked ONNX export. */
import type { Dataset, SplitRule } from "../../ml/data/index.ts";
import { intervalOf } from "../../features/index.ts";
import { type DataDescription, isoOrNull, type OnnxExport } from "../../ml/checkpoints/index.ts";
import { checkExport, exportOnnx } from "../../ml/onnx/index.ts";
import type { Preprocessor } from "../../engine/index.ts";
import type { MembersResult } from "../../ml/train/index.ts";
import type { LayersModel } from "../../ml/runtime/index.ts";
import type { BoostedTrees } from "../../ml/baselines/index.ts";

/**
 * history.json: every epoch record (an ensemble's tagged with its member). For an ensemble `best_epoch` is the
 * last member's, kept for readers of single models; `best_epochs` and `member_epochs` hold each member's.
 */
export function historyOf(result: MembersResult) {
  return {
    best_epoch: result.bestEpoch,
    ...ensembleEpochs(result),
    stop_reason: result.stopReason,
    epochs: result.history,
  };
}

/** Each member's best epoch and epochs trained, for an ensemble (nothing for a single model). */
export function ensembleEpochs(result: Pick<MembersResult, "perMember">) {
  return result.perMember.length > 1
    ? {
      best_epochs: result.perMember.map((r) => r.bestEpoch),
      member_epochs: result.perMember.map((r) => r.history.length),
    }
    : {};
}

/**
 * The members whose last epoch a stop cut short (manifest `cut_short`), so report.html does not say "trained 4
 * epochs" of 3 and a few batches; nothing when none was.
 */
export function cutShort(result: Pick<MembersResult, "perMember">) {
  const cut = result.perMember.flatMap((r, i) => r.history.at(-1)?.partial ? [i + 1] : []);
  return cut.length > 0 ? { cut_short: cut } : {};
}

export function describeData(
  path: string,
  data: Dataset,
  split: SplitRule,
  since: number | null,
  sha256: string,
): DataDescription {
  const first = Math.min(...data.symbols.map((s) => s.firstOpenTime));
  const last = Math.max(...data.symbols.map((s) => s.lastOpenTime));
  return {
    path,
    sha256,
    start: isoOrNull(first),
    end: isoOrNull(last),
    end_ms: Number.isFinite(last) ? last : null,
    interval: intervalOf(data.train.series.map((s) => s.openTime)),
    symbols: Object.fromEntries(data.symbols.map((s) => [s.symbol, {
      first: isoOrNull(s.firstOpenTime),
      last: isoOrNull(s.lastOpenTime),
      last_ms: Number.isFinite(s.lastOpenTime) ? s.lastOpenTime : null,
      candles: s.candles,
      windows: { train: s.train, validation: s.validation, test: s.test },
      skipped_missing_indicators: s.skipped,
      purged: s.purged,
      label_spans_gap: s.gapped,
    }])),
    windows: { train: data.train.size, validation: data.validation.size, test: data.test.size },
    skipped_missing_indicators: data.skipped,
    label_spans_gap: data.gapped,
    split: split.kind === "dates"
      ? {
        kind: "dates",
        validation_start: isoOrNull(split.validationStart),
        test_start: isoOrNull(split.testStart),
      }
      : {
        kind: "fractions",
        train: split.train,
        validation: split.validation,
        // Where the fractions fell, the same date for every symbol (null: per symbol, no open times).
        validation_start: data.cuts ? isoOrNull(data.cuts.validationStart) : null,
        test_start: data.cuts ? isoOrNull(data.cuts.testStart) : null,
      },
    since: since === null ? null : isoOrNull(since),
  };
}

/** model.onnx for a version, refused unless ONNX Runtime reproduces the tfjs model (SPEC §8, 1e-4). */
export function checkedOnnxExport(
  model: LayersModel,
  preprocessor: Preprocessor,
  interval: string | null,
  /** A blend's gradient boosting (`--blend-boosting`), inside the graph. */
  boosting?: BoostedTrees,
  /** How far the candles opened past the interval's UTC grid (`gridOffsetOf`), metadata when not 0. */
  gridOffsetMs: number | null = null,
): OnnxExport {
  return async (version) => {
    const bytes = exportOnnx(model, preprocessor, { version, interval, boosting, gridOffsetMs });
    const check = await checkExport(model, preprocessor, bytes, { boosting });
    if (!check.ok) {
      const diffs = Object.entries(check.maxDiff).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(", ");
      throw new Error(
        `model.onnx does not match the trained model on ONNX Runtime (max differences: ${diffs})`,
      );
    }
    return bytes;
  };
}
