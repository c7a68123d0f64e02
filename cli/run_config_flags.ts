/**
 * The run configuration's flags (model shape, training, data), defined once for `train` and `evaluate` so both
 * take the same names and show the same defaults, and `runConfigOf`, the one place flags become a `RunConfig`.
 *
 * A flag the user did not type is absent (`typedRunConfigFlags`), not its default: a config read back from a
 * version (`--incremental`, `--config-from`, `evaluate --checkpoint`) keeps its own values, and only flags
 * typed explicitly override them. Without such a base the defaults are `ml/train/run_config.ts`'s, which is
 * also where --help's defaults come from.
 */
import { type Command, Option } from "commander";
import { z } from "zod";
import { decimalInteger, flag, splitList } from "./flags.ts";
import { UsageError } from "./errors.ts";
import { DEFAULT_LOOKBACK } from "../features/index.ts";
import { MODEL_TYPES } from "../engine/index.ts";
import { AUXILIARY_HORIZONS, CLASS_WEIGHTINGS } from "../ml/data/index.ts";
import { VOLATILITY_REFERENCES } from "../ml/layers/index.ts";
import {
  batchFitProblem,
  defaultModelConfig,
  HEAD_INPUTS,
  type ModelConfig,
  modelConfigProblem,
  weightsFitProblem,
} from "../ml/models/index.ts";
import {
  DEFAULT_DATA_CONFIG,
  DEFAULT_MODEL_TYPE,
  DEFAULT_TRAINING_RECIPE as D,
  LR_SCHEDULES,
  type RunConfig,
  type TrainingRecipe,
} from "../ml/train/index.ts";

const M = defaultModelConfig(DEFAULT_MODEL_TYPE, DEFAULT_LOOKBACK);

const fraction = (what: string) => flag.number(what, (n) => n.min(0).lt(1));
const nonNegative = () => flag.number("a number ≥ 0", (n) => n.min(0));

const splitDates = z.union([z.string(), z.array(z.string())]).optional().transform((value, ctx) => {
  if (value === undefined) return undefined;
  const parts = splitList(value);
  if (parts.length !== 2) {
    ctx.addIssue({
      code: "custom",
      message: "expected two dates YYYY-MM-DD,YYYY-MM-DD (validation start, test start)",
    });
    return z.NEVER;
  }
  for (const part of parts) {
    const date = flag.date().safeParse(part);
    if (!date.success) {
      ctx.addIssue({ code: "custom", message: `${part}: ${date.error.issues[0]?.message ?? "not a date"}` });
      return z.NEVER;
    }
  }
  const [validationStart, testStart] = parts.map((p) => Date.parse(p + "T00:00:00Z"));
  if (!(validationStart < testStart)) {
    ctx.addIssue({ code: "custom", message: "the validation start must come before the test start" });
    return z.NEVER;
  }
  return { validationStart, testStart, text: parts as [string, string] };
});

const MAX_EPOCHS = 10_000;
const WINDOWS_MESSAGE = "expected window lengths of at least 2 candles, e.g. 50,25";
const memberLookbacks = z.union([z.string(), z.array(z.string())]).optional().transform((value, ctx) => {
  if (value === undefined) return undefined;
  const parts = splitList(value).map(decimalInteger);
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n < 2)) {
    ctx.addIssue({ code: "custom", message: WINDOWS_MESSAGE });
    return z.NEVER;
  }
  return parts;
});

const SHARE = "a fraction in (0, 1]";
const HALF_LIFE = "a number of days > 0, or off";
// "off" (the default) draws windows uniformly; a number of days weights them by recency.
const halfLife = flag.notEmpty(
  HALF_LIFE,
  z.union([z.literal("off").transform(() => Infinity), flag.number(HALF_LIFE, (n) => n.gt(0))], {
    error: `expected ${HALF_LIFE}`,
  }),
);
const WEIGHTING_WORDS = `${CLASS_WEIGHTINGS.join(", ")} or a power between 0 and 1`;
const WEIGHTING_MESSAGE = `expected ${WEIGHTING_WORDS}`;

