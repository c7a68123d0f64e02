/**
 * A small seeded random generator (mulberry32): shuffling, subsampling and dropout masks must repeat exactly
 * for the same `--seed`, and Math.random cannot be seeded.
 */
export type Rng = () => number;

/** Uniform floats in [0, 1) from a 32-bit seed; the same seed always gives the same sequence. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `a` in place (Fisher–Yates) and returns it. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T, rng: Rng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }
  return a;
}

/** 0 … n−1 in a random order. */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, rng);
}

/** `k` distinct indices of 0 … n−1, ascending (all of them when k ≥ n). */
export function sampleIndices(n: number, k: number, rng: Rng): Int32Array {
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  return permutation(n, rng).subarray(0, k).sort();
}

/**
 * Standard normal draws from `random` (Box–Muller, one draw of two uniforms each): the demo's simulated market
 * and the interval benches' simulated predictions.
 *
 * @example
 * ```ts
 * const normal = normalFrom(seededRng(1));
 * normal(); // a draw of N(0, 1)
 * ```
 */
export function normalFrom(random: Rng): () => number {
  return () => {
    const u = Math.max(random(), 1e-12), v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}
