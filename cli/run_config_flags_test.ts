import assert from "node:assert/strict";
import type { Command, Option } from "commander";
import { defaultModelConfig } from "../ml/models/index.ts";
import { DEFAULT_SPLIT } from "../ml/data/index.ts";
import {
  DEFAULT_TRAIN_CONFIG,
  defaultRunConfig,
  type RunConfig,
  runConfigJson,
  RunConfigSchema,
} from "../ml/train/index.ts";
import { UsageError } from "./errors.ts";
import {
  RUN_CONFIG_KEYS,
  type RunConfigBase,
  RunConfigFlagsSchema,
  runConfigOf,
  typedRunConfigFlags,
} from "./run_config_flags.ts";
import { trainCommand } from "./train.ts";
import { evaluateCommand } from "./evaluate.ts";

const parse = (raw: Record<string, unknown>) => RunConfigFlagsSchema.parse(raw);

/** A version's recorded configuration, different from the defaults everywhere. */
const recorded: RunConfig = {
  model: { ...defaultModelConfig("transformer_lstm", 24), dModel: 16, heads: 2, lstmHidden: 8, members: 2 },
  training: {
    ...defaultRunConfig().training,
    epochs: 9,
    labelSmoothing: 0.1,
    classWeighting: "sqrt",
    seed: 5,
  },
  data: {
    horizon: 6,
    labelRule: { kind: "fixed", threshold: 0.004 },
    clip: 7,
    split: { kind: "dates", validationStart: 1, testStart: 2 },
  },
};

Deno.test("no flags: the default recipe, the one ml/ defines (default training unchanged)", () => {
  const config = runConfigOf(parse({}));
  assert.deepEqual(config, defaultRunConfig());
  assert.deepEqual(config.model, defaultModelConfig("transformer_lstm", 50));
  assert.deepEqual(config.training, { ...DEFAULT_TRAIN_CONFIG, classWeighting: "none" });
  assert.deepEqual(config.data, {
    horizon: 4,
    labelRule: { kind: "volatility", multiplier: 0.5 },
    clip: 5,
    split: DEFAULT_SPLIT,
  });
});

Deno.test("commander's defaults, parsed, build the same config as no flags at all", () => {
  const command = trainCommand();
  command.parseOptions([]);
  const defaults = Object.fromEntries(RUN_CONFIG_KEYS.map((k) => [k, command.getOptionValue(k)]));
  assert.deepEqual(runConfigOf(parse(defaults)), runConfigOf(parse({})));
});

Deno.test("typed flags override a recorded config; untyped ones keep it; the split is never inherited", () => {
  const config = runConfigOf(parse({ epochs: "2", members: "1" }), { config: recorded, keepShape: false });
  assert.deepEqual(config.model, { ...recorded.model, members: 1 });
  assert.deepEqual(config.training, { ...recorded.training, epochs: 2 });
  assert.deepEqual(config.data, { ...recorded.data, split: DEFAULT_SPLIT });
  // Another model type starts from that type's default size, at the recorded window length, with the recorded
  // ensemble (before: the type's default 3 members, so a one-member recipe silently trained three).
  const other = runConfigOf(parse({ model: "lightweight_lstm" }), { config: recorded, keepShape: false });
  assert.deepEqual(other.model, { ...defaultModelConfig("lightweight_lstm", 24), members: 2 });
  assert.deepEqual(other.training, recorded.training);
  // A recorded blend (train --blend-boosting) is kept too, as --config-from keeps it for the same type.
  const blended = { ...recorded, model: { ...recorded.model, boostingBlend: 0.5 } };
  const otherBlended = runConfigOf(parse({ model: "lightweight_lstm" }), {
    config: blended,
    keepShape: false,
  });
  assert.equal(otherBlended.model.boostingBlend, 0.5);
  assert.equal(runConfigOf(parse({}), { config: blended, keepShape: false }).model.boostingBlend, 0.5);
});

Deno.test("keepShape (fine-tuning, a checkpoint): shape flags are ignored, training flags still override", () => {
  const config = runConfigOf(
    parse({
      lookback: "30",
      dModel: "64",
      clip: "3",
      threshold: "0.01",
      patience: "1",
      splitDates: "2023-01-01,2023-06-01",
    }),
    { config: recorded, keepShape: true },
  );
  assert.deepEqual(config.model, recorded.model);
  assert.deepEqual(config.training, { ...recorded.training, patience: 1 });
  assert.deepEqual(config.data, {
    ...recorded.data,
    split: { kind: "dates", validationStart: Date.UTC(2023, 0, 1), testStart: Date.UTC(2023, 5, 1) },
  });
});

