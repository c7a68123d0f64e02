/**
 * A simulated held-out set scored by two equally good learners, for checking how often an interval calls one
 * of them better: `retrain`'s block rule (ml/evaluate/holdout_test.ts) and `deno task bench:retrain-blocks`.
 */
import { normalFrom } from "../features/index.ts";

const DAY = 24 * 3_600_000;

/**
 * Two equally good learners on `days` days of `perDay` candles a day, five symbols, horizon 4: both see the
 * labels (drawn from the sum of the next 4 returns) through independent errors that persist from candle to
 * candle, as a model's do.
 */
export function equalLearners(rng: () => number, days: number, perDay: number) {
  const gauss = normalFrom(rng);
  const H = 4, SYMBOLS = 5, candles = days * perDay, size = candles * SYMBOLS;
  const openTime = Float64Array.from(
    { length: candles + H },
    (_, i) => Date.UTC(2024, 0, 1) + (i * DAY) / perDay,
  );
  const set = {
    labels: new Int8Array(size),
    series: Array.from({ length: SYMBOLS }, () => ({ openTime })),
    seriesIndex: new Int32Array(size),
    ends: new Int32Array(size),
    size,
  };
  const learner = () => ({
    scored: { probabilities: new Float32Array(3 * size), classes: new Int8Array(size) },
  });
  const a = learner(), b = learner();
  for (let s = 0; s < SYMBOLS; s++) {
    const r = Array.from({ length: candles + H }, () => gauss());
    let ea = 0, eb = 0;
    for (let c = 0; c < candles; c++) {
      const i = s * candles + c;
      let forward = 0;
      for (let k = 1; k <= H; k++) forward += r[c + k];
      forward /= Math.sqrt(H);
      set.labels[i] = forward < -0.5 ? 0 : forward > 0.5 ? 2 : 1;
      set.seriesIndex[i] = s;
      set.ends[i] = c;
      ea = 0.8 * ea + 0.6 * gauss();
      eb = 0.8 * eb + 0.6 * gauss();
      for (const [m, e] of [[a, ea], [b, eb]] as const) {
        const p = softmax([Math.log(0.31) - 0.3 * e, Math.log(0.38), Math.log(0.31) + 0.3 * e]);
        m.scored.probabilities.set(p, 3 * i);
        m.scored.classes[i] = p.indexOf(Math.max(...p));
      }
    }
  }
  return { set, a, b };
}

function softmax(logits: number[]): number[] {
  const top = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - top));
  const sum = e[0] + e[1] + e[2];
  return e.map((v) => v / sum);
}
