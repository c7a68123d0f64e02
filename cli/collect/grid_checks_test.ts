import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gridOf, readTrainingCsv, seriesFromCandles } from "../../features/index.ts";
import { type KlineRow, seriesSource, syntheticKlines } from "../../test/binance_klines_server.ts";
import { HOUR, utcMs, withRig } from "../../test/collect_rig.ts";
import { CommandError, UsageError } from "../errors.ts";
import { type CollectOptions, runCollect } from "./index.ts";
import { refuseOffGrid } from "./grid_checks.ts";

const START = utcMs("2022-01-01");
const HOURLY = syntheticKlines("1h", START, 1200, { seed: 5 });
const source = seriesSource({});

/** `rows` as an OHLCV CSV at `path`; resolves to `path`. */
async function writeOhlcvCsv(path: string, rows: readonly KlineRow[]): Promise<string> {
  const lines = rows.map((r) => [r.openTime, r.open, r.high, r.low, r.close, r.volume].join(","));
  await writeFile(path, ["open_time,open,high,low,close,volume", ...lines].join("\n"));
  return path;
}

/** 60 1h candles, then 4h ones (every 4th hour, on the 4h grid) to the end: most steps 4h, the first 1h. */
const MIXED = [
  ...HOURLY.slice(0, 60),
  ...HOURLY.slice(60).filter((r) => (r.openTime - START) % (4 * HOUR) === 0),
];

const csv = (path: string, interval?: CollectOptions["interval"], output?: string): CollectOptions => ({
  source: "csv",
  files: [{ path, symbol: "AAAUSDT" }],
  interval,
  output: output ?? join(dirname(path), "training.csv"),
});

Deno.test("collect: 1h candles before 4h ones are refused, not collected as 4h with no gaps; --interval 1h takes them", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const path = await writeOhlcvCsv(join(dirname(rig.output), "mixed.csv"), MIXED);
    const first = `(the first: ${new Date(START).toISOString()} → ${
      new Date(START + HOUR).toISOString()
    }, 1h apart)`;
    const refused: [CollectOptions, string][] = [
      [
        csv(path),
        `${path} holds 4h candles (its most common step between open times), but 60 steps between its open ` +
        `times are shorter than 4h ${first}: two candles less than 4h apart cannot both be 4h candles; ` +
        "nothing was written",
      ],
      [
        csv(path, "4h"),
        `--interval 4h: in ${path}, 60 steps between its open times are shorter than 4h ${first}: two candles ` +
        "less than 4h apart cannot both be 4h candles; nothing was written",
      ],
    ];
    for (const [options, message] of refused) {
      // Before: 'mixed.csv: … rows … no gaps', exit 0, the 1h candles read as 4h ones off the 4h grid.
      await assert.rejects(runCollect(options, rig.env), (e: Error) => {
        assert.ok(e instanceof CommandError && !(e instanceof UsageError), e.message);
        assert.equal(e.message, message);
        assert.equal(
          e.hint,
          "one file holds one interval: collect the 1h and 4h candles from separate files; if they are all 1h " +
            "candles with gaps, give --interval 1h; local times step short where daylight saving ends: if that " +
            "is the cause, convert them to UTC",
        );
        return true;
      });
      await assert.rejects(Deno.stat(options.output), Deno.errors.NotFound, "nothing written");
    }
    // Another interval named is refused, offering the one it is accepted at.
    await assert.rejects(runCollect(csv(path, "2h"), rig.env), (e: Error) => {
      assert.ok(e instanceof UsageError, e.message);
      assert.match(e.hint!, /^give --interval 1h, its shortest step, of which every step is a whole number/);
      return true;
    });

    // The shortest step, of which every step is a whole number: 1h candles with gaps, and the warning.
    const report = await runCollect(csv(path, "1h"), rig.env);
    assert.equal(report.summaries[0].grid, "1h");
    assert.equal(report.summaries[0].missing, (MIXED.length - 61) * 3);
    assert.match(
      rig.env.printed.at(-1)!,
      /warning: AAAUSDT's candles are 4h apart .* not 1h: candles of another/,
    );
    assert.deepEqual(
      Array.from((await readTrainingCsv(rig.output))[0].openTime),
      MIXED.map((r) => r.openTime),
    );
    // The same command again reads its own output at 1h (by its most common step it is 4h, and was refused).
    const written = await readFile(rig.output, "utf8");
    assert.equal((await runCollect(csv(path, "1h"), rig.env)).summaries[0].added, 0);
    assert.equal(await readFile(rig.output, "utf8"), written);
    // And a top-up of the next 1h candles extends it: compared by its 4h step, each read as a 4h candle's twin.
    const next = HOURLY.filter((r) => r.openTime > MIXED.at(-1)!.openTime).slice(0, 5);
    const topUp = await writeOhlcvCsv(join(dirname(rig.output), "next.csv"), next);
    assert.equal((await runCollect(csv(topUp, "1h"), rig.env)).summaries[0].added, next.length);
    // So does a folder of such files: compared by their steps, the files were refused as of another interval.
    const other = await writeOhlcvCsv(join(dirname(rig.output), "BBBUSDT-1h.csv"), HOURLY.slice(0, 100));
    const both: CollectOptions = {
      source: "csv",
      files: [{ path, symbol: "AAAUSDT" }, { path: other, symbol: "BBBUSDT" }],
      interval: "1h",
      output: join(dirname(rig.output), "both.csv"),
    };
    assert.deepEqual((await runCollect(both, rig.env)).summaries.map((s) => s.grid), ["1h", "1h"]);
    // On the 1h grid it was given: first candle at 01:00 is on it (by its 4h step, 1 hour past the UTC grid).
    const late = await writeOhlcvCsv(join(dirname(rig.output), "late.csv"), MIXED.slice(1));
    rig.env.printed.length = 0;
    await runCollect(csv(late, "1h", join(dirname(rig.output), "late_out.csv")), rig.env);
    assert.ok(!rig.env.printed.some((line) => /UTC grid/.test(line)), rig.env.printed.join("\n"));
  }));

