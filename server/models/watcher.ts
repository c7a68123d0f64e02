/**
 * Follows the checkpoint pointer (`checkpoints/current`, a symlink that `train` and `models promote` switch
 * atomically): when it points somewhere new, the new version is loaded and warmed up in the background and
 * then installed in the store in one step. A version that fails to load is reported and retried: at once
 * when one of its files changes (someone fixed it), else with backoff (5 s doubling to 5 min); the model
 * already serving keeps serving meanwhile.
 */
import { basename, dirname } from "node:path";
import { shellWord, timerMs } from "../../base/index.ts";
import { isVersionName, type Predictor } from "../../engine/index.ts";
import type { ModelStore } from "./store.ts";
import { holdVersion, type VersionHold } from "./version_hold.ts";
import { warmUp } from "./warm_up.ts";

/** Loads the model of one resolved version folder (the ONNX engine in production, a fake in tests). */
export type LoadModel = (versionDir: string) => Promise<Predictor>;

export interface WatcherOptions {
  /** The checkpoint path as the user gave it, usually `checkpoints/current`. */
  readonly pointer: string;
  readonly load: LoadModel;
  /** How often the pointer is re-read; a promote is picked up within this time. */
  readonly intervalMs?: number;
  /** Receives one structured event per load, failure or missing pointer. */
  readonly log?: (event: Record<string, unknown>) => void;
  /** First wait before a failed version is tried again (default 5 s); doubles per failure. */
  readonly retryBaseMs?: number;
  /** Longest wait between tries of a failed version (default 5 min). */
  readonly retryMaxMs?: number;
  /**
   * A version folder to serve when `start` finds nothing servable at `pointer`: the one the rest of the service
   * serves, for a worker restarted while `current` is broken or missing. Without it such a worker joined the
   * port with no model, and about half of /predict answered 503 beside workers serving the old version.
   */
  readonly fallback?: string;
}

/** Names, sizes and modification times of a version folder's files: changes when anyone rewrites one. */
async function fingerprint(dir: string): Promise<string> {
  const parts: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      // Hidden files are bookkeeping (a manifest edit's .manifest.lock), not the version's: a model reloaded
      // twice when an export recorded its hash.
      if (entry.name.startsWith(".")) continue;
      const info = await Deno.stat(`${dir}/${entry.name}`).catch(() => null);
      parts.push(`${entry.name}:${info?.size}:${info?.mtime?.getTime()}`);
    }
  } catch {
    return "unreadable";
  }
  return parts.sort().join("|");
}

/** A loaded predictor, and its version's hold against `retrain --keep` (null: nothing could be held). */
interface Loaded {
  readonly predictor: Predictor;
  readonly hold: VersionHold | null;
}

/**
 * What `model_missing` says, and the store's problem: for a `--checkpoint` naming a version folder itself
 * (pinned), that this version is not there, not "train one" (which writes another version serve would not
 * load); for a link left `dangling` (its target), to point it at a version that is; `served`: a model loaded
 * before answers on from memory, until the next restart.
 */
export function missingWords(
  pointer: string,
  served: boolean,
  dangling: string | null = null,
): { hint: string; problem: string } {
  const name = basename(pointer);
  if (dangling !== null && !isVersionName(name)) {
    // A link left pointing at a version deleted or moved (by hand, a restore without it): "train one" sent an
    // operator to hours of training where a rollback takes two seconds (an operator's trial).
    const store = dirname(pointer);
    return {
      hint:
        `${pointer} points at ${dangling}, which is not there (deleted or moved): point it at a version ` +
        `that is ('candlecast models rollback', or 'candlecast models promote VERSION' after 'candlecast ` +
        `models list --checkpoints ${shellWord(store)}'); serve loads it as soon as it resolves`,
      problem: served
        ? `no model at ${pointer}: it points at ${dangling}, deleted or moved; still serving the version loaded ` +
          "before, but a restart will have no model"
        : `no model at ${pointer}: it points at ${dangling}, which is not there; roll back or promote a version`,
    };
  }
  if (!isVersionName(name)) {
    return {
      hint:
        "serve loads it as soon as it appears: train one with 'candlecast train', or check --checkpoint " +
        "(a path that never appears is waited for as long as serve runs)",
      problem: served
        ? `no model at ${pointer}; still serving the version loaded before`
        : `no model at ${pointer}: train one with 'candlecast train' or pass --checkpoint`,
    };
  }
  const store = dirname(pointer);
  return {
    hint:
      `--checkpoint names version ${name}, which is not there (deleted or moved): point --checkpoint at ` +
      `a version that is ('candlecast models list --checkpoints ${shellWord(store)}' shows them), or at ` +
      `${shellWord(`${store}/current`)} to follow promotions; serve loads ${name} if it comes back`,
    problem: served
      ? `no model at ${pointer}: version ${name} was deleted or moved; still serving it from memory, but a ` +
        "restart will have no model"
      : `no model at ${pointer}: version ${name} is not there (deleted or moved); point --checkpoint at one ` +
        "that is",
  };
}