Deno.test("a model size the builder refuses is a usage error naming the flags and the command", () => {
  assert.throws(
    () => runConfigOf(parse({ dModel: "30", heads: "4" }), undefined, "evaluate"),
    (e: unknown) =>
      e instanceof UsageError && /--d-model \(30\) must be a multiple of --heads \(4\)/.test(e.message) &&
      /candlecast evaluate --help/.test(e.hint ?? ""),
  );
});

Deno.test("transformer-only flags with a model that has no transformer are refused, not recorded unused", () => {
  assert.throws(
    () => runConfigOf(parse({ model: "lightweight_lstm", dModel: "64", headInput: "pooled_last_input" })),
    (e: unknown) =>
      e instanceof UsageError &&
      /--d-model, --head-input shape the transformer_lstm only; lightweight_lstm has no transformer/.test(
        e.message,
      ) && /--model transformer_lstm/.test(e.hint ?? ""),
  );
  // A recorded lightweight_lstm config rebuilt with a typed --heads: the same refusal.
  const lightweight = runConfigOf(parse({ model: "lightweight_lstm" }));
  assert.throws(
    () => runConfigOf(parse({ heads: "2" }), { config: lightweight, keepShape: false }, "evaluate"),
    (e: unknown) =>
      e instanceof UsageError && /^--heads shapes/.test(e.message) && /evaluate --help/.test(e.hint ?? ""),
  );
  // A run resumed from before the refusal continues: the flags are dropped, as the network always ignored them.
  const resumed = runConfigOf(parse({ model: "lightweight_lstm", dModel: "64" }), undefined, "train", true);
  assert.deepEqual(resumed.model, runConfigOf(parse({ model: "lightweight_lstm" })).model);
  // The flags the lightweight model does use still apply.
  assert.equal(runConfigOf(parse({ model: "lightweight_lstm", lstmHidden: "8" })).model.lstmHidden, 8);
});

Deno.test("--volatility-reference without the channels, or --warmup-steps without the warmup schedule, is refused", () => {
  // Before: both were accepted and recorded in the manifest as if they had shaped the run.
  for (
    const [flags, message] of [
      [
        { model: "lightweight_lstm", volatilityReference: "last-path" },
        /this lightweight_lstm has none \(lightweight_lstm's default\)/,
      ],
      [
        { volatilityChannels: false, volatilityReference: "candle" },
        /this transformer_lstm has none \(--no-volatility-channels\)/,
      ],
    ] as const
  ) {
    assert.throws(
      () => runConfigOf(parse(flags)),
      (e: unknown) =>
        e instanceof UsageError && /^--volatility-reference chooses /.test(e.message) &&
        message.test(e.message) &&
        /--volatility-channels/.test(e.hint ?? ""),
    );
  }
  assert.throws(
    () => runConfigOf(parse({ warmupSteps: "50" })),
    (e: unknown) =>
      e instanceof UsageError &&
      /^--warmup-steps applies to the warmup schedule only, and this run's is one_cycle/
        .test(e.message) &&
      /--schedule warmup/.test(e.hint ?? ""),
  );
  // A recorded warmup recipe (--config-from) takes it, as does the schedule typed; and with the channels, the
  // reference applies (the lightweight model's too, when asked for).
  const warmup = runConfigOf(parse({ schedule: "warmup" }));
  assert.equal(
    runConfigOf(parse({ warmupSteps: "50" }), { config: warmup, keepShape: false }).training.warmupSteps,
    50,
  );
  assert.equal(runConfigOf(parse({ schedule: "warmup", warmupSteps: "50" })).training.warmupSteps, 50);
  assert.equal(
    runConfigOf(parse({ model: "lightweight_lstm", volatilityChannels: true, volatilityReference: "last" }))
      .model
      .volatilityReference,
    "last",
  );
  // A run resumed from before the refusal continues as it trained.
  assert.equal(runConfigOf(parse({ warmupSteps: "50" }), undefined, "train", true).training.warmupSteps, 50);
});

Deno.test("--auxiliary-horizons with --auxiliary-weight 0 (no auxiliary targets) is refused, as --warmup-steps is", () => {
  // Before: accepted, unused, and recorded in the manifest as if it had shaped the run.
  const refused = (
    flags: Record<string, unknown>,
    base?: RunConfigBase,
    because = /--auxiliary-weight 0\)$/,
  ) =>
    assert.throws(
      () => runConfigOf(parse(flags), base),
      (e: unknown) =>
        e instanceof UsageError && /^--auxiliary-horizons chooses the horizons /.test(e.message) &&
        because.test(e.message) && /--auxiliary-weight above 0/.test(e.hint ?? ""),
    );
  refused({ auxiliaryWeight: "0", auxiliaryHorizons: "label" });
  // A recorded recipe without auxiliary targets (--config-from, evaluate --checkpoint) has none either.
  const none = runConfigOf(parse({ auxiliaryWeight: "0" }));
  refused(
    { auxiliaryHorizons: "label" },
    { config: none, keepShape: false },
    /recorded --auxiliary-weight is 0/,
  );
  // The value recorded anyway changes nothing; a weight above 0 (typed, or recorded) uses it; resumed runs pass.
  assert.equal(
    runConfigOf(parse({ auxiliaryWeight: "0", auxiliaryHorizons: "all" })).training.auxiliaryHorizons,
    "all",
  );
  assert.equal(
    runConfigOf(parse({ auxiliaryWeight: "0.1", auxiliaryHorizons: "label" }), {
      config: none,
      keepShape: false,
    })
      .training.auxiliaryHorizons,
    "label",
  );
  assert.equal(runConfigOf(parse({ auxiliaryHorizons: "label" })).training.auxiliaryHorizons, "label");
  assert.equal(
    runConfigOf(parse({ auxiliaryWeight: "0", auxiliaryHorizons: "label" }), undefined, "train", true)
      .training.auxiliaryHorizons,
    "label",
  );
});

