import assert from "node:assert/strict";

/**
 * A child that waits in `withInterrupt` with both messages given as functions (train's, which depend on its
 * phase), pressed twice: each press prints its message as the function says at that moment, and the second
 * exits 130.
 */
Deno.test("withInterrupt: messages given as functions are read at each press; the second press exits 130", async () => {
  const module = new URL("./interrupt.ts", import.meta.url).href;
  const script = `
    import { withInterrupt } from ${JSON.stringify(module)};
    let phase = "preparing";
    await withInterrupt(
      { first: () => "first in " + phase, second: () => "second in " + phase },
      () => new Promise(() => { setInterval(() => {}, 1000); phase = "training"; console.log("ready"); }),
    );
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  assert.ok(seen.includes("ready"), "the child never got ready");
  child.kill("SIGINT");
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.kill("SIGINT");
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);
  await reader.cancel();
  assert.equal(status.code, 130);
  assert.ok(stderr.includes("first in training"), stderr);
  assert.ok(stderr.includes("second in training"), stderr);
});

Deno.test("withInterrupt: a SIGTERM's message names a second SIGTERM, not Ctrl-C, and starts no blank line", async () => {
  const module = new URL("./interrupt.ts", import.meta.url).href;
  const script = `
    import { withInterrupt } from ${JSON.stringify(module)};
    await withInterrupt(
      { first: "stopping", second: "quit", quitNow: "to quit without writing" },
      () => new Promise(() => { setInterval(() => {}, 1000); console.log("ready"); }),
    );
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.kill("SIGTERM");
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
  await reader.cancel();
  assert.equal(status.code, 130);
  assert.equal(stderr, "stopping (another SIGTERM or a Ctrl-C to quit without writing)\nquit\n");
});
