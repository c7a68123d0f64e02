/**
 * The prediction log's two reads, from one snapshot of its files: the first joins each prediction with its
 * outcome and counts (reading each version the log names once, and finding each version's latest scored
 * prediction, where its "last week" ends); the second joins the same records again and sums the scores per day
 * and version. No record is kept; only the candles, the versions and the counters are.
 */
import { join } from "node:path";
import { type CandleSeries, commonestStep, isInterval, sameInterval } from "../../features/index.ts";
import { type BatchProgress, plural } from "../../base/index.ts";
import {
  type MonitorReport,
  MonitorTally,
  OutcomeJoiner,
  staleLogWarning,
  type TestScores,
} from "../../ml/monitor/index.ts";
import type { PredictionRecord, Preprocessor } from "../../engine/index.ts";
import type { PredictionLogSnapshot } from "../../server/index.ts";
import { UsageError } from "../errors.ts";
import type { MonitorOptions } from "./options.ts";
import { readVersion } from "./inputs.ts";
import { type OffGridFinding, OffGridTally } from "./off_grid.ts";
import { MB, phaseProgress } from "../phase_progress.ts";

/** What the log's versions hold, read as the log names them (a handful); the joiners read these maps. */
export interface LoggedVersions {
  readonly preprocessors: Map<string, Preprocessor>;
  readonly tests: Map<string, TestScores>;
  readonly seenUntil: Map<string, number>;
  /**
   * Each version's creation time in this store. Version names repeat across stores and after a rebuild: a
   * prediction logged with its version's creation time is scored against this store's version of that name
   * only when they are the same model.
   */
  readonly createdAt: Map<string, string>;
}

/** What the first read found. */
export interface JoinPass {
  readonly versions: LoggedVersions;
  /** The first read's joiner: its `counts` are the counts printed. */
  readonly joiner: OutcomeJoiner;
  /** The predictions read. */
  readonly records: number;
  /** Lines that were not a prediction (e.g. a line cut short by a crash mid-write). */
  readonly unreadable: number;
  /** Predictions of a version logged with another creation time than this store's version of that name. */
  readonly otherModel: Map<string, { predictions: number; loggedCreatedAt: string }>;
  /** Per version, the time (ms) of its latest scored prediction. */
  readonly latest: Map<string, number>;
  /**
   * Per version, the creation time its first logged prediction recorded (`version_created_at`): what
   * `monitor --json` says of a version no longer in --checkpoints (pruned by retrain --keep), whose manifest
   * cannot say it.
   */
  readonly loggedCreatedAt: Map<string, string>;
  /**
   * The version that answered the last prediction written (the log's last line, its files read oldest first),
   * with that line's time: what serve serves now (`current`, or a version it was pinned to with --checkpoint).
   * Not the latest time logged: a server clock that ran days ahead and was then set right left the old
   * version's lines the latest, and monitor judged a version no longer served (a locale seat).
   */
  readonly newest: { readonly version: string; readonly time: number } | null;
  /** The predictions not found whose candle times are off the data's grid (a bot stamping local times). */
  readonly offGrid: OffGridFinding | null;
}

/** Whether a prediction was answered by this store's version of its name (see `LoggedVersions.createdAt`). */
function sameModel(createdAt: ReadonlyMap<string, string>, record: PredictionRecord): boolean {
  return record.version_created_at === undefined || !createdAt.has(record.version) ||
    createdAt.get(record.version) === record.version_created_at;
}

/** Reads a version the log names into `versions`; throws when it was trained on another interval's candles. */
async function readLoggedVersion(
  opts: MonitorOptions,
  version: string,
  dataInterval: string | null,
  versions: LoggedVersions,
): Promise<void> {
  const v = await readVersion(join(opts.checkpoints, version));
  // A version's horizon counts its own candles: on another interval's candles its outcomes (and so every
  // score) would be read the wrong number of hours ahead, silently.
  if (v?.interval && dataInterval && !sameInterval(v.interval, dataInterval)) {
    throw new UsageError(
      `--data: ${opts.data} holds ${dataInterval} candles, but ${version} was trained on ` +
        `${v.interval} candles: its predictions' outcomes (${
          plural(v.preprocessor.horizon, "candle")
        } ahead) cannot ` +
        "be read on them",
      isInterval(v.interval)
        ? `collect ${v.interval} candles into a CSV ('candlecast collect --interval ${v.interval} …') and ` +
          "point --data at it"
        : `point --data at the ${v.interval} candles ${version} was trained on`,
    );
  }
  if (v) {
    versions.preprocessors.set(version, v.preprocessor);
    if (v.test) versions.tests.set(version, v.test);
    if (v.seenUntil !== null) versions.seenUntil.set(version, v.seenUntil);
    if (v.createdAt !== null) versions.createdAt.set(version, v.createdAt);
  }
}

/**
 * The first read: every prediction joined with its outcome and counted, each version it names read once (the
 * first time it appears), each version's latest scored prediction and the newest prediction noted.
 */