/**
 * What `model_load_failed` tells the operator: the version's files are damaged (the load error names which),
 * and how to serve one that loads; a running serve keeps the model it has until then, a restart has none.
 */
export function loadFailedHint(pointer: string, target: string): string {
  const name = basename(target);
  if (isVersionName(basename(pointer))) {
    return `restore ${name}'s files, or point --checkpoint at a version that loads; serve retries it, at once ` +
      "when its files change";
  }
  return `restore ${name}'s files, or point ${pointer} at a version that loads ('candlecast models rollback', ` +
    `or 'candlecast models promote VERSION' after 'candlecast models list --checkpoints ${
      shellWord(dirname(pointer))
    }'); serve retries it, at once when its files change`;
}

/** `#target` while the pointer resolves to nothing. */
const MISSING = "\0missing";

export type RefreshResult = "unchanged" | "loaded" | "failed" | "missing";

/**
 * Keeps `store` on the version `pointer` resolves to: `start` loads it (awaited), then polls every
 * `intervalMs` (default 2 s) until `stop`.
 */
export class CheckpointWatcher {
  readonly #store: ModelStore;
  readonly #options: WatcherOptions;
  /** The resolved folder last loaded or tried, so a broken version is not reloaded every poll. */
  #target: string | null = null;
  /** While `#target` is a version that failed: when to try again, how often it failed, its files then. */
  #failed: { at: number; failures: number; fingerprint: string } | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<RefreshResult> | null = null;
  #stopped = false;
  /** The served version's files as they were when it was loaded (`fingerprint`). */
  #loadedFiles: string | null = null;
  /** The folder of the version installed last (what a restarted worker falls back to). */
  #served: string | null = null;
  /** The served version's shared lock on its folder, which `retrain --keep` does not delete under. */
  #hold: VersionHold | null = null;

  constructor(store: ModelStore, options: WatcherOptions) {
    this.#store = store;
    this.#options = options;
  }

