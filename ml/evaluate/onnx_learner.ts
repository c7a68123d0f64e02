/**
 * A checkpoint evaluated exactly as `serve` answers: its model.onnx on ONNX Runtime through the engine's
 * Predictor (scaler, temperature and return scale inside the graph). It never trains.
 */
import { gatherBatch, type LabelledSet } from "../data/index.ts";
import type { Predictor } from "../../engine/index.ts";
import { type FitReport, type Learner, LearnerError, type LearnerOutput } from "./learner.ts";

const CHUNK = 256;

/**
 * A checkpoint's model.onnx as a learner that only predicts: `fit` and `update` throw a LearnerError. The
 * predictor is its owner's to close.
 */
export class OnnxLearner implements Learner {
  readonly pretrained = true;
  readonly priors?: readonly [number, number, number];
  constructor(readonly name: string, readonly predictor: Predictor) {
    this.priors = predictor.info.preprocessor.classPriors;
  }

  fit(): Promise<FitReport> {
    throw new LearnerError(`${this.name}: a checkpoint on ONNX Runtime cannot be retrained`);
  }

  update(): Promise<FitReport> {
    return this.fit();
  }

  async predict(set: LabelledSet): Promise<LearnerOutput> {
    const p = this.predictor.info.preprocessor;
    const shape = { lookback: p.lookback, horizon: p.horizon, labelRule: p.labelRule };
    const probabilities = new Float32Array(set.size * 3), returns = new Float64Array(set.size);
    for (let i = 0; i < set.size; i += CHUNK) {
      const picks = Int32Array.from({ length: Math.min(CHUNK, set.size - i) }, (_, j) => i + j);
      const batch = gatherBatch(set, picks, shape);
      const out = await this.predictor.predict(batch.x, batch.size);
      out.forEach((r, j) => {
        probabilities.set(r.probabilities, (i + j) * 3);
        returns[i + j] = r.expectedReturn;
      });
    }
    return { probabilities, returns };
  }

  dispose(): void {
    // The predictor's owner closes it (it is async).
  }
}
