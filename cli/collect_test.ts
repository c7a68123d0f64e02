import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTrainingCsv } from "../features/index.ts";
import { seriesSource, syntheticKlines } from "../test/binance_klines_server.ts";
import { startKlinesServer } from "../test/binance_klines_server.ts";
import { candlecastCommand, runCliCaptured } from "../test/cli.ts";

const cli = runCliCaptured;

Deno.test("candlecast collect: a Binance collection end to end, then exit codes for failures", async () => {
  const rows = syntheticKlines("4h", Date.UTC(2022, 0, 1), 1500, { seed: 4 });
  const server = await startKlinesServer({ source: seriesSource({ AAAUSDT: { "4h": rows } }) });
  const dir = await mkdtemp(join(tmpdir(), "collect-cli-"));
  const output = join(dir, "training.csv");
  try {
    const base = ["collect", "--interval", "4h", "--base-url", server.url, "--output", output];
    const ok = await cli([...base, "--symbols", "aaausdt", "--limit", "1200"]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /training\.csv: 1,200 rows for 1 symbol \(1,200 new\)/);
    const [written] = await readTrainingCsv(output);
    assert.equal(written.length, 1200);
    assert.equal(written.openTime[1199], rows[1499].openTime);

    const bad = await cli([...base, "--symbols", "NOPEUSDT"]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.err,
      /^candlecast: Binance rejected NOPEUSDT 4h: Invalid symbol\. \(code -1121\)\nhint: /m,
    );

    for (const args of [["--limit", "5", "--months", "1"], ["--interval", "1H"], ["--json-path", "x.json"]]) {
      const usage = await cli([...base, "--symbols", "AAAUSDT", ...args]);
      assert.equal(usage.code, 2, args.join(" "));
      assert.match(usage.err, /^candlecast: --[a-z-]+:? .*\nhint: /, args.join(" "));
    }
    const json = await cli([
      "collect",
      "--source",
      "json",
      "--json-path",
      join(dir, "none.json"),
      "--output",
      output,
    ]);
    // A missing input file is a usage error (exit 2) naming the flag.
    assert.equal(json.code, 2);
    assert.match(json.err, /--json-path: .*none\.json does not exist/);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test("collect --source csv: a missing or folder --csv-path is named as such, not as a missing --symbol", async () => {
  const dir = await mkdtemp(join(tmpdir(), "collect-cli-csv-"));
  try {
    const output = join(dir, "training.csv");
    // Before: "--symbol is required with --source csv (…prices.csv does not say which symbol it holds)"; given
    // the symbol, the next run only then said the file did not exist.
    for (
      const [path, problem] of [[join(dir, "prices.csv"), "does not exist"], [dir, "is a folder, not a file"]]
    ) {
      const r = await cli(["collect", "--source", "csv", "--csv-path", path, "--output", output]);
      assert.equal(r.code, 2, r.err);
      assert.equal(
        r.err,
        `candlecast: --csv-path: ${path} ${problem}\nhint: point --csv-path at an OHLCV CSV\n`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test({
  name: "candlecast collect: Ctrl-C writes the candles fetched so far, says so, and exits 130",
  ignore: Deno.build.os === "windows",
  async fn() {
    const rows = syntheticKlines("1h", Date.UTC(2022, 0, 1), 2400, { seed: 4 });
    let child: Deno.ChildProcess | undefined;
    // The press comes with the second page's request, which is answered 503 with Retry-After 1 s: the client
    // is then waiting to retry when the signal lands, so exactly the first page is in hand. (Answered at once,
    // the page could arrive before the signal was handled: a race that failed this test once in CI.)
    const server = await startKlinesServer({
      source: seriesSource({ AAAUSDT: { "1h": rows } }),
      fault: (r) => {
        if (r.n !== 2) return undefined;
        child?.kill("SIGINT");
        return { kind: "status", status: 503, retryAfter: 1 };
      },
    });
    const dir = await mkdtemp(join(tmpdir(), "collect-cli-"));
    const output = join(dir, "training.csv");
    try {
      child = candlecastCommand([
        ...["collect", "--symbols", "AAAUSDT", "--interval", "1h", "--start-date", "2022-01-01"],
        ...["--end-date", "2022-04-01", "--base-url", server.url, "--output", output],
      ]).spawn();
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 130, stderr);
      assert.match(stderr, /the candles fetched so far will be merged into/);
      assert.match(
        stderr,
        /^candlecast: collect interrupted; the 1,000 candles fetched were written to .*training\.csv\nhint: /m,
      );
      assert.match(new TextDecoder().decode(out.stdout), /training\.csv: 1,000 rows for 1 symbol/);
      const [written] = await readTrainingCsv(output);
      assert.equal(written.length, 1000);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name:
    "collect --output at a pipe or device is refused before anything is read (it would read back without end)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-collect-fifo-" });
    try {
      const fifo = `${dir}/out.csv`;
      assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0, "mkfifo");
      const csv = `${dir}/BTCUSDT-1h.csv`;
      await Deno.writeTextFile(csv, "open_time,open,high,low,close,volume\n0,1,1,1,1,1\n");
      const { code, err } = await cli(["collect", "--source", "csv", "--csv-path", csv, "--output", fifo]);
      assert.equal(code, 2, err);
      assert.match(err, /--output: .*out\.csv is not a regular file \(a device or a pipe\)/);
      assert.match(err, /hint: name a CSV file/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
