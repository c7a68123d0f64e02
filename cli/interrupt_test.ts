import assert from "node:assert/strict";
import { readyChild } from "../test/sigint_child.ts";
import { collectSecondPress } from "./collect.ts";
import { EVALUATE_SECOND_PRESS } from "./evaluate.ts";
import { retrainSecondPress } from "./retrain.ts";

const MODULE = new URL("./interrupt.ts", import.meta.url).href;

/**
 * Runs `withInterrupt(messages, work that never ends)` in a child Deno (`messages` as TypeScript source, `setup`
 * before it), sends `signal` twice 300 ms apart once the work has started, and says how it ended.
 */
async function pressedTwice(
  setup: string,
  messages: string,
  signal: Deno.Signal,
): Promise<{ code: number; stderr: string }> {
  const script = `
    import { withInterrupt } from ${JSON.stringify(MODULE)};
    ${setup}
    await withInterrupt(${messages}, () => new Promise(() => {
      setInterval(() => {}, 1000);
      globalThis.onStarted?.();
      console.log("ready");
    }));
  `;
  const { proc: child, reader } = await readyChild(script, "ready");
  child.kill(signal);
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.kill(signal);
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
  await reader.cancel();
  return { code: status.code, stderr };
}

/**
 * Both messages given as functions (train's, which depend on its phase): each press prints its message as the
 * function says at that moment, and the second exits 130.
 */
Deno.test("withInterrupt: messages given as functions are read at each press; the second press exits 130", async () => {
  const { code, stderr } = await pressedTwice(
    `let phase = "preparing"; globalThis.onStarted = () => (phase = "training");`,
    `{ first: () => "first in " + phase, second: () => "second in " + phase }`,
    "SIGINT",
  );
  assert.equal(code, 130);
  assert.ok(stderr.includes("first in training"), stderr);
  assert.ok(stderr.includes("second in training"), stderr);
});

Deno.test("withInterrupt: a SIGTERM's message names a second SIGTERM, not Ctrl-C, and starts no blank line", async () => {
  const { code, stderr } = await pressedTwice(
    "",
    `{ first: "stopping", second: "quit", quitNow: "to quit without writing" }`,
    "SIGTERM",
  );
  assert.equal(code, 130);
  assert.equal(stderr, "stopping (another SIGTERM or a Ctrl-C to quit without writing)\nquit\n");
});

Deno.test("a second Ctrl-C in collect, evaluate and retrain says what happened, then a hint line, as train's does", () => {
  // Before: a reason alone, the instruction folded into it or missing ("quitting at once" for retrain).
  for (
    const text of [
      collectSecondPress("data/training.csv"),
      EVALUATE_SECOND_PRESS,
      retrainSecondPress("/srv/ck"),
    ]
  ) {
    const lines = text.split("\n");
    assert.equal(lines.length, 2, text);
    assert.match(lines[0], /^candlecast: \S/);
    assert.match(lines[1], /^hint: \S/);
  }
  assert.match(retrainSecondPress("/srv/ck"), /'candlecast models list --checkpoints \/srv\/ck'/);
});
