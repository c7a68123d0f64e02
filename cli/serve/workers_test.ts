import assert from "node:assert/strict";
import { workerArgs } from "./workers.ts";

Deno.test("workerArgs: a worker answers the same pages and Host names as the first process", () => {
  const base = {
    host: "127.0.0.1",
    port: 8000,
    checkpoint: "checkpoints/current",
    threads: 1,
    reloadInterval: 2,
    maxBatch: 1,
    predictionsLog: false as const,
    decision: "version" as const,
  };
  const args = workerArgs({
    ...base,
    allowedHosts: ["bot.internal", "proxy.internal"],
    allowedOrigins: ["https://dash.example"],
  });
  const after = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(after("--allowed-hosts"), "bot.internal,proxy.internal");
  assert.equal(after("--allowed-origins"), "https://dash.example");
  // Not given: not passed, so a worker on 0.0.0.0 keeps answering any Host as the first process does.
  assert.ok(!workerArgs(base).includes("--allowed-hosts"));
});
