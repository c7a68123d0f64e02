import assert from "node:assert/strict";
import { seededRng } from "../data/index.ts";
import { softmaxRows } from "../metrics/index.ts";
import {
  blockCalibrationFloor,
  calibrationFloor,
  calibrationOf,
  expectedCalibrationError,
  fitTemperature,
  logProbabilities,
  MIN_FLOOR_BLOCKS,
  ReliabilityAccumulator,
  reliabilityTable,
  temperatureNll,
  unweightLogits,
} from "./calibration.ts";

/** Logits and labels drawn from softmax(logits / trueT): the NLL-optimal temperature is then ≈ trueT. */
function sample(n: number, trueT: number, seed: number) {
  const rng = seededRng(seed);
  const logits = new Float32Array(n * 3).map(() => (rng() - 0.5) * 6);
  const p = softmaxRows(logits, trueT);
  const labels = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng();
    labels[i] = u < p[i * 3] ? 0 : u < p[i * 3] + p[i * 3 + 1] ? 1 : 2;
  }
  return { logits, labels };
}

Deno.test("fitTemperature recovers the temperature the labels were drawn with", () => {
  for (const trueT of [0.5, 1, 2.5]) {
    const { logits, labels } = sample(20_000, trueT, 11);
    const t = fitTemperature(logits, labels);
    assert.ok(Math.abs(t / trueT - 1) < 0.06, `true ${trueT}, fitted ${t}`);
  }
});

Deno.test("the fitted temperature is a minimum of the validation NLL", () => {
  const { logits, labels } = sample(5_000, 1.7, 3);
  const t = fitTemperature(logits, labels);
  const best = temperatureNll(logits, labels, t);
  for (const f of [0.9, 0.99, 1.01, 1.1]) assert.ok(best <= temperatureNll(logits, labels, t * f) + 1e-12);
});

Deno.test("uninformative logits and empty input give T = 1; mismatched input is refused", () => {
  assert.equal(fitTemperature(new Float32Array(30).fill(0.3), new Int8Array(10).fill(1)), 1);
  assert.equal(fitTemperature([], []), 1);
  assert.throws(() => fitTemperature([1, 2, 3], [0, 1]), RangeError);
});

Deno.test("log-probabilities calibrate like logits (softmax ignores a per-row constant)", () => {
  const { logits, labels } = sample(5_000, 2, 5);
  const a = fitTemperature(logits, labels);
  const b = fitTemperature(logProbabilities(softmaxRows(logits)), labels);
  assert.ok(Math.abs(a - b) < 1e-3, `${a} vs ${b}`);
});

Deno.test("reliability table and ECE by hand", () => {
  // Two windows at confidence 0.45 (one right), two at 0.85 (both right).
  const p = [0.45, 0.3, 0.25, 0.25, 0.45, 0.3, 0.85, 0.1, 0.05, 0.05, 0.1, 0.85];
  const table = reliabilityTable(p, [0, 0, 0, 2], 10);
  assert.equal(table.length, 10);
  assert.deepEqual([table[4].count, table[4].accuracy], [2, 0.5]);
  assert.ok(Math.abs(table[4].confidence - 0.45) < 1e-12);
  assert.deepEqual([table[8].count, table[8].accuracy], [2, 1]);
  assert.ok(Number.isNaN(table[0].accuracy));
  // ECE = ½·|0.5 − 0.45| + ½·|1 − 0.85| = 0.1
  assert.ok(Math.abs(expectedCalibrationError(table) - 0.1) < 1e-12);
  // A confidence of exactly 1 lands in the last bin.
  assert.equal(reliabilityTable([1, 0, 0], [0], 10)[9].count, 1);
});

