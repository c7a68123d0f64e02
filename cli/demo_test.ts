/**
 * The demo can be run again: its simulated candles depend on their open time only, and a taken port stops it
 * before any work.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import {
  curlLines,
  DEMO_MARKER,
  demoKlines,
  demoServeOf,
  requireDemoFolder,
  selfCheck,
  step,
  typedLine,
} from "./demo.ts";
import { CommandError, InterruptedError, UsageError } from "./errors.ts";
import { processUser } from "../base/index.ts";
import type { KlineRow } from "./demo/binance_server.ts";
import { DENO_RUN, dryParse, MAIN, runCandlecast } from "../test/cli.ts";
import { typedCommand } from "./self_command.ts";

const HOUR = 3_600_000;
const PAIR = { seed: 1, price: 40_000 };

/** The rows two runs share, keyed by open time (the first field of a kline row). */
function byOpenTime(rows: readonly KlineRow[]): Map<number, string> {
  return new Map(rows.map((r) => [r.openTime, JSON.stringify(r)]));
}

Deno.test("demo: a later run serves the same candles where the runs overlap (collect merges, no conflict)", () => {
  const now = Date.UTC(2026, 10, 30, 20, 57);
  const first = byOpenTime(demoKlines(PAIR, 1_500, now));
  const later = demoKlines(PAIR, 1_500, now + 5 * HOUR + 17 * 60_000);
  let shared = 0;
  for (const row of later) {
    const before = first.get(row.openTime);
    // The candle open at the first run's time was still moving then; every closed one must match.
    if (before === undefined || row.openTime === Math.floor(now / HOUR) * HOUR) continue;
    assert.equal(JSON.stringify(row), before, `the candle opened at ${row.openTime} changed between runs`);
    shared++;
  }
  assert.ok(shared > 1_000, `only ${shared} candles overlapped`);
});

Deno.test("demo: the short and the full run agree where they meet", () => {
  const now = Date.UTC(2026, 11, 1, 9);
  const full = byOpenTime(demoKlines(PAIR, 6_000, now));
  const short = demoKlines(PAIR, 1_500, now);
  assert.ok(short.length >= 1_501);
  for (const row of short.slice(-1_501)) assert.equal(JSON.stringify(row), full.get(row.openTime));
});

Deno.test("demo: the curl it prints reads the request by an absolute path, so it works from any folder", () => {
  const [health, predict] = curlLines("http://127.0.0.1:8000", join("demo", "request.json"));
  assert.equal(health, "curl http://127.0.0.1:8000/health");
  assert.equal(
    predict,
    `curl -X POST http://127.0.0.1:8000/predict -H 'Content-Type: application/json' -d @${
      resolve("demo", "request.json")
    }`,
  );
  // With CANDLECAST_API_KEY exported (the README's serve example) the demo's serve needs it: the curl sends the
  // variable, never the key (without it, a newcomer's curl got 401).
  const [, keyed] = curlLines("http://127.0.0.1:8000", join("demo", "request.json"), true);
  assert.match(keyed, / -H "Authorization: Bearer \$CANDLECAST_API_KEY" -d @/);
});