Deno.test("collect: 1h candles with every third missing (as many 2h steps as 1h) are 1h with gaps, not 2h", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    // Every third candle left out from the second: 2h, 1h, 2h, 1h…, the first step 2h, as many of each.
    const sparse = HOURLY.slice(0, 301).filter((_, i) => i % 3 !== 1);
    const path = await writeOhlcvCsv(join(dirname(rig.output), "sparse.csv"), sparse);
    // Before: collected as 2h with "no gaps" (the tie went to the step seen first), and --interval 1h refused.
    const report = await runCollect(csv(path), rig.env);
    assert.equal(report.summaries[0].grid, "1h");
    assert.equal(report.summaries[0].missing, 100);
  }));

Deno.test("collect: --interval 1h on a file of 4h candles is still refused", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const path = await writeOhlcvCsv(
      join(dirname(rig.output), "four.csv"),
      syntheticKlines("4h", START, 100, { seed: 8 }),
    );
    await assert.rejects(
      runCollect(csv(path, "1h"), rig.env),
      (e: Error) =>
        e instanceof UsageError && /holds 4h candles/.test(e.message) && /^give --interval 4h/.test(e.hint!),
    );
  }));

Deno.test("collect --source json: a symbol's candles closer than its interval are refused, naming the symbol", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const jsonPath = join(dirname(rig.output), "export.json");
    const candles = (rows: readonly KlineRow[]) =>
      rows.map((r) => ({ t: r.openTime, o: r.open, h: r.high, l: r.low, c: r.close, v: r.volume }));
    await writeFile(
      jsonPath,
      JSON.stringify([
        { symbol: "AAAUSDT", candles: candles(HOURLY.slice(0, 100)) },
        // A candle stamped with its close time, 1 ms before the grid: no 1h candle, whatever the others are.
        {
          symbol: "BBBUSDT",
          candles: candles([...HOURLY.slice(0, 50), { ...HOURLY[50], openTime: HOURLY[50].openTime - 1 }]),
        },
      ]),
    );
    await assert.rejects(
      runCollect({ source: "json", jsonPath, output: rig.output }, rig.env),
      (e: Error) => {
        assert.ok(e instanceof CommandError, e.message);
        assert.match(
          e.message,
          /but 1 step between BBBUSDT's open times is shorter than 1h \(the first: .* 3599999ms apart\)/,
        );
        assert.match(e.hint!, /leave out the candles less than 1h after the one before/);
        return true;
      },
    );
  }));

