import { DENO_RUN, fullProgram, MAIN, runCandlecast, runCliCaptured } from "../test/cli.ts";
import assert from "node:assert/strict";
import type { Command } from "commander";
import { z } from "zod";
import {
  flag,
  parseFlags,
  PATH_PLACEHOLDER,
  requireFolderPath,
  requireInput,
  requireOutputFile,
  requireOutputFolder,
  requireWritableFolder,
  splitList,
  unexpandedHome,
} from "./flags.ts";
import { UsageError } from "./errors.ts";

Deno.test("lists accept spaces, commas or both", () => {
  assert.deepEqual(splitList(["BTCUSDT", "ETHUSDT,SOLUSDT", " ,ADAUSDT"]), [
    "BTCUSDT",
    "ETHUSDT",
    "SOLUSDT",
    "ADAUSDT",
  ]);
  assert.deepEqual(splitList("A,B"), ["A", "B"]);
  assert.deepEqual(splitList(undefined), []);
});

Deno.test("dates must be real calendar days", () => {
  const date = flag.date();
  assert.ok(date.safeParse("2024-02-29").success);
  assert.ok(!date.safeParse("2023-02-29").success);
  assert.ok(!date.safeParse("2023-02-30").success);
  assert.ok(!date.safeParse("2023-2-3").success);
});

Deno.test("hosts: addresses and names pass; a mistyped address is refused as usage, not at bind time", () => {
  const host = flag.host();
  for (
    const ok of [
      "127.0.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "localhost",
      "trading-host",
      "api.example.com",
      "x1.internal",
      "example.com.",
    ]
  ) {
    assert.ok(host.safeParse(ok).success, ok);
  }
  // Before: "cannot listen on 999.1.1.1:8000: no such local address", exit 1, after the model had loaded.
  for (
    const bad of ["999.1.1.1", "10.0.0", "1.2.3.4.5", "", "-lead", "a..b", "host name", "[::1]", "http://x"]
  ) {
    assert.ok(!host.safeParse(bad).success, bad);
  }
});

Deno.test("a bad value becomes a UsageError naming the flag as typed", () => {
  const schema = z.object({ batchSize: flag.positiveInt() });
  assert.deepEqual(parseFlags("train", schema, { batchSize: "32" }), { batchSize: 32 });
  assert.throws(
    () => parseFlags("train", schema, { batchSize: "0" }),
    (e) =>
      e instanceof UsageError && e.message === "--batch-size: expected a positive integer" &&
      e.exitCode === 2,
  );
});