/** The run configuration's flags, every one optional: absent means "not typed". */
export const RunConfigFlagsSchema = z.object({
  model: z.enum(MODEL_TYPES).optional(),
  lookback: flag.positiveInt().refine((n) => n >= 2, "expected at least 2 candles").optional(),
  horizon: flag.positiveInt().optional(),
  threshold: flag.positiveNumber("a positive return fraction, e.g. 0.005").optional(),
  clip: flag.positiveNumber().optional(),
  splitDates,
  dModel: flag.positiveInt().optional(),
  heads: flag.positiveInt().optional(),
  ffn: flag.positiveInt().optional(),
  encoderLayers: flag.positiveInt().optional(),
  lstmHidden: flag.positiveInt().optional(),
  layers: flag.positiveInt().optional(),
  dropout: fraction("a dropout rate in [0, 1)").optional(),
  members: flag.positiveInt().optional(),
  volatilityChannels: z.boolean().optional(),
  volatilityReference: z.enum(VOLATILITY_REFERENCES).optional(),
  headInput: z.enum(HEAD_INPUTS).optional(),
  memberLookbacks,
  batchSize: flag.positiveInt().optional(),
  // One-cycle spreads its schedule over --epochs: a slip like 1000000000 would hold the rate at its start.
  epochs: flag.positiveInt().refine((n) => n <= MAX_EPOCHS, `expected at most ${MAX_EPOCHS} epochs`)
    .optional(),
  learningRate: flag.positiveNumber().optional(),
  schedule: z.enum(LR_SCHEDULES).optional(),
  weightDecay: nonNegative().optional(),
  patience: flag.positiveInt().optional(),
  warmupSteps: flag.nonNegativeInt().optional(),
  clipNorm: flag.positiveNumber().optional(),
  regressionWeight: nonNegative().optional(),
  auxiliaryWeight: nonNegative().optional(),
  auxiliaryHorizons: z.enum(AUXILIARY_HORIZONS).optional(),
  // Empty was read as the power 0 (classWeighting 0 in the manifest), as if chosen: refused as empty.
  classWeights: flag.notEmpty(
    WEIGHTING_WORDS,
    z.union([z.enum(CLASS_WEIGHTINGS), flag.number(WEIGHTING_WORDS, (n) => n.min(0).max(1))], {
      error: WEIGHTING_MESSAGE,
    }),
  ).optional(),
  labelSmoothing: fraction("a label smoothing ε in [0, 1)").optional(),
  distillWeight: fraction("a distillation weight α in [0, 1)").optional(),
  maxWindowsPerEpoch: flag.positiveInt().optional(),
  epochFraction: flag.number(SHARE, (n) => n.gt(0).max(1)).optional(),
  recencyHalfLife: halfLife.optional(),
  maxValidationWindows: flag.positiveInt().optional(),
  seed: flag.nonNegativeInt().optional(),
});

export type RunConfigFlags = z.infer<typeof RunConfigFlagsSchema>;

export const RUN_CONFIG_KEYS = Object.keys(RunConfigFlagsSchema.shape) as (keyof RunConfigFlags)[];

/**
 * Flags that shape the model or its input: a version read back keeps its own (`--incremental` and
 * `evaluate --checkpoint` refuse them typed; `runConfigOf` with `keepShape` ignores them).
 */
export const SHAPE_FLAGS = [
  "model",
  "lookback",
  "horizon",
  "threshold",
  "dModel",
  "heads",
  "ffn",
  "encoderLayers",
  "lstmHidden",
  "layers",
  "dropout",
  "members",
  "volatilityChannels",
  "volatilityReference",
  "headInput",
  "memberLookbacks",
  "clip",
] as const;

