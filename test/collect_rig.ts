/** Helpers for collect's tests: a klines server on a shared fake clock, temp outputs, exact comparisons. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CandleSeries } from "../features/index.ts";
import {
  type KlineRow,
  type KlinesServer,
  type KlinesServerOptions,
  sharedSource,
  startKlinesServer,
} from "./binance_klines_server.ts";
import { ManualClock } from "../cli/collect/clock.ts";
import type { CollectEnv } from "../cli/collect/index.ts";
import { silentProgress } from "../cli/collect/progress.ts";

export const HOUR = 3_600_000;

/** "2023-01-01" or "2023-01-01T10:30" as UTC ms. */
export const utcMs = (iso: string) => Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : `${iso}Z`);

export interface Rig {
  clock: ManualClock;
  server: KlinesServer;
  env: CollectEnv & { printed: string[]; notices: string[] };
  output: string;
}

/** Runs `fn` with a klines server and a collect env sharing one fake clock, and a temp output path. */
export async function withRig(
  start: string,
  options: Omit<KlinesServerOptions, "now" | "source"> & { source?: KlinesServerOptions["source"] },
  fn: (rig: Rig) => Promise<void>,
): Promise<void> {
  const clock = new ManualClock(utcMs(start));
  const server = await startKlinesServer({
    ...options,
    source: options.source ?? sharedSource(),
    now: () => clock.now(),
  });
  const dir = await mkdtemp(join(tmpdir(), "collect-test-"));
  const printed: string[] = [];
  const notices: string[] = [];
  const env = {
    clock,
    progress: { ...silentProgress, notice: (m: string) => void notices.push(m) },
    print: (text: string) => void printed.push(text),
    printed,
    notices,
  };
  try {
    await fn({ clock, server, env, output: join(dir, "training.csv") });
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The rows opening in [from, to). */
export function rowsBetween(rows: readonly KlineRow[], from: number, to: number): KlineRow[] {
  return rows.filter((r) => r.openTime >= from && r.openTime < to);
}

/** The klines' candles as numbers, the decimal strings read as `Number` reads them (`seriesFromCandles`' input). */
export function klineNumbers(rows: readonly KlineRow[]) {
  return rows.map((r) => ({
    openTime: r.openTime,
    open: Number(r.open),
    high: Number(r.high),
    low: Number(r.low),
    close: Number(r.close),
    volume: Number(r.volume),
  }));
}

/** The series holds exactly these candles: same open times, prices equal to the decimal strings' numbers. */
export function assertSameCandles(s: CandleSeries, rows: readonly KlineRow[], what = s.symbol): void {
  assert.equal(s.length, rows.length, `${what}: candle count`);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    assert.equal(s.openTime[i], r.openTime, `${what}[${i}] open_time`);
    for (const col of ["open", "high", "low", "close", "volume"] as const) {
      assert.equal(s[col][i], Number(r[col]), `${what}[${i}] ${col}: ${s[col][i]} vs source "${r[col]}"`);
    }
  }
}
