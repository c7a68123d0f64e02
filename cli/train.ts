/**
 * `candlecast train`: flags → TrainOptions (parsed once) → `runTraining`. Ctrl-C (or SIGTERM) stops after the
 * current batch (in worker threads too) and keeps the best weights so far as a new, unpromoted version; a
 * second one quits at once. Every member's best weights are saved in a run folder as it trains and as it
 * finishes, so a run interrupted or killed outright can be continued with `--resume`.
 */
import { Command, Option } from "commander";
import { CommandError, UsageError } from "./errors.ts";
import { withInterrupt } from "./interrupt.ts";
import { parseFlags, refuseTypedFlags } from "./flags.ts";
import { SHAPE_FLAGS, TrainFlagsSchema } from "./train/options.ts";
import { runTraining } from "./train/run.ts";
import { abandonedRuns } from "./train/run_folder.ts";
import { DEFAULT_TRAIN_CONFIG as D, LR_SCHEDULES, terminalProgress } from "../ml/train/index.ts";
import { defaultModelConfig } from "../ml/models/index.ts";

/** The model size defaults, shown in --help (the size flags have no commander default: see --incremental). */
const M = defaultModelConfig("transformer_lstm", 50);

/** Flags that may go with --resume: where the run is, and how to run it; the rest are the run's own. */
const RESUME_FLAGS = new Set(["resume", "checkpoints", "backend", "workers"]);

/** `--resume`: the newest run killed in --checkpoints, with the flags it was started with. */
async function resumable(command: Command) {
  const typed = command.options.map((o) => o.attributeName())
    .find((k) => !RESUME_FLAGS.has(k) && command.getOptionValueSource(k) === "cli");
  if (typed) {
    throw new UsageError(
      `--${typed.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())} cannot be combined with --resume`,
      "a resumed run keeps the flags it was started with; start a new run to change them",
    );
  }
  const root = String(command.opts().checkpoints);
  const run = (await abandonedRuns(root)).find((r) => r.state !== null);
  if (!run?.state) {
    throw new CommandError(
      `no interrupted training run to resume in ${root}`,
      "a run killed after its first epoch leaves one; otherwise start a new run without --resume",
    );
  }
  return { dir: run.dir, state: run.state };
}

async function train(command: Command): Promise<void> {
  const resume = command.opts().resume ? await resumable(command) : undefined;
  const flags: Record<string, unknown> = resume
    ? { ...resume.state.flags, checkpoints: command.opts().checkpoints }
    : { ...command.opts() };
  delete flags.resume;
  const opts = parseFlags("train", TrainFlagsSchema, flags);
  if (opts.incremental && !resume) {
    refuseTypedFlags(
      command,
      SHAPE_FLAGS,
      "--incremental",
      "fine-tuning keeps the current model's architecture, lookback, horizon, label rule and scaler",
    );
  }
  await withInterrupt(
    {
      first: "stopping after this batch; the best weights so far will be saved (Ctrl-C again to quit now)",
      second: "candlecast: stopped without saving; checkpoints/current is untouched; " +
        "'candlecast train --resume' continues from the last finished epoch",
    },
    async (signal) => {
      const outcome = await runTraining(opts, {
        out: (line) => console.log(line),
        progress: terminalProgress(),
        signal,
        flags,
        resume,
      });
      if (outcome.onnxError) {
        throw new CommandError(
          `the ONNX export failed (${outcome.onnxError.message}); ${outcome.version} was saved without ` +
            "model.onnx and not promoted",
          `retry with 'candlecast export --checkpoint ${outcome.dir} --output ${outcome.dir}/model.onnx'`,
        );
      }
      if (outcome.interrupted) {
        throw new CommandError(
          `training was interrupted; the best weights so far are saved as ${outcome.version} (not promoted)`,
          `serve it with 'candlecast models promote ${outcome.version}'` +
            (outcome.resumable ? ", or finish the run with 'candlecast train --resume'" : ""),
        );
      }
    },
  );
}

