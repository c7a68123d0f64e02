import assert from "node:assert/strict";
import type { CandleSeries } from "../../features/index.ts";
import { AUX_CLIP, auxiliaryHorizonList, auxiliaryTargets, windowAuxiliary } from "./auxiliary.ts";
import { windowSet } from "./window_set.ts";

/** A series whose closes are given; the other columns are not read by the auxiliary targets. */
function series(close: number[]): CandleSeries {
  return { symbol: "T", length: close.length, close: Float64Array.from(close) } as unknown as CandleSeries;
}

Deno.test("auxiliary targets: the move in units of σ·√h and the log ratio of realised to past volatility", () => {
  // 21 closes alternating ±1 % → σ of the 20 log returns; then 4 candles of +2 %.
  const close = [100];
  for (let i = 0; i < 20; i++) close.push(close[close.length - 1] * (i % 2 ? 0.99 : 1.01));
  for (let i = 0; i < 4; i++) close.push(close[close.length - 1] * 1.02);
  const e = 20, h = 4;
  const r = Array.from({ length: 20 }, (_, j) => Math.log(close[e - 19 + j] / close[e - 20 + j]));
  const mean = r.reduce((a, b) => a + b) / 20;
  const sigma = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / 19);
  const [ret, vol] = windowAuxiliary(series(close), e, h);
  assert.ok(Math.abs(ret - Math.log(close[e + h] / close[e]) / (sigma * 2)) < 1e-9);
  assert.ok(Math.abs(vol - Math.log(Math.log(1.02) / sigma)) < 1e-9);
});

Deno.test("auxiliary targets are clipped, and a window without history or future gives zeros", () => {
  const flat = Array.from({ length: 30 }, () => 100);
  for (let i = 25; i < 30; i++) flat[i] = 200; // a jump after 20 flat candles: σ ≈ 0, raw targets explode
  const [ret, vol] = windowAuxiliary(series(flat), 22, 4);
  assert.equal(ret, AUX_CLIP);
  assert.equal(vol, AUX_CLIP);
  assert.deepEqual(windowAuxiliary(series(flat), 5, 4), [0, 0]);
  assert.deepEqual(windowAuxiliary(series(flat), 28, 4), [0, 0]);
  const set = windowSet([series(flat)], [Int32Array.of(22, 5)]);
  assert.deepEqual(Array.from(auxiliaryTargets(set, [1, 0], [4])), [0, 0, AUX_CLIP, AUX_CLIP]);
});

Deno.test("auxiliary horizons: the label's alone or 1…h, each window's targets laid out horizon by horizon", () => {
  assert.deepEqual(auxiliaryHorizonList("label", 4), [4]);
  assert.deepEqual(auxiliaryHorizonList("all", 4), [1, 2, 3, 4]);
  const close = Array.from({ length: 40 }, (_, i) => 100 * Math.exp(0.01 * Math.sin(i * 1.7) + 0.002 * i));
  const set = windowSet([series(close)], [Int32Array.of(25, 30)]);
  const out = auxiliaryTargets(set, [1, 0], [1, 2, 4]);
  assert.equal(out.length, 2 * 6);
  for (const [b, e] of [[0, 30], [1, 25]]) {
    [1, 2, 4].forEach((k, i) => {
      const [ret, vol] = windowAuxiliary(series(close), e, k);
      assert.ok(Math.abs(out[b * 6 + 2 * i] - ret) < 1e-6);
      assert.ok(Math.abs(out[b * 6 + 2 * i + 1] - vol) < 1e-6);
    });
  }
});
