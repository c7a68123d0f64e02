import assert from "node:assert/strict";
import { AsyncLogger, type LineSink, truncate } from "./log.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("a failing sink drops and counts lines, never throws, and later lines are tried again", async () => {
  let broken = true;
  const written: string[] = [];
  const sink: LineSink = {
    write: (bytes) => {
      if (broken) return Promise.reject(new Error("No space left on device (os error 28)"));
      written.push(new TextDecoder().decode(bytes));
      return Promise.resolve(bytes.length);
    },
  };
  const logger = new AsyncLogger(sink);
  for (let i = 0; i < 10; i++) logger.log({ i });
  await logger.flush();
  assert.equal(logger.stats.dropped, 10);
  assert.match(logger.stats.lastError ?? "", /No space/);
  broken = false;
  logger.log({ event: "after" });
  await logger.flush();
  assert.equal(logger.stats.written, 1);
  assert.match(written.join(""), /"event":"after"/);
});

Deno.test("a sink that never drains (a pipe nobody reads) costs bounded memory and no waiting", async () => {
  const sink: LineSink = { write: () => new Promise<number>(() => {}) };
  const logger = new AsyncLogger(sink, { maxQueuedBytes: 10_000 });
  const started = performance.now();
  for (let i = 0; i < 20_000; i++) logger.log({ event: "request", i });
  // Generous for a loaded CI machine: the point is that a stuck sink never makes log() wait.
  assert.ok(performance.now() - started < 10_000);
  await tick();
  assert.ok(logger.stats.dropped > 19_000, `dropped ${logger.stats.dropped}`);
  const flushing = performance.now();
  await logger.flush(100);
  assert.ok(performance.now() - flushing < 1_000, "flush gives up after its timeout");
});

/** Whether /dev/full (Linux's always-full device) can be opened for writing here. */
function devFullWritable(): boolean {
  try {
    Deno.openSync("/dev/full", { write: true }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "/dev/full as stdout: lines are dropped and counted",
  // A declared skip, so a run says so rather than counting a pass: no /dev/full (not Linux), or a run without
  // --allow-all (Deno grants a device file only with all access; test/isolated.ts runs without it).
  ignore: !devFullWritable(),
  fn: async () => {
    const file = await Deno.open("/dev/full", { write: true });
    const logger = new AsyncLogger(file);
    logger.log({ event: "listening" });
    logger.log({ event: "request" });
    await logger.flush();
    file.close();
    assert.equal(logger.stats.dropped, 2);
    assert.equal(logger.stats.writeErrors >= 1, true);
  },
});

Deno.test("truncate cuts long client-sent strings and says how much", () => {
  assert.equal(truncate("GET"), "GET");
  assert.equal(truncate("x".repeat(250)), `${"x".repeat(200)}…(50 more)`);
});

Deno.test("truncate escapes what would break a line or disguise one: controls, U+2028/9, bidi overrides", () => {
  // JSON.stringify escapes C0 controls but not C1 (U+0085, "next line"), U+2028/U+2029 or U+202E, which some
  // log viewers take for a line break or a reversal: one event shown as two, or as something it is not.
  assert.equal(
    truncate("a\u0085b\u2028c\u2029d\u202ee\nf\u007f"),
    "a\\u0085b\\u2028c\\u2029d\\u202ee\\u000af\\u007f",
  );
  assert.equal(JSON.stringify({ d: truncate("x\u2028y") }), '{"d":"x\\\\u2028y"}');
  // Cut first, then escaped: the marker counts the characters left out of the original.
  assert.equal(truncate(`${"\u2028".repeat(3)}${"x".repeat(10)}`, 4), "\\u2028\\u2028\\u2028x…(9 more)");
  assert.equal(truncate("BTCUSDT", 40), "BTCUSDT");
  assert.equal(truncate("ünïcødé €", 40), "ünïcødé €", "printable characters are kept as they are");
  // The six characters "\u2028" sent as they are read apart from an escaped U+2028 (a review: they were equal).
  assert.notEqual(truncate("x\\u2028y"), truncate("x\u2028y"));
  assert.equal(truncate("x\\u2028y"), "x\\u005cu2028y");
});

Deno.test("truncate escapes invisible format characters, so /metrics followed by them does not read as /metrics", () => {
  // Before: zero-width space, word joiner, soft hyphen and a tag character were logged raw (a security review).
  assert.equal(
    truncate("/metrics\u200b\u2060\u00ad\u{e0041}"),
    "/metrics\\u200b\\u2060\\u00ad\\udb40\\udc41",
  );
  assert.equal(truncate("BTC\ufeffUSDT"), "BTC\\ufeffUSDT");
  // Private use, and a lone surrogate (a string cut mid-pair): escaped; emoji and CJK are kept.
  assert.equal(truncate("a\ue000b\ud800c"), "a\\ue000b\\ud800c");
  assert.equal(truncate("€😀漢"), "€😀漢");
});
