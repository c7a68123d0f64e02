/**
 * Dynamic batching for a busy server: windows that arrive while the model is computing wait and then share
 * its next call, up to `maxBatch` windows. ONNX Runtime runs on the JavaScript thread here, so concurrent
 * requests would otherwise queue for one batch-1 call each; one call for many windows costs less per window.
 * A lone request still runs at once, alone (so at low load answers equal the offline batch-1 prediction bit
 * for bit); under load a window's last float bits can depend on its batch-mates (kernels sum in another
 * order), differences around 1e-8. `maxBatch` 1 turns batching off. Each predictor is wrapped on its own,
 * so a batch never mixes model versions.
 */
import { FEATURE_COUNT } from "../../features/index.ts";
import type { Predictor, RawPrediction } from "../../engine/index.ts";

interface Job {
  readonly x: Float32Array;
  readonly count: number;
  readonly resolve: (out: RawPrediction[]) => void;
  readonly reject: (error: unknown) => void;
}

class CoalescingPredictor implements Predictor {
  readonly #queue: Job[] = [];
  #scheduled = false;
  #running = false;
  readonly #windowSize: number;

  constructor(readonly inner: Predictor, readonly maxBatch: number) {
    this.#windowSize = inner.info.preprocessor.lookback * FEATURE_COUNT;
  }

  get info() {
    return this.inner.info;
  }

  get device() {
    return this.inner.device;
  }

  predict(x: Float32Array, count: number): Promise<RawPrediction[]> {
    if (count >= this.maxBatch) return this.inner.predict(x, count);
    return new Promise((resolve, reject) => {
      this.#queue.push({ x, count, resolve, reject });
      this.#schedule();
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    // After the current I/O turn: requests that became ready together are enqueued before the call starts.
    setImmediate(() => this.#flush());
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const jobs: Job[] = [];
    let windows = 0;
    while (this.#queue.length > 0 && (jobs.length === 0 || windows + this.#queue[0].count <= this.maxBatch)) {
      const job = this.#queue.shift()!;
      jobs.push(job);
      windows += job.count;
    }
    if (jobs.length === 0) return;
    this.#running = true;
    try {
      const size = this.#windowSize;
      let x = jobs[0].x;
      if (jobs.length > 1) {
        x = new Float32Array(windows * size);
        let at = 0;
        for (const job of jobs) {
          x.set(job.x.subarray(0, job.count * size), at * size);
          at += job.count;
        }
      }
      const out = await this.inner.predict(x, windows);
      let at = 0;
      for (const job of jobs) {
        job.resolve(out.slice(at, at + job.count));
        at += job.count;
      }
    } catch (error) {
      for (const job of jobs) job.reject(error);
    } finally {
      this.#running = false;
      if (this.#queue.length > 0) this.#schedule();
    }
  }
}

/** `predictor` with dynamic batching of up to `maxBatch` windows per call (itself when `maxBatch` ≤ 1). */
export function coalesce(predictor: Predictor, maxBatch: number): Predictor {
  return maxBatch <= 1 ? predictor : new CoalescingPredictor(predictor, maxBatch);
}
