import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { drawsInPlace, etaText, fitLine, terminalProgress } from "./progress.ts";

function rig(terminal: boolean) {
  let t = 0;
  const out: string[] = [];
  const progress = terminalProgress({
    terminal,
    write: (s) => void out.push(s),
    now: () => t,
    columns: () => undefined,
  });
  return { progress, out, advance: (ms: number) => void (t += ms) };
}

Deno.test("in a log: a plain line about every 30 s with batch, samples/s and ETA; silent before", () => {
  const { progress, out, advance } = rig(false);
  for (let batch = 1; batch <= 100; batch++) {
    advance(1000); // one batch a second: 100 s for the epoch
    progress.update(batch, 100, "epoch 1/5", "loss 1.0500  32.0 samples/s");
  }
  progress.clear();
  assert.deepEqual(out, [
    "epoch 1/5 batch 31/100 (31 %)  loss 1.0500  32.0 samples/s  ETA 1m09s\n",
    "epoch 1/5 batch 61/100 (61 %)  loss 1.0500  32.0 samples/s  ETA 39s\n",
    "epoch 1/5 batch 91/100 (91 %)  loss 1.0500  32.0 samples/s  ETA 9s\n",
  ]);
  assert.ok(out.every((line) => !line.includes("\x1b")), "no terminal escapes in a log");
});

Deno.test("in a log: a short epoch prints nothing, each epoch is timed from its own start", () => {
  const { progress, out, advance } = rig(false);
  for (let epoch = 1; epoch <= 3; epoch++) {
    for (let batch = 1; batch <= 10; batch++) {
      advance(2000);
      progress.update(batch, 10, `epoch ${epoch}/3`, "");
    }
  }
  assert.deepEqual(out, [], "20 s epochs need no progress lines");
});

Deno.test("on a terminal: the bar carries an ETA and is cleared before the epoch line", () => {
  const { progress, out, advance } = rig(true);
  advance(1000);
  progress.update(1, 4, "epoch 1/1", "loss 1.1");
  advance(1000);
  progress.update(2, 4, "epoch 1/1", "loss 1.1");
  progress.clear();
  assert.equal(out[1], `\r\x1b[2Kepoch 1/1 [${"#".repeat(12)}${".".repeat(12)}] 2/4 loss 1.1  ETA 2s`);
  assert.equal(out.at(-1), "\r\x1b[2K");
});

Deno.test("a prefix puts the run in context (evaluate: step and fold)", () => {
  let t = 0;
  const out: string[] = [];
  const progress = terminalProgress({
    terminal: false,
    write: (s) => void out.push(s),
    now: () => t,
    prefix: () => "[step 2/6: fold 1/3 lightweight_lstm]",
  });
  t = 40_000;
  progress.update(1, 10, "epoch 1/4", "");
  t = 80_000;
  progress.update(2, 10, "epoch 1/4", "");
  assert.match(out[0], /^\[step 2\/6: fold 1\/3 lightweight_lstm\] epoch 1\/4 batch 2\/10 \(20 %\)/);
});

Deno.test("etaText needs a pace and a remainder", () => {
  assert.equal(etaText(0, 10, 5000), "");
  assert.equal(etaText(10, 10, 5000), "");
  assert.equal(etaText(5, 10, 5000), "ETA 5s");
});

Deno.test("a phase counted in another unit (train reading its CSV in MB) names it, with no empty text before the ETA", () => {
  const { progress, out, advance } = rig(false);
  for (let mb = 1; mb <= 400; mb++) {
    advance(100); // 10 MB a second: 40 s for the file
    progress.update(mb, 400, "reading data/training_data.csv", "", "MB");
  }
  assert.deepEqual(out, ["reading data/training_data.csv 301/400 MB (75 %)  ETA 10s\n"]);
  const bar = rig(true);
  bar.advance(1000);
  bar.progress.update(1, 4, "reading a.csv", "", "MB");
  bar.advance(1000);
  bar.progress.update(2, 4, "reading a.csv", "", "MB");
  assert.equal(bar.out[1], `\r\x1b[2Kreading a.csv [${"#".repeat(12)}${".".repeat(12)}] 2/4 MB ETA 2s`);
});

Deno.test("on a terminal: the bar is cut to the terminal's width, so a redraw leaves no wrapped row behind", () => {
  // Evaluate's boosting bar ran to ~150 characters: wider than the terminal it wrapped, the redraw's \r and
  // erase reached only its last row, and each redraw (5 a second, for minutes) left a row on the screen.
  let t = 0;
  const out: string[] = [];
  const progress = terminalProgress({
    terminal: true,
    write: (s) => void out.push(s),
    now: () => t,
    columns: () => 80,
  });
  const label = "[5/6 fold 1/1 gradient_boosting] gradient boosting baseline";
  progress.update(12, 1000, label, "validation log-loss 1.0305", "iterations at most");
  t += 1000;
  progress.update(13, 1000, label, "validation log-loss 1.0301", "iterations at most");
  assert.equal(out.length, 2);
  for (const line of out) {
    assert.ok(
      line.startsWith("\r\x1b[2K[5/6 fold 1/1 gradient_boosting] gradient boosting baseline ["),
      line,
    );
    assert.equal(line.length - "\r\x1b[2K".length, 79, line);
  }
  // With room, the whole bar; its unit set apart from the text by two spaces, as in a log line.
  const wide = terminalProgress({
    terminal: true,
    write: (s) => void out.push(s),
    now: () => t,
    columns: () => 200,
  });
  wide.update(12, 1000, "gradient boosting baseline", "validation log-loss 1.0305", "iterations at most");
  assert.equal(
    out.at(-1),
    `\r\x1b[2Kgradient boosting baseline [${
      ".".repeat(24)
    }] 12/1000 iterations at most  validation log-loss 1.0305`,
  );
});

Deno.test("in a log whose reader is gone (2>&1 | head): the progress line is dropped and training goes on (it ended the run, exit 1)", async () => {
  const module = new URL("./progress.ts", import.meta.url).href;
  // The child writes its progress only once told, after its stderr's reader has been closed.
  const script = `
    import { terminalProgress } from ${JSON.stringify(module)};
    for await (const _ of Deno.stdin.readable) break;
    const progress = terminalProgress({ terminal: false, logEvery: 0, columns: () => undefined });
    progress.update(1, 10, "epoch 1/1", "loss 1.0000");
    progress.clear();
    console.log("went on");
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--node-modules-dir=manual", script],
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stderr.cancel();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("go\n"));
  await writer.close();
  const [status, stdout] = await Promise.all([child.status, new Response(child.stdout).text()]);
  assert.equal(stdout, "went on\n");
  assert.equal(status.code, 0);
});

Deno.test("a dumb terminal (TERM=dumb) gets plain lines, not a bar redrawn with \\r and escapes", () => {
  assert.equal(drawsInPlace(true, "dumb"), false);
  assert.equal(drawsInPlace(true, "xterm-256color"), true);
  assert.equal(drawsInPlace(true, undefined), true);
  assert.equal(drawsInPlace(false, "xterm-256color"), false);
});

// Measured in code units, a line of wide characters (币安人生USDT: 12 columns in 8 units) fit and still wrapped.
Deno.test("fitLine cuts by terminal columns, never splitting a character", () => {
  const line = "币安人生USDT [####----] 10/20";
  assert.equal(fitLine(line, 12), "币安人生USD");
  assert.equal(fitLine(line, 40), line);
  assert.equal(fitLine("BTCUSDT [####----] 10,000/43,080 candles", 20), "BTCUSDT [####----] ");
});