  /**
   * Loads the current version (awaited, so a server starts with its model), or, when it cannot and a
   * `fallback` is given, that version; then polls (the pointer, as ever: a fixed or new version replaces it).
   */
  async start(): Promise<RefreshResult> {
    let result = await this.refresh();
    const { fallback, log = () => {} } = this.#options;
    if (
      result !== "loaded" && fallback !== undefined && this.#store.status().predictor === null &&
      !this.#stopped
    ) {
      try {
        const loaded = await this.#loadWarm(fallback);
        if (this.#stopped) {
          // stop() ran while it loaded (it waits for refresh's loads, not this one): nothing is installed after
          // it, and the version is let go, as refresh does; installed, its hold was never released.
          loaded.hold?.release();
          await loaded.predictor.close().catch(() => {});
        } else {
          this.#install(loaded, fallback, {
            fallback: true,
            detail:
              `${this.#options.pointer} could not be loaded: serving the version the other workers serve`,
          });
          result = "loaded";
        }
      } catch (error) {
        log({
          event: "model_load_failed",
          path: fallback,
          error: (error as Error).message,
          fallback: true,
          hint: loadFailedHint(this.#options.pointer, fallback),
        });
      }
    }
    this.#schedule();
    return result;
  }

  /** The folder of the version being served, null before one was loaded. */
  get served(): string | null {
    return this.#served;
  }

  /**
   * Stops polling and waits for a load in progress, so nothing is installed after it returns; the served
   * version is no longer held against `retrain --keep`.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
    this.#hold?.release();
    this.#hold = null;
  }

  /** One look at the pointer; loads and installs its version when it changed. Never throws. */
  refresh(): Promise<RefreshResult> {
    // Polls never overlap: a slow load is awaited by the next look instead of being started twice.
    this.#running ??= this.#refresh().finally(() => this.#running = null);
    return this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(async () => {
      await this.refresh();
      this.#schedule();
    }, timerMs(this.#options.intervalMs ?? 2000));
  }

  async #refresh(): Promise<RefreshResult> {
    const { pointer, log = () => {} } = this.#options;
    let target: string;
    try {
      target = await Deno.realPath(pointer);
    } catch {
      if (this.#target !== MISSING) {
        this.#target = MISSING;
        const served = this.#store.status().predictor !== null;
        // A link that is there but leads nowhere: its target says which version went missing.
        const dangling = await Deno.readLink(pointer).catch(() => null);
        const words = missingWords(pointer, served, dangling);
        // With what to do, as every other warning line: a mistyped --checkpoint reads exactly like this, and
        // serve then answers 503 for as long as it runs.
        log({ event: "model_missing", pointer, hint: words.hint });
        // A vanished pointer does not stop a loaded model; it only explains why there is none. With one served,
        // it is a reload that failed: counted (candlecast_model_reloads_total{result="failure"}), as a broken
        // version is, so an alert sees a `current` that was moved away or left dangling (it saw nothing).
        if (!served) this.#store.explain(words.problem);
        else this.#store.recordFailure(words.problem);
      }
      return "missing";
    }
    const files = await fingerprint(target);
    if (target === this.#target) {
      if (this.#failed === null) {
        if (files === this.#loadedFiles) return "unchanged";
        // The served version's own files changed on disk (deleted, re-exported in place): it keeps answering
        // from memory, but a restart would load what is there now, so say so and load that now.
        log({
          event: "model_files_changed",
          version: this.#store.status().predictor?.info.version ?? null,
          path: target,
        });
      } else {
        const changed = files !== this.#failed.fingerprint;
        if (!changed && performance.now() < this.#failed.at) return "unchanged";
      }
    } else {
      this.#failed = null;
    }
    this.#target = target;
    const started = performance.now();
    let loaded: Loaded;
    try {
      loaded = await this.#loadWarm(target);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#store.recordFailure(`could not load the model at ${target}: ${reason}`);
      const failures = (this.#failed?.failures ?? 0) + 1;
      const { retryBaseMs = 5000, retryMaxMs = 300_000 } = this.#options;
      const retryMs = Math.min(retryMaxMs, retryBaseMs * 2 ** (failures - 1));
      this.#failed = { at: performance.now() + retryMs, failures, fingerprint: files };
      log({
        event: "model_load_failed",
        path: target,
        error: reason,
        failures,
        retry_in_ms: retryMs,
        // What keeps answering meanwhile (null: nothing, every prediction is a 503).
        still_serving: this.#store.status().predictor?.info.version ?? null,
        // With what to do, as the other warning lines: /health stays 200 while a loaded model answers, so this
        // line is an operator's only sign that a restart would come up with none (an operator's trial).
        hint: loadFailedHint(this.#options.pointer, target),
      });
      return "failed";
    }
    if (this.#stopped) {
      loaded.hold?.release();
      await loaded.predictor.close().catch(() => {});
      return "unchanged";
    }
    this.#failed = null;
    // As they were before the load began: a change during it is seen, and loaded, at the next look.
    this.#loadedFiles = files;
    this.#install(loaded, target, { load_ms: Math.round(performance.now() - started) });
    return "loaded";
  }

  /**
   * The version at `dir` held (`holdVersion`: before its files are read, so `retrain --keep` cannot delete it
   * between the load and the hold), then `load`, then `warmUp`; a predictor that fails is closed and its
   * version let go, not left open or held.
   */
  async #loadWarm(dir: string): Promise<Loaded> {
    const hold = await holdVersion(dir);
    let predictor: Predictor | null = null;
    try {
      predictor = await this.#options.load(dir);
      await warmUp(predictor);
      return { predictor, hold };
    } catch (error) {
      hold?.release();
      await predictor?.close().catch(() => {});
      throw error;
    }
  }

  /**
   * Makes the predictor (loaded from `dir`) the served one, holding its version instead of the one served
   * before, and says so with `fields`.
   */
  #install({ predictor, hold }: Loaded, dir: string, fields: Record<string, unknown>): void {
    this.#store.install(predictor);
    this.#hold?.release();
    this.#hold = hold;
    this.#served = dir;
    this.#options.log?.({
      event: "model_loaded",
      version: predictor.info.version,
      path: dir,
      device: predictor.device,
      ...fields,
    });
  }
}
