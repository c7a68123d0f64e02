import assert from "node:assert/strict";
import { inheritedPermissions, PERMISSIONS_ENV, selfCommand } from "./self_command.ts";

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
