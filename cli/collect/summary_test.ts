import assert from "node:assert/strict";
import { gridOf, seriesFromCandles } from "../../features/index.ts";
import { ManualClock } from "./clock.ts";
import { lineProgress, ttyProgress } from "./progress.ts";
import { formatSummary, STEADY_OTHER_STEP, summarize } from "./summary.ts";
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
    replaced: 0,
    jumps: 0,
    largestJump: null,
    first: t0,
    last: t0 + 7 * HOUR,
    grid: "1h",
    missing: 3,
    gaps: 2,
    largest: { after: t0 + HOUR, missing: 2 },
    otherStep: null,
    shortSteps: null,
  });
  assert.equal(
    formatSummary("out.csv", [s]),
    "out.csv: 5 rows for 1 symbol (2 new)\n" +
      "  BTCUSDT  5 rows  (+2)  2024-01-01 00:00 → 2024-01-01 07:00 UTC  " +
      "3 missing 1h candles in 2 gaps (largest 2 after 2024-01-01 01:00)",
  );
  // One of each, in the singular (before: "1 rows").
  const one = summarize(at([t0, t0 + 2 * HOUR]), 1, gridOf("1h"));
  assert.equal(
    formatSummary("out.csv", [{ ...one, rows: 1 }]),
    "out.csv: 1 row for 1 symbol (1 new)\n" +
      "  BTCUSDT  1 row  (+1)  2024-01-01 00:00 → 2024-01-01 02:00 UTC  " +
      "1 missing 1h candle in 1 gap (largest 1 after 2024-01-01 00:00)",
  );
});

Deno.test("summary: a new pair's short history lines up with the others' (flat trial s47)", () => {
  const t0 = utcMs("2023-01-01");
  const hours = (n: number) => Array.from({ length: n }, (_, i) => t0 + i * HOUR);
  const long = summarize(at(hours(3_000)), 3_000, gridOf("1h"));
  const short = { ...summarize(at(hours(60)), 60, gridOf("1h")), symbol: "THINUSDT" };
  // Before: "(+60)  2023-01-01" began three columns left of "(+3,000)  2023-01-01".
  assert.deepEqual(formatSummary("out.csv", [long, short]).split("\n").slice(1), [
    "  BTCUSDT   3,000 rows  (+3,000)  2023-01-01 00:00 → 2023-05-05 23:00 UTC  no gaps",
    "  THINUSDT     60 rows  (+60)     2023-01-01 00:00 → 2023-01-03 11:00 UTC  no gaps",
  ]);
});

Deno.test("summary: a symbol of wide characters (币安人生USDT) lines up with the others on a terminal", () => {
  const t0 = utcMs("2023-01-01");
  const hours = (n: number) => Array.from({ length: n }, (_, i) => t0 + i * HOUR);
  const latin = { ...summarize(at(hours(60)), 60, gridOf("1h")), symbol: "ETHBTC" };
  const han = { ...summarize(at(hours(60)), 60, gridOf("1h")), symbol: "币安人生USDT" };
  // Before: padded by code units (8), the Han row (12 columns wide) ran four columns right of ETHBTC's.
  assert.deepEqual(formatSummary("out.csv", [latin, han]).split("\n").slice(1), [
    "  ETHBTC        60 rows  (+60)  2023-01-01 00:00 → 2023-01-03 11:00 UTC  no gaps",
    "  币安人生USDT  60 rows  (+60)  2023-01-01 00:00 → 2023-01-03 11:00 UTC  no gaps",
  ]);
});

