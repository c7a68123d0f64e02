/**
 * SIGHUP while serve starts. serve takes a HUP as "look at --checkpoint now", never as a stop, but its handler
 * needs the checkpoint watcher and the workers, which exist only once the engine and the model are loaded
 * (a second or more): a HUP before then took the default action, serve ended at once with exit 129 and no
 * line, and systemd's Restart=on-failure does not restart that (an operator's trial, session 53). This holds
 * the signal from the process's first step (main.ts, before the program's modules load; `adoptHangUps`): a
 * HUP meanwhile is noted, and answered once the handler is handed over.
 *
 * @example
 * ```ts
 * const hangUps = adoptHangUps();
 * try {
 *   // … load the model, listen …
 *   hangUps.handOff(() => console.log("checking --checkpoint now"));
 * } finally {
 *   hangUps.stop();
 * }
 * ```
 */
export class HangUpsWhileStarting {
  #handler: (() => void) | null = null;
  #missed = 0;
  readonly #listener = () => {
    if (this.#handler) this.#handler();
    else this.#missed++;
  };
  readonly #installed = Deno.build.os !== "windows";

  constructor() {
    if (this.#installed) Deno.addSignalListener("SIGHUP", this.#listener);
  }

  /** From now on each HUP calls `handler`; one that came while starting is answered now, once. */
  handOff(handler: () => void): void {
    this.#handler = handler;
    if (this.#missed > 0) {
      this.#missed = 0;
      handler();
    }
  }

  /** Removes the listener (serve has stopped, or failed to start). */
  stop(): void {
    if (this.#installed) Deno.removeSignalListener("SIGHUP", this.#listener);
  }
}

let fromStart: HangUpsWhileStarting | null = null;

/** main.ts, when the command is serve: holds HUPs from the process's first step, before the program loads. */
export function holdHangUpsFromStart(): void {
  fromStart ??= new HangUpsWhileStarting();
}

/** serve's holder: the one main.ts started, or a new one (serve called in-process, as demo does). */
export function adoptHangUps(): HangUpsWhileStarting {
  const held = fromStart ?? new HangUpsWhileStarting();
  fromStart = null;
  return held;
}
