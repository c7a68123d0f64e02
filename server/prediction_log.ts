/**
 * Every served prediction, appended as one JSON line to `data/predictions.jsonl`, so `candlecast monitor` can
 * later join it with what the market did. Writes are buffered and flushed in the background: the log must
 * never add latency to /predict or fail a request, so a write error is reported once and the lines dropped.
 * The line format (PredictionRecord) lives in engine/, which monitor reads too.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { PredictionRecord } from "../engine/index.ts";
import type { Logger } from "./log.ts";

export interface PredictionLogOptions {
  readonly flushMs?: number;
  readonly maxBuffered?: number;
  readonly log?: Logger;
}

export class PredictionLog {
  readonly #path: string;
  readonly #flushMs: number;
  readonly #maxBuffered: number;
  readonly #log: Logger;
  #lines: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #failed = false;

  constructor(path: string, options: PredictionLogOptions = {}) {
    this.#path = path;
    this.#flushMs = options.flushMs ?? 500;
    this.#maxBuffered = options.maxBuffered ?? 1000;
    this.#log = options.log ?? (() => {});
  }

  get path(): string {
    return this.#path;
  }

  record(entry: PredictionRecord): void {
    if (this.#failed) return;
    this.#lines.push(JSON.stringify(entry) + "\n");
    if (this.#lines.length >= this.#maxBuffered) this.flush();
    else if (this.#timer === undefined) this.#timer = setTimeout(() => this.flush(), this.#flushMs);
  }

  /** Writes what is buffered; resolves when every earlier write has landed. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const text = this.#lines.join("");
    this.#lines = [];
    if (text) this.#writing = this.#writing.then(() => this.#append(text));
    return this.#writing;
  }

  async #append(text: string): Promise<void> {
    try {
      await mkdir(dirname(this.#path), { recursive: true });
      await Deno.writeTextFile(this.#path, text, { append: true });
    } catch (error) {
      this.#failed = true;
      this.#log({
        event: "prediction_log_failed",
        path: this.#path,
        error: error instanceof Error ? error.message : String(error),
        hint: "predictions are still served but no longer logged; fix the path and restart serve",
      });
    }
  }
}