Deno.test("summary: replaced rows are counted and jumps beyond ×3 between closes are flagged", () => {
  const t0 = utcMs("2024-01-05");
  const closes = [42_391.5, 42_400, 2_222.71, 2_230, 2_900, 45_000];
  const s = summarize(
    seriesFromCandles(
      "BTCUSDT",
      closes.map((c, i) => ({ openTime: t0 + i * HOUR, open: c, high: c, low: c, close: c, volume: 1 })),
    ),
    0,
    gridOf("1h"),
    3,
  );
  assert.equal(s.replaced, 3);
  assert.equal(s.jumps, 2, "42,400 → 2,222.71 and 2,900 → 45,000; 2,230 → 2,900 is a plausible move");
  assert.deepEqual(s.largestJump, { at: t0 + 2 * HOUR, from: 42_400, to: 2_222.71 });
  assert.equal(
    formatSummary("train.csv", [s]),
    "train.csv: 6 rows for 1 symbol (0 new)\n" +
      "  BTCUSDT  6 rows  (+0, 3 replaced)  2024-01-05 00:00 → 2024-01-05 05:00 UTC  no gaps\n" +
      "  warning: BTCUSDT has 2 close-to-close jumps beyond ×3 (largest at 2024-01-05 02:00: 42,400 → " +
      "2,222.71); check that every source collected into it holds BTCUSDT",
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

Deno.test("summary: candles of another interval mixed in (1h, then 4h apart) are warned of, outages are not", () => {
  const t0 = utcMs("2023-01-01");
  const hourly = Array.from({ length: 100 }, (_, i) => t0 + i * HOUR);
  const fourHourly = Array.from({ length: 60 }, (_, i) => t0 + 100 * HOUR + i * 4 * HOUR);
  const mixed = summarize(at([...hourly, ...fourHourly]), 160, gridOf("1h"));
  assert.deepEqual(mixed.otherStep, { from: t0 + 100 * HOUR, steps: 59, stepMs: 4 * HOUR });
  // Before: only "180 missing 1h candles in 60 gaps", and train then labelled 4h candles as 1h ones.
  assert.match(
    formatSummary("out.csv", [mixed]),
    /warning: BTCUSDT's candles are 4h apart for 59 steps from 2023-01-05 04:00, not 1h: candles of another interval/,
  );
  // Outages of odd lengths, however many, are gaps and no more.
  const outages = hourly.filter((_, i) => i % 7 !== 3 && i % 11 !== 5);
  assert.equal(summarize(at(outages), outages.length, gridOf("1h")).otherStep, null);
  // Fewer than STEADY_OTHER_STEP steps of one size are not enough to call it another interval.
  const brief = [...hourly, ...fourHourly.slice(0, STEADY_OTHER_STEP - 1)];
  assert.equal(summarize(at(brief), brief.length, gridOf("1h")).otherStep, null);
});

Deno.test("summary: steps shorter than the grid (1h rows in a 4h history an older collect wrote) are warned of", () => {
  const t0 = utcMs("2023-01-01");
  const times = [t0, t0 + HOUR, t0 + 2 * HOUR, t0 + 4 * HOUR, t0 + 8 * HOUR, t0 + 12 * HOUR, t0 + 16 * HOUR];
  const s = summarize(at(times), 0, gridOf("4h"));
  assert.deepEqual(s.shortSteps, { count: 3, from: t0, to: t0 + HOUR });
  // Before: "no gaps" and nothing more, a step shorter than the grid counting no candle missing.
  assert.match(
    formatSummary("out.csv", [s]),
    /\n {2}warning: BTCUSDT has 3 steps shorter than 4h between open times \(the first: 2023-01-01 00:00 → 2023-01-01 01:00\): two candles less than 4h apart cannot both be 4h candles/,
  );
  assert.equal(summarize(at(times.slice(3)), 0, gridOf("4h")).shortSteps, null);
});

Deno.test("progress: the live bar is cut to the terminal's width, so a redraw leaves no row behind", () => {
  const clock = new ManualClock(0);
  let tty = "";
  // "BTCUSDT [######…] 10,000/43,080 candles, 10 req ETA 1.0s" is ~70 characters: on a 40-column terminal it
  // wrapped, and each redraw's erase reached only its last row.
  const bar = ttyProgress((t) => void (tty += t), clock, 24, () => 40);
  bar.start("BTCUSDT", 43_080);
  clock.advance(1000);
  bar.update(10_000, 10);
  const drawn = tty.split("\r\x1b[2K").filter(Boolean);
  assert.ok(drawn.length >= 2 && drawn.every((l) => l.length <= 39), JSON.stringify(drawn));
});
