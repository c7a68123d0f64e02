/**
 * candlecast run from scripts and cron, where stderr may be a log file on a full disk: what goes to stderr is
 * lost there, but the exit code still says what happened.
 */
import assert from "node:assert/strict";
import { DENO_RUN, MAIN } from "../test/cli.ts";

/** candlecast with its stderr on /dev/full (every write fails with ENOSPC), as `2>> cron.log` on a full /var. */
async function withStderrFull(args: readonly string[]): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command("bash", {
    args: ["-c", 'exec "$@" 2>/dev/full', "_", Deno.execPath(), ...DENO_RUN, "--allow-all", MAIN, ...args],
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test("stderr on a full disk: a usage error still exits 2, not 1 from the failed report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-stdio-" });
  try {
    const missing = await withStderrFull(["models", "list", "--json", "--checkpoints", `${dir}/none`]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stdout, "", "a failure prints no document");
    const unknown = await withStderrFull(["no-such-command"]);
    assert.equal(unknown.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
