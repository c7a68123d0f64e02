/**
 * `candlecast retrain --mode weekly|monthly`: the cron job. Prints one summary line on success (promoted or
 * kept; with --json, the decision as one JSON document, the line on stderr) and exits 0; on failure prints
 * what went wrong and where the log is, exits 1, and leaves `current` as it was.
 */
import { dirname, join } from "node:path";
import { Command, Option } from "commander";
import { DEFAULTS } from "./defaults.ts";
import { z } from "zod";
import {
  checkpointsFlag,
  flag,
  parseFlags,
  requireFolderPath,
  requireInput,
  requireOutputFile,
  requireWritableFolder,
} from "./flags.ts";
import { withInterrupt } from "./interrupt.ts";
import { runRetrain } from "./retrain/run.ts";
import { defaultPromotionRule, PROMOTION_RULES, requireJudgeableHoldout } from "./retrain/promotion.ts";
import { appendLogLine } from "./retrain/step.ts";
import { IntervalSchema } from "./collect/index.ts";
import { UsageError } from "./errors.ts";
import { inheritedPermissions, requireSelfRun } from "./self_command.ts";
import { refuseDanglingFolderLink, shellWord, writeStderrLine } from "../base/index.ts";

const RetrainFlags = z.object({
  mode: z.enum(["weekly", "monthly"]),
  data: flag.filePath(),
  checkpoints: flag.folderPath(),
  collect: z.boolean().default(true),
  baseUrl: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
  interval: IntervalSchema.optional(),
  holdoutDays: flag.positiveNumber("a positive number of days"),
  promoteIf: z.enum(PROMOTION_RULES).optional(),
  // zod's own words otherwise: "Invalid input: expected number, received NaN".
  f1Tolerance: flag.number("a number ≥ 0", (n) => n.min(0)),
  loglossTolerance: flag.number("a number ≥ 0", (n) => n.min(0)),
  keep: flag.positiveInt(),
  log: flag.filePath(),
  trainArgs: z.string().optional().transform((v) => (v ?? "").split(/\s+/).filter(Boolean)),
  json: z.boolean().default(false),
});

/**
 * What a second Ctrl-C says as retrain quits at once, as every failure says it: `candlecast: …` then a hint (it
 * printed "quitting at once" alone).
 */
export function retrainSecondPress(checkpoints: string): string {
  return "candlecast: retrain quit at once; nothing was promoted after the press\n" +
    `hint: 'candlecast models list${checkpointsFlag(checkpoints)}' shows where current points; the next ` +
    "retrain removes what this one left (its data copy, its training's run folder)";
}

