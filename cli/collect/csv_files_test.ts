import assert from "node:assert/strict";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { expandCsvPaths, readCsvFiles } from "./csv_files.ts";

Deno.test("expandCsvPaths: files, folders, patterns and comma lists, each file once, in the order named", async () => {
  const dir = await mkdtemp(join(tmpdir(), "csv-paths-"));
  try {
    for (const name of ["ETHUSDT-1h.csv", "BTCUSDT-1h.CSV", "SOLUSDT-4h.csv", "a,b.csv", "README.md"]) {
      await writeFile(join(dir, name), "open_time,open,high,low,close,volume\n");
    }
    await symlink(join(dir, "ETHUSDT-1h.csv"), join(dir, "LINKUSDT-1h.csv"));
    // What macOS leaves beside each file copied to a USB drive: hidden, and no candles.
    await writeFile(join(dir, "._ETHUSDT-1h.csv"), "\0\x05\x16\x07");
    const at = (...names: string[]) => names.map((n) => join(dir, n));
    // A folder: its .csv files (any case, links to files too) by name; the README is not candles.
    assert.deepEqual(
      expandCsvPaths([dir]),
      at("BTCUSDT-1h.CSV", "ETHUSDT-1h.csv", "LINKUSDT-1h.csv", "SOLUSDT-4h.csv", "a,b.csv"),
    );
    assert.deepEqual(
      expandCsvPaths([join(dir, "*-1h.*")]),
      at("BTCUSDT-1h.CSV", "ETHUSDT-1h.csv", "LINKUSDT-1h.csv"),
    );
    assert.deepEqual(expandCsvPaths([join(dir, "[ES]*-?h.csv")]), at("ETHUSDT-1h.csv", "SOLUSDT-4h.csv"));
    // A hidden file is left out of a folder and of '*', as ls and the shell leave it; a pattern naming it finds it.
    assert.deepEqual(expandCsvPaths([join(dir, "*ETH*")]), at("ETHUSDT-1h.csv"));
    assert.deepEqual(expandCsvPaths([join(dir, ".*ETH*")]), at("._ETHUSDT-1h.csv"));
    // A name with a comma in it is a file, not a list; a list is split only when the whole is no file.
    assert.deepEqual(expandCsvPaths(join(dir, "a,b.csv")), at("a,b.csv"));
    assert.deepEqual(
      expandCsvPaths([`${join(dir, "SOLUSDT-4h.csv")}, ${join(dir, "ETHUSDT-1h.csv")}`, dir]),
      at("SOLUSDT-4h.csv", "ETHUSDT-1h.csv", "BTCUSDT-1h.CSV", "LINKUSDT-1h.csv", "a,b.csv"),
    );
    // A link to nothing (a dump on a drive not mounted) fails the run naming it, in a folder as in a pattern:
    // left out, its symbol was missing from the output without a word.
    await symlink(join(dir, "unmounted", "ADAUSDT-1h.csv"), join(dir, "ADAUSDT-1h.csv"));
    for (const value of [dir, join(dir, "*-1h.csv")]) {
      assert.throws(() => expandCsvPaths([value]), (error: UsageError) => {
        assert.ok(error instanceof UsageError);
        assert.match(
          error.message,
          /ADAUSDT-1h\.csv is a link to \S+unmounted\/ADAUSDT-1h\.csv, which does not exist$/,
        );
        return true;
      });
    }
    await rm(join(dir, "ADAUSDT-1h.csv"));
    await symlink("loop_b", join(dir, "loop_a"));
    await symlink("loop_a", join(dir, "loop_b"));
    for (
      const [value, message] of [
        [join(dir, "nope.csv"), /nope\.csv does not exist$/],
        [`${join(dir, "ETHUSDT-1h.csv")},${join(dir, "nope.csv")}`, /nope\.csv does not exist$/],
        [join(dir, "*-15m.csv"), /\*-15m\.csv matches no file$/],
        [join(dir, "no", "*.csv"), /no\/\*\.csv does not exist$/],
        // Before: "does not exist" of a link loop (a docs seat).
        [join(dir, "loop_a"), /loop_a is a symbolic link loop/],
      ] as const
    ) {
      assert.throws(() => expandCsvPaths([value]), (error: UsageError) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, message);
        assert.match(error.message, /^--csv-path: /);
        return true;
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test("two files sharing their boundary candle join into one series with that candle once", async () => {
  // Guards against a training CSV holding the same open time twice when monthly dumps overlap by one candle.
  const dir = await mkdtemp(join(tmpdir(), "csv-join-"));
  try {
    const HOUR = 3_600_000, t0 = Date.UTC(2026, 0, 1);
    const rows = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => `${t0 + (from + k) * HOUR},100,101,99,100.5,10`).join("\n");
    const header = "open_time,open,high,low,close,volume\n";
    await writeFile(join(dir, "a.csv"), header + rows(0, 30) + "\n");
    await writeFile(join(dir, "b.csv"), header + rows(29, 60) + "\n");
    const files = ["a.csv", "b.csv"].map((name) => ({ path: join(dir, name), symbol: "BTCUSDT" }));
    const [series] = (await readCsvFiles(files, undefined, () => {})).series;
    assert.equal(series.length, 60);
    assert.deepEqual(Array.from(series.openTime), Array.from({ length: 60 }, (_, k) => t0 + k * HOUR));
  } finally {
    await rm(dir, { recursive: true });
  }
});