Deno.test("collect: weekly and monthly candles stamped with close times or off their UTC start are said as such", () =>
  withRig("2023-01-01", { source }, async (rig) => {
    const folder = dirname(rig.output);
    const monday = utcMs("2018-01-01"); // a Monday, where Binance's 1w candles open
    const weeks = syntheticKlines("1w", monday, 120, { seed: 3 });
    const months = syntheticKlines("1M", utcMs("2018-01-01"), 40, { seed: 4 });
    const shifted = (rows: readonly KlineRow[], by: number) =>
      rows.map((r) => ({ ...r, openTime: r.openTime + by }));
    const D = 24 * HOUR;
    const refused: [string, KlineRow[], RegExp][] = [
      // Before: collected without a word (the UTC grid check skipped steps that do not divide a day).
      [
        "weeks_close.csv",
        shifted(weeks, 7 * D - 1),
        /^AAAUSDT's 1w candles are stamped like 2018-01-07T23:59:59\.999Z, 1 ms before the grid candles open on \(2018-01-08T00:00:00\.000Z\): those are close times/,
      ],
      // Before: "holds 31d candles … but 17 steps … are shorter than 31d", hinting to leave out 5 months in 12.
      [
        "months_close.csv",
        shifted(months, -1),
        /^AAAUSDT's monthly candles in .*months_close\.csv are stamped like 2017-12-31T23:59:59\.999Z, 1 ms before a month begins: those are close times/,
      ],
      [
        "months_utc8.csv",
        shifted(months, -8 * HOUR),
        /^AAAUSDT's monthly candles in .*months_utc8\.csv open 8 h before each month begins in UTC \(2017-12-31T16:00:00\.000Z, not 2018-01-01T00:00:00\.000Z\): month starts in a local time zone/,
      ],
    ];
    for (const [name, rows, message] of refused) {
      const path = await writeOhlcvCsv(join(folder, name), rows);
      await assert.rejects(
        runCollect(csv(path, undefined, join(folder, `out_${name}`)), rig.env),
        (e: Error) => e instanceof CommandError && message.test(e.message),
        name,
      );
    }
    // Weeks opening on Sunday: self-consistent data, collected with a warning as other off-grid candles are.
    const sunday = await writeOhlcvCsv(join(folder, "weeks_sunday.csv"), shifted(weeks, -D));
    rig.env.printed.length = 0;
    await runCollect(csv(sunday, undefined, join(folder, "out_sunday.csv")), rig.env);
    assert.ok(
      rig.env.printed.some((l) =>
        /^warning: AAAUSDT's 1w candles open 6 days past the UTC grid exchanges use/.test(l)
      ),
      rig.env.printed.join("\n"),
    );
    // Candles on the grid pass as before: Monday weeks, and calendar months, which are named 1M.
    const report = await runCollect(
      csv(await writeOhlcvCsv(join(folder, "months.csv"), months), undefined, join(folder, "out_m.csv")),
      rig.env,
    );
    assert.equal(report.summaries[0].grid, "1M");
    await runCollect(
      csv(await writeOhlcvCsv(join(folder, "weeks.csv"), weeks), undefined, join(folder, "out_w.csv")),
      rig.env,
    );
  }));

/** `n` flat AAAUSDT 1h candles from `from`, the i-th moved by `shift(i)` ms. */
const hourly = (n: number, from = START, shift = (_: number) => 0) =>
  seriesFromCandles(
    "AAAUSDT",
    Array.from({ length: n }, (_, i) => ({
      openTime: from + i * HOUR + shift(i),
      open: 1,
      high: 1,
      low: 1,
      close: 1,
      volume: 1,
    })),
  );

