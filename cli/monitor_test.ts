/**
 * `candlecast monitor` through the real entry point: its output on a fixed synthetic setup is what it printed
 * before it streamed (test/monitor_expected.txt, written by the version that kept every record; the "ECE floor"
 * column was added later, and each candle scored once, not once per time the fixture's bot asked, later
 * still), and a log far larger than its heap is scored — issue 13.7: monitor must not hold the log in memory.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DENO_RUN, MAIN } from "../test/cli.ts";
import { type MonitorFixture, writeMonitorFixture } from "../test/monitor_fixture.ts";
import { sha256Hex } from "../engine/index.ts";
import { seriesFromCandles } from "../features/index.ts";
import { simulateMarket } from "../features/market_simulator.ts";
import { hoursWestNote, neverJudged, nothingScoredAdvice, row } from "./monitor/print.ts";
import { offGridAdvice, offGridNote, OffGridTally } from "./monitor/off_grid.ts";
import { MonitorJson } from "./monitor/json.ts";
import { runMonitor } from "./monitor/run.ts";
import type { BatchProgress } from "../base/index.ts";

/** Join counts with nothing in them, for the advice's unit tests. */
const NONE = {
  repeats: 0,
  pending: 0,
  unmatched: 0,
  unmatchedWrongUnit: 0,
  unmatchedClose: 0,
  unmatchedHoursWest: new Map<number, number>(),
  unmatchedAfterData: 0,
  missingSymbols: new Map<string, number>(),
  inSample: 0,
  gapped: 0,
  unknownVersions: new Map<string, number>(),
};

const EXPECTED = new URL("../test/monitor_expected.txt", import.meta.url);

/** Appends a copy of the log's newest prediction answered by v1, later than any other: v1 is served again. */
async function v1AnswersLast(f: MonitorFixture): Promise<void> {
  const lines = (await Deno.readTextFile(f.predictions)).trimEnd().split("\n");
  const last = JSON.parse(lines[lines.length - 1]);
  await Deno.writeTextFile(
    f.predictions,
    JSON.stringify({ ...last, version: "v1_2026-01-01", time: "2030-01-01T00:00:00.000Z" }) + "\n",
    { append: true },
  );
}

function monitor(f: MonitorFixture, v8Flags: string[] = [], more: string[] = []) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      ...DENO_RUN,
      "--allow-all",
      ...(v8Flags.length > 0 ? [`--v8-flags=${v8Flags.join(",")}`] : []),
      MAIN,
      "monitor",
      "--data",
      f.data,
      "--predictions",
      f.predictions,
      "--checkpoints",
      f.checkpoints,
      ...more,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/** Peak resident memory of a running child (Linux's VmHWM), polled until it exits; null elsewhere. */