/** The flags, in --help order; defaults shown are the ones `runConfigOf` fills in. */
function runConfigOptions(): Option[] {
  return [
    new Option("--model <type>", "model architecture").choices([...MODEL_TYPES]).default(DEFAULT_MODEL_TYPE),
    new Option("--lookback <n>", "candles per window").default(String(DEFAULT_LOOKBACK)),
    new Option("--horizon <n>", "candles ahead the label looks").default(String(DEFAULT_DATA_CONFIG.horizon)),
    new Option(
      "--threshold <r>",
      "fixed label threshold τ, a return fraction (0.005 = a 0.5 % move), instead of " +
        "0.5·volatility_20·√horizon",
    ),
    new Option("--clip <n>", "clip standardised inputs (and return targets) to ±n")
      .default(String(DEFAULT_DATA_CONFIG.clip)),
    new Option(
      "--split-dates <dates...>",
      "validation and test start dates, each from 00:00 UTC, e.g. 2022-01-01,2023-01-01",
    ),
    new Option("--d-model <n>", "transformer_lstm: the transformer's width").default(String(M.dModel)),
    new Option("--heads <n>", "transformer_lstm: attention heads").default(String(M.heads)),
    new Option("--ffn <n>", "transformer_lstm: the feed-forward width").default(String(M.ffnDim)),
    new Option("--encoder-layers <n>", "transformer_lstm: encoder layers").default(String(M.encoderLayers)),
    new Option("--lstm-hidden <n>", "LSTM hidden size per direction").default(String(M.lstmHidden)),
    new Option("--layers <n>", "LSTM layers").default(String(M.lstmLayers)),
    new Option("--dropout <p>", "dropout rate").default(String(M.dropout)),
    new Option(
      "--members <n>",
      "independently trained copies whose probabilities are averaged into one model",
    ).default(String(M.members)),
    // A switch without a commander default: absent means "not typed", so a recorded config keeps its own.
    new Option(
      "--volatility-channels",
      "append volatility-relative input channels inside the model (each return-like feature ÷ a volatility_20 " +
        `chosen by --volatility-reference, and ln(volatility_5/volatility_20)) (default: on for transformer_lstm, off for ` +
        "lightweight_lstm)",
    ),
    new Option("--no-volatility-channels", "without those channels"),
    new Option(
      "--volatility-reference <which>",
      "what the channels divide by. candle: each candle's own volatility_20; last: the window's last " +
        "candle's (the labels' scale), for every timestep; last-path: last, plus the window's log close path " +
        "(in its units) and log volume path to that candle",
    ).choices([...VOLATILITY_REFERENCES]).default(M.volatilityReference ?? "candle"),
    new Option(
      "--head-input <what>",
      "transformer_lstm: what the class and return heads read. pooled: the attention-pooled summary; " +
        "pooled_last: that and the last timestep's BiLSTM output; pooled_last_input: both and the last " +
        "candle's input channels",
    ).choices([...HEAD_INPUTS]).default(M.headInput ?? "pooled"),
    new Option(
      "--member-lookbacks <list...>",
      "the members' own window lengths, cycled over the members, each at most --lookback (50,25: odd " +
        "members read all 50 candles, even ones the last 25). Measured: a tie with the default out of time, " +
        "at twice the cost, in docs/training.md",
    ).default(memberLookbacksDefault(M), memberLookbacksHelp(M)),
    new Option("--batch-size <n>", "samples per gradient step").default(String(D.batchSize)),
    new Option(
      "--epochs <n>",
      "epochs (each of --max-windows-per-epoch windows); with one_cycle this is the schedule's length",
    ).default(String(D.epochs)),
    new Option("--learning-rate <lr>", "peak (one_cycle) or base (warmup) AdamW learning rate")
      .default(String(D.learningRate)),
    new Option("--schedule <name>", "learning-rate schedule: one_cycle (rise 30 %, cosine fall) or warmup")
      .choices([...LR_SCHEDULES]).default(D.schedule),
    new Option("--warmup-steps <n>", "warmup schedule only: linear warm-up over this many steps")
      .default(String(D.warmupSteps)),
    new Option("--weight-decay <w>", "decoupled (AdamW) weight decay; 0 for plain Adam")
      .default(String(D.weightDecay)),
    new Option("--clip-norm <n>", "clip gradients to this global norm").default(String(D.clipNorm)),
    new Option(
      "--patience <n>",
      "epochs without improvement of the calibrated validation log-loss before stopping",
    ).default(String(D.patience)),
    new Option(
      "--class-weights <rule>",
      "class weights from the training split: balanced (1/n_c), sqrt (1/√n_c), none, or a power α in 0–1 " +
        "(n_c^−α); stronger weights spread predictions over classes at some cost in log-loss",
    ).default(String(D.classWeighting)),
    new Option("--label-smoothing <eps>", "label smoothing ε").default(String(D.labelSmoothing)),
    new Option(
      "--distill-weight <alpha>",
      "distillation: class targets become (1 − α)·label + α·gradient boosting's probabilities, each window's " +
        "predicted out of fold (4 calendar-time blocks; 5 boosting fits first, about a minute on 240,000 1h " +
        "candles; switched off below 20,000 training windows, which the log and the manifest say); 0: off",
    ).default(String(D.distillWeight)),
    new Option("--regression-weight <w>", "weight of the return MSE beside the cross-entropy")
      .default(String(D.regressionWeight)),
    new Option(
      "--auxiliary-weight <w>",
      "weight of each kind of auxiliary target (next candles' volatility-scaled return, volatility ratio), " +
        "shared among --auxiliary-horizons; 0: none",
    ).default(String(D.auxiliaryWeight)),
    new Option(
      "--auxiliary-horizons <which>",
      "the auxiliary targets' horizons (an --auxiliary-weight above 0 only): the label's --horizon only, or " +
        "every one from 1 to it (the weight is shared among them)",
    ).choices([...AUXILIARY_HORIZONS]).default(D.auxiliaryHorizons),
    new Option(
      "--max-windows-per-epoch <n>",
      "train each epoch on a fresh random subset of this many windows",
    ).default(String(D.maxWindowsPerEpoch)),
    new Option(
      "--epoch-fraction <f>",
      "train each epoch on at most this fraction of the training windows too (the smaller limit wins), so " +
        "--epochs spans about epochs × f passes over the data whatever its size (1: no limit)",
    ).default(String(D.epochFraction)),
    new Option(
      "--recency-half-life <days>",
      "draw training windows with a probability that halves every <days> of age before the newest one " +
        "(with replacement; recent regimes weigh more), or off: every window alike",
    ).default(Number.isFinite(D.recencyHalfLife) ? String(D.recencyHalfLife) : "off"),
    new Option(
      "--max-validation-windows <n>",
      "validate (and stop early) on a fixed random subset of this many windows",
    ).default(String(D.maxValidationWindows)),
    new Option(
      "--seed <n>",
      "random seed: the same seed, backend and --workers train identically (--workers defaults to the " +
        "number of cores and is recorded in manifest.json and evaluation.json; another number trains the same " +
        "up to float rounding)",
    )
      .default(String(D.seed)),
  ];
}