export async function joinPass(
  opts: MonitorOptions,
  log: PredictionLogSnapshot,
  series: readonly CandleSeries[],
  dataInterval: string | null,
  io: { readonly progress?: BatchProgress },
): Promise<JoinPass> {
  const versions: LoggedVersions = {
    preprocessors: new Map(),
    tests: new Map(),
    seenUntil: new Map(),
    createdAt: new Map(),
  };
  const tried = new Set<string>();
  const otherModel = new Map<string, { predictions: number; loggedCreatedAt: string }>();
  const loggedCreatedAt = new Map<string, string>();
  const joiner = new OutcomeJoiner(series, versions.preprocessors, versions.seenUntil);
  const offGrid = new OffGridTally(series);
  let notFound = 0;
  const latest = new Map<string, number>();
  const counts = { skipped: 0 };
  let records = 0;
  let newest: { version: string; time: number } | null = null;
  const joining = phaseProgress(io, `reading ${opts.predictions} (1/2: joining with the candles)`, MB);
  for await (const batch of log.batches(counts, joining)) {
    for (const record of batch) {
      records++;
      const time = Date.parse(record.time);
      newest = { version: record.version, time };
      if (record.version_created_at !== undefined && !loggedCreatedAt.has(record.version)) {
        loggedCreatedAt.set(record.version, record.version_created_at);
      }
      if (!tried.has(record.version)) {
        tried.add(record.version);
        await readLoggedVersion(opts, record.version, dataInterval, versions);
      }
      if (!sameModel(versions.createdAt, record)) {
        const other = otherModel.get(record.version);
        if (other) other.predictions++;
        else otherModel.set(record.version, { predictions: 1, loggedCreatedAt: record.version_created_at! });
        continue;
      }
      const row = joiner.join(record);
      if (row) {
        const t = Date.parse(row.record.time);
        latest.set(record.version, Math.max(latest.get(record.version) ?? -Infinity, t));
      } else if (joiner.unmatched > notFound) {
        notFound++;
        offGrid.add(record);
      }
    }
  }
  io.progress?.clear();
  return {
    versions,
    joiner,
    records,
    unreadable: counts.skipped,
    otherModel,
    latest,
    loggedCreatedAt,
    newest,
    offGrid: offGrid.finding,
  };
}

/** What became of the served version's predictions: its own join counts (`servedUnscored` reads them). */
export interface ServedCounts {
  readonly version: string;
  /** Its predictions logged, those of another model under its name included. */
  readonly logged: number;
  /** Of those, answered by another model than --checkpoints' version of its name (never joined). */
  readonly otherModel: number;
  readonly counts: OutcomeJoiner["counts"];
}

/**
 * The second read: the same records (the snapshot's lengths), joined the same way, summed per day and version
 * into the report, with a warning on the served version when the log has fallen behind the candles. The served
 * version's predictions go through a joiner of their own (each candle is scored once per version either way),
 * so what became of them is counted apart: none scored is said, not read as "no warning".
 */
export async function scorePass(
  opts: MonitorOptions,
  log: PredictionLogSnapshot,
  series: readonly CandleSeries[],
  first: JoinPass,
  io: { readonly progress?: BatchProgress },
): Promise<{ report: MonitorReport; served: ServedCounts | null }> {
  const { versions, newest } = first;
  const tally = new MonitorTally(first.latest);
  const again = new OutcomeJoiner(series, versions.preprocessors, versions.seenUntil);
  const servedJoiner = new OutcomeJoiner(series, versions.preprocessors, versions.seenUntil);
  const served = newest?.version;
  let servedLogged = 0;
  let servedOther = 0;
  const scoring = phaseProgress(io, `reading ${opts.predictions} (2/2: scoring)`, MB);
  for await (const batch of log.batches(undefined, scoring)) {
    for (const record of batch) {
      const isServed = record.version === served;
      if (isServed) servedLogged++;
      if (!sameModel(versions.createdAt, record)) {
        if (isServed) servedOther++;
        continue;
      }
      const row = (isServed ? servedJoiner : again).join(record);
      if (row) tally.add(row);
    }
  }
  io.progress?.clear();
  const scoredReport = tally.report(versions.tests);
  // The log falling behind the candles (serve stopped logging, the bot stopped calling) is a warning on the
  // served version too: scores of the last predictions there were read as all is well.
  const stale = newest &&
    staleLogWarning(
      newest.version,
      newest.time,
      Math.max(...series.map((s) => s.openTime[s.length - 1])),
      commonestStep(series.map((s) => s.openTime)) ?? NaN,
    );
  return {
    report: stale ? { ...scoredReport, warnings: [...scoredReport.warnings, stale] } : scoredReport,
    served: served === undefined
      ? null
      : { version: served, logged: servedLogged, otherModel: servedOther, counts: servedJoiner.counts },
  };
}
