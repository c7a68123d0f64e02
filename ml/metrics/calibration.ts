/**
 * Calibration: temperature scaling (one scalar T that divides the logits, fit on validation data by minimising
 * the negative log-likelihood) and the reliability table / expected calibration error that show whether a
 * stated confidence of 0.6 comes true 60 % of the time.
 */
import { argmax3 } from "./classification.ts";

const K = 3;
const EPS = 1e-12;

/** Mean −ln softmax(logits / T)[label] over [n, 3] logits. */
export function temperatureNll(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  temperature: number,
): number {
  const n = labels.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const o = i * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, logits[o + k] / temperature);
    let z = 0;
    for (let k = 0; k < K; k++) z += Math.exp(logits[o + k] / temperature - max);
    sum += max + Math.log(z) - logits[o + labels[i]] / temperature;
  }
  return sum / Math.max(n, 1);
}

export interface TemperatureOptions {
  /** Search range for T (default 0.05 … 20). */
  readonly min?: number;
  readonly max?: number;
  /** Golden-section iterations (default 80: the bracket shrinks to ~1e-16 of its width in log T). */
  readonly iterations?: number;
}

/** The largest temperature `fitTemperature` returns: there the probabilities are nearly uniform. */
export const TEMPERATURE_BOUND = 20;

/**
 * The temperature T > 0 minimising the validation NLL of softmax(logits / T). The NLL is convex in 1/T, hence
 * unimodal in log T, so a golden-section search over log T finds the minimum without derivatives. Returns 1 for
 * empty input or logits that carry no information (all rows equal), where any T fits equally.
 * `logits` may also be log-probabilities (a model already calibrated once): T then rescales them further.
 */
export function fitTemperature(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: TemperatureOptions = {},
): number {
  if (labels.length === 0) return 1;
  if (logits.length !== labels.length * K) {
    throw new RangeError(`fitTemperature: ${labels.length} labels need ${labels.length * K} logits`);
  }
  const f = (logT: number) => temperatureNll(logits, labels, Math.exp(logT));
  let a = Math.log(opts.min ?? 0.05), b = Math.log(opts.max ?? TEMPERATURE_BOUND);
  const flat = Math.abs(f(a) - f(b)) < 1e-12 && Math.abs(f(0) - f(a)) < 1e-12;
  if (flat) return 1;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a), d = a + g * (b - a);
  let fc = f(c), fd = f(d);
  for (let it = 0; it < (opts.iterations ?? 80); it++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}

/**
 * Undoes class-weighted training. Cross-entropy with class weights w is minimised by p̃_k ∝ w_k·p_k, so a model
 * trained that way overstates rare classes by exactly w_k; subtracting ln w_k from its logits gives scores whose
 * softmax estimates the real class probabilities (before temperature scaling, which cannot fix a per-class bias).
 */
export function unweightLogits(logits: ArrayLike<number>, weights: readonly number[]): Float32Array {
  const offsets = weights.map((w) => (w > 0 ? Math.log(w) : 0));
  return Float32Array.from(logits as ArrayLike<number>, (z, i) => z - offsets[i % K]);
}

/** Logits → log-probabilities (what a model that only reports probabilities can hand to `fitTemperature`). */
export function logProbabilities(probabilities: ArrayLike<number>): Float32Array {
  return Float32Array.from(probabilities as ArrayLike<number>, (p) => Math.log(Math.max(p, EPS)));
}

export interface ReliabilityBin {
  /** Confidence range [lower, upper) of the bin (the last bin includes 1). */
  readonly lower: number;
  readonly upper: number;
  /** Windows whose top-class probability falls in the bin. */
  readonly count: number;
  /** Mean top-class probability in the bin (NaN when empty). */
  readonly confidence: number;
  /** Share of those windows whose top class was the true class (NaN when empty). */
  readonly accuracy: number;
}

/**
 * Top-label reliability: windows binned by the probability of their argmax class into `bins` equal-width bins
 * over [0, 1]; a calibrated model has accuracy ≈ confidence in every bin. With three classes the top
 * probability is at least 1/3, so the lowest bins stay empty.
 *
 * With `chosen` (a class per window: the classes a decision rule names), the same table of the probability
 * stated for that class instead: what serve's `confidence` is under the version's rule. Under the prior rule
 * the named class is often not the top one, and its probability is what a bot reads; the top class's table
 * said nothing of it (a model naming DOWN on every window at 0.33 showed a top-label ECE of 0.038 where its
 * served confidence was off by 0.08).
 */