/** The default --member-lookbacks as the flag's value (absent: every member reads --lookback). */
function memberLookbacksDefault(m: ModelConfig): string | undefined {
  return m.memberLookbacks?.join(",");
}

function memberLookbacksHelp(m: ModelConfig): string {
  return m.memberLookbacks ? m.memberLookbacks.join(",") : "every member reads --lookback";
}

/**
 * Adds the run configuration's flags to `command`. `skip`: flags the command has no use for (evaluate cuts its
 * own folds, so it has no --split-dates).
 */
export function addRunConfigFlags(command: Command, skip: readonly string[] = []): Command {
  for (const option of runConfigOptions()) {
    if (!skip.includes(option.attributeName())) command.addOption(option);
  }
  return command;
}

/** The command's options with the run configuration's flags the user did not type left out. */
export function typedRunConfigFlags(command: Command): Record<string, unknown> {
  const opts: Record<string, unknown> = { ...command.opts() };
  for (const key of RUN_CONFIG_KEYS) {
    if (command.getOptionValueSource(key) === "default") delete opts[key];
  }
  return opts;
}

const MODEL_FLAGS: Record<string, string> = {
  dModel: "--d-model",
  heads: "--heads",
  ffnDim: "--ffn",
  encoderLayers: "--encoder-layers",
  lstmHidden: "--lstm-hidden",
  lstmLayers: "--layers",
  dropout: "--dropout",
  members: "--members",
  lookback: "--lookback",
  memberLookbacks: "--member-lookbacks",
};

function checkedModel(config: ModelConfig, command: string): ModelConfig {
  const problem = modelConfigProblem(config);
  if (problem) {
    const flagged = problem.replace(
      /\b(dModel|heads|ffnDim|encoderLayers|lstmHidden|lstmLayers|dropout|memberLookbacks|members|lookback)\b/g,
      (k) => MODEL_FLAGS[k],
    );
    throw new UsageError(
      `model size: ${flagged}`,
      `run 'candlecast ${command} --help' for the model size flags`,
    );
  }
  return config;
}

export interface RunConfigBase {
  /** A version's recorded config that typed flags override. */
  readonly config: RunConfig;
  /** Keep the version's model and window shape whatever the flags say (fine-tuning its weights). */
  readonly keepShape: boolean;
}

