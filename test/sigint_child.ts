/**
 * A script run in a child Deno (`deno eval`), started: it has printed `ready` on stdout. `reader` reads the rest
 * of its stdout; cancel it when done. Throws, with the child's stderr, when it ends without printing `ready`.
 */
export async function readyChild(
  script: string,
  ready: string,
): Promise<{ proc: Deno.ChildProcess; reader: ReadableStreamDefaultReader<string> }> {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes(ready)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  if (!seen.includes(ready)) {
    const { stderr } = await proc.output().catch(() => ({ stderr: new Uint8Array() }));
    throw new Error(`the child never printed '${ready}': ${new TextDecoder().decode(stderr)}`);
  }
  return { proc, reader };
}

/**
 * Runs a script in a child Deno, sends it SIGINT once it has printed `ready` and worked `afterMs` more, and
 * says how it ended: its exit code, or "unheard" when it had not exited `withinMs` after the signal (it is
 * then killed). For tests that a long synchronous stretch lets the event loop turn, so that a signal listener
 * (train's and evaluate's Ctrl-C) runs during it, not when it ends.
 */
export async function sigintOutcome(
  script: string,
  opts: { readonly ready: string; readonly afterMs: number; readonly withinMs: number },
): Promise<number | "unheard"> {
  const { proc, reader } = await readyChild(script, opts.ready);
  await new Promise((resolve) => setTimeout(resolve, opts.afterMs));
  proc.kill("SIGINT");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    proc.status.then((s) => s.code),
    new Promise<"unheard">((resolve) => timer = setTimeout(() => resolve("unheard"), opts.withinMs)),
  ]);
  clearTimeout(timer);
  if (outcome === "unheard") proc.kill("SIGKILL");
  await reader.cancel();
  await proc.stderr.cancel();
  if (outcome === "unheard") await proc.status;
  return outcome;
}