Deno.test("typedRunConfigFlags keeps what was typed and the command's own defaults, drops config defaults", () => {
  const command = trainCommand();
  command.parseOptions(["--epochs", "3", "--seed", "42"]);
  const flags = typedRunConfigFlags(command);
  assert.equal(flags.epochs, "3");
  assert.equal(flags.seed, "42", "typed, even if equal to the default");
  assert.equal(flags.data, "data/training_data.csv");
  assert.ok(!("batchSize" in flags) && !("model" in flags));
});

Deno.test("train and evaluate share every configuration flag, --backend and --workers: names, descriptions, defaults", () => {
  const options = (c: Command) =>
    new Map((c as unknown as { options: Option[] }).options.map((o) => [o.attributeName(), o]));
  const [train, evaluate] = [options(trainCommand()), options(evaluateCommand())];
  // Where and how training runs, too: evaluate had no --workers, so its folds always took every core.
  for (const key of [...RUN_CONFIG_KEYS, "backend", "workers"]) {
    const t = train.get(key)!;
    assert.ok(t, `train --${key}`);
    if (key === "splitDates") {
      assert.ok(!evaluate.has(key), "evaluate cuts its own folds");
      continue;
    }
    const e = evaluate.get(key)!;
    assert.ok(e, `evaluate --${key}`);
    assert.deepEqual([e.flags, e.description, e.defaultValue], [t.flags, t.description, t.defaultValue]);
  }
  const help = evaluateCommand().helpInformation();
  for (const line of ["--lookback <n>", '(default: "50")', "--d-model <n>", "--members <n>"]) {
    assert.ok(help.includes(line), line);
  }
});

Deno.test("--member-lookbacks: a list cycled over the members, each within --lookback, kept by fine-tuning", () => {
  const config = runConfigOf(parse({ memberLookbacks: "50,25", members: "4" }));
  assert.deepEqual(config.model.memberLookbacks, [50, 25]);
  assert.deepEqual(parse({ memberLookbacks: ["40", "20,30"] }).memberLookbacks, [40, 20, 30]);
  for (const bad of ["", "50,x", "50,1", "2.5"]) {
    assert.ok(!RunConfigFlagsSchema.safeParse({ memberLookbacks: bad }).success, bad);
  }
  assert.throws(
    () => runConfigOf(parse({ lookback: "24", memberLookbacks: "50,25" })),
    (e: unknown) =>
      e instanceof UsageError &&
      /--member-lookbacks must be whole numbers from 2 to --lookback \(24\), got 50/.test(e.message),
  );
  // A recorded config keeps its windows when fine-tuned, and typed windows override an untyped base.
  const base = { config: { ...recorded, model: { ...recorded.model, memberLookbacks: [24, 12] } } };
  assert.deepEqual(
    runConfigOf(parse({ memberLookbacks: "24" }), { ...base, keepShape: true }).model.memberLookbacks,
    [
      24,
      12,
    ],
  );
  assert.deepEqual(
    runConfigOf(parse({ memberLookbacks: "20" }), { ...base, keepShape: false }).model.memberLookbacks,
    [
      20,
    ],
  );
});