/**
 * The one place flags become a run configuration: typed flags over `base` (a version's recorded config) over
 * the defaults. The split is never inherited: a date split belongs to the data it was cut from.
 */
export function runConfigOf(
  flags: Partial<RunConfigFlags>,
  base?: RunConfigBase,
  command = "train",
  /** `train --resume`: the run's own flags, which may predate the refusal of unused transformer flags. */
  resumed = false,
): RunConfig {
  let f = flags;
  const b = base?.config;
  const training: TrainingRecipe = {
    ...(b?.training ?? D),
    ...defined({
      epochs: f.epochs,
      batchSize: f.batchSize,
      learningRate: f.learningRate,
      schedule: f.schedule,
      warmupSteps: f.warmupSteps,
      weightDecay: f.weightDecay,
      clipNorm: f.clipNorm,
      patience: f.patience,
      classWeighting: f.classWeights,
      labelSmoothing: f.labelSmoothing,
      distillWeight: f.distillWeight,
      regressionWeight: f.regressionWeight,
      auxiliaryWeight: f.auxiliaryWeight,
      auxiliaryHorizons: f.auxiliaryHorizons,
      maxWindowsPerEpoch: f.maxWindowsPerEpoch,
      epochFraction: f.epochFraction,
      recencyHalfLife: f.recencyHalfLife,
      maxValidationWindows: f.maxValidationWindows,
      seed: f.seed,
    }),
  };
  // A run started before these were refused continues as it trained (--resume takes no other flags).
  if (!resumed) refuseUnusedRecipeFlags(f, training, b?.training ?? D);
  const split = f.splitDates
    ? {
      kind: "dates" as const,
      validationStart: f.splitDates.validationStart,
      testStart: f.splitDates.testStart,
    }
    : DEFAULT_DATA_CONFIG.split;
  if (b && base.keepShape) return { model: b.model, training, data: { ...b.data, split } };

  const type = f.model ?? b?.model.type ?? DEFAULT_MODEL_TYPE;
  if (type !== "transformer_lstm") {
    // A run started before they were refused continues as it trained: they shaped nothing then either, and
    // --resume takes no other flags, so refusing them would leave it no way forward.
    if (resumed) f = withoutTransformerFlags(f);
    else refuseTransformerFlags(f, type, command);
  }
  const lookback = f.lookback ?? b?.model.lookback ?? DEFAULT_LOOKBACK;
  // Another type than the recorded one takes that type's default size, but keeps the ensemble the recipe
  // recorded (members and their windows are no size of either type): `--config-from V --model
  // lightweight_lstm` on a one-member recipe silently trained three (a practitioner's trial).
  const sizes = b && b.model.type === type ? { ...b.model, lookback } : {
    ...defaultModelConfig(type, lookback),
    ...(b && { members: b.model.members }),
    ...(b?.model.memberLookbacks && { memberLookbacks: b.model.memberLookbacks }),
    // What the version serves beside the network (train --blend-boosting) is no size of either type either.
    ...(b?.model.boostingBlend !== undefined && { boostingBlend: b.model.boostingBlend }),
  };
  const model = checkedModel({
    ...sizes,
    ...defined({
      dModel: f.dModel,
      heads: f.heads,
      ffnDim: f.ffn,
      encoderLayers: f.encoderLayers,
      lstmHidden: f.lstmHidden,
      lstmLayers: f.layers,
      dropout: f.dropout,
      members: f.members,
      volatilityChannels: f.volatilityChannels,
      volatilityReference: f.volatilityReference,
      headInput: f.headInput,
      memberLookbacks: f.memberLookbacks,
    }),
  }, command);
  if (
    !resumed && f.volatilityReference !== undefined && f.volatilityReference !== sizes.volatilityReference &&
    !model.volatilityChannels
  ) {
    // Recorded in the manifest as if it had shaped the model, which has no such channels to divide.
    throw new UsageError(
      `--volatility-reference chooses what the volatility channels divide by, and this ${type} has none ` +
        `(${f.volatilityChannels === false ? "--no-volatility-channels" : `${type}'s default`})`,
      "leave it out, or add --volatility-channels",
    );
  }
  const data = b?.data ?? DEFAULT_DATA_CONFIG;
  return {
    model,
    training,
    data: {
      horizon: f.horizon ?? data.horizon,
      labelRule: f.threshold !== undefined ? { kind: "fixed", threshold: f.threshold } : data.labelRule,
      clip: f.clip ?? data.clip,
      split,
    },
  };
}