Deno.test("demo: the self-check sends the key serve was started with", async () => {
  const dir = await Deno.makeTempDir();
  const request = join(dir, "request.json");
  await Deno.writeTextFile(request, "{}");
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) =>
      new URL(req.url).pathname === "/health"
        ? Response.json({ status: "healthy" })
        : req.headers.get("authorization") === "Bearer 0123456789abcdef0123"
        ? Response.json({ prediction: "UP" })
        : Response.json({ detail: "missing bearer key" }, { status: 401 }),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const log = console.log;
  console.log = () => {};
  try {
    // Before: sent without it, a key exported for serve failed the short demo with a 401, exit 1.
    await assert.rejects(selfCheck(base, request), CommandError);
    await selfCheck(base, request, "0123456789abcdef0123");
  } finally {
    console.log = log;
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("demo: a taken port stops it before collect, with a reason and a hint", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dir = await Deno.makeTempDir();
  try {
    const started = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_RUN,
        "--allow-all",
        MAIN,
        "demo",
        "--short",
        "--dir",
        dir,
        "--port",
        String(listener.addr.port),
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /is in use/);
    assert.match(stderr, /hint: .*another --port/);
    assert.ok(performance.now() - started < 60_000);
    await assert.rejects(Deno.stat(join(dir, "training_data.csv")), Deno.errors.NotFound);
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("demo: a CANDLECAST_API_KEY serve would refuse stops it before collect (2), with serve's words", async () => {
  // Before: collect, train and export ran first, and serve's refusal came after a minute's work (a docs reader).
  for (const [key, words] of [["", /set but empty/], ["abc def-0123456789abcdef", /space or tab/]] as const) {
    const dir = await Deno.makeTempDir();
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [...DENO_RUN, "--allow-all", MAIN, "demo", "--short", "--dir", dir],
        env: { CANDLECAST_API_KEY: key },
        stdout: "null",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, words);
      await assert.rejects(Deno.stat(join(dir, "training_data.csv")), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("demo --dir naming a file is a usage error (2) about --dir, before anything runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "train.csv");
    await Deno.writeTextFile(file, "x\n");
    // A link loop was "unexpected failure … a bug" at requireDemoFolder's lstat (a review).
    await Deno.symlink("loop_b", join(dir, "loop_a"));
    await Deno.symlink("loop_a", join(dir, "loop_b"));
    for (
      const [given, reason] of [
        [file, "is a file, not a folder"],
        [join(file, "demo"), "cannot be a folder"],
        [join(dir, "loop_a"), "is a symbolic link loop"],
      ]
    ) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [...DENO_RUN, "--allow-all", MAIN, "demo", "--short", "--dir", given],
        stdout: "null",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      // Before: "--output: …/train.csv/training_data.csv cannot be written …", then the demo stopped (exit 1).
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, new RegExp(`^candlecast: --dir: .* ${reason}`));
      assert.doesNotMatch(stderr, /--output/);
    }
    assert.equal(await Deno.readTextFile(file), "x\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Whether this process may make a mount namespace of its own (root, with unshare): for a read-only mount. */
const mountsOwnNamespace = Deno.build.os === "linux" && processUser()?.uid === 0 &&
  (await new Deno.Command("unshare", { args: ["-m", "true"], stderr: "null" }).output().catch(() => null))
      ?.success === true;

Deno.test({
  name: "demo --dir on a read-only file system is a usage error (2) about --dir, as collect's and train's",
  ignore: !mountsOwnNamespace,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      for (const given of [join(dir, "demo"), dir]) {
        // The folder mounted read-only over itself, in a mount namespace of the demo's own.
        const out = await new Deno.Command("unshare", {
          args: ["-m", "bash", "-c", 'mount --bind -o ro "$1" "$1" && shift && exec "$@"', "bash", dir]
            .concat([Deno.execPath(), ...DENO_RUN, "--allow-all", MAIN, "demo", "--short", "--dir", given]),
          env: { NO_COLOR: "1" },
          stdout: "null",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        // Before: "the file system is read-only (… mkdir '…/demo')", exit 1.
        assert.equal(out.code, 2, stderr);
        assert.match(
          stderr,
          new RegExp(`^candlecast: --dir: ${given} cannot be written: the file system is read-only \\(`),
        );
        assert.match(stderr, /\nhint: write somewhere writable, or remount it read-write\n$/);
      }
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("demo without net access to 127.0.0.1 (the container's commands) says so, exit 2, no stack trace", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_RUN,
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net=api.binance.com,data-api.binance.vision",
        MAIN,
        "demo",
        "--short",
        "--dir",
        dir,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, /^candlecast: the demo listens on 127\.0\.0\.1/m);
    assert.match(stderr, /hint: .*CANDLECAST_COMMAND_PERMISSIONS/);
    assert.doesNotMatch(stderr, /Uncaught|^ {4}at /m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("demo: a step stopped by Ctrl-C stops the demo as interrupted (130); a failed one says where to look", async () => {
  // Before: both exited 1 ("… exited 130"), without a hint, so a script could not tell a stop from a failure.
  await assert.rejects(
    step(["train", "--data", "x.csv"], () => Promise.resolve(130)),
    (e: unknown) =>
      e instanceof InterruptedError && e.message === "the demo stopped: 'candlecast train' was interrupted" &&
      /run 'candlecast demo' again/.test(e.hint ?? ""),
  );
  await assert.rejects(
    step(["export"], () => Promise.resolve(1)),
    (e: unknown) =>
      e instanceof CommandError && e.message === "the demo stopped: 'candlecast export' exited 1" &&
      /its own message above says why/.test(e.hint ?? ""),
  );
  await step(["collect"], () => Promise.resolve(0));
});

Deno.test("demo prints each step as it can be typed: 'deno task cli …' under deno, where no candlecast is on PATH", async () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (line: string) => void printed.push(line);
  try {
    await step(["collect", "--limit", "10"], () => Promise.resolve(0));
  } finally {
    console.log = log;
  }
  // Before: "$ candlecast collect …" from `deno task cli demo`, which is no command there.
  assert.deepEqual(printed, ["\n$ deno task cli collect --limit 10"]);
  assert.equal(typedCommand("/usr/local/bin/candlecast"), "candlecast", "the compiled binary by its name");
  assert.equal(typedCommand("/home/u/.deno/bin/deno"), "deno task cli");
});

Deno.test("demo prints each path as one shell word, so its lines paste under a folder with a space", async () => {
  // Before: "$ deno task cli serve --checkpoint /tmp/q x/my demo/checkpoints/current …" and "-d @/tmp/q x/…",
  // which the shell split into two words each (a user's trial, README: "a curl that works").
  const dir = "/tmp/q x/my demo";
  const checkpoints = join(dir, "checkpoints");
  const { args } = demoServeOf(dir, checkpoints, 8000);
  assert.equal(
    typedLine(args),
    `$ ${typedCommand()} serve --checkpoint "/tmp/q x/my demo/checkpoints/current" --port 8000 --workers 1 ` +
      `--max-batch 1 --reload-interval 2 --predictions-log "/tmp/q x/my demo/predictions.jsonl"`,
  );
  assert.equal(
    typedLine([
      "train",
      "--data",
      join(dir, "training_data.csv"),
      "--checkpoints",
      checkpoints,
      "--epochs",
      "1",
    ]),
    `$ ${typedCommand()} train --data "/tmp/q x/my demo/training_data.csv" --checkpoints ` +
      `"/tmp/q x/my demo/checkpoints" --epochs 1`,
  );
  // The demo's own words print as before: its URL and symbol list hold nothing a shell splits on.
  assert.equal(
    typedLine([
      "collect",
      "--base-url",
      "http://127.0.0.1:4242",
      "--symbols",
      "A,B",
      "--output",
      "/tmp/d/a.csv",
    ]),
    `$ ${typedCommand()} collect --base-url http://127.0.0.1:4242 --symbols A,B --output /tmp/d/a.csv`,
  );
  const [, predict] = curlLines("http://127.0.0.1:8000", join(dir, "request.json"));
  assert.match(predict, / -d @"\/tmp\/q x\/my demo\/request\.json"$/);
  const printed: string[] = [];
  const log = console.log;
  console.log = (line: string) => void printed.push(line);
  try {
    await step(["export", "--output", join(dir, "trading_model.onnx")], () => Promise.resolve(0));
  } finally {
    console.log = log;
  }
  assert.deepEqual(printed, [`\n$ ${typedCommand()} export --output "/tmp/q x/my demo/trading_model.onnx"`]);
});

Deno.test("demo prints the serve command it runs: one worker, its batch, reload and log, a valid command", () => {
  // Before: "serve --checkpoint demo/checkpoints/current --port 8000", which run by hand started a worker per
  // core and logged to data/predictions.jsonl, not what the demo ran.
  const { options, args } = demoServeOf("demo", join("demo", "checkpoints"), 8000);
  assert.equal(dryParse(args), null, "a command serve takes");
  const value = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(value("--checkpoint"), options.checkpoint);
  assert.equal(value("--port"), String(options.port));
  assert.equal(value("--workers"), "1");
  assert.equal(value("--max-batch"), String(options.maxBatch));
  assert.equal(value("--reload-interval"), String(options.reloadInterval));
  assert.equal(value("--predictions-log"), join("demo", "predictions.jsonl"));
  assert.equal(options.predictionsLog, value("--predictions-log"));
});

Deno.test("demo's self-check refuses a /predict answer that is not SPEC §4's JSON as a failure, not a crash", async () => {
  const dir = await Deno.makeTempDir();
  const request = join(dir, "request.json");
  await Deno.writeTextFile(request, "{}");
  const answers = ["null", "<html>maintenance</html>", '{"prediction":"MAYBE"}', '{"prediction":"UP"}'];
  let answer = "";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      new URL(req.url).pathname === "/health"
        ? Response.json({ status: "UP" })
        : new Response(answer, { headers: { "content-type": "application/json" } }),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const log = console.log;
  console.log = () => {};
  try {
    for (const body of answers.slice(0, -1)) {
      answer = body;
      await assert.rejects(
        selfCheck(base, request),
        (e) =>
          e instanceof CommandError && /did not answer \/health and \/predict as documented/.test(e.message),
        body,
      );
    }
    answer = answers[answers.length - 1];
    await selfCheck(base, request); // a documented answer passes
  } finally {
    console.log = log;
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

const CSV_HEADER =
  "symbol,open_time,open,high,low,close,volume,rsi,macd,macd_signal,macd_hist,ema,stoch_k,stoch_d\n";
const csvRows = (symbol: string) =>
  CSV_HEADER + [0, 1, 2].map((i) => `${symbol},${1791108000000 + i * HOUR},1,2,0.5,1.5,10,,,,,,,\n`).join("");

/** A folder as an earlier candlecast's demo left it, before the marker: the names it writes, its pairs alone. */
async function earlierDemoFolder(dir: string): Promise<void> {
  await Deno.mkdir(join(dir, "checkpoints", "v1_2026-12-05"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "training_data.csv"),
    csvRows("SIMBTCUSDT") + csvRows("SIMETHUSDT").slice(CSV_HEADER.length),
  );
  const manifest = { version: "v1_2026-12-05", symbols: ["SIMBTCUSDT", "SIMETHUSDT"] };
  await Deno.writeTextFile(
    join(dir, "checkpoints", "v1_2026-12-05", "manifest.json"),
    JSON.stringify(manifest),
  );
  await Deno.symlink("v1_2026-12-05", join(dir, "checkpoints", "current"));
  await Deno.writeTextFile(join(dir, "checkpoints", ".current.lock"), "");
  for (
    const name of [".training_data.csv.lock", "predictions.jsonl", "predictions.jsonl.lock", "request.json"]
  ) {
    await Deno.writeTextFile(join(dir, name), "{}\n");
  }
  await Deno.writeFile(join(dir, "trading_model.onnx"), new Uint8Array([8, 7]));
}

/** Every path under `dir` (links as links) with its contents: what a refused demo must leave as it was. */
async function snapshot(dir: string, into = new Map<string, string>()): Promise<Map<string, string>> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isSymlink) into.set(path, `-> ${await Deno.readLink(path)}`);
    else if (entry.isDirectory) await snapshot(path, into.set(path, "folder"));
    else into.set(path, await Deno.readTextFile(path));
  }
  return into;
}

Deno.test("demo --dir naming a user's own folder, store, version or a link to one is refused (2); nothing is touched", async () => {
  // Before: `demo --short --dir .` from the project root trained into ./checkpoints and promoted the simulated
  // model (a running serve switched to it); `--dir data` merged SIM* rows into the real training CSV and
  // appended to the real predictions log; `--dir checkpoints/current` was refused with a hint to the store.
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "data"));
    await Deno.writeTextFile(join(root, "data", "training_data.csv"), csvRows("BTCUSDT"));
    await Deno.writeTextFile(join(root, "data", "predictions.jsonl"), '{"symbol":"BTCUSDT"}\n');
    await Deno.mkdir(join(root, "checkpoints", "v1_2026-11-01"), { recursive: true });
    await Deno.writeTextFile(
      join(root, "checkpoints", "v1_2026-11-01", "manifest.json"),
      JSON.stringify({ symbols: ["BTCUSDT"] }),
    );
    await Deno.symlink("v1_2026-11-01", join(root, "checkpoints", "current"));
    await Deno.symlink(join(root, "checkpoints"), join(root, "store-link"));
    await Deno.mkdir(join(root, "old-demo"));
    await earlierDemoFolder(join(root, "old-demo"));
    await Deno.writeTextFile(join(root, "old-demo", "notes.txt"), "mine\n"); // not the demo's any more
    // The demo's names and pairs, but its checkpoints lead to the real store.
    await Deno.mkdir(join(root, "sim"));
    await Deno.writeTextFile(join(root, "sim", "training_data.csv"), csvRows("SIMBTCUSDT"));
    await Deno.symlink(join(root, "checkpoints"), join(root, "sim", "checkpoints"));
    const before = await snapshot(root);
    const cases: [string, RegExp][] = [
      [
        root,
        /is not the demo's folder: it holds files the demo does not write \(data, old-demo, sim and 1 more\)/,
      ],
      [join(root, "data"), /is not the demo's folder: its training_data\.csv holds BTCUSDT rows/],
      [
        join(root, "checkpoints"),
        /is not the demo's folder: it holds files the demo does not write \(current, v1_/,
      ],
      [
        join(root, "checkpoints", "current"),
        /\(a link to .*v1_2026-11-01\) is not the demo's folder: it is a model version/,
      ],
      [join(root, "store-link"), /store-link \(a link to .*checkpoints\) is not the demo's folder/],
      [
        join(root, "old-demo"),
        /is not the demo's folder: it holds files the demo does not write \(notes\.txt\)/,
      ],
      [join(root, "sim"), /is not the demo's folder: its checkpoints is a link to .*checkpoints\n/],
    ];
    for (const [dir, message] of cases) {
      const { code, stderr } = await runCandlecast(["demo", "--short", "--dir", dir]);
      assert.equal(code, 2, stderr);
      assert.match(stderr, /^candlecast: --dir: /);
      assert.match(stderr, message);
      assert.match(stderr, /hint: give --dir a new or empty folder \(default: demo\)/);
      assert.doesNotMatch(stderr, /folder above it|\$ /, "no hint to the store, no step run");
    }
    assert.deepEqual(await snapshot(root), before, "every file as it was, and no marker anywhere");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("demo writes into a missing, empty, marked or earlier demo's folder only; links inside are refused", async () => {
  const root = await Deno.makeTempDir();
  try {
    assert.equal(await requireDemoFolder(join(root, "missing")), "new");
    await Deno.mkdir(join(root, "empty"));
    assert.equal(await requireDemoFolder(join(root, "empty")), "empty");
    await Deno.writeTextFile(join(root, "file"), "x\n");
    assert.equal(await requireDemoFolder(join(root, "file")), "other", "left to requireFolderPath");

    // An earlier candlecast's demo/ (no marker): recognised by what it holds, the demo's pairs alone.
    const earlier = join(root, "earlier");
    await earlierDemoFolder(earlier);
    assert.equal(await requireDemoFolder(earlier), "earlier");
    // … but not once its CSV or a model in its store holds a real pair.
    await Deno.writeTextFile(
      join(earlier, "training_data.csv"),
      csvRows("SIMBTCUSDT") + "ETHUSDT,1,1,1,1,1,1\n",
    );
    await assert.rejects(requireDemoFolder(earlier), /holds ETHUSDT rows, not only the demo's simulated/);
    await Deno.writeTextFile(join(earlier, "training_data.csv"), csvRows("SIMETHUSDT"));
    await Deno.mkdir(join(earlier, "checkpoints", "v2_2026-12-06"));
    await Deno.writeTextFile(
      join(earlier, "checkpoints", "v2_2026-12-06", "manifest.json"),
      JSON.stringify({ symbols: ["SIMBTCUSDT", "SOLUSDT"] }),
    );
    await assert.rejects(
      requireDemoFolder(earlier),
      (e) =>
        e instanceof UsageError &&
        /checkpoints\/v2_2026-12-06 was trained on SIMBTCUSDT, SOLUSDT/.test(e.message),
    );
    await Deno.remove(join(earlier, "training_data.csv"));
    await Deno.remove(join(earlier, "checkpoints"), { recursive: true });
    await assert.rejects(requireDemoFolder(earlier), /and no training_data\.csv/);

    // Marked: the demo's while it holds what a demo makes (no CSV yet: a demo stopped before its collect).
    const marked = join(root, "marked");
    await Deno.mkdir(marked);
    await Deno.writeTextFile(join(marked, DEMO_MARKER), "");
    assert.equal(await requireDemoFolder(marked), "marked");
    await Deno.writeTextFile(join(marked, "training_data.csv"), csvRows("SIMBTCUSDT"));
    assert.equal(await requireDemoFolder(marked), "marked");
    // The marker alone is not trusted (a review): a demo run once into an empty data/ volume marked it, and
    // the real candles collected there later were merged into by the next demo.
    await Deno.writeTextFile(
      join(marked, "training_data.csv"),
      csvRows("SIMBTCUSDT") + "BTCUSDT,1,1,1,1,1,1\n",
    );
    await assert.rejects(
      requireDemoFolder(marked),
      (e) =>
        e instanceof UsageError &&
        /^--dir: \S+ holds more than an earlier demo made: its training_data\.csv holds BTCUSDT rows/.test(
          e.message,
        ),
    );
    await Deno.writeTextFile(join(marked, "training_data.csv"), csvRows("SIMBTCUSDT"));
    await Deno.writeTextFile(join(marked, "notes.txt"), "");
    await assert.rejects(requireDemoFolder(marked), /holds files the demo does not write \(notes\.txt\)/);
    await Deno.remove(join(marked, "notes.txt"));
    // … and a link out of it (its checkpoints → a real store).
    await Deno.symlink(join(root, "empty"), join(marked, "checkpoints"));
    await assert.rejects(
      requireDemoFolder(marked),
      (e) =>
        e instanceof UsageError &&
        /checkpoints is a link to .*empty, and the demo writes only into what it made/
          .test(e.message) &&
        /^remove the link/.test(e.hint ?? ""),
    );

    // A link to nothing: "made if missing" would fail on the link (or make a folder where it points).
    await Deno.symlink(join(root, "nowhere"), join(root, "dangling"));
    await assert.rejects(
      requireDemoFolder(join(root, "dangling")),
      /is a link to .*nowhere, which is missing/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("demo marks its folder first, and runs again into it, or into an earlier candlecast's demo folder", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = join(root, "demo");
    const first = await runCandlecast(["demo", "--short", "--dir", dir]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(await Deno.readTextFile(join(dir, DEMO_MARKER)), /made by 'candlecast demo'/);
    // As an earlier candlecast left it: no marker, only what the demo writes.
    await Deno.remove(join(dir, DEMO_MARKER));
    const again = await runCandlecast(["demo", "--short", "--dir", dir]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok((await Deno.stat(join(dir, DEMO_MARKER))).isFile, "marked now");
    assert.ok((await Deno.stat(join(dir, "checkpoints", "current", "manifest.json"))).isFile);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("demo refuses a --dir, a link to it, or a file in it that another user owns (2), saying to pick one's own", async () => {
  const me = processUser();
  if (me === null) return; // no uid to compare (Windows): nothing is checked
  const other = me.uid + 1;
  const root = await Deno.makeTempDir();
  try {
    const refused = (what: RegExp) => (error: Error) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.equal(error.exitCode, 2);
      assert.match(error.message, what);
      assert.match(error.hint ?? "", /^pick a folder of your own for --dir \(the default, demo, /);
      return true;
    };
    // Before: an empty folder, or one holding the marker, was taken whoever owned it (`--dir /tmp/demo`, made
    // first by another local user, who then planted checkpoints/.current.lock → a file of the victim's).
    const empty = join(root, "empty");
    await Deno.mkdir(empty);
    await assert.rejects(
      requireDemoFolder(empty, { uid: other }),
      refused(
        new RegExp(
          `^--dir: \\S+empty is owned by another user \\(uid ${me.uid}\\), who could make the demo `,
        ),
      ),
    );
    const marked = join(root, "marked");
    await Deno.mkdir(marked);
    await Deno.writeTextFile(join(marked, DEMO_MARKER), "planted\n");
    await assert.rejects(
      requireDemoFolder(marked, { uid: other }),
      refused(/marked is owned by another user/),
    );
    await Deno.symlink(empty, join(root, "link"));
    await assert.rejects(
      requireDemoFolder(join(root, "link"), { uid: other }),
      refused(/^--dir: the link \S+link /),
    );
    // Nothing there yet: made by this user. Its own folders pass; an unknown uid checks nothing.
    assert.equal(await requireDemoFolder(join(root, "missing"), { uid: other }), "new");
    assert.equal(await requireDemoFolder(empty, { uid: me.uid }), "empty");
    assert.equal(await requireDemoFolder(marked), "marked");
    assert.equal(await requireDemoFolder(empty, { uid: null }), "empty");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "demo run by root into a folder another user prepared (marker, a lock linked to root's file) refuses it",
  ignore: processUser()?.uid !== 0,
  fn: async () => {
    const root = await Deno.makeTempDir();
    try {
      const victim = join(root, "authorized_keys");
      await Deno.writeTextFile(victim, "ssh-ed25519 AAAA... root@host\n");
      // As nobody (65534) leaves it in /tmp: their folder, the marker, a lock file that is a link to root's file.
      const planted = join(root, "demo");
      await Deno.mkdir(join(planted, "checkpoints"), { recursive: true });
      await Deno.writeTextFile(join(planted, DEMO_MARKER), "planted\n");
      await Deno.symlink(victim, join(planted, "checkpoints", ".current.lock"));
      for (const path of [planted, join(planted, DEMO_MARKER), join(planted, "checkpoints")]) {
        await Deno.chown(path, 65534, 65534);
      }
      const { code, stderr } = await runCandlecast(["demo", "--short", "--dir", planted]);
      assert.equal(code, 2, stderr);
      assert.match(stderr, /^candlecast: --dir: \S+demo is owned by another user \(uid 65534\)/);
      assert.doesNotMatch(stderr, /\$ /, "no step run");
      // root's own folder, with a folder in it another user made (a group- or world-writable folder).
      await Deno.chown(planted, 0, 0);
      const again = await runCandlecast(["demo", "--short", "--dir", planted]);
      assert.equal(again.code, 2, again.stderr);
      assert.match(
        again.stderr,
        /--dir: in \S+demo, (\.candlecast-demo|checkpoints) is owned by another user \(uid 65534\)/,
      );
      assert.equal(await Deno.readTextFile(victim), "ssh-ed25519 AAAA... root@host\n");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