export function retrainCommand(): Command {
  return new Command("retrain")
    .summary(
      "scheduled retraining: collect, train a candidate, promote it only if it is not worse (weekly: only a clear win)",
    )
    .description(
      "Collects the newest candles of the symbols and interval --data already holds into it (collect first\n" +
        "with 'candlecast collect' to add a symbol), trains a candidate on everything before the newest\n" +
        "--holdout-days (weekly: fine-tunes current; monthly: trains from scratch), scores candidate and current\n" +
        "on those held-out days, and promotes the candidate only if its macro-F1 is not lower and its log-loss\n" +
        "not higher (see the tolerances) and, under --promote-if clearly-better (weekly's default), lower beyond\n" +
        "the difference's interval. Keeps --keep versions, deleting first those that never served (candidates\n" +
        "turned down), then the oldest served ones. One run at a time (a lock file); step output goes to --log;\n" +
        "one summary line is printed for cron mail.",
    )
    .addOption(
      new Option("--mode <mode>", "required. weekly: fine-tune current; monthly: from scratch").choices([
        "weekly",
        "monthly",
      ]).makeOptionMandatory(),
    )
    .option("--data <path>", "training CSV to extend and train on", DEFAULTS.trainingCsv)
    .option("--checkpoints <dir>", "where versions are stored", DEFAULTS.checkpoints)
    .option("--no-collect", "do not fetch new candles first")
    .option("--base-url <url>", "Binance REST base URL for collect", DEFAULTS.binanceUrl)
    .option("--interval <interval>", "candle interval to collect (default: that of the candles in --data)")
    .option("--holdout-days <days>", "newest days held out to decide the promotion", "14")
    .addOption(
      new Option(
        "--promote-if <rule>",
        "not-worse: macro-F1 not lower and log-loss not higher on the held-out days; clearly-better: also " +
          "the log-loss difference's 95 % interval (over blocks of whole days, a day each or on coarse candles " +
          "as many as span twice the label horizon, at least 6 blocks) below 0, and " +
          "--logloss-tolerance is refused, since it could never apply (default: clearly-better for weekly, whose fine-tunes build on " +
          "each other, so noise wins compound; not-worse for monthly)",
      ).choices(PROMOTION_RULES),
    )
    .option("--f1-tolerance <x>", "promote even if macro-F1 is lower by up to x", "0")
    .option("--logloss-tolerance <x>", "promote even if log-loss is higher by up to x", "0")
    .option(
      "--keep <n>",
      "versions to keep (current, the rollback target and versions a running serve uses are always kept)",
      "8",
    )
    .option("--log <path>", "where the steps' output is appended", "data/retrain.log")
    .option(
      "--train-args <flags>",
      "extra flags for train over current's recorded configuration, e.g. --train-args='--epochs 20 --patience 3'",
    )
    .option(
      "--json",
      "for scripts: print the decision as one JSON object on stdout at the end (the candidate trained, its " +
        "held-out scores beside current's with the log-loss difference's interval, promoted or not and why, " +
        "the steps skipped, the versions removed); the summary line goes to stderr; on a failure nothing is " +
        "printed on stdout; exit codes are unchanged",
    )
    .action(async (raw, command: Command) => {
      const opts = parseFlags("retrain", RetrainFlags, raw);
      // The steps' permissions, checked before anything runs (it failed at the first step, as a bug).
      inheritedPermissions();
      requireSelfRun("retrain", "run collect and train --incremental or train --config-from by hand");
      if (!opts.collect && opts.interval !== undefined) {
        throw new UsageError(
          "--interval cannot be combined with --no-collect",
          "--interval is the interval retrain collects; without collecting, the candles in --data are used as they are",
        );
      }
      if (!opts.collect && command.getOptionValueSource("baseUrl") !== "default") {
        throw new UsageError(
          "--base-url cannot be combined with --no-collect",
          "--base-url is where retrain collects from; without collecting, nothing is fetched",
        );
      }
      const promoteIf = opts.promoteIf ?? defaultPromotionRule(opts.mode);
      requireJudgeableHoldout(promoteIf, opts.holdoutDays, opts.promoteIf === undefined ? opts.mode : null);
      // A clear win needs the log-loss lower beyond its interval, so a tolerance for a higher one can never
      // let a candidate through: it was accepted and ignored (a weekly cron line from before clearly-better
      // became weekly's default kept its tolerance, and the operator thought it in force).
      if (promoteIf === "clearly-better" && opts.loglossTolerance > 0) {
        throw new UsageError(
          `--logloss-tolerance does not apply under --promote-if clearly-better` +
            (opts.promoteIf === undefined ? " (a weekly run's default)" : "") +
            ": a clear win needs the log-loss lower beyond its interval, so no tolerance for a higher one is used",
          "drop --logloss-tolerance, or pass --promote-if not-worse to promote within it",
        );
      }
      // Paths of the wrong kind are the user's to fix (exit 2), found before a lock is taken or a step runs.
      requireFolderPath("--checkpoints", opts.checkpoints);
      // A link to a folder not there (a models disk not mounted) is said as that, with the link's target to
      // mount or make: the "does not exist" below offered 'mkdir -p LINK', which fails on the link itself.
      await refuseDanglingFolderLink(join(opts.checkpoints, "current"));
      // retrain keeps an existing store up to date. A mistyped path in a cron line used to be created and a
      // first model trained into it from scratch (hours, unseen by serve); a new store is made on purpose.
      requireInput(
        "--checkpoints",
        opts.checkpoints,
        "retrain updates the versions in an existing folder: check the path, or start the store with " +
          `'candlecast train --data ${shellWord(opts.data)} --checkpoints ${shellWord(opts.checkpoints)}' ` +
          `(or 'mkdir -p ${shellWord(opts.checkpoints)}' to let retrain train the first model)`,
        "folder",
      );
      requireWritableFolder("--checkpoints", opts.checkpoints);
      requireOutputFile("--log", opts.log, "retrain.log", { writes: "append" });
      // As collect's --output and serve's --predictions-log: a log in a folder not made yet (the default
      // data/retrain.log from another working folder) had the first step fail as "unexpected failure", and a
      // run that ended before any step lost its record. A link on its way to a folder not there: refused (exit
      // 2), as collect refuses one, not mkdir's EEXIST on the link as "unexpected failure".
      await refuseDanglingFolderLink(opts.log);
      await Deno.mkdir(dirname(opts.log), { recursive: true });
      requireInput(
        "--data",
        opts.data,
        "retrain extends and trains on an existing training CSV: make one with 'candlecast collect', " +
          "or point --data at it",
        "file",
      );
      // Ctrl-C / SIGTERM (a systemd stop, kill): the running step is stopped, its temporary files removed and
      // the run ends with exit 130 saying what was kept; a second press quits at once.
      await appendLogLine(opts.log, `retrain ${opts.mode}: started (pid ${Deno.pid})`);
      const outcome = await withInterrupt(
        {
          first: "stopping retrain: the running step is being stopped; current stays as it is",
          second: retrainSecondPress(opts.checkpoints),
        },
        (signal) =>
          runRetrain({
            ...opts,
            promoteIf,
            signal,
            // On a terminal only: cron (and a script reading --json) get the summary alone.
            progress: Deno.stderr.isTerminal() ? (line) => writeStderrLine(line) : undefined,
          }),
      ).catch(async (error) => {
        await appendLogLine(
          opts.log,
          `retrain ${opts.mode}: ended without a decision: ${(error as Error).message}`,
        );
        throw error;
      });
      // With --json stdout holds the one JSON document; the line people read goes to stderr (cron mails both).
      if (opts.json) {
        writeStderrLine(outcome.summary);
        console.log(JSON.stringify(outcome.json, null, 2));
      } else {
        console.log(outcome.summary);
      }
      await appendLogLine(opts.log, outcome.summary);
    });
}
