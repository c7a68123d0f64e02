import assert from "node:assert/strict";
import { selfCommand } from "./self_command.ts";

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
