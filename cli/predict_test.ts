import assert from "node:assert/strict";
import { join } from "node:path";
import { writeStandInCheckpoint } from "../test/stand_in_checkpoint.ts";
import { predictBody } from "../test/fake_predictor.ts";
import { candlecastCommand, runCandlecast } from "../test/cli.ts";

const cli = runCandlecast;

async function fixture() {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-predict-" });
  const checkpoint = join(dir, "v3_2024-05-05");
  await writeStandInCheckpoint(checkpoint, { version: "v3_2024-05-05" });
  const write = async (name: string, body: unknown) => {
    const path = join(dir, name);
    await Deno.writeTextFile(path, typeof body === "string" ? body : JSON.stringify(body));
    return path;
  };
  return { dir, checkpoint, write, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("predict prints the /predict response for a single body", async () => {
  const f = await fixture();
  try {
    const input = await f.write("request.json", predictBody("BNBUSDT", 70));
    const { code, stdout, stderr } = await cli(["predict", "--input", input, "--checkpoint", f.checkpoint]);
    assert.equal(code, 0, stderr);
    const body = JSON.parse(stdout);
    assert.equal(body.symbol, "BNBUSDT");
    assert.ok(["UP", "DOWN", "SIDEWAYS"].includes(body.prediction));
    assert.equal(body.model_version, "v3_2024-05-05");
    assert.deepEqual(Object.keys(body.probabilities), ["down", "sideways", "up"]);
  } finally {
    await f.cleanup();
  }
});

Deno.test("predict --input - reads the body from standard input", async () => {
  const f = await fixture();
  try {
    const child = candlecastCommand(["predict", "--input", "-", "--checkpoint", f.checkpoint], {
      stdin: "piped",
    })
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(predictBody("BNBUSDT", 70))));
    await writer.close();
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(JSON.parse(new TextDecoder().decode(out.stdout)).symbol, "BNBUSDT");

    // A body it cannot use: the hint names standard input, not a file called "-".
    const bad = candlecastCommand(["predict", "--input", "-", "--checkpoint", f.checkpoint], {
      stdin: "piped",
    })
      .spawn();
    const badWriter = bad.stdin.getWriter();
    await badWriter.write(new TextEncoder().encode(JSON.stringify(predictBody("BNBUSDT", 10))));
    await badWriter.close();
    const refused = await bad.output();
    assert.equal(refused.code, 2);
    assert.match(new TextDecoder().decode(refused.stderr), /\nhint: fix the JSON on standard input\n$/);

    // Nothing piped in: said so, not "malformed JSON (Unexpected end of JSON input)".
    const empty = await candlecastCommand(["predict", "--input", "-", "--checkpoint", f.checkpoint], {
      stdin: "null",
    }).output();
    assert.equal(empty.code, 2);
    assert.match(
      new TextDecoder().decode(empty.stderr),
      /^candlecast: --input: the JSON on standard input is empty\nhint: pipe a \/predict body into it/,
    );
  } finally {
    await f.cleanup();
  }
});

