/**
 * Two collects into one file at once (cron overlapping a manual run) must both land: every symbol's rows are
 * in the file afterwards. Without the output lock both read the old file and the later rename dropped the
 * other's symbol (issue 13.9: 3 of 3 runs lost rows, both exiting 0).
 */
import assert from "node:assert/strict";
import { symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readTrainingCsv } from "../../features/index.ts";
import { lockFile, lockPathFor } from "../../base/index.ts";
import { CommandError } from "../errors.ts";
import { syntheticKlines } from "../../test/binance_klines_server.ts";
import { candlecastCommand } from "../../test/cli.ts";
import { runCollect } from "./index.ts";
import { silentProgress } from "./progress.ts";
import { systemClock } from "./clock.ts";
import { utcMs } from "../../test/collect_rig.ts";

const ROWS = 1000;
const SYMBOLS = ["AAAUSDT", "BBBUSDT", "CCCUSDT"];

async function csvFiles(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (const [k, symbol] of SYMBOLS.entries()) {
    const rows = syntheticKlines("1h", utcMs("2022-01-01"), ROWS, { seed: k + 1 });
    const path = join(dir, `${symbol}-1h.csv`);
    await writeFile(
      path,
      [
        "open_time,open,high,low,close,volume",
        ...rows.map((r) => [r.openTime, r.open, r.high, r.low, r.close, r.volume]),
      ]
        .join("\n"),
    );
    paths.push(path);
  }
  return paths;
}

async function rowsLost(output: string): Promise<number> {
  const series = await readTrainingCsv(output);
  const bySymbol = new Map(series.map((s) => [s.symbol, s.length]));
  return SYMBOLS.reduce((lost, s) => lost + ROWS - (bySymbol.get(s) ?? 0), 0);
}

Deno.test("collect race: 3 collects into one file at once, 10 trials in one process → 0 rows lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-race-" });
  try {
    const paths = await csvFiles(dir);
    const env = { clock: systemClock, progress: silentProgress, print: () => {} };
    let lost = 0;
    for (let trial = 0; trial < 10; trial++) {
      const output = join(dir, `in_process_${trial}.csv`);
      await Promise.all(
        paths.map((csvPath, k) =>
          runCollect({ source: "csv", files: [{ path: csvPath, symbol: SYMBOLS[k] }], output }, env)
        ),
      );
      lost += await rowsLost(output);
    }
    console.log(`collect race, in process: 10 trials × 3 collects, rows lost ${lost}`);
    assert.equal(lost, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collect race: 3 candlecast processes into one file, 3 trials → 0 rows lost, all exit 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-race-" });
  try {
    const paths = await csvFiles(dir);
    let lost = 0;
    for (let trial = 0; trial < 3; trial++) {
      const output = join(dir, `processes_${trial}.csv`);
      const runs = await Promise.all(
        paths.map((csvPath) =>
          candlecastCommand(["collect", "--source", "csv", "--csv-path", csvPath, "--output", output])
            .output()
        ),
      );
      for (const run of runs) assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
      lost += await rowsLost(output);
    }
    console.log(`collect race, processes: 3 trials × 3 processes, rows lost ${lost}`);
    assert.equal(lost, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collect into a symlink takes the lock of the file it leads to, and sweeps a killed run's temps there", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-race-" });
  try {
    const [csvPath] = await csvFiles(dir);
    const real = join(dir, "real.csv");
    const link = join(dir, "link.csv");
    await symlink("real.csv", link);
    // A collect into real.csv under way: it holds real.csv's lock. By the link's own name (.link.csv.lock) the
    // two ran at once, and the later rename dropped the other's rows (helper trial s43: 2 of 6 runs, both exit 0).
    const other = await lockFile(lockPathFor(real), `collect into ${real}`, { waitMs: 0 });
    const files = [{ path: csvPath, symbol: SYMBOLS[0] }];
    const notices: string[] = [];
    const env = {
      clock: systemClock,
      progress: { ...silentProgress, notice: (m: string) => void notices.push(m) },
      print: () => {},
      lockWaitMs: 0,
    };
    try {
      await assert.rejects(
        runCollect({ source: "csv", files, output: link }, env),
        (e) =>
          e instanceof CommandError &&
          e.message.startsWith(`${link} is still in use by collect into ${real}`),
      );
    } finally {
      other.release();
    }
    // A temp left by a killed collect is beside the file written, real.csv, not beside the link.
    const orphan = `${real}.${2 ** 22 + 99}.abcdef01.tmp`; // a pid above pid_max: a writer that is gone
    await writeFile(orphan, "symbol,open_time\nhalf a fi");
    await runCollect({ source: "csv", files, output: link }, env);
    assert.equal(await rowsLost(real), (SYMBOLS.length - 1) * ROWS);
    assert.ok((await Deno.lstat(link)).isSymlink);
    if (Deno.build.os === "linux") {
      await assert.rejects(Deno.stat(orphan), Deno.errors.NotFound);
      assert.ok(
        notices.some((n) => n.includes("removed 1 temp file left by a killed run")),
        notices.join("\n"),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
