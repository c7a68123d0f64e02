import assert from "node:assert/strict";
import { filesystemProblem } from "../errors.ts";
import { join } from "node:path";
import { killedRunLine, namingFile, step } from "./step.ts";

Deno.test("a retrain step whose log cannot be written names the log: 'free space there' had no there", () => {
  // A write's own error, as Deno gives it on a full disk: no file in it.
  const written = Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
  const error = namingFile(written, "/var/log/candlecast/retrain.log") as Error;
  assert.equal(
    error.message,
    "No space left on device (os error 28), writing /var/log/candlecast/retrain.log",
  );
  // Still read as a full disk, now with the file in the message.
  assert.equal(
    filesystemProblem(error)!.message,
    "no space left on the device (No space left on device (os error 28), writing /var/log/candlecast/retrain.log)",
  );
  assert.equal(namingFile("not an Error", "x"), "not an Error");
});

Deno.test("a run that left no line after its 'started' (killed outright) is named by the next run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-log-" });
  try {
    const log = `${dir}/retrain.log`;
    const lines = (...entries: string[]) => Deno.writeTextFile(log, entries.join("\n") + "\n");
    await lines(
      "[2026-01-01T03:00:00.000Z] retrain monthly: started (pid 100)",
      "[2026-01-01T03:05:00.000Z] retrain monthly: promoted v2_2026-01-01 …",
      "[2026-02-01T03:00:00.000Z] retrain monthly: started (pid 200)",
      "epoch 1/6 …", // a step's own output
      "[2026-03-01T03:00:00.000Z] retrain monthly: started (pid 300)",
    );
    // Before: nothing; the log went from pid 200's "started" to pid 300's.
    assert.equal(
      await killedRunLine(log, 300),
      "retrain: the run started at 2026-02-01T03:00:00.000Z (pid 200) left no line saying how it ended: killed " +
        "(kill -9, an out-of-memory kill, a power loss), or its last line could not be written; what it left in " +
        "the checkpoints folder is removed now",
    );
    // A run that ended with a line (a summary, or why it stopped), or none before: nothing to say.
    await lines(
      "[2026-02-01T03:00:00.000Z] retrain monthly: started (pid 200)",
      "[2026-02-01T03:04:00.000Z] retrain monthly: ended without a decision: …",
      "[2026-03-01T03:00:00.000Z] retrain monthly: started (pid 300)",
    );
    assert.equal(await killedRunLine(log, 300), null);
    await lines("[2026-03-01T03:00:00.000Z] retrain monthly: started (pid 300)");
    assert.equal(await killedRunLine(log, 300), null);
    assert.equal(await killedRunLine(`${dir}/none.log`, 300), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retrain.log writes each step's command as it pastes: a path with a space is one word", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-log-" });
  try {
    const log = join(dir, "retrain.log");
    const store = join(dir, "d é", "check points");
    await Deno.mkdir(store, { recursive: true });
    // The step's own outcome is beside the point here (an empty store): only the line written before it runs.
    await step(log, ["models", "list", "--checkpoints", store]).catch(() => {});
    // Before: "$ candlecast models list --checkpoints /tmp/…/d é/check points", three words for one path.
    const written = await Deno.readTextFile(log);
    assert.ok(written.includes(`] $ candlecast models list --checkpoints "${store}"\n`), written);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
