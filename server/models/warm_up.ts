/**
 * A freshly loaded model answers a few throwaway windows before it serves: the first inference pays for
 * allocations and kernel selection, and a model whose output is not a probability distribution is refused
 * here instead of answering the bot with NaN.
 */
import { FEATURE_COUNT } from "../../features/index.ts";
import type { Predictor } from "../../engine/index.ts";

/**
 * Runs `rounds` all-zero windows through a freshly loaded `predictor`; throws when an answer is not finite or
 * its probabilities do not sum to 1 (±1e-3), so such a model never serves.
 */
export async function warmUp(predictor: Predictor, rounds = 3): Promise<void> {
  const { lookback } = predictor.info.preprocessor;
  // All-zero features are valid input: the scaler inside the model maps them to finite values.
  const x = new Float32Array(lookback * FEATURE_COUNT);
  for (let round = 0; round < rounds; round++) {
    const [out] = await predictor.predict(x, 1);
    const sum = out.probabilities.reduce((a, b) => a + b, 0);
    if (![...out.probabilities, out.expectedReturn].every(Number.isFinite) || Math.abs(sum - 1) > 1e-3) {
      throw new Error(
        `model ${predictor.info.version} gave an unusable warm-up prediction ` +
          `(probabilities ${out.probabilities.join(", ")}, expected return ${out.expectedReturn})`,
      );
    }
  }
}
