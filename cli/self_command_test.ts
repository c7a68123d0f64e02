import assert from "node:assert/strict";
import { join } from "node:path";
import { inheritedPermissions, PERMISSIONS_ENV, selfCommand } from "./self_command.ts";
import { candlecastCommand, DENO_RUN, MAIN } from "../test/cli.ts";

Deno.test("selfCommand under deno: run main.ts with the commands' permissions, using node_modules as it is", () => {
  const { command, args } = selfCommand(["serve", "--port", "0"]);
  assert.equal(command, Deno.execPath());
  assert.equal(args[0], "run");
  assert.ok(args.includes("--allow-ffi") && args.includes("--allow-net"));
  // The tests run from a set-up checkout: a child must not queue on the node_modules lock (auto mode takes it).
  assert.ok(args.includes("--node-modules-dir=manual"), args.join(" "));
  const main = args.findIndex((a) => a.endsWith("main.ts"));
  assert.ok(main > 0);
  assert.deepEqual(args.slice(main + 1), ["serve", "--port", "0"]);
});

Deno.test("selfCommand: a child runs under the narrowed permissions CANDLECAST_DENO_PERMISSIONS names", () => {
  const narrowed = "--allow-read=/app/data,/app/checkpoints --allow-net=0.0.0.0 --allow-run=deno";
  Deno.env.set(PERMISSIONS_ENV, narrowed);
  try {
    const { args } = selfCommand(["serve"]);
    const main = args.findIndex((a) => a.endsWith("main.ts"));
    assert.deepEqual(
      args.slice(1, main).filter((a) => a !== "--node-modules-dir=manual"),
      narrowed.split(" "),
    );
  } finally {
    Deno.env.delete(PERMISSIONS_ENV);
  }
  assert.ok(selfCommand(["serve"]).args.includes("--allow-ffi"), "unset: the broad set, as before");
});

Deno.test("inheritedPermissions: only permission flags are passed on", () => {
  assert.equal(inheritedPermissions(() => undefined), null);
  assert.equal(inheritedPermissions(() => "  "), null);
  assert.deepEqual(inheritedPermissions(() => " --allow-env=A,B  --no-prompt "), [
    "--allow-env=A,B",
    "--no-prompt",
  ]);
  for (const bad of ["-A", "--allow-all", "--allow-read /etc", "--config=x.json", "--allow-read=a; rm"]) {
    assert.throws(() => inheritedPermissions(() => bad), /not a Deno permission flag/, bad);
  }
});

/** A started command's exit code and stderr; killed after 30 s, so a run that would go on fails instead. */
async function exitAndStderr(child: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
  await child.stdout.cancel().catch(() => {});
  clearTimeout(timer);
  return { code: status.code, stderr };
}

Deno.test("a CANDLECAST_DENO_PERMISSIONS that is no permission set is refused at start by serve and retrain (exit 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-permissions-" });
  try {
    await Deno.mkdir(join(dir, "ck"));
    await Deno.writeTextFile(join(dir, "t.csv"), "symbol,openTime,open,high,low,close,volume\n");
    const run = async (args: string[]) => {
      const child = candlecastCommand(args, {
        env: { [PERMISSIONS_ENV]: "-A" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      return await exitAndStderr(child);
    };
    const refused = `candlecast: ${PERMISSIONS_ENV}: "-A" is not a Deno permission flag (--allow-…)\n` +
      "hint: set it to --allow-…=… and --deny-… flags separated by spaces";
    // Before: serve logged "listening", then died of an uncaught error with a stack trace as it started worker 1.
    const serve = await run([
      ...["serve", "--port", "0", "--workers", "2", "--no-predictions-log"],
      ...["--checkpoint", join(dir, "ck", "current")],
    ]);
    assert.equal(serve.code, 2, serve.stderr);
    assert.ok(serve.stderr.startsWith(refused), serve.stderr);
    // Before: retrain's first step failed as "unexpected failure: … this is a bug".
    const retrain = await run([
      ...["retrain", "--mode", "monthly", "--no-collect"],
      ...["--data", join(dir, "t.csv"), "--checkpoints", join(dir, "ck"), "--log", join(dir, "r.log")],
    ]);
    assert.equal(retrain.code, 2, retrain.stderr);
    assert.ok(retrain.stderr.startsWith(refused), retrain.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --workers 2 and retrain under an --allow-run that leaves this executable out: refused at start (exit 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-allow-run-" });
  try {
    await Deno.mkdir(join(dir, "ck"));
    await Deno.writeTextFile(join(dir, "t.csv"), "symbol,openTime,open,high,low,close,volume\n");
    const run = async (args: string[]) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          ...DENO_RUN,
          "--no-prompt",
          ...["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-ffi", "--allow-sys"],
          "--allow-run=/bin/true",
          MAIN,
          ...args,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      return await exitAndStderr(child);
    };
    // Before: serve logged "listening", each worker logged worker_start_failed once, and serve ran on alone.
    const serve = await run([
      ...["serve", "--port", "0", "--workers", "2", "--no-predictions-log"],
      ...["--checkpoint", join(dir, "ck", "current")],
    ]);
    assert.equal(serve.code, 2, serve.stderr);
    assert.match(
      serve.stderr,
      /serve --workers 2 starts .* again, which Deno's --allow-run does not grant\nhint: add --allow-run=/,
    );
    const retrain = await run([
      ...["retrain", "--mode", "monthly", "--no-collect"],
      ...["--data", join(dir, "t.csv"), "--checkpoints", join(dir, "ck"), "--log", join(dir, "r.log")],
    ]);
    assert.equal(retrain.code, 2, retrain.stderr);
    assert.match(retrain.stderr, /retrain starts .* again, which Deno's --allow-run does not grant/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