Deno.test("reliability of a chosen class: the probability stated for the class a rule names, not the top one", () => {
  // Every window: SIDEWAYS on top at 0.40, DOWN named at 0.33 (a prior rule's call); DOWN came 1 time in 4.
  const p = Array.from({ length: 4 }, () => [0.33, 0.4, 0.27]).flat();
  const labels = [0, 1, 1, 2];
  const named = [0, 0, 0, 0];
  const top = calibrationOf(p, labels);
  const served = calibrationOf(p, labels, named);
  // Top class: SIDEWAYS came 2 in 4 at 0.40 → |0.5 − 0.4| = 0.1. Named: DOWN 1 in 4 at 0.33 → |0.25 − 0.33|.
  assert.ok(Math.abs(top.ece - 0.1) < 1e-12, `${top.ece}`);
  assert.ok(Math.abs(served.ece - 0.08) < 1e-12, `${served.ece}`);
  assert.equal(served.reliability[3].count, 4);
  assert.ok(Math.abs(served.reliability[3].confidence - 0.33) < 1e-12);
  // Its floor reads the named class's probability: √(2/π)·√(4·0.33·0.67) / 4.
  assert.ok(Math.abs(served.eceFloor - Math.sqrt(2 / Math.PI) * Math.sqrt(4 * 0.33 * 0.67) / 4) < 1e-12);
  assert.ok(Math.abs(top.eceFloor - Math.sqrt(2 / Math.PI) * Math.sqrt(4 * 0.4 * 0.6) / 4) < 1e-12);
  // And from blocks, the same bins.
  const blocks = [0, 1, 2, 3];
  assert.notEqual(
    blockCalibrationFloor(p, labels, blocks, 10, named),
    blockCalibrationFloor(p, labels, blocks),
  );
});

Deno.test("unweightLogits divides out class weights: softmax(z − ln w) ∝ softmax(z) / w", () => {
  const logits = [0.2, 1.1, -0.4, 2, 0, 1];
  const weights = [2, 0.5, 1.25];
  const p = softmaxRows(logits), q = softmaxRows(unweightLogits(logits, weights));
  for (let i = 0; i < 2; i++) {
    const raw = [0, 1, 2].map((k) => p[i * 3 + k] / weights[k]);
    const sum = raw.reduce((a, b) => a + b, 0);
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(q[i * 3 + k] - raw[k] / sum) < 1e-6);
  }
});

Deno.test("calibrationFloor by hand: two windows at 0.5 and one at 0.9", () => {
  // Bin 5: Σ p(1 − p) = 0.5; bin 9: 0.09. Floor = √(2/π)·(√0.5 + √0.09) / 3.
  const p = [0.5, 0.3, 0.2, 0.2, 0.5, 0.3, 0.05, 0.05, 0.9];
  const expected = Math.sqrt(2 / Math.PI) * (Math.sqrt(0.5) + Math.sqrt(0.09)) / 3;
  assert.ok(Math.abs(calibrationFloor(p) - expected) < 1e-12);
  // The streaming accumulator gives the same figure, whatever the labels.
  const acc = new ReliabilityAccumulator();
  for (let i = 0; i < 3; i++) acc.add(p, i * 3, i % 3);
  assert.ok(Math.abs(acc.floor() - expected) < 1e-12);
  assert.ok(Number.isNaN(calibrationFloor([])));
});

Deno.test("calibrationFloor is the ECE a calibrated model shows by chance, shrinking like 1/√n", () => {
  // Labels drawn from the probabilities themselves: calibrated by construction, so any ECE is sampling noise.
  for (const n of [500, 5_000]) {
    const { logits } = sample(n, 1, 7);
    const p = softmaxRows(logits);
    const floor = calibrationFloor(p);
    const rng = seededRng(n);
    let sum = 0;
    const draws = 200;
    for (let d = 0; d < draws; d++) {
      const labels = new Int8Array(n);
      for (let i = 0; i < n; i++) {
        const u = rng();
        labels[i] = u < p[i * 3] ? 0 : u < p[i * 3] + p[i * 3 + 1] ? 1 : 2;
      }
      sum += expectedCalibrationError(reliabilityTable(p, labels));
    }
    const mean = sum / draws;
    assert.ok(
      Math.abs(mean / floor - 1) < 0.1,
      `n ${n}: mean ECE of calibrated draws ${mean}, floor ${floor}`,
    );
  }
  const small = calibrationFloor(softmaxRows(sample(500, 1, 7).logits));
  const large = calibrationFloor(softmaxRows(sample(50_000, 1, 7).logits));
  assert.ok(Math.abs(small / large - 10) < 1, `${small} vs ${large}`);
});