export function reliabilityTable(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 10,
  chosen?: ArrayLike<number>,
): ReliabilityBin[] {
  const acc = new ReliabilityAccumulator(bins);
  for (let i = 0; i < labels.length; i++) acc.add(probabilities, i * K, labels[i], chosen?.[i]);
  return acc.table();
}

/**
 * The window's stated class (`chosen`, else its top class), that class's probability and the reliability bin the
 * probability falls in.
 */
function topBin(probabilities: ArrayLike<number>, offset: number, bins: number, chosen?: number) {
  const top = chosen ?? argmax3(probabilities, offset);
  const p = probabilities[offset + top];
  return { top, p, b: Math.min(bins - 1, Math.max(0, Math.floor(p * bins))) };
}

/** `reliabilityTable` one window at a time (monitor streams predictions through it); the same sums. */
export class ReliabilityAccumulator {
  readonly #count: number[];
  readonly #confidence: number[];
  readonly #hits: number[];
  /** Σ p·(1 − p) of the top-class probabilities per bin: the variance of the bin's hits if p were true. */
  readonly #spread: number[];

  constructor(private readonly bins = 10) {
    this.#count = new Array<number>(bins).fill(0);
    this.#confidence = new Array<number>(bins).fill(0);
    this.#hits = new Array<number>(bins).fill(0);
    this.#spread = new Array<number>(bins).fill(0);
  }

  /**
   * The window whose three probabilities start at `probabilities[offset]`, binned by its top class's
   * probability, or by `chosen`'s (the class served for it) when given.
   */
  add(probabilities: ArrayLike<number>, offset: number, label: number, chosen?: number): void {
    const { top, p, b } = topBin(probabilities, offset, this.bins, chosen);
    this.#count[b]++;
    this.#confidence[b] += p;
    this.#spread[b] += p * (1 - p);
    if (top === label) this.#hits[b]++;
  }

  /** `calibrationFloor` of the windows added so far. */
  floor(): number {
    const n = this.#count.reduce((a, b) => a + b, 0);
    if (n === 0) return NaN;
    return this.#spread.reduce((s, v) => s + Math.sqrt((2 / Math.PI) * v), 0) / n;
  }

  table(): ReliabilityBin[] {
    return this.#count.map((c, b) => ({
      lower: b / this.bins,
      upper: (b + 1) / this.bins,
      count: c,
      confidence: c > 0 ? this.#confidence[b] / c : NaN,
      accuracy: c > 0 ? this.#hits[b] / c : NaN,
    }));
  }
}

/**
 * The ECE a perfectly calibrated model would still show on these windows, from sampling alone: if every top-class
 * probability p were true, a bin's hits would be a sum of Bernoulli(p) draws, so its accuracy would miss its mean
 * confidence by about √(2/π)·√(Σ p(1 − p)) / n_b (the normal approximation of E|hits − Σp|; a little low for bins
 * of a few windows). Summed as ECE weighs bins, it is √(2/π)·Σ_b √(Σ_{i∈b} p_i(1 − p_i)) / n. It needs no labels.
 * It shrinks like 1/√n: about 0.008 on 10,000 windows of these models, 0.016 on 2,500, 0.07 on a day's 120,
 * so an ECE near it says nothing about miscalibration, and a bar like "ECE ≤ 0.02" cannot be read below ~2,000.
 * It assumes independent outcomes, and candles are not: consecutive windows share label candles and symbols
 * move together. Measured from blocks of 96 candles instead, one 1h quarter's floor read ~0.015 rather than
 * 0.008 (an upper bound, as it counts drifts in calibration too), so this is a lower bound: an ECE within
 * about twice it is no evidence of miscalibration either.
 *
 * @example
 * ```ts
 * calibrationFloor([0.5, 0.3, 0.2, 0.2, 0.5, 0.3]); // √(2/π)·√0.5 / 2 ≈ 0.28 for two windows at 0.5
 * ```
 */
export function calibrationFloor(
  probabilities: ArrayLike<number>,
  bins = 10,
  /** The class whose probability each window states (`reliabilityTable`'s); its top class by default. */
  chosen?: ArrayLike<number>,
): number {
  const acc = new ReliabilityAccumulator(bins);
  for (let i = 0; i < probabilities.length / K; i++) acc.add(probabilities, i * K, 0, chosen?.[i]);
  return acc.floor();
}

/** A bin's spread is read from blocks only when its windows fall in at least this many (else the independent one). */
export const MIN_FLOOR_BLOCKS = 6;