export function trainCommand(): Command {
  const command = new Command("train")
    .summary("train a model on a training CSV into a new checkpoint version")
    .description(
      "Trains on a training CSV (from 'candlecast collect'): each symbol is split by time into train,\n" +
        "validation and test (70/15/15, or --split-dates), with `horizon` candles dropped at each cut. The\n" +
        "scaler and class weights come from the training split only. The result is a new version\n" +
        "checkpoints/v{N}_{date}/ with test metrics beside baselines; 'current' moves to it unless --no-promote.",
    )
    .option("--data <path>", "training CSV from 'candlecast collect'", "data/training_data.csv")
    .addOption(
      new Option("--model <type>", "model architecture").choices(["transformer_lstm", "lightweight_lstm"])
        .default("transformer_lstm"),
    )
    .option("--batch-size <n>", "samples per gradient step", String(D.batchSize))
    .option(
      "--epochs <n>",
      "epochs (each of --max-windows-per-epoch windows); with one_cycle this is the schedule's length",
      String(D.epochs),
    )
    .option(
      "--learning-rate <lr>",
      "peak (one_cycle) or base (warmup) AdamW learning rate",
      String(D.learningRate),
    )
    .addOption(
      new Option("--schedule <name>", "learning-rate schedule: one_cycle (rise 30 %, cosine fall) or warmup")
        .choices([...LR_SCHEDULES]).default(D.schedule),
    )
    .option("--weight-decay <w>", "decoupled (AdamW) weight decay; 0 for plain Adam", String(D.weightDecay))
    .option(
      "--patience <n>",
      "epochs without improvement of the calibrated validation log-loss before stopping",
      String(D.patience),
    )
    .option("--lookback <n>", "candles per window", "50")
    .option("--horizon <n>", "candles ahead the label looks", "4")
    .option("--checkpoints <dir>", "where versions are stored", "checkpoints")
    .option("--seed <n>", "random seed: the same seed on the same backend trains identically", "42")
    .option("--incremental", "fine-tune the current model on the data since its data end")
    .option(
      "--workers <n>",
      "train ensemble members in this many worker threads at once, one core each (default: the number of " +
        "cores, at most --members); the result is the same as with 1",
    )
    .addOption(
      new Option("--backend <name>", "tfjs backend").choices(["auto", "tensorflow", "wasm", "cpu"]).default(
        "auto",
      ),
    )
    .option("--split-dates <dates...>", "validation and test start dates, e.g. 2022-01-01,2023-01-01")
    .option(
      "--max-windows-per-epoch <n>",
      "train each epoch on a fresh random subset of this many windows",
      String(D.maxWindowsPerEpoch),
    )
    .option(
      "--max-validation-windows <n>",
      "validate on a fixed random subset of this many windows",
      String(D.maxValidationWindows),
    )
    .option("--no-promote", "keep 'current' where it is")
    .option(
      "--resume",
      "continue the newest run in --checkpoints that was killed (kill -9, power loss) or interrupted " +
        "(Ctrl-C, SIGTERM), with the flags it was started with: finished ensemble members are kept, an " +
        "interrupted one continues from its best weights and epoch count, the rest train as they would have",
    )
    .option(
      "--threshold <r>",
      "fixed label threshold τ (a return fraction) instead of 0.5·volatility_20·√horizon",
    )
    .option("--d-model <n>", `transformer width (default ${M.dModel})`)
    .option("--heads <n>", `attention heads (default ${M.heads})`)
    .option("--ffn <n>", `transformer feed-forward width (default ${M.ffnDim})`)
    .option("--encoder-layers <n>", `transformer encoder layers (default ${M.encoderLayers})`)
    .option("--lstm-hidden <n>", `LSTM hidden size per direction (default ${M.lstmHidden})`)
    .option("--layers <n>", `LSTM layers (default ${M.lstmLayers})`)
    .option("--dropout <p>", `dropout rate (default ${M.dropout})`)
    .option(
      "--members <n>",
      `independently trained copies whose probabilities are averaged into one model (default ${M.members})`,
    )
    .option(
      "--volatility-channels",
      "append volatility-relative input channels inside the model (each return-like feature ÷ its candle's " +
        `volatility_20, and ln(volatility_5/volatility_20)) (default ${M.volatilityChannels ? "on" : "off"})`,
    )
    .option("--no-volatility-channels", "without those channels")
    .option(
      "--class-weights <rule>",
      "class weights from the training split: balanced (1/n_c), sqrt (1/√n_c), none, or a power α of " +
        "n_c^−α; stronger weights spread predictions over classes at some cost in log-loss",
      "none",
    )
    .option("--label-smoothing <eps>", "label smoothing ε", "0")
    .option(
      "--warmup-steps <n>",
      "warmup schedule only: linear warm-up over this many steps",
      String(D.warmupSteps),
    )
    .option("--clip-norm <n>", "clip gradients to this global norm", String(D.clipNorm))
    .option(
      "--regression-weight <w>",
      "weight of the return MSE beside the cross-entropy",
      String(D.regressionWeight),
    )
    .option(
      "--auxiliary-weight <w>",
      "weight of each auxiliary target (next candles' volatility-scaled return and volatility ratio); 0: none",
      String(D.auxiliaryWeight),
    )
    .option("--clip <n>", "clip standardised inputs (and return targets) to ±n", "5");
  return command.action(() => train(command));
}