async function peakRss(child: Deno.ChildProcess): Promise<number | null> {
  let exited = false;
  child.status.then(() => (exited = true));
  let peak: number | null = null;
  while (!exited) {
    try {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
      if (Number.isFinite(kb)) peak = Math.max(peak ?? 0, kb * 1024);
    } catch {
      // gone, or not Linux
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return peak;
}

Deno.test("monitor prints per day, per version and the warnings exactly as before it streamed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-" });
  try {
    const f = await writeMonitorFixture(dir, 3000);
    const out = await monitor(f).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b).replaceAll(dir, "<dir>");
    assert.equal(out.code, 0, text(out.stderr));
    assert.equal(
      `${text(out.stdout)}--- stderr ---\n${text(out.stderr)}`,
      await Deno.readTextFile(EXPECTED),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor shows its progress reading the CSV and the log's two passes, cleared before it prints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-progress-" });
  const log = console.log;
  try {
    const f = await writeMonitorFixture(dir, 3000);
    // Before: nothing on stderr while the log was read (1.1 GB, its default maximum: ~30 s).
    const events: string[] = [];
    const progress: BatchProgress = {
      update: (_done, total, label, _text, unit) => void events.push(`${label} of ${total} ${unit}`),
      clear: () => void events.push("clear"),
    };
    console.log = (line: string) => void events.push(`stdout: ${line.split(" ").slice(0, 3).join(" ")}`);
    await runMonitor({ ...f, failOnWarning: false, json: false }, { progress });
    console.log = log;
    // Consecutive updates of one phase as one.
    const phases = events.filter((e, i) => e !== events[i - 1]).map((e) => e.replace(dir, "<dir>"));
    assert.deepEqual(phases.slice(0, 8), [
      "reading <dir>/data.csv of 1 MB",
      "clear",
      "reading <dir>/predictions.jsonl (1/2: joining with the candles) of 1 MB",
      "clear",
      "stdout: 3,000 predictions logged:",
      "stdout: 60 predictions of",
      "reading <dir>/predictions.jsonl (2/2: scoring) of 1 MB",
      "clear",
    ]);
  } finally {
    console.log = log;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "monitor scores a 60 MB log of 200,000 predictions within a 48 MB heap (records are not kept)",
  // The version that kept every record died of "heap limit" here; the streamed one needs the candles,
  // versions and counters only.
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-big-" });
    try {
      const f = await writeMonitorFixture(dir, 200_000);
      const bytes = (await Deno.stat(f.predictions)).size;
      assert.ok(bytes > 55e6, `${bytes} bytes`);
      const child = monitor(f, ["--max-old-space-size=48"]).spawn();
      const [peak, out] = await Promise.all([peakRss(child), child.output()]);
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr.slice(0, 2000));
      // The fixture asks about each of its 1,440 candles ~140 times: each candle is scored once.
      assert.match(
        new TextDecoder().decode(out.stdout),
        /^200,000 predictions logged: 1,425 with outcomes \(and 189,481 repeats of their candles, each candle scored once\)/,
      );
      if (peak !== null) {
        console.log(`peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB for a ${bytes / 1e6} MB log`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Replaces the fixture's v1 manifest with one whose `data` is `data` (no file hashes: nothing is checked). */
function writeV1Manifest(f: { checkpoints: string }, data: Record<string, unknown>): Promise<void> {
  return Deno.writeTextFile(
    join(f.checkpoints, "v1_2026-01-01", "manifest.json"),
    JSON.stringify({
      version: "v1_2026-01-01",
      created_at: "2026-03-01T00:00:00Z",
      parent: null,
      model_type: "lightweight_lstm",
      data,
      files: {},
    }),
  );
}

Deno.test("monitor scores predictions on a version's own test-split candles: not fit on, so not in-sample", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-test-split-" });
  try {
    // v1's data reaches past every candle, but its split tested from 2025: the candles were held out, as
    // evaluate --checkpoint and retrain take them. Judged by the data's end, the prediction was "in-sample
    // (on candles their version was trained on)" and nothing was scored.
    const f = await writeMonitorFixture(dir, 2);
    await writeV1Manifest(f, {
      end_ms: Date.UTC(2030, 0, 1),
      symbols: {},
      split: { kind: "dates", validation_start: "2024-01-01", test_start: "2025-01-01" },
    });
    const out = await monitor(f).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(stdout, /^2 predictions logged: 1 with outcomes, /);
    assert.doesNotMatch(stdout, /in-sample/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor warns when the log stopped while the candles went on, and points at serve and the bot, not retrain", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-stale-" });
  try {
    const f = await writeMonitorFixture(dir, 3000);
    // The log as if serve had stopped logging 5 days before the newest candle: the last 5 days' lines dropped.
    const lines = (await Deno.readTextFile(f.predictions)).trimEnd().split("\n");
    const times = lines.map((l) => {
      try {
        return Date.parse(JSON.parse(l).time);
      } catch {
        return NaN;
      }
    });
    const newest = Math.max(...times.filter(Number.isFinite));
    const kept = lines.filter((_, i) => !(times[i] > newest - 5 * 86_400_000));
    await Deno.writeTextFile(f.predictions, kept.join("\n") + "\n");
    // Before: no word of it, and exit 0 under --fail-on-warning.
    const out = await monitor(f, [], ["--fail-on-warning"]).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(
      stderr,
      /^warning: v\S+: no prediction logged after .* UTC, while the candles reach .* days later\)/m,
    );
    // --json says which kind of warning it is, and what to do: serve and the bot, not retrain.
    const json = JSON.parse(new TextDecoder().decode((await monitor(f, [], ["--json"]).output()).stdout));
    const stale = json.warnings.filter((w: { kind: string }) => w.kind === "log_stale");
    assert.equal(stale.length, 1);
    assert.ok(
      json.verdict.hints.some((h: string) => /check that serve is running/.test(h)),
      JSON.stringify(json.verdict.hints),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor with nothing to score advises by cause, and counts of one are singular", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-none-" });
  try {
    // Two predictions: one of a version that is gone, one of v1, whose training data reaches past every candle
    // (so it is in-sample); plus one line cut short. Neither cause is fixed by collecting newer candles.
    const f = await writeMonitorFixture(dir, 2);
    await writeV1Manifest(f, { end_ms: Date.UTC(2030, 0, 1), symbols: {} });
    const out = await monitor(f).output();
    const stdout = new TextDecoder().decode(out.stdout).replaceAll(dir, "<dir>");
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(
      stdout,
      "2 predictions logged: 0 with outcomes, 0 awaiting their horizon, 0 not found in <dir>/data.csv, " +
        "1 in-sample (on candles up to the last one their version's training may have seen; not scored), 1 " +
        "unreadable line skipped\n" +
        "1 prediction of v9_gone skipped: no such version in <dir>/checkpoints (removed since, e.g. by retrain " +
        "--keep: its predictions can no longer be scored)\n" +
        "nothing to score yet: point --checkpoints at the folder holding v9_gone (or, if retrain removed it " +
        "beyond --keep, that version can no longer be scored; a larger --keep keeps versions longer); in-sample " +
        "predictions are " +
        "never scored; wait for predictions on candles newer than those the version's training may have seen\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor --checkpoints naming no folder, or a version, is a usage error (exit 2), not 'nothing to score'", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-store-" });
  try {
    const f = await writeMonitorFixture(dir, 2);
    await Deno.writeTextFile(join(f.checkpoints, "v1_2026-01-01", "manifest.json"), "{}");
    // Before: exit 0, "1 prediction of v1_2026-01-01 skipped: no such version in …", so a cron
    // 'monitor --fail-on-warning' with a mistyped --checkpoints never warned.
    const cases: [string, RegExp][] = [
      [join(dir, "checkpointz"), /^candlecast: --checkpoints: <dir>\/checkpointz does not exist\n/],
      [
        join(f.checkpoints, "v1_2026-01-01"),
        /^candlecast: --checkpoints: <dir>\/checkpoints\/v1_2026-01-01 is a model version, not the folder that holds/,
      ],
    ];
    for (const [checkpoints, message] of cases) {
      const out = await monitor({ ...f, checkpoints }, [], ["--fail-on-warning"]).output();
      const stderr = new TextDecoder().decode(out.stderr).replaceAll(dir, "<dir>");
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor --predictions naming a file with no prediction in it (a training CSV) says so, not 'none yet'", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-notlog-" });
  try {
    const f = await writeMonitorFixture(dir, 2);
    const out = await monitor({ ...f, predictions: f.data }).output();
    const stderr = new TextDecoder().decode(out.stderr).replaceAll(dir, "<dir>");
    assert.equal(out.code, 1, stderr);
    // Before: "<dir>/data.csv: no predictions logged yet", hint: run monitor once the bot has asked for some.
    assert.match(
      stderr,
      /^candlecast: <dir>\/data\.csv: none of its \d{1,3}(,\d{3})* lines is a prediction serve logged; /,
    );
    assert.match(stderr, /^hint: point --predictions at the log serve writes /m);
    // An empty log is still one that has no predictions yet: nothing to score, exit 0 as when all await their
    // horizon (it exited 1, so a daily cron failed until the bot's first request).
    await Deno.writeTextFile(f.predictions, "");
    const empty = await monitor(f, [], ["--fail-on-warning"]).output();
    assert.equal(empty.code, 0, new TextDecoder().decode(empty.stderr));
    assert.match(
      new TextDecoder().decode(empty.stdout),
      /^nothing to score yet: .*predictions\.jsonl holds no predictions yet \(serve logs each one it answers\)\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor refuses candles of another interval than the version's (exit 2), rather than score them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-interval-" });
  try {
    // The fixture's candles are 1h; v1 says it was trained on 4h candles (as a model trained on `collect
    // --interval 4h` would): its horizon of 4 candles is 16 hours, not the 4 the CSV's candles would give.
    const f = await writeMonitorFixture(dir, 50);
    await Deno.writeTextFile(
      join(f.checkpoints, "v1_2026-01-01", "manifest.json"),
      JSON.stringify({
        version: "v1_2026-01-01",
        created_at: "2026-01-01T00:00:00Z",
        parent: null,
        model_type: "lightweight_lstm",
        interval: "4h",
        data: { end_ms: 0, symbols: {} },
        files: {},
      }),
    );
    const out = await monitor(f).output();
    const stderr = new TextDecoder().decode(out.stderr).replaceAll(dir, "<dir>");
    // Before: exit 0, v1's predictions scored against the 1h candles' outcomes 4 hours ahead.
    assert.equal(out.code, 2, stderr);
    assert.equal(
      stderr,
      "candlecast: --data: <dir>/data.csv holds 1h candles, but v1_2026-01-01 was trained on 4h candles: its " +
        "predictions' outcomes (4 candles ahead) cannot be read on them\n" +
        "hint: collect 4h candles into a CSV ('candlecast collect --interval 4h …') and point --data at it\n",
    );
    // The same candles named another way (older versions recorded "31d" for 1M, "90000ms" for 90s) are the
    // same interval: scored, not refused.
    const manifest = join(f.checkpoints, "v1_2026-01-01", "manifest.json");
    await Deno.writeTextFile(manifest, (await Deno.readTextFile(manifest)).replace('"4h"', '"60m"'));
    const same = await monitor(f).output();
    assert.equal(same.code, 0, new TextDecoder().decode(same.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor compares live scores with the test split under the version's served rule", async () => {
  // Live predictions are scored by the class serve named (the version's rule), so the yardstick is
  // metrics.json `served.metrics`, not the argmax `test` figures. Here argmax `test` is far better than the
  // live week and `served` is not: no warning; then `served` better than the live week: a warning naming it.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-served-" });
  try {
    const f = await writeMonitorFixture(dir, 3000);
    const metrics = join(f.checkpoints, "v1_2026-01-01", "metrics.json");
    const write = (served: { accuracy: number; macro_f1: number; log_loss: number }) =>
      Deno.writeTextFile(
        metrics,
        JSON.stringify({
          test: { accuracy: 0.9, macro_f1: 0.9, log_loss: 0.5 },
          served: { rule: "prior", metrics: served, baselines: {} },
        }),
      );
    const run = async () => {
      const out = await monitor(f).output();
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
    };
    await write({ accuracy: 0.3, macro_f1: 0.3, log_loss: 1.4 });
    let out = await run();
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, "");
    assert.match(out.stdout, /\[test \(prior rule\) accuracy 0\.300 macro_f1 0\.300 log_loss 1\.400\]/);

    await write({ accuracy: 0.45, macro_f1: 0.45, log_loss: 1.0 });
    out = await run();
    assert.equal(out.code, 0, out.stderr);
    assert.equal(
      out.stderr,
      "note: v1_2026-01-01: the last week to 2026-02-06 (168 predictions) is worse than its test split under its served " +
        "'prior' rule: macro-F1 0.331 (95 % interval 0.213 … 0.449) < test 0.450, log-loss 1.271 " +
        "(95 % interval 1.179 … 1.364) > test 1.000 (no longer served: v2_2026-02-01 answered the last logged " +
        "prediction)\n",
    );

    // v2 answered the log's newest predictions (the fixture promotes it after 60 % of the days), so v1's week
    // is history: the note above. Once v1 answers the newest prediction again (rolled back to, say), the same
    // week is a warning, and --fail-on-warning exits 1.
    await v1AnswersLast(f);
    const serving = await monitor(f, [], ["--fail-on-warning"]).output();
    const stderr = new TextDecoder().decode(serving.stderr);
    assert.equal(serving.code, 1, stderr);
    assert.match(stderr, /^warning: v1_2026-01-01: the last week to 2026-02-06 \(168 predictions\) is worse/);
    assert.match(stderr, /^candlecast: 1 monitoring warning$/m);
    // On the CSV and store monitor read (before: bare, so it would retrain the default folders).
    assert.ok(
      stderr.includes(
        `hint: consider 'candlecast retrain --mode monthly --data ${f.data} --checkpoints ${f.checkpoints}'`,
      ),
      stderr,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor scores a logged prediction against a version of its name only if it is the same model", async () => {
  // Version names repeat across stores and after a rebuild. Before, predictions served by one v1_2026-01-01
  // were compared with another's test scores (and --fail-on-warning could fail on them).
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-same-" });
  try {
    const f = await writeMonitorFixture(dir, 3000);
    await Deno.writeTextFile(
      join(f.checkpoints, "v1_2026-01-01", "manifest.json"),
      JSON.stringify({
        version: "v1_2026-01-01",
        created_at: "2026-01-01T10:00:00.000Z",
        parent: null,
        model_type: "lightweight_lstm",
        data: { end_ms: Date.UTC(2025, 0, 1), symbols: {} },
        files: {},
      }),
    );
    const lines = (await Deno.readTextFile(f.predictions)).trimEnd().split("\n");
    const stamped = (createdAt: string) =>
      lines.map((line) => {
        try {
          const r = JSON.parse(line);
          return JSON.stringify(r.version === "v1_2026-01-01" ? { ...r, version_created_at: createdAt } : r);
        } catch {
          return line; // the fixture's unreadable line stays as it is
        }
      }).join("\n") + "\n";
    const v1Rows = (stdout: string) => stdout.split("\n").filter((l) => /^v1_2026-01-01 /.test(l));

    // Served by this store's v1 (the same creation time): scored as before.
    await Deno.writeTextFile(f.predictions, stamped("2026-01-01T10:00:00.000Z"));
    let out = await monitor(f).output();
    let stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(v1Rows(stdout).length, 1, stdout);
    assert.doesNotMatch(stdout, /another model under the same name/);

    // Served by another v1_2026-01-01: set aside, said so, never compared with this one's test split.
    await Deno.writeTextFile(f.predictions, stamped("2026-02-14T08:00:00.000Z"));
    out = await monitor(f).output();
    stdout = new TextDecoder().decode(out.stdout).replaceAll(dir, "<dir>");
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(
      stdout,
      /^\d{1,3}(,\d{3})* predictions of v1_2026-01-01 skipped: served by a v1_2026-01-01 created 2026-02-14T08:00:00\.000Z, but <dir>\/checkpoints\/v1_2026-01-01 was created 2026-01-01T10:00:00\.000Z: another model under the same name$/m,
    );
    assert.deepEqual(v1Rows(stdout), [], stdout);
    assert.match(stdout, /^v2_2026-02-01 /m, "the other version is still scored");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor takes no yardstick from a metrics.json changed since training", async () => {
  // Before: a hand-edited score decided whether --fail-on-warning warned; the manifest's hash now says it is
  // not the version's.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-hash-" });
  try {
    const f = await writeMonitorFixture(dir, 3000);
    const version = join(f.checkpoints, "v1_2026-01-01");
    const text = JSON.stringify({
      served: { rule: "prior", metrics: { accuracy: 0.3, macro_f1: 0.3, log_loss: 1.4 } },
    });
    await Deno.writeTextFile(join(version, "metrics.json"), text);
    await Deno.writeTextFile(
      join(version, "manifest.json"),
      JSON.stringify({
        version: "v1_2026-01-01",
        created_at: "2026-01-01T00:00:00Z",
        parent: null,
        model_type: "lightweight_lstm",
        interval: "1h",
        data: { end_ms: 0, symbols: {} },
        files: { "metrics.json": await sha256Hex(new TextEncoder().encode(text)) },
      }),
    );
    const run = async () => new TextDecoder().decode((await monitor(f).output()).stdout);
    assert.match(await run(), /v1_2026-01-01.*\[test \(prior rule\) accuracy 0\.300/s);
    await Deno.writeTextFile(
      join(version, "metrics.json"),
      text.replaceAll("0.3", "0.45").replace("1.4", "1.0"),
    );
    assert.doesNotMatch(await run(), /\[test \(prior rule\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor's yardstick: served metrics when stored, argmax test figures for an old version", async () => {
  const { testScores } = await import("./monitor/inputs.ts");
  const test = { accuracy: 0.4, macro_f1: 0.38, log_loss: 1.05 };
  const served = { accuracy: 0.36, macro_f1: 0.37, log_loss: 1.05, predicted_share: {} };
  assert.deepEqual(testScores({ test, served: { rule: "prior", metrics: served } }), {
    accuracy: 0.36,
    macro_f1: 0.37,
    log_loss: 1.05,
    rule: "prior",
  });
  // The served confidence's test ECE, live `ece`'s yardstick: monitor --json's test block had none (an
  // analyst's trial could not compare live calibration with test calibration from the document).
  assert.deepEqual(
    testScores({ test, served: { rule: "prior", metrics: served, ece: 0.044, confidence_ece: 0.0382 } }),
    { accuracy: 0.36, macro_f1: 0.37, log_loss: 1.05, rule: "prior", ece: 0.0382 },
  );
  assert.deepEqual(testScores({ test }), test);
  assert.deepEqual(testScores({ test, served: { rule: "prior" } }), test);
  assert.equal(testScores({}), undefined);
  assert.equal(testScores(null), undefined);
});

Deno.test("monitor names the logged symbols its data does not hold, and says how to match them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-symbols-" });
  try {
    const f = await writeMonitorFixture(dir, 40);
    // Every prediction under a name collect never writes: a typo'd symbol, another exchange's spelling.
    const log = await Deno.readTextFile(f.predictions);
    await Deno.writeTextFile(
      f.predictions,
      log.split("\n").map((line, i) =>
        line.startsWith("{")
          ? line.replace(/"symbol":"[^"]*"/, `"symbol":"${i % 2 ? "simbtcusdt" : "SIM/USDT"}"`)
          : line
      ).join("\n"),
    );
    const out = await monitor(f).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.match(
      stdout,
      /not found in .*data\.csv \("(simbtcusdt|SIM\/USDT)" ×\d+, "(simbtcusdt|SIM\/USDT)" ×\d+ not in it at all\)/,
    );
    // Nothing scored, and not for want of time: a warning (stderr), which --fail-on-warning exits 1 on.
    assert.match(
      stderr,
      /^warning: nothing to score: .*collect "(simbtcusdt|SIM\/USDT)", "(simbtcusdt|SIM\/USDT)" into .*data\.csv, or have the bot send/m,
    );
    assert.equal((await monitor(f, [], ["--fail-on-warning"]).output()).code, 1);
    // Before: "collect the predicted symbols' candles into …", which sent the user to collect what they had.
    assert.ok(!stdout.includes("the predicted symbols' candles"), stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor says when predictions not found were logged at local times, off the candles' UTC grid", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-local-" });
  try {
    const f = await writeMonitorFixture(dir, 40);
    // A bot in India stamping its candles' open times in local time (+5:30), logged by a serve that took them:
    // every 1h candle time 30 min past the grid. Lines without a time, another symbol or version are dropped,
    // so nothing is scored and the advice is printed.
    const ist = 5.5 * 3_600_000;
    const records = (await Deno.readTextFile(f.predictions)).split("\n").flatMap((line) => {
      if (!line.endsWith("}")) return []; // the fixture's lines cut short by a crash too
      const r = JSON.parse(line);
      if (r.last_candle_time === null || r.symbol !== "SIMUSDT" || r.version === "v9_gone") return [];
      return [JSON.stringify({ ...r, last_candle_time: r.last_candle_time + ist })];
    });
    await Deno.writeTextFile(f.predictions, records.join("\n") + "\n");
    const n = records.length;
    const out = await monitor(f).output();
    const stdout = new TextDecoder().decode(out.stdout).replaceAll(dir, "<dir>");
    const stderr = new TextDecoder().decode(out.stderr).replaceAll(dir, "<dir>");
    assert.equal(out.code, 0, stderr);
    assert.equal(
      stdout,
      `${n} predictions logged: 0 with outcomes, 0 awaiting their horizon, ${n} not found in <dir>/data.csv ` +
        `(of them, ${n} at open times 30 min past the 1h UTC grid the candles open on: the bot sent local ` +
        "times, not UTC)\n",
    );
    // Nothing scored, and not for want of time: a warning, which --fail-on-warning exits 1 on.
    assert.equal((await monitor(f, [], ["--fail-on-warning"]).output()).code, 1);
    const json = JSON.parse(new TextDecoder().decode((await monitor(f, [], ["--json"]).output()).stdout));
    assert.deepEqual([
      json.verdict.status,
      json.verdict.warnings,
      json.warnings.map((w: { kind: string }) => w.kind),
    ], [
      "warning",
      1,
      ["none_scored"],
    ]);
    assert.equal(
      stderr,
      "warning: nothing to score: have the bot send candle open times in UTC (serve now refuses such candles); of " +
        `the predictions not found, ${n} at open times 30 min past the 1h UTC grid the candles in ` +
        "<dir>/data.csv open on: the bot sent local times, not UTC, and predictions logged at such times can " +
        "never be matched with a candle\n",
    );
    // Before: "collect the candles the predictions were made on into … (their closes must match)", which no
    // collect can mend.
    assert.ok(!stdout.includes("closes must match"), stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor's off-grid diagnosis: close times, data itself off the grid, and what it leaves alone", () => {
  const H = 3_600_000, start = Date.UTC(2026, 0, 1);
  const hourly = (symbol: string, first: number) =>
    seriesFromCandles(
      symbol,
      simulateMarket({ seed: 1, start: first, intervalMs: H, count: 60, startPrice: 100, baseVolume: 10 }),
    );
  const record = (symbol: string, t: number | null) => ({
    time: "2026-01-03T00:00:00.000Z",
    symbol,
    last_candle_time: t,
    last_close: 1,
    version: "v1",
    prediction: "UP" as const,
    probabilities: { down: 0.2, sideways: 0.3, up: 0.5 },
    expected_return: 0,
  });
  const tally = new OffGridTally([hourly("AAAUSDT", start), hourly("BBBUSDT", start + H / 2)]);
  // Left alone: on the grid (not found for another reason), in seconds, of a symbol the data lacks, no time.
  for (const t of [start + 5 * H, (start + 5 * H) / 1000, null]) tally.add(record("AAAUSDT", t));
  tally.add(record("CCCUSDT", start + 1));
  assert.equal(tally.finding, null);
  tally.add(record("aaausdt", start + 5 * H - 1)); // close times (a lower-case symbol is the data's too)
  tally.add(record("AAAUSDT", start + 6 * H - 1));
  const closeTimes = tally.finding!;
  assert.deepEqual(
    nothingScoredAdvice({ data: "d.csv" }, { ...NONE, unmatched: 2 }, closeTimes),
    [
      "have the bot send each candle's open time, not its close time; of the predictions not found, 2 at open " +
      "times 1 ms before the 1h UTC grid the candles in d.csv open on: the bot sent close times (each candle's " +
      "last millisecond), and predictions logged at such times can never be matched with a candle",
    ],
    "no closes hint: every prediction not found is explained",
  );
  // Data collected in local time (:30) and a bot sending UTC: off the data's grid, which is off UTC's.
  for (let i = 0; i < 3; i++) tally.add(record("BBBUSDT", start + i * H));
  assert.equal(
    offGridNote(tally.finding!),
    " (of them, 3 at open times 30 min past the 1h grid the candles open on (and 2 at other offsets off it): " +
      "that grid is itself 30 min past the UTC grid exchanges use)",
  );
  // The advice for such data: the bot sends the data's exchange's candles, as a version trained on them takes
  // (before: "collect … in UTC, and have the bot send UTC open times", which such a version refuses).
  assert.match(
    offGridAdvice(tally.finding!, "d.csv"),
    /^have the bot send the candles of the exchange d\.csv holds \(their open times 30 min past the UTC grid, as a version trained on them takes\)/,
  );
  // With predictions not found for no reason it knows, the closes hint stays.
  assert.ok(
    nothingScoredAdvice({ data: "d.csv" }, { ...NONE, unmatched: 9 }, closeTimes).some((a) =>
      a.includes("their closes must match")
    ),
  );
});

Deno.test("predictions whose closes are candles' hours after the times sent are named local times west of UTC", () => {
  // Before: "24 of them at a candle's open time with another close: a candle still open when sent, another
  // feed, or another window", and the advice to predict on closed candles from collect's feed (a locale seat).
  const hoursWest = new Map([[4, 20], [5, 4]]);
  assert.equal(
    hoursWestNote(hoursWest),
    " (20 of them with the close of the candle 4 h after the time sent: local times of a zone 4 h west of UTC, " +
      "UTC−4, not UTC) (4 of them with the close of the candle 5 h after the time sent: local times of a zone 5 h " +
      "west of UTC, UTC−5, not UTC)",
  );
  const counts = { ...NONE, unmatched: 24, unmatchedClose: 24, unmatchedHoursWest: hoursWest };
  assert.deepEqual(nothingScoredAdvice({ data: "d.csv" }, counts), [
    "have the bot send each candle's open time in UTC, as the exchange stamps it (ms since the epoch: " +
    "DateTimeOffset.ToUnixTimeMilliseconds), not its local time",
  ]);
  // Another close beside them keeps its own advice.
  assert.equal(
    nothingScoredAdvice({ data: "d.csv" }, { ...counts, unmatched: 25, unmatchedClose: 25 }).length,
    2,
  );
});

Deno.test("monitor --json: the served version is the one that wrote the log's last lines, whatever their times", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-clock-" });
  try {
    const f = await writeMonitorFixture(dir, 600);
    // v1 served for a while by a clock three days ahead, then the clock set right and v2 promoted: v2 wrote the
    // last lines, at times before v1's. Before: v1 was judged the served version (the latest time logged).
    const lines = (await Deno.readTextFile(f.predictions)).split("\n").filter((l) =>
      l.startsWith('{"time":"')
    );
    const v1 = lines.map((l) => JSON.parse(l)).filter((r) => r.version === "v1_2026-01-01");
    const ahead = v1.slice(-5).map((r) =>
      JSON.stringify({ ...r, time: new Date(Date.parse(r.time) + 90 * 86_400_000).toISOString() })
    );
    await Deno.writeTextFile(
      f.predictions,
      [...lines.slice(0, -5), ...ahead, ...lines.slice(-5), ""].join("\n"),
    );
    assert.ok(lines.slice(-5).every((l) => JSON.parse(l).version === "v2_2026-02-01"));
    const json = parseJsonOut((await monitorRun(f, ["--json"])).stdout);
    assert.equal(json.served_version, "v2_2026-02-01");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor takes serve's --predictions-log for --predictions, and refuses both at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-alias-" });
  try {
    const f = await writeMonitorFixture(dir, 200);
    const plain = await monitor(f).output();
    // The same run with the log named as serve names it (the helper's --predictions pointed elsewhere first).
    const aliased = await monitor({ ...f, predictions: join(dir, "none.jsonl") }, [], [
      "--predictions-log",
      f.predictions,
    ]).output();
    assert.equal(aliased.code, 2, "both flags typed");
    assert.match(
      new TextDecoder().decode(aliased.stderr),
      /^candlecast: --predictions and --predictions-log are two names of one option .*given twice\nhint: give the prediction log once: --predictions /m,
    );
    const args = ["--data", f.data, "--checkpoints", f.checkpoints, "--predictions-log", f.predictions];
    const alone = await new Deno.Command(Deno.execPath(), {
      args: [...DENO_RUN, "--allow-all", MAIN, "monitor", ...args],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(alone.code, plain.code, new TextDecoder().decode(alone.stderr));
    assert.equal(new TextDecoder().decode(alone.stdout), new TextDecoder().decode(plain.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("on candles too coarse for a week ever to be judged, the note says so and what to read instead", () => {
  const daily = (symbol: string) =>
    seriesFromCandles(
      symbol,
      simulateMarket({
        seed: 1,
        start: Date.UTC(2026, 0, 1),
        intervalMs: 86_400_000,
        count: 60,
        startPrice: 100,
        baseVolume: 10,
      }),
    );
  // Two symbols of 1d candles: 14 a week, never the 96 a week is judged from.
  assert.equal(
    neverJudged([daily("BTCUSDT"), daily("ETHUSDT")], "1d"),
    "; on 1d candles a week holds at most 14 (7 a symbol, 2 symbols), so no week of it will be judged: read " +
      "its per-day and per-version scores instead",
  );
  // One symbol of 1h candles holds 168 a week: a fuller log may yet be judged, so nothing is added.
  const hourly = seriesFromCandles(
    "BTCUSDT",
    simulateMarket({
      seed: 1,
      start: Date.UTC(2026, 0, 1),
      intervalMs: 3_600_000,
      count: 500,
      startPrice: 100,
      baseVolume: 10,
    }),
  );
  assert.equal(neverJudged([hourly], "1h"), "");
  // Month candles (opening on each 1st, 28–31 days apart): a week holds one a symbol at most. Before: "at most
  // 0 (0 a symbol …)", seven days divided by the commonest step (31 days) and rounded down.
  const monthly = (symbol: string) =>
    seriesFromCandles(
      symbol,
      simulateMarket({ seed: 1, start: 0, intervalMs: 1, count: 60, startPrice: 100, baseVolume: 10 })
        .map((c, i) => ({ ...c, openTime: Date.UTC(2020, i, 1) })),
    );
  assert.match(
    neverJudged([monthly("BTCUSDT"), monthly("ETHUSDT")], "1M"),
    /^; on 1M candles a week holds at most 2 \(1 a symbol, 2 symbols\), so no week/,
  );
});

/** One monitor run's exit code and both streams, as text. */
async function monitorRun(f: MonitorFixture, more: string[] = []) {
  const out = await monitor(f, [], more).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** The whole of stdout as one JSON document in --json's shape (it throws on anything else there). */
function parseJsonOut(stdout: string): MonitorJson {
  assert.ok(stdout.startsWith("{") && stdout.endsWith("}\n"), stdout.slice(0, 200));
  return MonitorJson.parse(JSON.parse(stdout));
}

/** A JSON row's figures as the table prints them (null ECE back to the table's dash). */
const tableRow = (label: string, s: MonitorJson["by_day"][number]["scores"]) =>
  row(label, { ...s, ece: s.ece ?? NaN, ece_floor: s.ece_floor ?? NaN });

Deno.test("monitor --json: stdout is one JSON document holding what the lines and tables say", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-json-" });
  try {
    const f = await writeMonitorFixture(dir, 3000);
    const human = await monitorRun(f);
    const out = await monitorRun(f, ["--json"]);
    assert.equal(out.code, human.code, out.stderr);
    // Warnings and notes stay on stderr, as without --json; stdout holds nothing but the document.
    assert.equal(out.stderr, human.stderr);
    const json = parseJsonOut(out.stdout);
    const { counts } = json;
    const first = human.stdout.split("\n")[0];
    // The JSON's numbers bare, the line's grouped as every command writes counts.
    const n = (v: number) => v.toLocaleString("en-US");
    assert.equal(
      first,
      `${n(counts.logged)} predictions logged: ${n(counts.scored)} with outcomes (and ${n(counts.repeats)} ` +
        `repeats of their candles, each candle scored once), ${n(counts.awaiting_horizon)} awaiting their ` +
        `horizon, ${n(counts.not_found)} not found in ${f.data} ("NOPEUSDT" ×${
          n(counts.missing_symbols.NOPEUSDT)
        } not in it at all), ${n(counts.unreadable_lines)} unreadable lines skipped`,
    );
    assert.deepEqual(json.skipped_versions.map((v) => [v.version, v.predictions, v.reason]), [
      ["v9_gone", 60, "not_in_checkpoints"],
    ]);
    // Every row of both tables, printed from the JSON's figures, is the human table's row.
    const lines = new Set(human.stdout.split("\n"));
    const width = Math.max(...json.by_day.map((d) => d.version.length));
    assert.equal(json.by_day.length, 61);
    for (const d of json.by_day) {
      const line = tableRow(`${d.day} ${d.version.padEnd(width)}`, d.scores);
      assert.ok(lines.has(line), line);
    }
    assert.deepEqual(json.by_version.map((v) => [v.version, v.served]), [
      ["v1_2026-01-01", false],
      ["v2_2026-02-01", true],
    ]);
    const [v1, v2] = json.by_version;
    assert.ok(
      lines.has(
        `${
          tableRow(v1.version.padEnd(width), v1.scores)
        }   [test accuracy 0.450 macro_f1 0.450 log_loss 1.000]`,
      ),
    );
    assert.ok(lines.has(tableRow(v2.version.padEnd(width), v2.scores)));
    assert.deepEqual(v1.test, { accuracy: 0.45, macro_f1: 0.45, log_loss: 1, rule: null, ece: null });
    // v1's last week: the figures and intervals its note prints, and both metrics named worse.
    const week = v1.last_week!;
    assert.equal(week.to, "2026-02-06");
    assert.equal(week.scores.predictions, 168);
    assert.ok(week.judged);
    const [lo, hi] = week.interval!.macro_f1;
    assert.ok(
      human.stderr.includes(
        `macro-F1 ${week.scores.macro_f1.toFixed(3)} (95 % interval ${lo.toFixed(3)} … ${hi.toFixed(3)})`,
      ),
      human.stderr,
    );
    assert.deepEqual(week.worse, ["macro_f1", "log_loss"]);
    // v2 has no test figures: its week is not judged.
    assert.equal(v2.test, null);
    assert.deepEqual([v2.last_week?.judged, v2.last_week?.interval], [false, null]);
    // The warning is v1's, no longer served: a note, which does not count toward the verdict.
    assert.equal(json.warnings.length, 1);
    assert.deepEqual([json.warnings[0].version, json.warnings[0].served], ["v1_2026-01-01", false]);
    assert.ok(human.stderr.includes(`note: ${json.warnings[0].message} (no longer served: `));
    assert.equal(json.served_version, "v2_2026-02-01");
    assert.deepEqual(json.verdict, {
      status: "ok",
      warnings: 0,
      fail_on_warning: false,
      exit_code: 0,
      reason: "no warning on the served version v2_2026-02-01",
      hints: [],
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor --json: the verdict says why it exits 1 under --fail-on-warning, and when nothing is scored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-json-verdict-" });
  try {
    const f = await writeMonitorFixture(dir, 3000);
    // v1 answers the newest prediction (rolled back to, say): its worse week is a warning on the served version.
    await v1AnswersLast(f);
    const human = await monitorRun(f, ["--fail-on-warning"]);
    const failing = await monitorRun(f, ["--fail-on-warning", "--json"]);
    assert.equal(human.code, 1, human.stderr);
    assert.equal(failing.code, 1, failing.stderr);
    assert.equal(failing.stderr, human.stderr);
    const json = parseJsonOut(failing.stdout);
    const hint =
      `consider 'candlecast retrain --mode monthly --data ${f.data} --checkpoints ${f.checkpoints}'`;
    assert.ok(human.stderr.includes(`candlecast: 1 monitoring warning\nhint: ${hint}\n`), human.stderr);
    assert.deepEqual(json.verdict, {
      status: "warning",
      warnings: 1,
      fail_on_warning: true,
      exit_code: 1,
      reason: "1 monitoring warning on the served version v1_2026-01-01 (--fail-on-warning)",
      hints: [hint],
    });
    assert.ok(human.stderr.startsWith(`warning: ${json.warnings[0].message}\n`), human.stderr);
    assert.deepEqual([json.warnings[0].served, json.warnings[0].worse], [true, ["macro_f1", "log_loss"]]);

    // Without --fail-on-warning the same warning exits 0, and the verdict says that is why.
    const warned = await monitorRun(f, ["--json"]);
    assert.equal(warned.code, 0, warned.stderr);
    const verdict = parseJsonOut(warned.stdout).verdict;
    assert.deepEqual([verdict.status, verdict.exit_code], ["warning", 0]);
    assert.match(verdict.reason, /; exit 0 without --fail-on-warning$/);

    // Nothing scored: the line monitor prints is the reason, its advice the hints.
    await Deno.writeTextFile(f.predictions, "");
    const emptyHuman = await monitorRun(f, ["--fail-on-warning"]);
    const empty = await monitorRun(f, ["--fail-on-warning", "--json"]);
    assert.equal(empty.code, 0, empty.stderr);
    const nothing = parseJsonOut(empty.stdout);
    assert.deepEqual(nothing.verdict, {
      status: "nothing_to_score",
      warnings: 0,
      fail_on_warning: true,
      exit_code: 0,
      reason: emptyHuman.stdout.trimEnd(),
      hints: [],
    });
    assert.equal(nothing.counts.logged, 0);
    assert.deepEqual([nothing.by_day, nothing.by_version, nothing.served_version], [[], [], null]);

    // A failure exits 1 as the warning did: docs/scripting.md's way to tell them apart holds. It prints no document,
    // and its "candlecast:" line is its reason, not "N monitoring warning(s)".
    await Deno.writeTextFile(f.predictions, "symbol,open_time\nBTCUSDT,0\n");
    const failed = await monitorRun(f, ["--fail-on-warning", "--json"]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(failed.stdout, "");
    assert.match(failed.stderr, /^candlecast: .* is not a predictions log\nhint: /m);
    assert.doesNotMatch(failed.stderr, /monitoring warning/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor does not call an offset no time zone has (7 s) local times", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-seconds-" });
  try {
    const f = await writeMonitorFixture(dir, 40);
    // A candle builder that stamps each 1h candle 7 s late (a clock's or a builder's offset, no zone's).
    const records = (await Deno.readTextFile(f.predictions)).split("\n").flatMap((line) => {
      if (!line.endsWith("}")) return [];
      const r = JSON.parse(line);
      if (r.last_candle_time === null || r.symbol !== "SIMUSDT" || r.version === "v9_gone") return [];
      return [JSON.stringify({ ...r, last_candle_time: r.last_candle_time + 7_000 })];
    });
    await Deno.writeTextFile(f.predictions, records.join("\n") + "\n");
    const out = await monitor(f).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    // Before: "the bot sent local times, not UTC", which sent its developer looking for a time zone.
    assert.match(
      stdout,
      /at open times 7 s past the 1h UTC grid the candles open on: the bot's times are not the/,
    );
    assert.ok(!stdout.includes("local times"), stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor --json gives a pruned version's creation time as its log lines recorded it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-pruned-" });
  try {
    const f = await writeMonitorFixture(dir, 400);
    // v9_gone's lines carry the creation time serve logged; the version is no longer in --checkpoints
    // (retrain --keep pruned it). Before: logged_created_at null, though the log said it.
    const text = (await Deno.readTextFile(f.predictions)).split("\n").map((line) =>
      line.includes('"version":"v9_gone"')
        ? line.replace(
          '"version":"v9_gone"',
          '"version":"v9_gone","version_created_at":"2025-12-01T08:00:00.000Z"',
        )
        : line
    );
    await Deno.writeTextFile(f.predictions, text.join("\n"));
    const out = await monitorRun(f, ["--json"]);
    const json = parseJsonOut(out.stdout);
    assert.deepEqual(json.skipped_versions.map((v) => [v.version, v.reason, v.logged_created_at]), [
      ["v9_gone", "not_in_checkpoints", "2025-12-01T08:00:00.000Z"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Cuts the fixture's CSV to its first `keep` candles (one symbol, rows in time order), as a stale collect left it. */
async function keepCandles(f: MonitorFixture, keep: number): Promise<void> {
  const lines = (await Deno.readTextFile(f.data)).trimEnd().split("\n");
  await Deno.writeTextFile(f.data, lines.slice(0, keep + 1).join("\n") + "\n");
}

Deno.test("monitor warns when the served version logged predictions but none could be scored: the CSV ends before them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-served-unscored-" });
  try {
    const f = await writeMonitorFixture(dir, 3000);
    // The CSV as a collect that stopped left it: its last candle (2026-02-03 23:00) is older than every candle
    // v2 (served from day 36) answered for, so v1 is scored and v2 not at all.
    await keepCandles(f, 24 * 34);
    const human = await monitorRun(f, ["--fail-on-warning"]);
    // Before: exit 0, "no warning on the served version", and nothing said of v2 but a count of "not found".
    assert.equal(human.code, 1, human.stderr);
    assert.match(
      human.stdout.split("\n")[0],
      /not found in \S+data\.csv .*\([\d,]+ of them on candles newer than its last candle, 2026-02-03 23:00 UTC\)/,
    );
    // v2's predictions on the fixture's symbol the CSV lacks are said apart, each cause with its advice.
    const collect = `collect newer candles into ${f.data}, then run monitor again`;
    const symbol =
      `collect "NOPEUSDT" into ${f.data}, or have the bot send the symbols collect wrote (Binance's, ` +
      "like BTCUSDT)";
    const message = "v2_2026-02-01 (served): 1,185 predictions, none scored: 1,158 on candles newer than " +
      `${f.data}'s last candle, 2026-02-03 23:00 UTC, 27 on symbols ${f.data} does not hold; ${symbol}; ${collect}`;
    assert.ok(human.stderr.includes(`\nwarning: ${message}\n`), human.stderr);
    assert.ok(
      human.stderr.endsWith(`candlecast: 1 monitoring warning\nhint: ${symbol}; ${collect}\n`),
      human.stderr,
    );

    const out = await monitorRun(f, ["--fail-on-warning", "--json"]);
    assert.equal(out.code, 1, out.stderr);
    const json = parseJsonOut(out.stdout);
    assert.equal(json.served_version, "v2_2026-02-01");
    assert.deepEqual(json.by_version.map((v) => v.version), ["v1_2026-01-01"]);
    assert.ok(json.counts.not_found_newer_than_data >= 1_158, out.stdout);
    const none = json.warnings.filter((w) => w.kind === "none_scored");
    assert.deepEqual(none.map((w) => [w.version, w.served, w.worse]), [["v2_2026-02-01", true, []]]);
    assert.equal(none[0].message, message);
    assert.deepEqual(json.verdict, {
      status: "warning",
      warnings: 1,
      fail_on_warning: true,
      exit_code: 1,
      reason: "1 monitoring warning on the served version v2_2026-02-01 (--fail-on-warning)",
      hints: [symbol, collect],
    });
    // Without the flag: the same warning, exit 0, and the verdict is not "ok".
    const plain = parseJsonOut((await monitorRun(f, ["--json"])).stdout);
    assert.deepEqual([plain.verdict.status, plain.verdict.exit_code], ["warning", 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * v2 just promoted: the CSV cut 3 candles after v2 starts answering (0.6 of the fixture's 1,440 candles), and
 * the log's lines up to 2 h after its last candle, v9_gone's dropped so that v2 answered the newest. Returns
 * the lines kept, for the caller to write back (changed or not).
 */
async function justPromoted(f: MonitorFixture): Promise<string[]> {
  const v2First = 864;
  await keepCandles(f, v2First + 3);
  const lastCandle = Date.UTC(2026, 0, 1) + (v2First + 2) * 3_600_000;
  return (await Deno.readTextFile(f.predictions)).split("\n").filter((line) => {
    try {
      const r = JSON.parse(line);
      return r.version !== "v9_gone" && Date.parse(r.time) <= lastCandle + 2 * 3_600_000;
    } catch {
      return false;
    }
  });
}

Deno.test("a served version whose every prediction still awaits its horizon is not judged yet: a note, exit 0, not 'ok'", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-served-pending-" });
  try {
    const f = await writeMonitorFixture(dir, 3000);
    // v2 just promoted: its first predictions are on the CSV's last candles, within their 4-candle horizon. The
    // log ends there (nothing newer, v9_gone's lines dropped so that v2 answered the newest).
    const kept = await justPromoted(f);
    await Deno.writeTextFile(f.predictions, kept.join("\n") + "\n");
    const human = await monitorRun(f, ["--fail-on-warning"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stderr,
      /^note: v2_2026-02-01 \(served\): \d+ predictions?, none scored yet: all awaiting their horizon; collect newer candles once the predictions' horizon has passed$/m,
    );
    const json = parseJsonOut((await monitorRun(f, ["--fail-on-warning", "--json"])).stdout);
    assert.equal(json.served_version, "v2_2026-02-01");
    assert.ok(json.counts.awaiting_horizon > 0);
    assert.deepEqual(json.warnings.filter((w) => w.served), []);
    assert.deepEqual(
      json.unjudged.filter((u) => u.version === "v2_2026-02-01").map((u) => `note: ${u.message}`),
      [human.stderr.split("\n").find((l) => l.startsWith("note: v2_2026-02-01 (served)"))],
    );
    assert.equal(json.verdict.status, "nothing_to_score");
    assert.equal(json.verdict.exit_code, 0);
    assert.match(json.verdict.reason, /^nothing to score yet on the served version v2_2026-02-01: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a served version awaiting its horizon beside a prediction on a symbol the CSV lacks: a note, not a warning", async () => {
  // A review: one prediction not found (a symbol the cron's collect does not fetch, the quickstart's demo
  // request) beside a version just promoted whose other predictions await their horizon failed cron, though
  // its scores were only not due yet; the next run scores them.
  const dir = await Deno.makeTempDir({ prefix: "candlecast-monitor-served-stray-" });
  try {
    const f = await writeMonitorFixture(dir, 3000);
    const kept = await justPromoted(f);
    // The first v2 prediction is about a symbol the CSV does not hold.
    const first = kept.findIndex((line) => JSON.parse(line).version === "v2_2026-02-01");
    kept[first] = kept[first].replace(/"symbol":"[^"]*"/, '"symbol":"SOLUSDT"');
    await Deno.writeTextFile(f.predictions, kept.join("\n") + "\n");
    const human = await monitorRun(f, ["--fail-on-warning"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stderr,
      /^note: v2_2026-02-01 \(served\): \d+ predictions, none scored yet: 1 on symbols .* does not hold, \d+ awaiting their horizon/m,
    );
    const json = parseJsonOut((await monitorRun(f, ["--fail-on-warning", "--json"])).stdout);
    assert.deepEqual([json.verdict.status, json.verdict.exit_code], ["nothing_to_score", 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