Deno.test("blockCalibrationFloor reads the ECE's noise when windows share outcomes, where calibrationFloor reads half", () => {
  // Calibrated by construction, but each outcome shared by 4 consecutive windows (as overlapping labels are):
  // 4× fewer independent outcomes, so the ECE's noise is √4 = 2× the independent floor.
  const groups = 1_500, share = 4, n = groups * share;
  const { logits } = sample(groups, 1, 11);
  const pGroups = softmaxRows(logits);
  const p = new Float32Array(n * 3).map((_, j) => pGroups[Math.floor(j / 3 / share) * 3 + (j % 3)]);
  const blocks = Int32Array.from({ length: n }, (_, i) => Math.floor(i / (2 * share)));
  const rng = seededRng(3);
  // Ten blocks of very different sizes (1 % … 19 % of the windows): B/(B − 1) would read these low.
  const edges = Array.from({ length: 10 }, (_, k) => (k + 1) * (k + 2) / 110);
  const uneven = Int32Array.from({ length: n }, (_, i) => edges.findIndex((e) => (i + 0.5) / n <= e));
  let ece = 0, blockFloor = 0, independentBlocks = 0, unevenBlocks = 0;
  const draws = 100;
  for (let d = 0; d < draws; d++) {
    const labels = new Int8Array(n), free = new Int8Array(n);
    const draw = (i: number) => {
      const u = rng();
      return u < p[i * 3] ? 0 : u < p[i * 3] + p[i * 3 + 1] ? 1 : 2;
    };
    for (let g = 0; g < groups; g++) labels.fill(draw(g * share), g * share, (g + 1) * share);
    for (let i = 0; i < n; i++) free[i] = draw(i);
    ece += expectedCalibrationError(reliabilityTable(p, labels)) / draws;
    blockFloor += blockCalibrationFloor(p, labels, blocks) / draws;
    independentBlocks += blockCalibrationFloor(p, free, blocks) / draws;
    unevenBlocks += blockCalibrationFloor(p, free, uneven) / draws;
  }
  const floor = calibrationFloor(p);
  assert.ok(Math.abs(unevenBlocks / floor - 1) < 0.15, `uneven blocks: ${unevenBlocks} vs ${floor}`);
  assert.ok(Math.abs(ece / floor - 2) < 0.25, `shared outcomes: mean ECE ${ece}, independent floor ${floor}`);
  assert.ok(Math.abs(blockFloor / ece - 1) < 0.15, `block floor ${blockFloor} vs mean ECE ${ece}`);
  // Independent outcomes: the block floor agrees with the independent one.
  assert.ok(Math.abs(independentBlocks / floor - 1) < 0.15, `${independentBlocks} vs ${floor}`);
  // Bins of fewer than MIN_FLOOR_BLOCKS blocks keep the independent spread; no window, no floor.
  assert.equal(blockCalibrationFloor(p, new Int8Array(n), new Int32Array(n)), floor);
  assert.equal(
    blockCalibrationFloor(p, new Int8Array(n), blocks.map((k) => k % (MIN_FLOOR_BLOCKS - 1))),
    floor,
  );
  assert.ok(Number.isNaN(blockCalibrationFloor([], [], [])));
});

Deno.test("calibrationOf is the reliability table, its ECE and the floor, as train and evaluate report them", () => {
  const probabilities = new Float32Array([0.6, 0.3, 0.1, 0.2, 0.2, 0.6, 0.5, 0.4, 0.1, 0.1, 0.8, 0.1]);
  const labels = new Int8Array([0, 2, 1, 1]);
  const table = reliabilityTable(probabilities, labels);
  assert.deepEqual(calibrationOf(probabilities, labels), {
    reliability: table,
    ece: expectedCalibrationError(table),
    eceFloor: calibrationFloor(probabilities),
  });
});