Deno.test("requireFolderPath: a file at the path or on its way is a UsageError naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-flags-" });
  try {
    const file = `${dir}/raw.csv`;
    await Deno.writeTextFile(file, "x\n");
    assert.throws(
      () => requireFolderPath("--checkpoints", file),
      /--checkpoints: .*raw\.csv is a file, not a folder/,
    );
    // Before: "unexpected failure: Not a directory (os error 20) … this is a bug", exit 1, from train.
    assert.throws(
      () => requireFolderPath("--checkpoints", `${file}/ck/v1`),
      (e: Error) =>
        e instanceof UsageError && /ck\/v1 cannot be a folder: .*raw\.csv is a file/.test(e.message),
    );
    requireFolderPath("--checkpoints", `${dir}/not/yet/made`); // missing folders are made when needed
    // A version (what `current` points at) is not the store: train wrote a store inside the served version.
    await Deno.mkdir(`${dir}/ck/v1_2026-01-01`, { recursive: true });
    await Deno.writeTextFile(`${dir}/ck/v1_2026-01-01/manifest.json`, "{}");
    await Deno.symlink("v1_2026-01-01", `${dir}/ck/current`);
    assert.throws(
      () => requireFolderPath("--checkpoints", `${dir}/ck/current`),
      (e: Error) =>
        e instanceof UsageError &&
        /--checkpoints: .*ck\/current is a model version, not the folder that holds the versions/.test(
          e.message,
        ) &&
        (e as UsageError).hint === `point --checkpoints at the folder above it (${dir}/ck)`,
    );
    requireFolderPath("--checkpoints", `${dir}/ck`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("requireInput: a file named as a folder, a link loop, a name too long are usage errors naming the flag", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-flags-" });
  try {
    const file = `${dir}/req.json`;
    await Deno.writeTextFile(file, "{}\n");
    const refused = (pattern: RegExp, hint?: RegExp) => (e: Error) =>
      e instanceof UsageError && pattern.test(e.message) && (hint === undefined || hint.test(e.hint ?? ""));
    // Each was "unexpected failure: Not a directory (os error 20) … this is a bug" (ELOOP: "Too many levels of
    // symbolic links", ENAMETOOLONG: "File name too long"), exit 1, from predict, train, evaluate, monitor, export.
    // Under named permissions (`deno task cli`, the test runner, CI) Deno drops a trailing slash before it
    // stats, so `req.json/` reads req.json; under --allow-all (the seat's `deno run -A`) it is ENOTDIR.
    const slashDropped = (() => {
      try {
        return Deno.statSync(`${file}/`).isFile;
      } catch {
        return false;
      }
    })();
    if (slashDropped) requireInput("--input", `${file}/`, "h", "file");
    else {
      assert.throws(
        () => requireInput("--input", `${file}/`, "h", "file"),
        refused(
          /^--input: .*req\.json\/ names a file as a folder \(a trailing slash\?\)$/,
          /req\.json, without/,
        ),
      );
      // Where a folder is meant (a version, the store), the file without the slash is not it: the caller's hint.
      assert.throws(
        () => requireInput("--checkpoint", `${file}/`, "train one", undefined),
        refused(
          /^--checkpoint: .*req\.json\/ names a file as a folder: .*req\.json is a file/,
          /^train one$/,
        ),
      );
    }
    assert.throws(
      () => requireInput("--data", `${file}/x.csv`, "h", "file"),
      refused(/^--data: .*x\.csv cannot exist: .*req\.json is a file, not a folder$/),
    );
    await Deno.symlink("loop_b", `${dir}/loop_a`);
    await Deno.symlink("loop_a", `${dir}/loop_b`);
    await Deno.mkdir(`${dir}/ck`);
    await Deno.symlink("current", `${dir}/ck/current`); // a `current` pointing at itself
    assert.throws(
      () => requireInput("--data", `${dir}/loop_a`, "h", "file"),
      refused(/^--data: .*loop_a is a symbolic link loop/),
    );
    assert.throws(
      () => requireInput("--checkpoint", `${dir}/ck/current`, "h"),
      refused(/^--checkpoint: .*ck\/current is a symbolic link loop/),
    );
    assert.throws(
      () => requireInput("--predictions", `${dir}/loop_a/p.jsonl`, "h", "file"),
      refused(/^--predictions: .*loop_a\/p\.jsonl goes through a symbolic link loop/),
    );
    assert.throws(
      () => requireInput("--input", `${dir}/${"a".repeat(300)}`, "h", "file"),
      refused(/^--input: .*… \(\d+ characters\) has a name too long for the file system/),
    );
    // Unchanged: missing, and the wrong kind.
    assert.throws(() => requireInput("--input", `${dir}/nope`, "h", "file"), refused(/nope does not exist$/));
    assert.throws(() => requireInput("--input", dir, "h", "file"), refused(/is a folder, not a file$/));
    requireInput("--input", file, "h", "file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("requireFolderPath: a store through a link loop is a usage error naming the flag; a missing one is not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-flags-" });
  try {
    await Deno.symlink("loop_b", `${dir}/loop_a`);
    await Deno.symlink("loop_a", `${dir}/loop_b`);
    // Before: `models list --checkpoints loop_a` failed at its readdir, "unexpected failure … a bug", exit 1.
    assert.throws(
      () => requireFolderPath("--checkpoints", `${dir}/loop_a`),
      (e) => e instanceof UsageError && /^--checkpoints: .*loop_a is a symbolic link loop/.test(e.message),
    );
    requireFolderPath("--checkpoints", `${dir}/not_made_yet`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a `current` looping on itself (predict, export) and a CSV named as a folder (train) exit 2, naming the flag", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-flags-" });
  try {
    await Deno.writeTextFile(`${dir}/req.json`, "{}\n");
    await Deno.mkdir(`${dir}/ck`);
    await Deno.symlink("current", `${dir}/ck/current`);
    const cases: [string[], RegExp][] = [
      [
        ["predict", "--checkpoint", `${dir}/ck/current`, "--input", `${dir}/req.json`],
        /--checkpoint: .*loop/,
      ],
      [["export", "--checkpoint", `${dir}/ck/current`, "--output", `${dir}/m.onnx`], /--checkpoint: .*loop/],
      // A path through a file (`req.json/` alone reads req.json under named permissions: see above). Its
      // --checkpoints is a folder here: the default, the checkout's checkpoints/, is checked for writing first,
      // and in a read-only checkout (CI as another user) that refusal came instead of --data's.
      [
        ["train", "--data", `${dir}/req.json/x.csv`, "--checkpoints", `${dir}/checkpoints`],
        /--data: .*x\.csv cannot exist: .*req\.json is a file/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCliCaptured(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, pattern);
      assert.doesNotMatch(r.err, /unexpected failure/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an output path this process cannot write is refused before any work, naming the flag", async () => {
  // /proc takes no new files, not even from root (who passes every permission bit a chmod test could set).
  assert.throws(
    () => requireOutputFolder("--output-dir", "/proc/candlecast-evaluation", "evaluation.json"),
    (e) =>
      e instanceof UsageError &&
      e.message.startsWith("--output-dir: /proc/candlecast-evaluation/evaluation.json cannot be written: ") &&
      // Under named permissions (deno task cli, the test runner) Deno refuses /proc itself; under --allow-all
      // the probe's "No such file or directory" names the folder, not Deno's bare ": tmpfile" as before.
      (/candlecast runs with named permissions/.test(e.message) ||
        (e.message.endsWith(
          "/proc takes no new files (virtual file systems such as /proc and /sys take none)",
        ) &&
          e.hint === "choose a path in an ordinary folder")),
  );
  // A writable folder, missing folders below it, and an existing file all pass, and the check leaves nothing.
  const dir = await Deno.makeTempDir();
  try {
    requireOutputFolder("--output-dir", `${dir}/a/b`, "evaluation.json");
    await Deno.writeTextFile(`${dir}/log.jsonl`, "kept\n");
    requireOutputFile("--predictions-log", `${dir}/log.jsonl`, undefined, { writes: "append-rotate" });
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["log.jsonl"]);
    assert.equal(await Deno.readTextFile(`${dir}/log.jsonl`), "kept\n");
    requireWritableFolder("--checkpoints", dir);
    assert.throws(() => requireWritableFolder("--checkpoints", "/proc"), UsageError);
    // A device is written in place: its folder need not take new files.
    requireOutputFile("--predictions-log", "/dev/null");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with every permission (the test's child), /proc's refusal names the folder, not Deno's ': tmpfile'", async () => {
  // The runner's named permissions refuse /proc before the probe (above); the CLI as a test runs it with
  // --allow-all, where the probe's "No such file or directory (os error 2): tmpfile" was printed as it came.
  const out = await runCandlecast([
    "evaluate",
    "--data",
    "README.md",
    "--output-dir",
    "/proc/candlecast-evaluation",
  ]);
  assert.equal(out.code, 2, out.stderr);
  assert.equal(
    out.stderr,
    "candlecast: --output-dir: /proc/candlecast-evaluation/evaluation.json cannot be written: /proc takes no new " +
      "files (virtual file systems such as /proc and /sys take none)\nhint: choose a path in an ordinary folder\n",
  );
});

Deno.test("a path flag given empty says a path is expected, not zod's or Deno's words", async () => {
  // train's --checkpoints is checked for writing before --data: a folder of this test's, not the default (the
  // checkout's checkpoints/, which a read-only checkout refused ahead of the empty --data).
  const checkpoints = await Deno.makeTempDir({ prefix: "candlecast-flags-" });
  try {
    const cases: [string[], string][] = [
      // Before: "--checkpoints: Too small: expected string to have >=1 characters".
      [["models", "list", "--checkpoints="], "candlecast: --checkpoints: expected a folder path\n"],
      [["evaluate", "--output-dir="], "candlecast: --output-dir: expected a folder path\n"],
      [["train", "--data=", "--checkpoints", checkpoints], "candlecast: --data: expected a file path\n"],
      // Before: "--checkpoints:  cannot be written: Empty path is not allowed".
      [["train", "--checkpoints", ""], "candlecast: --checkpoints: expected a folder path\n"],
      [["retrain", "--mode", "monthly", "--log="], "candlecast: --log: expected a file path\n"],
    ];
    for (const [args, first] of cases) {
      const r = await runCliCaptured(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.ok(r.err.startsWith(first), `${args.join(" ")}: ${r.err}`);
    }
  } finally {
    await Deno.remove(checkpoints, { recursive: true });
  }
});

Deno.test("--port takes digits only: an empty value (an unset $PORT) and hex are refused, not read as 0 and 8000", () => {
  const port = flag.port();
  for (const ok of ["0", "8000", "65535", 8000]) assert.ok(port.safeParse(ok).success, String(ok));
  for (const bad of ["", " ", "0x1F40", "1e3", "1.5", "-1", "65536", "80a"]) {
    const parsed = port.safeParse(bad);
    assert.ok(!parsed.success, `${JSON.stringify(bad)} was read as ${parsed.data}`);
  }
});

Deno.test("a number flag given empty or blank is refused as empty, not read as 0, with what it takes", () => {
  // Before: z.coerce.number() read "" as 0: `--seed ""` seeded 0, `--predictions-log-keep ""` kept no logs.
  const schemas: [z.ZodType, string][] = [
    [flag.positiveInt(), "a positive integer"],
    [flag.nonNegativeInt(), "an integer ≥ 0"],
    [flag.positiveNumber(), "a positive number"],
    [flag.number("a fee fraction, e.g. 0.001", (n) => n.min(0)), "a fee fraction, e.g. 0.001"],
    [flag.integer("a prefix length 1–128", (n) => n.min(1).max(128)), "a prefix length 1–128"],
    [flag.port(), "a port number"],
    [
      flag.notEmpty("a rule or a power", z.union([z.literal("none"), flag.number("a power")])),
      "a rule or a power",
    ],
  ];
  for (const [schema, what] of schemas) {
    for (const empty of ["", " ", "\t"]) {
      const parsed = schema.safeParse(empty);
      assert.ok(!parsed.success, `${what}: ${JSON.stringify(empty)} was read as ${parsed.data}`);
      assert.equal(parsed.error.issues[0].message, `expected ${what}; got an empty value`);
    }
  }
  // The hint says what an empty value most often is: a shell variable that was not set.
  assert.throws(
    () =>
      parseFlags("serve", z.object({ predictionsLogKeep: flag.nonNegativeInt() }), {
        predictionsLogKeep: "",
      }),
    (e) =>
      e instanceof UsageError && e.exitCode === 2 &&
      e.message === "--predictions-log-keep: expected an integer ≥ 0; got an empty value" &&
      e.hint === "give --predictions-log-keep a value (--predictions-log-keep 0 for what candlecast before " +
          '2026-12-05 read an empty one as), or leave it out for its default ("$PREDICTIONS_LOG_KEEP" with ' +
          "PREDICTIONS_LOG_KEEP unset is an empty value)",
  );
  // A flag that refuses 0 is not offered it (--epochs 0 would be refused in turn).
  assert.throws(
    () => parseFlags("train", z.object({ epochs: flag.positiveInt() }), { epochs: "" }),
    (e) =>
      e instanceof UsageError &&
      e.hint ===
        'give --epochs a value, or leave it out for its default ("$EPOCHS" with EPOCHS unset is an ' +
          "empty value)",
  );
});

Deno.test("integer flags take plain decimal digits; number flags decimal notation, exponents too", () => {
  // Before: `collect --limit 0x10` took 16 candles and `--limit 1e3` a thousand, where --port refused both.
  const integer = flag.positiveInt();
  for (const [text, value] of [["16", 16], [" 16 ", 16], ["007", 7], [16, 16]] as const) {
    assert.equal(integer.parse(text), value, String(text));
  }
  // 0x0, -1e1, 1e-400 are numbers the flag refuses anyway: none is offered as the value to give (a review).
  for (const bad of ["1.5", "1_000", "Infinity", "16a", "--", "0", "0x0", "-1e1", "1e-400", "1e21"]) {
    const parsed = integer.safeParse(bad);
    assert.ok(!parsed.success, `${bad} was read as ${parsed.data}`);
    assert.equal(parsed.error.issues[0].message, "expected a positive integer", bad);
  }
  // A whole number in a form earlier versions read is named with the digits to give instead (an upgrading
  // operator read "expected a positive integer" for --epochs 1e1 as wrong).
  for (
    const [bad, is] of [["0x10", 16], ["1e3", 1000], ["1E3", 1000], ["16.0", 16], ["+16", 16], ["0b1", 1], [
      "0o7",
      7,
    ]]
  ) {
    const parsed = integer.safeParse(bad);
    assert.ok(!parsed.success, `${bad} was read as ${parsed.data}`);
    assert.equal(
      parsed.error.issues[0].message,
      `expected a positive integer, written in decimal digits ("${bad}" is ${is}: give that)`,
    );
  }
  // Thousands separators: a German user's --epochs 1.000 was answered "is 1: give that".
  for (
    const [bad, hint] of [
      ["30.000", 'give 30000, or 30 if the "." is a decimal point'],
      ["1,000", 'give 1000, or 1 if the "," is a decimal point'],
      ["2 500", "give 2500"],
      ["1'000'000", "give 1000000"],
      // A decimal is no whole number in either reading: only the thousands one is offered (a review).
      ["1.500", "give 1500"],
    ]
  ) {
    assert.equal(
      integer.safeParse(bad).error?.issues[0].message,
      `expected a positive integer, written in decimal digits without a thousands separator ("${bad}": ${hint})`,
    );
  }
  // 0.500 has no thousands separator: the plain refusal, not "give 0500, or 0".
  assert.equal(integer.safeParse("0.500").error?.issues[0].message, "expected a positive integer");
  const number = flag.positiveNumber();
  for (
    const [text, value] of [["0.002", 0.002], ["3e-4", 3e-4], ["1E3", 1000], [".5", 0.5], ["5.", 5]] as const
  ) {
    assert.equal(number.parse(text), value, text);
  }
  assert.equal(
    number.safeParse("0x10").error?.issues[0].message,
    'expected a positive number, written as a decimal number ("0x10" is 16: give that)',
  );
  for (const bad of ["Infinity", "-Infinity", "NaN", "1e", "e3", "1.2.3", "1,5", Infinity]) {
    const parsed = number.safeParse(bad);
    assert.ok(!parsed.success, `${String(bad)} was read as ${parsed.data}`);
    assert.equal(parsed.error.issues[0].message, "expected a positive number", String(bad));
  }
});

/** Placeholders of the flags that take a number (`--class-weights <rule>` takes a word or a power). */
const NUMERIC = /<(n|r|p|lr|w|eps|alpha|f|x|days|fraction|port|seconds|mb|bits|requests\/s)>$/;

Deno.test("every number flag of every command refuses an empty value as usage (exit 2), saying so", async () => {
  const typed: string[][] = [];
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
    for (const option of command.options) {
      if (NUMERIC.test(option.flags) || option.long === "--class-weights") {
        typed.push([...path, option.long!]);
      }
    }
  };
  for (const command of fullProgram().commands) walk(command, [command.name()]);
  // serve's 17, train's 30, evaluate's 35, retrain's 4, collect's 2, predict's and demo's 1: the placeholders
  // above still name them all.
  assert.ok(typed.length >= 90, `only ${typed.length} flags found`);
  // Run where a command that got past its flags would leave nothing behind.
  const cwd = Deno.cwd();
  const dir = await Deno.makeTempDir({ prefix: "candlecast-empty-number-" });
  try {
    Deno.chdir(dir);
    for (const args of typed) {
      const flagName = args.at(-1)!;
      // retrain needs its --mode before it reads another flag.
      const r = await runCliCaptured([...args, "", ...(args[0] === "retrain" ? ["--mode", "monthly"] : [])]);
      assert.equal(r.code, 2, `${args.join(" ")} "": ${r.err}`);
      assert.match(
        r.err,
        new RegExp(
          `^candlecast: ${flagName}: expected [^\\n]+; got an empty value\\nhint: give ${flagName} a value`,
        ),
        args.join(" "),
      );
    }
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a path starting with a ~ the shell did not expand is refused; a ~ elsewhere, or ~name alone, is a name", () => {
  for (const value of ["~", "~/", "~/cc_test.csv", "~/a b/c.csv", "~bob/ck", "~+/x"]) {
    const problem = unexpandedHome("--output", value);
    assert.ok(problem instanceof UsageError, value);
    assert.equal(problem.exitCode, 2);
    assert.ok(problem.message.startsWith(`--output: ${value} starts with ~`), problem.message);
    assert.match(problem.message, /which the shell did not expand/);
  }
  for (const value of ["a~b", "a~b/c.csv", "./~/x", "data/~/x.csv", "~bob", "~backup.csv", "x~", ""]) {
    assert.equal(unexpandedHome("--output", value), null, value);
  }
  // The hint's words work as printed: the ~ first in a word (the rest quoted), $HOME, or ./ for a real ~.
  assert.equal(
    unexpandedHome("--output", "~/cc_test.csv")!.hint,
    `write --output ~/cc_test.csv (after a space, not '=', and unquoted) or --output "$HOME/cc_test.csv"; for a ` +
      `folder really named ~ here, write "./~/cc_test.csv"`,
  );
  assert.match(
    unexpandedHome("--output", "~/a b.csv")!.hint!,
    /^write --output ~\/"a b\.csv" .* "\$HOME\/a b\.csv";/,
  );
  assert.match(unexpandedHome("--output", "~/$x")!.hint!, / --output "\$HOME\/\\\$x";/);
  assert.match(
    unexpandedHome("--checkpoints", "~bob/ck")!.hint!,
    /^write --checkpoints ~bob\/ck .* or the full path;/,
  );
});

Deno.test("every path flag of every command refuses a ~ the shell left unexpanded (exit 2), and makes no folder '~'", async () => {
  const paths: string[][] = [];
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
    for (const option of command.options) {
      if (PATH_PLACEHOLDER.test(option.flags)) paths.push([...path, option.long!]);
    }
  };
  for (const command of fullProgram().commands) walk(command, [command.name()]);
  // collect's 3, train's 3, evaluate's 3, serve's 2, predict's 2, export's 2, retrain's 3, monitor's 4, demo's 1
  // and models' subcommands: the placeholders still name them all.
  const named = new Set(paths.map((p) => `${p[0]} ${p.at(-1)}`));
  for (
    const expected of [
      "collect --output",
      "collect --csv-path",
      "collect --json-path",
      "train --data",
      "train --checkpoints",
      "train --config-from",
      "evaluate --output-dir",
      "serve --predictions-log",
      "serve --checkpoint",
      "predict --input",
      "export --output",
      "retrain --log",
      "monitor --predictions",
      "demo --dir",
    ]
  ) {
    assert.ok(named.has(expected), `${expected} is not found as a path flag`);
  }
  assert.ok(paths.length >= 25, `only ${paths.length} path flags found`);
  const cwd = Deno.cwd();
  const dir = await Deno.makeTempDir({ prefix: "candlecast-tilde-" });
  try {
    Deno.chdir(dir);
    for (const args of paths) {
      const flagName = args.at(-1)!;
      // As `--output=~/x` leaves it (no expansion after '='), and as a quoted "~/x" or "~" does.
      for (const given of [[`${flagName}=~/cc_test`], [flagName, "~"]]) {
        const r = await runCliCaptured([...args.slice(0, -1), ...given]);
        assert.equal(r.code, 2, `${given.join(" ")}: ${r.err}`);
        assert.match(
          r.err,
          new RegExp(`^candlecast: ${flagName}: ~(/cc_test)? starts with ~, which the shell did not expand`),
          `${args.join(" ")}: ${r.err}`,
        );
      }
    }
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written, no folder named ~");
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every path flag refuses a name with bytes that are not UTF-8 (read as U+FFFD), exit 2, writing nothing", async () => {
  const paths: string[][] = [];
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
    for (const option of command.options) {
      if (PATH_PLACEHOLDER.test(option.flags)) paths.push([...path, option.long!]);
    }
  };
  for (const command of fullProgram().commands) walk(command, [command.name()]);
  const cwd = Deno.cwd();
  const dir = await Deno.makeTempDir({ prefix: "candlecast-utf8-" });
  try {
    Deno.chdir(dir);
    for (const args of paths) {
      const flagName = args.at(-1)!;
      const r = await runCliCaptured([...args.slice(0, -1), flagName, "data/bad\uFFFD.csv"]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.equal(
        r.err,
        `candlecast: ${flagName}: data/bad\uFFFD.csv has bytes that are not UTF-8 in its name (shown as \uFFFD, ` +
          "U+FFFD): Deno reads each as that character, so candlecast would use a file of another name\n" +
          "hint: rename it (or the folder it is in) to a name in UTF-8 (convmv -f latin1 -t utf-8 converts " +
          "one), or choose another path\n",
        args.join(" "),
      );
    }
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a path typed with a byte that is not UTF-8 (LANG=C) is refused, not written under another name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-utf8-" });
  try {
    // Before: Deno read the byte as U+FFFD, and collect wrote 'data/bad\uFFFD.csv', exit 0.
    const out = await new Deno.Command("bash", {
      args: ["-c", `exec "$@" --output "$(printf 'bad\\xff.csv')"`, "bash", Deno.execPath(), ...DENO_RUN]
        .concat(["--allow-all", MAIN, "collect", "--source", "csv", "--csv-path", "raw.csv"]),
      cwd: dir,
      env: { LANG: "C", LC_ALL: "C", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /^candlecast: --output: bad\uFFFD\.csv has bytes that are not UTF-8 in its name/);
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
