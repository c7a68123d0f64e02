import assert from "node:assert/strict";
import { parseAddressRange } from "../../server/index.ts";
import { FALLBACK_VERSION_ENV, startWorkers, workerArgs } from "./workers.ts";

/** A one-process serve's options, as parsed, for the tests to add to. */
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

Deno.test("workerArgs: a worker answers the same pages and Host names as the first process", () => {
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

Deno.test("workerArgs: every worker gets the first process's --rate-limit (else workers 1 … N−1 had none)", () => {
  const args = workerArgs({
    ...base,
    rateLimit: 2.5,
    rateLimitBurst: 10,
    rateLimitClients: 500,
  });
  const after = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(after("--rate-limit"), "2.5");
  assert.equal(after("--rate-limit-burst"), "10");
  assert.equal(after("--rate-limit-clients"), "500");
});

Deno.test("workerArgs: every worker gets --trusted-proxies and --rate-limit-ipv6-prefix (else it counted the proxy)", () => {
  const ranges = ["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"].map((text) => {
    const range = parseAddressRange(text);
    if ("problem" in range) throw new Error(range.problem);
    return range;
  });
  const args = workerArgs({ ...base, rateLimit: 5, rateLimitIpv6Prefix: 48, trustedProxies: ranges });
  const after = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(after("--rate-limit-ipv6-prefix"), "48");
  assert.equal(after("--trusted-proxies"), "127.0.0.1,10.0.0.0/8,2001:db8::/32");
  // Not given: not passed, so a worker reads no header, as the first process.
  assert.ok(!workerArgs({ ...base, rateLimit: 5 }).includes("--trusted-proxies"));
  assert.ok(!workerArgs({ ...base, rateLimit: 5 }).includes("--rate-limit-ipv6-prefix"));
  // --proxy-header too: else a worker read X-Forwarded-For, which a proxy writing Forwarded passes on as the
  // client wrote it.
  const forwarded = workerArgs({ ...base, rateLimit: 5, trustedProxies: ranges, proxyHeader: "forwarded" });
  assert.equal(forwarded[forwarded.indexOf("--proxy-header") + 1], "forwarded");
  assert.ok(!args.includes("--proxy-header"));
});

Deno.test("startWorkers: a worker that fails to start is tried again with a back-off, and stop() ends the wait at once", async () => {
  const events: Record<string, unknown>[] = [];
  let attempts = 0;
  const workers = startWorkers(1, base, {
    log: (record) => events.push(record),
    shutdownTimeoutMs: 1000,
    metricsDir: "/nonexistent",
    spawn: () => {
      attempts++;
      throw new Error("Resource temporarily unavailable (os error 11)");
    },
  });
  // The first retry comes after 1 s (500 ms × 2¹); before, the worker was given up after one failure.
  await new Promise((resolve) => setTimeout(resolve, 1300));
  assert.equal(attempts, 2);
  assert.deepEqual(events.map((e) => [e.event, e.retry_in_ms]), [["worker_start_failed", 1000], [
    "worker_start_failed",
    2000,
  ]]);
  const stopping = performance.now();
  workers.stop();
  await workers.finished;
  assert.ok(performance.now() - stopping < 200, "stop() does not wait out the 2 s back-off");
  assert.equal(attempts, 2);
});

Deno.test("startWorkers: each (re)started worker is told the version the first process serves now, its fallback", async () => {
  const envs: (Record<string, string> | undefined)[] = [];
  let served: string | null = null;
  const workers = startWorkers(1, base, {
    log: () => {},
    shutdownTimeoutMs: 1000,
    metricsDir: "/nonexistent",
    served: () => served,
    spawn: (_command, options) => {
      envs.push(options.env);
      // Before its first model the first process serves none; by the restart it serves v1.
      served = "/srv/checkpoints/v1_2026-01-01";
      throw new Error("Resource temporarily unavailable (os error 11)");
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 1300));
  workers.stop();
  await workers.finished;
  assert.equal(envs[0]?.[FALLBACK_VERSION_ENV], undefined);
  assert.equal(envs[1]?.[FALLBACK_VERSION_ENV], "/srv/checkpoints/v1_2026-01-01");
});

Deno.test("startWorkers: a HUP is passed on as a byte on the worker's stdin, never a SIGHUP (it killed a starting one)", async () => {
  const signals: Deno.Signal[] = [];
  const written: number[] = [];
  const exited = Promise.withResolvers<Deno.CommandStatus>();
  const child = {
    pid: 1,
    status: exited.promise,
    stdin: new WritableStream<Uint8Array>({ write: (chunk) => void written.push(...chunk) }),
    kill: (signal: Deno.Signal = "SIGTERM") => {
      signals.push(signal);
      if (signal === "SIGTERM") exited.resolve({ success: false, code: 143, signal: "SIGTERM" });
    },
  } as unknown as Deno.ChildProcess;
  const workers = startWorkers(1, base, {
    log: () => {},
    shutdownTimeoutMs: 1000,
    metricsDir: "/nonexistent",
    spawn: () => child,
  });
  workers.hangUp();
  workers.hangUp();
  await new Promise((resolve) => setTimeout(resolve, 50));
  // A SIGHUP reached a worker still loading its runtime before its listener was in place: the default action
  // ended it. A byte waits in the pipe until the worker reads it.
  assert.deepEqual(signals, []);
  assert.deepEqual(written, [0x0a, 0x0a]);
  workers.stop();
  await workers.finished;
  assert.deepEqual(signals, ["SIGTERM"]);
});
