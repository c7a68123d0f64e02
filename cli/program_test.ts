import assert from "node:assert/strict";
import { DENO_RUN, dryParse, fullProgram, runCandlecast } from "../test/cli.ts";
import { fromFileUrl } from "../test/paths.ts";
import { join } from "node:path";
import { writeStandInCheckpoint } from "../test/stand_in_checkpoint.ts";
import { predictBody } from "../test/fake_predictor.ts";
import { commandPath, EXAMPLES, reflow } from "./help.ts";
import type { Command } from "commander";
import { reportFailure } from "./program.ts";

const cli = (...args: string[]) => runCandlecast(args);

/** Every command path with an action: "collect", "models promote", … */
function commandPaths(): string[] {
  const paths: string[] = [];
  const walk = (c: Command) => {
    if (c.parent && c.name() !== "help") paths.push(commandPath(c));
    c.commands.forEach(walk);
  };
  walk(fullProgram());
  return paths;
}

Deno.test("--help works for the program and every command, exit 0", async () => {
  const top = await cli("--help");
  assert.equal(top.code, 0);
  for (const command of ["collect", "train", "serve", "predict", "export", "models"]) {
    assert.match(top.stdout, new RegExp(`\\b${command}\\b`));
    const help = await cli(command, "--help");
    assert.equal(help.code, 0, `${command} --help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`Usage: candlecast ${command}`));
  }
});

Deno.test("every command's help: examples that parse, defaults shown one way, 80 columns, no outside files", () => {
  for (const path of ["candlecast", ...commandPaths()]) {
    const examples = EXAMPLES[path];
    assert.ok(examples && examples.length >= 1, `${path} has no examples`);
    for (const example of examples) {
      const words = example.replace(/#.*/, "").trim().split(/\s+/).filter((w) => !/^[A-Z_]+=/.test(w));
      assert.equal(words[0], "candlecast", example);
      // --train-args='…' is one shell word; the examples quote nothing else.
      const args = words.slice(1).join(" ").match(/(?:[^\s']+|'[^']*')+/g)!.map((w) => w.replace(/'/g, ""));
      assert.equal(dryParse(args), null, `${path} example does not parse: ${example}`);
    }
    const program = fullProgram();
    const command = path === "candlecast"
      ? program
      : path.split(" ").reduce((c, name) => c.commands.find((s) => s.name() === name)!, program);
    command.configureOutput({ getOutHelpWidth: () => 80 });
    const help = command.helpInformation();
    for (const line of help.split("\n")) assert.ok(line.length <= 80, `${path} help line over 80:\n${line}`);
    assert.doesNotMatch(help, /SPEC|DESIGN\.md|README/, `${path} help cites a file users do not have`);
    assert.doesNotMatch(help, /\(default: "/, `${path} help shows a quoted default`);
    assert.doesNotMatch(help, /\(default \d/, `${path} help shows a default without a colon`);
  }
});

Deno.test("a default described in words without a value is shown: --member-lookbacks says what it does unset", () => {
  for (const name of ["train", "evaluate"]) {
    const command = fullProgram().commands.find((c) => c.name() === name)!;
    const help = command.helpInformation().replace(/\s+/g, " ");
    const entry = help.slice(help.indexOf("--member-lookbacks"), help.indexOf("--batch-size"));
    assert.match(entry, /\(default: every member reads --lookback\) $/, `${name} --help: ${entry}`);
  }
});

Deno.test("retrain's first example is the mode deploy/ schedules, not the one it leaves commented out", async () => {
  const crontab = await Deno.readTextFile(fromFileUrl(new URL("../deploy/crontab", import.meta.url)));
  const scheduled = crontab.split("\n").filter((l) => !l.startsWith("#")).join("\n").match(
    /retrain --mode (\w+)/,
  );
  assert.equal(scheduled?.[1], "monthly", "deploy/crontab runs the monthly retrain");
  // Before: "candlecast retrain --mode weekly" led, the mode docs/retrain.md and deploy/ no longer recommend.
  assert.equal(EXAMPLES.retrain[0], `candlecast retrain --mode ${scheduled?.[1]}`);
});

Deno.test("reflow joins hard line breaks but keeps paragraphs and lists", () => {
  assert.equal(reflow("one\ntwo\n\nthree\n  - item\n- next"), "one two\n\nthree\n  - item\n- next");
});

Deno.test("commander's usage errors read like candlecast's: reason, hint, did-you-mean; exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["frobnicate"],
      /^candlecast: unknown command 'frobnicate'\nhint: run 'candlecast --help' for the commands\n$/,
    ],
    [["trian"], /^candlecast: unknown command 'trian'\nhint: did you mean train\? /],
    // With --help, commander showed the help of the command above, exit 0, as if nothing were wrong.
    [["trian", "--help"], /^candlecast: unknown command 'trian'\nhint: did you mean train\? /],
    [["models", "prune", "-h"], /^candlecast: unknown command 'prune'\nhint: models deletes no version: /],
    // retrain collects the symbols --data holds; the generic hint sent a user to --help, which named none.
    [
      ["retrain", "--mode", "weekly", "--symbols", "BTCUSDT"],
      /^candlecast: unknown option '--symbols'\nhint: retrain reads the symbols and interval --data holds; add a symbol/,
    ],
    // A subcommand's --help lists the commands too: "for the flags" sent a mistyped one to look for flags.
    [
      ["models", "lsit"],
      /^candlecast: unknown command 'lsit'\nhint: did you mean list\? \(run 'candlecast models --help' for the commands\)\n$/,
    ],
    [
      ["models", "nope"],
      /^candlecast: unknown command 'nope'\nhint: run 'candlecast models --help' for the commands\n$/,
    ],
    [
      ["train", "--epoch", "3"],
      /^candlecast: unknown option '--epoch'\nhint: did you mean --epochs\? \(run 'candlecast train --help'/,
    ],
    // A prefix of a flag is too far from it for commander's edit distance: collect's --output given to evaluate.
    [
      ["evaluate", "--data", "x.csv", "--output", "out"],
      /^candlecast: unknown option '--output'\nhint: did you mean --output-dir\? \(run 'candlecast evaluate --help'/,
    ],
    // The key is never a flag (it would show in ps and shell history): the hint says where it goes.
    [
      ["serve", "--api-key", "s3cret"],
      /^candlecast: unknown option '--api-key'\nhint: the key is read from the environment, not a flag: set CANDLECAST_API_KEY in serve's, e\.g\. 'CANDLECAST_API_KEY=<the key> candlecast serve'/,
    ],
    // Given as --api-key=KEY, the key stayed in the message, on stderr: the journal, cron's mail.
    [
      ["serve", "--api-key=MYSECRET123"],
      /^candlecast: unknown option '--api-key=…'\nhint: the key is read from the environment/,
    ],
    [["serve", "--Token=abc"], /^candlecast: unknown option '--Token=…'/],
    // A quote in the value: masked to the message's end, not to that quote.
    [["serve", "--api-key=ab'cd"], /^candlecast: unknown option '--api-key=…'\n/],
    // Other values are kept: they say what was typed.
    [["train", "--epoch=5"], /^candlecast: unknown option '--epoch=5'/],
    [
      ["serve", "--port"],
      /^candlecast: option '--port <port>' argument missing\nhint: run 'candlecast serve --help'/,
    ],
    [
      ["models", "promote"],
      /^candlecast: missing required argument 'version'\nhint: run 'candlecast models promote --help'/,
    ],
    // Before: "run 'candlecast models --help'", whose help has no --checkpoints (it is each subcommand's).
    [
      ["models", "--checkpoints", "/srv/my store", "rollback"],
      /^candlecast: unknown option '--checkpoints'\nhint: --checkpoints belongs to the subcommand, after its name: 'candlecast models rollback --checkpoints "\/srv\/my store"'\n$/,
    ],
    // The whole line, the subcommand's own arguments kept; a switch takes no value.
    [
      ["models", "--checkpoints", "x", "promote", "v3_2026-01-01"],
      /\nhint: --checkpoints belongs to the subcommand, after its name: 'candlecast models promote --checkpoints x v3_2026-01-01'\n$/,
    ],
    [
      ["--no-collect", "retrain", "--mode", "weekly"],
      /\nhint: --no-collect belongs to the subcommand, after its name: 'candlecast retrain --no-collect --mode weekly'\n$/,
    ],
  ];
  for (const [args, expected] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, /\n\s+at |^error:/m);
  }
});

Deno.test("usage errors exit 2: a missing input path, a malformed version name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-usage-" });
  try {
    const nope = `${dir}/nope`;
    const cases: [string[], string][] = [
      // --checkpoints in this folder: train checks its default, the checkout's checkpoints/, for writing first,
      // and a read-only checkout (CI as another user) refused that instead of naming --data.
      [["train", "--data", nope, "--checkpoints", `${dir}/checkpoints`], "--data"],
      [["evaluate", "--data", nope], "--data"],
      [
        ["collect", "--source", "csv", "--csv-path", nope, "--symbol", "BTCUSDT", "--output", `${dir}/o.csv`],
        "--csv-path",
      ],
      [["collect", "--source", "json", "--json-path", nope, "--output", `${dir}/o.csv`], "--json-path"],
      [["export", "--checkpoint", nope], "--checkpoint"],
      [["predict", "--input", nope], "--input"],
      [["monitor", "--predictions", nope], "--predictions"],
      [["models", "promote", "v99"], "not a version name"],
    ];
    for (const [args, names] of cases) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^candlecast: .*${names}.*\nhint: `));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("candlecast or a command that needs a subcommand, and help for an unknown one, are usage errors on stderr (2)", async () => {
  // Before: both printed the help and exited 0, as if asked for it.
  const models = await cli("models");
  assert.equal(models.code, 2);
  assert.equal(models.stdout, "");
  assert.match(models.stderr, /Usage: candlecast models/);
  assert.match(
    models.stderr,
    /\ncandlecast: 'candlecast models' needs a command: list, promote, rollback\nhint: e\.g\. 'candlecast models list'\n$/,
  );
  // Before: a bare `candlecast` printed the help on stdout and exited 0, unlike `candlecast models`.
  const bare = await cli();
  assert.equal(bare.code, 2);
  assert.equal(bare.stdout, "");
  assert.match(bare.stderr, /^Usage: candlecast \[options\] \[command\]/);
  assert.match(
    bare.stderr,
    /\ncandlecast: 'candlecast' needs a command: collect, train, evaluate, serve, predict, export, models, retrain, monitor, demo\nhint: e\.g\. 'candlecast demo' for a first run\n$/,
  );
  const bogus = await cli("help", "bogus");
  assert.equal(bogus.code, 2);
  assert.equal(bogus.stdout, "");
  assert.equal(
    bogus.stderr,
    "candlecast: unknown command 'bogus'\nhint: run 'candlecast --help' for the commands\n",
  );
  const asked = await cli("help", "models");
  assert.equal(asked.code, 0);
  assert.match(asked.stdout, /Usage: candlecast models/);
  // Before: commander answered `help models promote` with the help of `models`.
  const nested = await cli("help", "models", "promote");
  assert.equal(nested.code, 0);
  assert.match(nested.stdout, /^Usage: candlecast models promote \[options\] <version>/);
  const mistyped = await cli("help", "models", "prune");
  assert.equal(mistyped.code, 2);
  assert.match(mistyped.stderr, /^candlecast: unknown command 'prune'\n/);
  const suggested = await cli("help", "trian");
  assert.equal(suggested.code, 2);
  assert.equal(
    suggested.stderr,
    "candlecast: unknown command 'trian'\nhint: did you mean train? (run 'candlecast --help' for the commands)\n",
  );
});

Deno.test("a folder where a file is read is a usage error (2) saying so, not an OS error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-kind-" });
  try {
    const json = fromFileUrl(new URL("./collect/testdata/candle_export.json", import.meta.url));
    // Before: "<dir> line 1: EISDIR: illegal operation on a directory, read", exit 1, no hint.
    const cases: [string[], string][] = [
      // Named by its flag, as monitor and collect name theirs (the helper's trial 31 fixed train's). Its
      // --checkpoints is not the default, the checkout's checkpoints/: train checks that for writing first, and
      // a read-only checkout (CI as another user) refused it instead of naming --data.
      [
        ["train", "--data", dir, "--checkpoints", `${dir}/checkpoints`],
        `candlecast: --data: ${dir} is a folder, not a file\n`,
      ],
      [
        ["collect", "--source", "json", "--json-path", json, "--output", dir],
        `candlecast: --output: ${dir} is a folder, not a file\n`,
      ],
      [
        ["monitor", "--data", dir, "--predictions", json],
        `candlecast: --data: ${dir} is a folder, not a file\n`,
      ],
    ];
    for (const [args, reason] of cases) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^${reason}hint: \\S`));
      assert.equal(r.stderr.split("\n").length, 3, r.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a path under /dev, /proc or /sys to write to: refused (2) naming why, never Deno's --allow-all", async () => {
  const json = fromFileUrl(new URL("./collect/testdata/candle_export.json", import.meta.url));
  // Before: "Requires all access to "/dev/stdout", run again with the --allow-all flag", hinting "choose a path
  // this user can write to": a flag candlecast has not, and a path the user can write.
  // With the permissions `deno task cli` (and the compiled binary) grants, not the tests' --allow-all.
  const tasks =
    JSON.parse(await Deno.readTextFile(fromFileUrl(new URL("../deno.json", import.meta.url)))).tasks;
  const granted = String(tasks.cli).split(" ").filter((word) => word.startsWith("--allow-"));
  assert.ok(granted.length > 0 && !granted.includes("--allow-all"), String(tasks.cli));
  const main = fromFileUrl(new URL("../main.ts", import.meta.url));
  for (
    const args of [
      ["collect", "--source", "json", "--json-path", json, "--output", "/dev/stdout"],
      ["evaluate", "--data", json, "--output-dir", "/proc/candlecast"],
    ]
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...DENO_RUN, ...granted, main, ...args],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, /cannot be written: candlecast runs with named permissions/);
    assert.match(stderr, /^hint: choose a path outside \/dev, \/proc and \/sys/m);
    assert.doesNotMatch(stderr, /run again with/);
  }
  // Without --allow-write at all (a hand-made `deno run`), the refusal names that flag, not /dev: Deno's
  // errors for both are NotCapable.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-nowrite-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...DENO_RUN, ...granted.filter((g) => g !== "--allow-write"), main, ...[
        "collect",
        "--source",
        "json",
        "--json-path",
        json,
        "--output",
        join(dir, "out.csv"),
      ]],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /^hint: run it with --allow-write /m);
    assert.doesNotMatch(stderr, /\/dev, \/proc/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--version and collect --help run without --allow-ffi: ONNX Runtime loads only where a model runs", async () => {
  const main = fromFileUrl(new URL("../main.ts", import.meta.url));
  for (const args of [["--version"], ["collect", "--help"]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...DENO_RUN, "--allow-read", "--allow-env", main, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `candlecast ${args.join(" ")} without --allow-ffi: ${stderr}`);
  }
});

Deno.test("predict and serve without --allow-ffi say ONNX Runtime needs it (exit 1), not 'this is a bug' or 503s", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-noffi-" });
  try {
    const version = join(dir, "v1_2024-01-01");
    await writeStandInCheckpoint(version);
    const input = join(dir, "body.json");
    await Deno.writeTextFile(input, JSON.stringify(predictBody("BTCUSDT")));
    const main = fromFileUrl(new URL("../main.ts", import.meta.url));
    const log = join(dir, "predictions.jsonl");
    for (const args of [["predict", "--input", input], ["serve", "--port", "0", "--predictions-log", log]]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          ...DENO_RUN,
          // Every permission the commands need but --allow-ffi (serve checks it may write its log at start, and
          // that it may start its workers: one per core by default).
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-net",
          "--allow-run",
          main,
          ...args,
          "--checkpoint",
          version,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, `${args[0]}: ${stderr}`);
      assert.match(stderr, /^candlecast: ONNX Runtime cannot be loaded: .*--allow-ffi/m, args[0]);
      assert.match(stderr, /^hint: run it with --allow-ffi/m, args[0]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reportFailure: memory a command did not get is the machine's limit, said with what to do, not a bug", () => {
  const said: string[] = [];
  const say = (message: string, hint?: string) => void said.push(`${message} | ${hint}`);
  // What tfjs-wasm and typed arrays throw when an allocation fails (a wide model's activations, a huge batch).
  assert.equal(reportFailure(new RangeError("Array buffer allocation failed"), say), 1);
  assert.match(
    said[0],
    /^out of memory: Array buffer allocation failed \| give the command less to hold at once/,
  );
  assert.doesNotMatch(said[0], /bug/);
  // Anything else unexpected is still called a bug, with how to report it.
  assert.equal(reportFailure(new RangeError("Maximum call stack size exceeded"), say), 1);
  assert.match(said[1], /^unexpected failure: Maximum call stack size exceeded \| this is a bug/);
});

Deno.test("deno task cli reads and writes relative paths in the folder it is run from, as the binary does", async () => {
  // Before: the task ran main.ts in the checkout, so `--csv-path x.csv` from another folder "did not exist" and
  // `--output out.csv` was written into the checkout while collect printed "out.csv: … rows".
  const dir = await Deno.makeTempDir();
  try {
    const json = fromFileUrl(new URL("./collect/testdata/candle_export.json", import.meta.url));
    await Deno.copyFile(json, join(dir, "export.json"));
    const config = fromFileUrl(new URL("../deno.json", import.meta.url));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "-q",
        "--config",
        config,
        "cli",
        "collect",
        "--source",
        "json",
        "--json-path",
        "export.json",
        "--output",
        "out.csv",
      ],
      cwd: dir,
      // As a user's shell has it: deno task sets INIT_CWD itself (the test runner's own is the checkout).
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, err);
    assert.ok((await Deno.stat(join(dir, "out.csv"))).isFile, "written where it was run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