Deno.test("--recency-half-life: off (the default) or days > 0; recorded in JSON as null when off", () => {
  assert.equal(runConfigOf(parse({ recencyHalfLife: "off" })).training.recencyHalfLife, Infinity);
  assert.equal(runConfigOf(parse({ recencyHalfLife: "365" })).training.recencyHalfLife, 365);
  for (const bad of ["0", "-3", "soon", "", "0x10"]) {
    assert.equal(RunConfigFlagsSchema.safeParse({ recencyHalfLife: bad }).success, false, bad);
  }
  const on = runConfigOf(parse({ recencyHalfLife: "180" }));
  assert.deepEqual(RunConfigSchema.parse(JSON.parse(JSON.stringify(runConfigJson(on)))), on);
  const off = runConfigOf(parse({}));
  assert.equal((runConfigJson(off).training as Record<string, unknown>).recencyHalfLife, null);
  assert.deepEqual(RunConfigSchema.parse(JSON.parse(JSON.stringify(runConfigJson(off)))), off);
  // A manifest written before the option trained with uniform draws.
  const { recencyHalfLife: _, ...older } = runConfigJson(off).training as Record<string, unknown>;
  const read = RunConfigSchema.parse({ ...JSON.parse(JSON.stringify(runConfigJson(off))), training: older });
  assert.equal(read.training.recencyHalfLife, Infinity);
});

Deno.test("--distill-weight: α in [0, 1), 0 (off) by default and for manifests written before it", () => {
  assert.equal(runConfigOf(parse({})).training.distillWeight, 0);
  assert.equal(runConfigOf(parse({ distillWeight: "0.3" })).training.distillWeight, 0.3);
  for (const bad of ["1", "-0.1", "half"]) {
    assert.equal(RunConfigFlagsSchema.safeParse({ distillWeight: bad }).success, false, bad);
  }
  const on = runConfigOf(parse({ distillWeight: "0.3" }));
  assert.deepEqual(RunConfigSchema.parse(JSON.parse(JSON.stringify(runConfigJson(on)))), on);
  const { distillWeight: _, ...older } = runConfigJson(on).training as Record<string, unknown>;
  const read = RunConfigSchema.parse({ ...JSON.parse(JSON.stringify(runConfigJson(on))), training: older });
  assert.equal(read.training.distillWeight, 0);
});

Deno.test("run configuration numbers: empty is refused, not recorded as 0; integers in plain digits only", () => {
  // Before: `train --class-weights ""` recorded classWeighting 0 and `--seed ""` seeded 0.
  for (const key of ["classWeights", "seed", "warmupSteps", "weightDecay", "dropout", "epochFraction"]) {
    const parsed = RunConfigFlagsSchema.safeParse({ [key]: "" });
    assert.ok(!parsed.success, `${key}: "" was read as ${JSON.stringify(parsed.data)}`);
    assert.match(parsed.error.issues[0].message, /^expected .+; got an empty value$/, key);
  }
  assert.equal(
    RunConfigFlagsSchema.safeParse({ classWeights: "" }).error?.issues[0].message,
    "expected balanced, sqrt, none or a power between 0 and 1; got an empty value",
  );
  assert.equal(parse({ classWeights: "0.5" }).classWeights, 0.5);
  assert.equal(parse({ classWeights: "sqrt" }).classWeights, "sqrt");
  // One rule for every integer: hex and exponents are refused (`--epochs 0x2`, `--member-lookbacks 0x10`).
  for (
    const [key, bad] of [["seed", "1e3"], ["epochs", "0x2"], ["batchSize", "3.2e1"], [
      "memberLookbacks",
      "0x10",
    ]]
  ) {
    assert.ok(!RunConfigFlagsSchema.safeParse({ [key]: bad }).success, `${key} ${bad}`);
  }
  // A real-valued flag keeps its exponent: a learning rate is written 3e-4.
  assert.equal(parse({ learningRate: "3e-4" }).learningRate, 3e-4);
});
