/**
 * How far a version's last week of live scores can be trusted: a week's macro-F1 or log-loss lands below or
 * above the test split's about half the time by chance alone, so monitor warns only when the week's 95 %
 * interval lies wholly on the worse side. The week's predictions are kept compactly (the class realised, the
 * class named, −log of the realised class's probability: about 20 bytes each) and resampled in blocks of
 * consecutive predictions, since neighbouring predictions share candles and move together.
 */
import { seededRng } from "../../features/index.ts";

const K = 3;

export interface WeekInterval {
  readonly macro_f1: readonly [number, number];
  readonly log_loss: readonly [number, number];
}

export class WeekSample {
  readonly #labels: number[] = [];
  readonly #named: number[] = [];
  readonly #nll: number[] = [];

  /** One prediction: the realised class, the class named, and the probability given to the realised one. */
  add(label: number, named: number, realisedProbability: number): void {
    this.#labels.push(label);
    this.#named.push(named);
    this.#nll.push(-Math.log(Math.max(realisedProbability, 1e-15)));
  }

  get size(): number {
    return this.#labels.length;
  }

  /**
   * 95 % moving-block bootstrap intervals of macro-F1 and mean log-loss (`resamples` resamples of blocks of
   * `block` consecutive predictions; seeded, so the same week gives the same interval).
   */
  interval(resamples = 400, block = 24, seed = 1): WeekInterval {
    const n = this.size;
    // At least four blocks a resample: with fewer, every resample would repeat the week and the interval shrink
    // to nothing.
    const len = Math.max(1, Math.min(block, Math.floor(n / 4)));
    const rng = seededRng(seed);
    const f1s = new Float64Array(resamples), lls = new Float64Array(resamples);
    const index = new Int32Array(n);
    for (let r = 0; r < resamples; r++) {
      for (let filled = 0; filled < n;) {
        const start = Math.floor(rng() * (n - len + 1));
        for (let k = 0; k < len && filled < n; k++) index[filled++] = start + k;
      }
      f1s[r] = this.#macroF1(index);
      let sum = 0;
      for (const i of index) sum += this.#nll[i];
      lls[r] = sum / n;
    }
    return { macro_f1: percentiles(f1s), log_loss: percentiles(lls) };
  }

  /** Macro-F1 over the rows `index` (a class never named nor realised scores 0, as in computeMetrics). */
  #macroF1(index: Int32Array): number {
    const tp = new Float64Array(K), named = new Float64Array(K), real = new Float64Array(K);
    for (const i of index) {
      named[this.#named[i]]++;
      real[this.#labels[i]]++;
      if (this.#named[i] === this.#labels[i]) tp[this.#labels[i]]++;
    }
    let sum = 0;
    for (let c = 0; c < K; c++) {
      const precision = named[c] > 0 ? tp[c] / named[c] : 0;
      const recall = real[c] > 0 ? tp[c] / real[c] : 0;
      sum += precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    }
    return sum / K;
  }
}

function percentiles(values: Float64Array): [number, number] {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)))];
  return [at(0.025), at(0.975)];
}