/**
 * `calibrationFloor` with the dependence between windows measured instead of assumed away: each bin's spread
 * is read from its residuals (hit − top-class probability) summed per block of time (`blocks[i]`: window i's
 * block), centred on the bin's mean residual (so the miscalibration the ECE measures does not raise its own
 * floor) and divided by 1 − Σc²/C² for blocks of c of the bin's C windows (B/(B − 1) when the blocks are
 * even). Blocks long enough to hold the overlap of labels and every symbol at once (evaluate's 96 candles)
 * carry what independent Bernoulli draws miss. It also counts calibration that drifts within a bin from block
 * to block, so it tends high where `calibrationFloor` is low; an ECE near it is no evidence of
 * miscalibration. A bin whose windows fall in fewer than MIN_FLOOR_BLOCKS blocks keeps the independent spread:
 * a variance from that few sums is too rough to use.
 *
 * @example
 * ```ts
 * // Windows in fewer than MIN_FLOOR_BLOCKS blocks: the independent floor, calibrationFloor's √(2/π)·√1 / 4.
 * blockCalibrationFloor([0.5, 0.3, 0.2, 0.5, 0.3, 0.2, 0.5, 0.3, 0.2, 0.5, 0.3, 0.2], [0, 1, 0, 1], [0, 0, 1, 1]);
 * ```
 */
export function blockCalibrationFloor(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  blocks: ArrayLike<number>,
  bins = 10,
  /** The class whose probability each window states (`reliabilityTable`'s); its top class by default. */
  chosen?: ArrayLike<number>,
): number {
  const n = labels.length;
  if (n === 0) return NaN;
  // Per bin: block → [Σ residual, windows]; and the independent spread Σ p(1 − p) for bins of few blocks.
  const perBin = Array.from({ length: bins }, () => new Map<number, [number, number]>());
  const spread = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const { top, p, b } = topBin(probabilities, i * K, bins, chosen?.[i]);
    const cell = perBin[b].get(blocks[i]) ?? [0, 0];
    cell[0] += (top === labels[i] ? 1 : 0) - p;
    cell[1] += 1;
    perBin[b].set(blocks[i], cell);
    spread[b] += p * (1 - p);
  }
  let sum = 0;
  perBin.forEach((cells, b) => {
    if (cells.size < MIN_FLOOR_BLOCKS) return void (sum += Math.sqrt((2 / Math.PI) * spread[b]));
    let total = 0, count = 0, squares = 0;
    for (const [s, c] of cells.values()) [total, count, squares] = [total + s, count + c, squares + c * c];
    const mean = total / count;
    let centred = 0;
    for (const [s, c] of cells.values()) centred += (s - c * mean) ** 2;
    // E Σ (S_j − c_j·mean)² = Var(Σ S)·(1 − Σ c_j² / C²) for sums independent across blocks.
    sum += Math.sqrt((2 / Math.PI) * centred / (1 - squares / (count * count)));
  });
  return sum / n;
}

/** Expected calibration error: Σ (n_b / n) · |accuracy_b − confidence_b| over the reliability bins. */
export function expectedCalibrationError(table: readonly ReliabilityBin[]): number {
  const n = table.reduce((s, b) => s + b.count, 0);
  if (n === 0) return NaN;
  return table.reduce(
    (s, b) => s + (b.count > 0 ? (b.count / n) * Math.abs(b.accuracy - b.confidence) : 0),
    0,
  );
}

/** What every score of calibration reports: the reliability bins, the ECE over them and its sampling floor. */
export interface Calibration {
  readonly reliability: ReliabilityBin[];
  readonly ece: number;
  readonly eceFloor: number;
}

/**
 * The reliability table, the ECE and its floor of one set of predictions, computed together so `train`'s
 * metrics.json, its report and `evaluate` bin and compare the same way.
 *
 * @example
 * ```ts
 * const { ece, eceFloor } = calibrationOf(probabilities, labels);
 * // The calibration of what is served: the probability of the class a decision rule names.
 * const served = calibrationOf(probabilities, labels, decideClasses(probabilities, "prior", priors));
 * const withinNoise = ece <= 2 * eceFloor; // the floor is a lower bound (see `calibrationFloor`)
 * ```
 */
export function calibrationOf(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  /** The class whose probability each window states (a decision rule's classes); its top class by default. */
  chosen?: ArrayLike<number>,
): Calibration {
  const reliability = reliabilityTable(probabilities, labels, 10, chosen);
  return {
    reliability,
    ece: expectedCalibrationError(reliability),
    eceFloor: calibrationFloor(probabilities, 10, chosen),
  };
}