/**
 * A recipe flag the run never reads: typed, it was recorded in the manifest as if it had shaped the run
 * (`--warmup-steps` under the default one_cycle schedule, `--auxiliary-horizons` with `--auxiliary-weight 0`),
 * so it is refused instead, unless it is the value recorded anyway.
 */
function refuseUnusedRecipeFlags(
  f: Partial<RunConfigFlags>,
  training: TrainingRecipe,
  /** What the manifest records without the flags (a version's recipe, or the defaults): typed again, it changes nothing. */
  recorded: TrainingRecipe,
): void {
  if (
    f.auxiliaryHorizons !== undefined && f.auxiliaryHorizons !== recorded.auxiliaryHorizons &&
    training.auxiliaryWeight === 0
  ) {
    throw new UsageError(
      "--auxiliary-horizons chooses the horizons of the auxiliary targets, and this run has none " +
        `(${f.auxiliaryWeight === 0 ? "--auxiliary-weight 0" : "its recorded --auxiliary-weight is 0"})`,
      `leave it out, or give --auxiliary-weight above 0 (default ${D.auxiliaryWeight})`,
    );
  }
  if (
    f.warmupSteps !== undefined && f.warmupSteps !== recorded.warmupSteps && training.schedule !== "warmup"
  ) {
    throw new UsageError(
      `--warmup-steps applies to the warmup schedule only, and this run's is ${training.schedule}, which ` +
        "rises over its first 30 % of updates",
      "leave it out, or add --schedule warmup",
    );
  }
}

/** The flags that shape only the transformer_lstm's encoder and heads, as the user types them. */
const TRANSFORMER_ONLY_FLAGS = {
  dModel: "--d-model",
  heads: "--heads",
  ffn: "--ffn",
  encoderLayers: "--encoder-layers",
  headInput: "--head-input",
} as const;

/**
 * A model without a transformer has nothing these flags could shape: typed with one, they would be dropped
 * from the network yet recorded in the manifest (as if they had shaped it), so they are refused instead.
 */
function refuseTransformerFlags(f: Partial<RunConfigFlags>, type: string, command: string): void {
  const typed = Object.entries(TRANSFORMER_ONLY_FLAGS).filter(([key]) =>
    f[key as keyof typeof TRANSFORMER_ONLY_FLAGS] !== undefined
  ).map(([, name]) => name);
  if (typed.length === 0) return;
  throw new UsageError(
    `${typed.join(", ")} shape${typed.length === 1 ? "s" : ""} the transformer_lstm only; ${type} has no ` +
      "transformer encoder",
    `leave ${
      typed.length === 1 ? "it" : "them"
    } out, or add --model transformer_lstm ('candlecast ${command} ` +
      "--help' lists the flags)",
  );
}

function withoutTransformerFlags(f: Partial<RunConfigFlags>): Partial<RunConfigFlags> {
  const kept: Partial<RunConfigFlags> = { ...f };
  for (const key of Object.keys(TRANSFORMER_ONLY_FLAGS) as (keyof typeof TRANSFORMER_ONLY_FLAGS)[]) {
    delete kept[key];
  }
  return kept;
}

/** `o` without its undefined fields (so spreading it keeps what it overrides). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A batch whose attention scores would not fit tfjs-wasm's heap, refused before any data is prepared (exit 2):
 * `ml/models`' `batchFitProblem` says why; train and `evaluate` refuse it alike (here,
 * beside the flags that set the sizes, so evaluate need not load train's code).
 */
export function requireBatchFits(config: RunConfig): void {
  const problem = batchFitProblem(config);
  if (problem) throw new UsageError(problem.message, problem.hint);
}

/**
 * Sizes whose weights would pass half of tfjs-wasm's heap, refused before any data is prepared (exit 2):
 * `ml/models`' `weightsFitProblem` says why, its hint naming `command`'s `--help`.
 */
export function requireWeightsFit(model: ModelConfig, command: "train" | "evaluate" = "train"): void {
  const problem = weightsFitProblem(model, command);
  if (problem) throw new UsageError(problem.message, problem.hint);
}
