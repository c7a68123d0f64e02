import assert from "node:assert/strict";
import { seriesFromCandles } from "../../features/index.ts";
import { ManualClock } from "./clock.ts";
import { gridOf } from "./intervals.ts";
import { lineProgress, ttyProgress } from "./progress.ts";
import { formatSummary, summarize } from "./summary.ts";
import { HOUR, utcMs } from "../../test/collect_rig.ts";

const at = (times: number[]) =>
  seriesFromCandles(
    "BTCUSDT",
    times.map((t) => ({ openTime: t, open: 1, high: 1, low: 1, close: 1, volume: 1 })),
  );

Deno.test("summary: rows, span and gaps on the interval grid", () => {
  const t0 = utcMs("2024-01-01");
  const s = summarize(at([t0, t0 + HOUR, t0 + 4 * HOUR, t0 + 5 * HOUR, t0 + 7 * HOUR]), 2, gridOf("1h"));
  assert.deepEqual(s, {
    symbol: "BTCUSDT",
    rows: 5,
    added: 2,
    first: t0,
    last: t0 + 7 * HOUR,
    grid: "1h",
    missing: 3,
    gaps: 2,
    largest: { after: t0 + HOUR, missing: 2 },
  });
  assert.equal(
    formatSummary("out.csv", [s]),
    "out.csv: 5 rows for 1 symbol (2 new)\n" +
      "  BTCUSDT  5 rows  (+2)  2024-01-01 00:00 → 2024-01-01 07:00 UTC  " +
      "3 missing 1h candles in 2 gaps (largest 2 after 2024-01-01 01:00)",
  );
});

Deno.test("progress: a live bar on a terminal, throttled plain lines in a log", () => {
  const clock = new ManualClock(0);
  let tty = "";
  const bar = ttyProgress((t) => void (tty += t), clock, 10);
  bar.start("BTCUSDT", 3000);
  clock.advance(2000);
  bar.update(1000, 1);
  assert.ok(
    tty.endsWith("\r\x1b[2KBTCUSDT [###-------] 1,000/3,000 candles, 1 req ETA 4.0s"),
    JSON.stringify(tty),
  );
  bar.notice("BTCUSDT 1h: HTTP 500; retry 2/5 in 1.0 s");
  bar.done(3000, 4);
  assert.match(tty, /HTTP 500; retry 2\/5 in 1\.0 s\n/);
  assert.match(tty, /\[##########\] 3,000\/3,000 candles, 4 req in 2\.0s\n$/);

  const lines: string[] = [];
  const log = lineProgress((t) => void lines.push(t), clock, 10_000);
  log.start("ETHUSDT", 5000);
  log.update(1000, 1); // too soon for a line
  clock.advance(10_000);
  log.update(2000, 2);
  log.done(5000, 5);
  assert.deepEqual(lines, [
    "ETHUSDT: fetching ~5,000 candles\n",
    "ETHUSDT: 2,000/5,000 candles, 2 requests ETA 15s\n",
    "ETHUSDT: 5,000 candles, 5 requests, 10s\n",
  ]);
});
