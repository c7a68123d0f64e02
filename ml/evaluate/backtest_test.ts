import assert from "node:assert/strict";
import { backtest, type BacktestOptions, buyAndHold, feePercent, type SymbolSignals } from "./backtest.ts";

const HOUR = 3_600_000;
const close = [100, 110, 121, 110, 100, 100, 100];
const signals = (pUp: number[], pDown = pUp.map(() => 0)): SymbolSignals => ({
  symbol: "TEST",
  openTime: close.map((_, i) => i * HOUR),
  close,
  ends: Int32Array.from(pUp.map((_, i) => i)),
  pUp,
  pDown,
});
const opts: BacktestOptions = { threshold: 0.5, horizon: 2, fee: 0.001, short: false, periodsPerYear: 8766 };
const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

Deno.test("longs hold `horizon` candles, pay the fee on both sides and never overlap", () => {
  const f = 1 - opts.fee;
  // Signals at t = 0, 1, 3: t = 1 falls inside the first position and is ignored.
  const { summary, curve } = backtest([signals([0.6, 0.6, 0.1, 0.6, 0.1])], opts);
  assert.equal(summary.trades, 2);
  assert.equal(summary.win_rate, 0.5);
  near(summary.total_return, 1.21 * f * f * (100 / 110) * f * f - 1);
  // The trough comes after the second trade's exit fee: peak 1.21·f², trough 1.21·f⁴·100/110.
  near(summary.max_drawdown, 1 - f * f * (100 / 110));
  near(summary.exposure, 4 / 6);
  assert.equal(curve.equity.length, 7);
  near(curve.equity[2], 1.21 * f * f);
  assert.equal(curve.times[6], 6 * HOUR);
});

Deno.test("shorts are taken only when enabled, valued at a fixed notional", () => {
  const pDown = [0, 0, 0.7, 0, 0];
  const longOnly = backtest([signals([0, 0, 0, 0, 0], pDown)], opts);
  assert.equal(longOnly.summary.trades, 0);
  assert.equal(longOnly.summary.total_return, 0);
  assert.ok(Number.isNaN(longOnly.summary.sharpe));
  const f = 1 - opts.fee;
  const withShorts = backtest([signals([0, 0, 0, 0, 0], pDown)], { ...opts, short: true });
  assert.equal(withShorts.summary.trades, 1);
  near(withShorts.summary.total_return, (2 - 100 / 121) * f * f - 1);
  assert.equal(withShorts.summary.win_rate, 1);
});

Deno.test("buy-and-hold spans the same candles with one round trip of fees", () => {
  const f = 1 - opts.fee;
  const { summary } = buyAndHold([signals([0, 0, 0, 0, 0])], opts);
  assert.equal(summary.trades, 1);
  near(summary.total_return, f * f - 1);
  // Peak 1.21·f (entry fee paid), trough f² after the exit fee.
  near(summary.max_drawdown, 1 - f / 1.21);
});

Deno.test("symbols are equal-weight sleeves of one portfolio", () => {
  const a = signals([0.6, 0, 0, 0, 0]);
  const b = { ...signals([0, 0, 0, 0, 0]), symbol: "FLAT" };
  const one = backtest([a], opts).summary.total_return;
  const both = backtest([a, b], opts).summary;
  near(both.total_return, one / 2);
  assert.deepEqual(both.per_symbol.map((s) => s.trades), [1, 0]);
});

Deno.test("a fee is printed as a percentage without float noise", () => {
  assert.deepEqual([0.0007, 0.001, 0.00075, 0].map(feePercent), ["0.07", "0.1", "0.075", "0"]);
});

Deno.test("a probability exactly at the threshold is no trade: --trade-threshold trades only above it", () => {
  // Guards against trading on signals the help says stay out (P(UP) or P(DOWN) "above p").
  const at = backtest([signals([0.5, 0, 0, 0, 0], [0, 0, 0.5, 0, 0])], { ...opts, short: true });
  assert.equal(at.summary.trades, 0);
  const above = backtest([signals([0.5 + 1e-9, 0, 0, 0, 0], [0, 0, 0.5 + 1e-9, 0, 0])], {
    ...opts,
    short: true,
  });
  assert.equal(above.summary.trades, 2);
});

Deno.test("with shorts, a window above the threshold on both sides trades the more probable one", () => {
  // P(UP) 0.35, P(DOWN) 0.45 at a 0.3 threshold: before, UP was taken first and the window was bought (a
  // quant's trial: 23 of gradient boosting's windows at --trade-threshold 0.3).
  const low = { ...opts, threshold: 0.3, short: true };
  const f = 1 - opts.fee;
  const down = backtest([signals([0.35, 0, 0, 0, 0], [0.45, 0, 0, 0, 0])], low).summary;
  assert.equal(down.trades, 1);
  near(down.total_return, (2 - 121 / 100) * f * f - 1); // short from 100 to 121
  const up = backtest([signals([0.45, 0, 0, 0, 0], [0.35, 0, 0, 0, 0])], low).summary;
  near(up.total_return, 1.21 * f * f - 1);
  // A tie goes long, as before; long only, P(DOWN) is never traded.
  const tie = backtest([signals([0.4, 0, 0, 0, 0], [0.4, 0, 0, 0, 0])], low).summary;
  near(tie.total_return, 1.21 * f * f - 1);
  const longOnly =
    backtest([signals([0.35, 0, 0, 0, 0], [0.45, 0, 0, 0, 0])], { ...low, short: false }).summary;
  near(longOnly.total_return, 1.21 * f * f - 1);
});