Deno.test("predict reads a body with a byte order mark, from a file and from standard input, as serve does", async () => {
  const f = await fixture();
  try {
    const text = "\uFEFF" + JSON.stringify(predictBody("BNBUSDT", 70));
    const input = await f.write("request.json", text);
    const { code, stdout, stderr } = await cli(["predict", "--input", input, "--checkpoint", f.checkpoint]);
    assert.equal(code, 0, stderr);
    assert.equal(JSON.parse(stdout).symbol, "BNBUSDT");

    const child = candlecastCommand(["predict", "--input", "-", "--checkpoint", f.checkpoint], {
      stdin: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    const out = await child.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(JSON.parse(new TextDecoder().decode(out.stdout)).symbol, "BNBUSDT");
  } finally {
    await f.cleanup();
  }
});

Deno.test("predict answers a batch body with one entry per request; a bad item exits 2 naming it", async () => {
  const f = await fixture();
  try {
    const bad = predictBody("BAD", 50);
    (bad.candles[12] as unknown as Record<string, unknown>).close = "NaN";
    const input = await f.write("batch.json", { requests: [predictBody("A"), bad] });
    const { code, stdout, stderr } = await cli(["predict", "--input", input, "--checkpoint", f.checkpoint]);
    assert.equal(code, 2);
    const { predictions } = JSON.parse(stdout);
    assert.equal(predictions[0].symbol, "A");
    assert.deepEqual(predictions[1], {
      symbol: "BAD",
      status: 422,
      detail: "requests[1].candles[12].close: expected a finite number",
    });
    assert.match(stderr, /1 of 2 requests failed; the first: requests\[1\]\.candles\[12\]\.close/);
    assert.match(stderr, /\nhint: fix .*batch\.json; the other prediction was printed\n/);

    // None printed: the hint says nothing of "the other predictions", and "1 of 1 request" is singular.
    const one = await f.write("one.json", { requests: [bad] });
    const r = await cli(["predict", "--input", one, "--checkpoint", f.checkpoint]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^candlecast: 1 of 1 request failed; the first: requests\[0\]/);
    assert.match(r.stderr, /\nhint: fix \S*one\.json\n$/);
  } finally {
    await f.cleanup();
  }
});

Deno.test("predict: bad input and a wrong --input or --checkpoint path exit 2 with the reason and a hint", async () => {
  const f = await fixture();
  try {
    const short = await f.write("short.json", predictBody("X", 10));
    let r = await cli(["predict", "--input", short, "--checkpoint", f.checkpoint]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /candlecast: candles: expected at least 50 candles \(the model's lookback\), got 10/,
    );

    const broken = await f.write("broken.json", '{"symbol": "X", "candles": [');
    r = await cli(["predict", "--input", broken, "--checkpoint", f.checkpoint]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /candlecast: --input: .*broken\.json is not valid JSON \(.*\)\nhint: fix .*broken\.json: predict reads/,
    );

    // A CSV of candles given by mistake: said what predict reads instead.
    const csv = await f.write("candles.csv", "open_time,open,high,low,close,volume\n1,2,3,1,2,5\n");
    r = await cli(["predict", "--input", csv, "--checkpoint", f.checkpoint]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /is not valid JSON .*\nhint: predict reads a \/predict body in JSON .*not a CSV; see \S+/,
    );
    // The page the hint names exists and documents the body (it once named a README section that was never there).
    const page = /not a CSV; see (\S+) for the body/.exec(r.stderr)?.[1] ?? "";
    assert.match(Deno.readTextFileSync(new URL(`../${page}`, import.meta.url)), /"candles"/);

    // A bare NaN (Python's json.dumps) is refused by field name, as serve refuses it.
    const nan = await f.write(
      "nan.json",
      JSON.stringify(predictBody()).replace(/"close":[^,}]+/, '"close":NaN'),
    );
    r = await cli(["predict", "--input", nan, "--checkpoint", f.checkpoint]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^candlecast: candles\[0\]\.close: expected a finite number\nhint: fix /);

    r = await cli(["predict", "--input", join(f.dir, "nope.json"), "--checkpoint", f.checkpoint]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--input: .*nope\.json does not exist/);

    // A folder for --input is the wrong kind of path (2), not an OS error (1).
    r = await cli(["predict", "--input", f.dir, "--checkpoint", f.checkpoint]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^candlecast: --input: \S+ is a folder, not a file\nhint: name a JSON file/);

    // A missing --checkpoint exits 2, as for export and evaluate.
    const ok = await f.write("ok.json", predictBody());
    r = await cli(["predict", "--input", ok, "--checkpoint", join(f.dir, "missing")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^candlecast: --checkpoint: .*missing does not exist\nhint: /);

    // A `current` whose version was deleted (`rm -rf` to free disk): said as such, with the promote that mends
    // it. Before: "does not exist" and "train one", beside the `current` that `ls` shows.
    await Deno.symlink("v9_2024-05-09", join(f.dir, "current"));
    r = await cli(["predict", "--input", ok, "--checkpoint", join(f.dir, "current")]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^candlecast: --checkpoint: \S+\/current points at v9_2024-05-09, which is not there \(deleted or moved\)\nhint: point it at a version with 'candlecast models promote VERSION --checkpoints \S+' \('candlecast models list --checkpoints \S+' shows them\)\n$/,
    );
    await Deno.remove(join(f.dir, "current"));

    // The folder holding the versions, not a version: names the version to use instead.
    r = await cli(["predict", "--input", ok, "--checkpoint", f.dir]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^candlecast: --checkpoint: \S+ holds model versions but is not one itself\nhint: use --checkpoint \S+\/v3_2024-05-05 /,
    );
  } finally {
    await f.cleanup();
  }
});

Deno.test("--decision prior divides by the version's class priors, and refuses a version without them", async () => {
  const f = await fixture();
  try {
    const input = await f.write("request.json", predictBody("BTCUSDT", 60));
    const refused = await cli([
      "predict",
      "--input",
      input,
      "--checkpoint",
      f.checkpoint,
      "--decision",
      "prior",
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /v3_2024-05-05 has no class priors, which --decision prior needs/);

    const argmax = JSON.parse(
      (await cli(["predict", "--input", input, "--checkpoint", f.checkpoint])).stdout,
    );
    const p = argmax.probabilities;
    const probs: number[] = [p.down, p.sideways, p.up];
    const preprocessorPath = join(f.checkpoint, "preprocessor.json");
    const pre = JSON.parse(await Deno.readTextFile(preprocessorPath));
    const ranked = [0, 1, 2].sort((a, b) => probs[b] - probs[a]);
    const skewed = [0, 0, 0];
    skewed[ranked[0]] = 0.9; // the most probable class is also the commonest …
    skewed[ranked[1]] = 0.05; // … so a less probable, rarer class wins once divided by its prior
    skewed[ranked[2]] = 0.05;
    await Deno.writeTextFile(preprocessorPath, JSON.stringify({ ...pre, classPriors: skewed }));
    const prior = await cli([
      "predict",
      "--input",
      input,
      "--checkpoint",
      f.checkpoint,
      "--decision",
      "prior",
    ]);
    assert.equal(prior.code, 0, prior.stderr);
    const body = JSON.parse(prior.stdout);
    const classes = ["DOWN", "SIDEWAYS", "UP"];
    const expected = [0, 1, 2].reduce(
      (best, k) => probs[k] / skewed[k] > probs[best] / skewed[best] ? k : best,
      0,
    );
    assert.equal(body.prediction, classes[expected]);
    assert.notEqual(body.prediction, argmax.prediction);
    assert.equal(body.confidence, probs[expected], "confidence stays the class's own probability");
  } finally {
    await f.cleanup();
  }
});

Deno.test("predict refuses a body over the API's limits with the API's 413 words (it answered what serve refuses)", async () => {
  const f = await fixture();
  try {
    // 40 requests of 300 candles: about 1.5 MB, over the 1 MiB that serve takes in one body.
    const big = await f.write("big.json", {
      requests: Array.from({ length: 40 }, () => predictBody("A", 300)),
    });
    assert.ok((await Deno.stat(big)).size > 1024 * 1024);
    const r = await cli(["predict", "--input", big, "--checkpoint", f.checkpoint]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^candlecast: --input: \S*big\.json: body: larger than the 1048576-byte limit/);
    assert.match(r.stderr, /\nhint: the HTTP API refuses it too \(413\)/);
    // An input without end (/dev/zero, a runaway pipe) is refused at the limit. Before: read whole first,
    // 4.8 GB in 16 s with nothing said.
    const endless = await cli(["predict", "--input", "/dev/zero", "--checkpoint", f.checkpoint]);
    assert.equal(endless.code, 2, endless.stderr);
    assert.match(
      endless.stderr,
      /^candlecast: --input: \/dev\/zero: body: larger than the 1048576-byte limit/,
    );
    // Over the limit with a BOM (.NET writes one): the size, not "not valid JSON" of the body cut at it.
    const bom = join(f.dir, "bom.json");
    await Deno.writeFile(bom, new Uint8Array([0xef, 0xbb, 0xbf, ...await Deno.readFile(big)]));
    const withBom = await cli(["predict", "--input", bom, "--checkpoint", f.checkpoint]);
    assert.equal(withBom.code, 2, withBom.stderr);
    assert.match(withBom.stderr, /body: larger than the 1048576-byte limit/);
    // Nested past 20,000 objects and arrays: the API's words, not a complaint about the candles.
    const deep = await f.write(
      "deep.json",
      `{"symbol":"A","candles":${"[".repeat(20_001)}${"]".repeat(20_001)}}`,
    );
    const d = await cli(["predict", "--input", deep, "--checkpoint", f.checkpoint]);
    assert.equal(d.code, 2, d.stderr);
    assert.match(d.stderr, /more than 20000 JSON objects and arrays/);
  } finally {
    await f.cleanup();
  }
});

Deno.test("predict refuses candles stamped in local time, off the UTC grid of the version's interval (exit 2)", async () => {
  const f = await fixture();
  try {
    // The stand-in version recorded as trained on 1h candles, as every version train writes now is.
    const manifest = join(f.checkpoint, "manifest.json");
    await Deno.writeTextFile(
      manifest,
      JSON.stringify({ ...JSON.parse(await Deno.readTextFile(manifest)), interval: "1h" }),
    );
    const H = 3_600_000, first = Date.UTC(2026, 0, 1);
    const stamped = (offset: number) => {
      const b = predictBody("BTCUSDT", 50);
      return { ...b, candles: b.candles.map((c, i) => ({ ...c, openTime: first + offset + i * H })) };
    };
    // India's local time (+5:30): before, answered (exit 0).
    const local = await f.write("local.json", stamped(5.5 * H));
    let r = await cli(["predict", "--input", local, "--checkpoint", f.checkpoint]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(
      r.stderr,
      /^candlecast: candles\[0\]\.openTime: \d+ \(2026-01-01T05:30:00\.000Z\): open times are 30 min past the 1h UTC grid \(2026-01-01T05:00:00\.000Z is on it\), where model v3_2024-05-05's candles and the exchange's open: send UTC open times, not local ones\n/,
    );
    r = await cli([
      "predict",
      "--input",
      await f.write("utc.json", stamped(0)),
      "--checkpoint",
      f.checkpoint,
    ]);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await f.cleanup();
  }
});

Deno.test("predict refuses a candle that has not closed by this machine's clock, naming no server (exit 2)", async () => {
  const f = await fixture();
  try {
    const manifest = join(f.checkpoint, "manifest.json");
    await Deno.writeTextFile(
      manifest,
      JSON.stringify({ ...JSON.parse(await Deno.readTextFile(manifest)), interval: "1h" }),
    );
    // The last candle opens an hour after the one forming now: never closed, whenever the test runs.
    const H = 3_600_000, last = Math.floor(Date.now() / H) * H + H;
    const b = predictBody("BTCUSDT", 50);
    const ahead = { ...b, candles: b.candles.map((c, i) => ({ ...c, openTime: last - (49 - i) * H })) };
    const r = await cli([
      "predict",
      "--input",
      await f.write("ahead.json", ahead),
      "--checkpoint",
      f.checkpoint,
    ]);
    assert.equal(r.code, 2, r.stdout);
    // Before: "after this server's clock … this server's clock is behind", of a command no server runs.
    assert.match(
      r.stderr,
      /^candlecast: candles\[49\]\.openTime: \d+ \(\S+\) opens a 1h candle that closes at \S+, after this machine's clock \(\S+\): send closed candles only .*; if that candle has closed, this machine's clock is behind\n/,
    );
    assert.doesNotMatch(r.stderr, /server/);
  } finally {
    await f.cleanup();
  }
});
