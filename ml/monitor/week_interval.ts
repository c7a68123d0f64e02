/**
 * How far a version's last week of live scores can be trusted: a week's macro-F1 or log-loss lands below or
 * above the test split's about half the time by chance alone, so monitor warns only when the week's 95 %
 * interval lies wholly on the worse side. The week's predictions are kept compactly (the class realised, the
 * class named, −log of the realised class's probability: about 20 bytes each) and resampled in blocks of
 * consecutive predictions, since neighbouring predictions share candles and move together.
 */
import { seededRng } from "../../features/index.ts";
import { LOG_LOSS_FLOOR, macroF1, standardDeviation, studentT975 } from "../metrics/index.ts";

const K = 3;

/** Consecutive predictions a resampled block holds (a day of 1h candles). */
export const WEEK_BLOCK = 24;
/** The fewest blocks a resample draws: with fewer, every resample would repeat the week. */
export const MIN_WEEK_BLOCKS = 4;

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
    this.#nll.push(-Math.log(Math.max(realisedProbability, LOG_LOSS_FLOOR)));
  }

  get size(): number {
    return this.#labels.length;
  }

  /**
   * 95 % intervals of macro-F1 and mean log-loss: the week's own figure ± Student's t (on the number of blocks
   * less one) times the standard error a moving-block bootstrap gives (`resamples` resamples of blocks of
   * `block` consecutive predictions; seeded, so the same week gives the same interval). The bootstrap's
   * percentiles themselves were too narrow for a week's few blocks: on simulated weeks of a model exactly as
   * good as its test split they put the test figure outside the interval, on the worse side, 7–18 % of the
   * time for one metric or the other (nominal ≤ 5 %); with t, 3.8–6.0 % (`deno task bench:monitor-interval`,
   * 2,000 weeks a size; macro-F1's own small-sample bias keeps it a little above nominal).
   */
  interval(resamples = 400, block = WEEK_BLOCK, seed = 1): WeekInterval {
    const n = this.size;
    // At least four blocks a resample: with fewer, every resample would repeat the week and the interval shrink
    // to nothing.
    const len = Math.max(1, Math.min(block, Math.floor(n / MIN_WEEK_BLOCKS)));
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
    const all = Int32Array.from({ length: n }, (_, i) => i);
    let nll = 0;
    for (const v of this.#nll) nll += v;
    const t = studentT975(Math.max(1, Math.floor(n / len) - 1));
    return {
      macro_f1: around(this.#macroF1(all), standardDeviation(f1s), t),
      log_loss: around(nll / n, standardDeviation(lls), t),
    };
  }

  /** Macro-F1 over the rows `index` (a class never named nor realised scores 0, as in computeMetrics). */
  #macroF1(index: Int32Array): number {
    const confusion = new Float64Array(K * K);
    for (const i of index) confusion[this.#labels[i] * K + this.#named[i]]++;
    return macroF1(confusion);
  }
}

function around(estimate: number, standardError: number, t: number): [number, number] {
  return [estimate - t * standardError, estimate + t * standardError];
}