Deno.test("refuseOffGrid: the output's rows give the grid by where most open, and are not refused for a stretch off it", () => {
  // Rows a Binance collect wrote, Binance's maintenance klines of 2018-02-10 among them (28 min 14.789 s past).
  const maintenance = 28 * 60_000 + 14_789;
  const rows = hourly(100, START, (i) => (i >= 40 && i < 67 ? maintenance - HOUR : 0));
  const grid = gridOf("1h");
  // Candles on the grid most rows share: a CSV's and Binance's alike.
  for (const strict of [true, false]) {
    refuseOffGrid([rows], [hourly(50, START + 200 * HOUR)], grid, "out.csv", { strict });
  }
  // Binance's own klines are kept as the exchange has them (some open on the rows' grid, as 21 of these 48 do;
  // 27 are the maintenance's); a file's candles off it are not.
  const exchange = hourly(48, START + 200 * HOUR, (i) => (i >= 1 && i < 28 ? maintenance - HOUR : 0));
  refuseOffGrid([rows], [exchange], grid, "out.csv", { strict: false });
  refuseOffGrid([], [exchange], grid, "out.csv", { strict: false });
  assert.throws(
    () => refuseOffGrid([rows], [exchange], grid, "out.csv", { locate: (_, t) => `x.csv at ${t}` }),
    (e: Error) =>
      e instanceof CommandError &&
      /^x\.csv at \d+: AAAUSDT's 1h candle opening .* lies 1,694,789 ms past/.test(e.message),
  );
  // Months have no fixed length: not checked.
  refuseOffGrid([], [hourly(10, START, (i) => (i % 2) * 1000)], gridOf("1M"), "out.csv");
});

Deno.test("refuseOffGrid: Binance's candles on any grid the rows hold are taken; a refusal's example row is on the grid it names", () => {
  const maintenance = 28 * 60_000 + 14_789;
  const grid = gridOf("1h");
  // Rows of Binance's 2018-02-10..12 (27 of 48 at :28:14.789, the others on the hour), then klines on the hour.
  // Before: refused, the grid taken from the maintenance's 27 rows.
  const february = hourly(48, START, (i) => (i >= 1 && i < 28 ? maintenance - HOUR : 0));
  refuseOffGrid([february], [hourly(48, START + 500 * HOUR)], grid, "out.csv", { strict: false });
  // Klines on neither: refused, the example row one on the grid named (before: the nearest row, on the hour).
  assert.throws(
    () =>
      refuseOffGrid(
        [february],
        [hourly(48, START + 500 * HOUR + HOUR / 2)],
        grid,
        "out.csv",
        { strict: false },
      ),
    (e: Error) => {
      assert.ok(e instanceof CommandError);
      assert.equal(
        e.message,
        "AAAUSDT's 1h candle opening 2022-01-21T20:30:00.000Z lies 105,211 ms past the grid of 27 of its 48 " +
          "rows in out.csv, which open like 2022-01-02T02:28:14.789Z: one symbol's candles lie on one grid; " +
          "nothing was written",
      );
      return true;
    },
  );
  // A file's candle off the rows' grid, nearest a stretch off it: the example is the nearest row on the grid.
  const rows = hourly(100, START, (i) => (i >= 40 && i < 67 ? maintenance - HOUR : 0));
  assert.throws(
    () => refuseOffGrid([rows], [hourly(1, START + 50 * HOUR + HOUR / 2)], grid, "out.csv"),
    (e: Error) => {
      assert.ok(e instanceof CommandError);
      assert.match(
        e.message,
        /^AAAUSDT's 1h candle opening 2022-01-03T02:30:00\.000Z lies 30 min past the grid of 73 of its 100 rows in out\.csv, which open like 2022-01-02T15:00:00\.000Z:/,
      );
      return true;
    },
  );
});
