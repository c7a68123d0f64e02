/**
 * `candlecast serve` as a user runs it: a separate process, a real port, real signals.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeStandInCheckpoint } from "../test/stand_in_checkpoint.ts";
import { predictBody } from "../test/fake_predictor.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Starts `serve --port 0` and waits for its "listening" log line. */
async function startServe(args: string[], env: Record<string, string> = {}) {
  // Never the default data/predictions.jsonl: tests must not write into the working tree.
  const predictionsLog = join(await Deno.makeTempDir({ prefix: "candlecast-predlog-" }), "predictions.jsonl");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      MAIN,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--predictions-log",
      predictionsLog,
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: Record<string, unknown>[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const readLine = async (): Promise<Record<string, unknown> | null> => {
    for (;;) {
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const line = JSON.parse(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        lines.push(line);
        return line;
      }
      const { done, value } = await reader.read();
      if (done) return null;
      buffered += value;
    }
  };
  let url = "";
  for (let line = await readLine(); line; line = await readLine()) {
    if (line.event === "listening") {
      url = String(line.url);
      break;
    }
  }
  assert.ok(url, "serve printed its URL");
  const drain = async () => {
    while (await readLine());
  };
  const stop = async (signal: Deno.Signal | null = "SIGTERM") => {
    if (signal) child.kill(signal);
    const draining = drain();
    const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text(), draining]);
    return { code: status.code, stderr };
  };
  return { url, lines, child, stop, predictionsLog };
}

async function checkpoints() {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-serve-" });
  await writeStandInCheckpoint(join(dir, "v1_2024-01-01"));
  await Deno.symlink("v1_2024-01-01", join(dir, "current"));
  return dir;
}

/** Sends a request's head and half its body, then the rest only when told: a request held in flight. */
async function slowRequest(url: string, body: string) {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const bytes = new TextEncoder().encode(body);
  const head = `POST /predict HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(head));
  await conn.write(bytes.subarray(0, bytes.length >> 1));
  return {
    finish: async () => {
      await conn.write(bytes.subarray(bytes.length >> 1));
      const response = await new Response(conn.readable).text();
      return response;
    },
  };
}

Deno.test("serve: answers /predict, and SIGTERM finishes the request in flight before exiting 0", async () => {
  const dir = await checkpoints();
  const server = await startServe(["--checkpoint", join(dir, "current")]);
  try {
    const health = await fetch(`${server.url}/health`);
    assert.deepEqual(await health.json(), {
      status: "healthy",
      model: "loaded",
      device: "cpu",
      input_features: 35,
      version: "v1_2024-01-01",
    });
    const res = await fetch(`${server.url}/predict`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(predictBody("ETHUSDT")),
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).model_version, "v1_2024-01-01");

    const held = await slowRequest(server.url, JSON.stringify(predictBody("SOLUSDT")));
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const response = await held.finish();
    assert.match(response, /^HTTP\/1\.1 200 /);
    assert.match(response, /"symbol":"SOLUSDT"/);
    const { code } = await server.stop(null); // already signalled
    assert.equal(code, 0);
    const events = server.lines.map((l) => l.event ?? `${l.method} ${l.path} ${l.status}`);
    assert.deepEqual(events.slice(-3), ["shutting_down", "POST /predict 200", "stopped"]);
    // Both served predictions were recorded for `monitor`, the in-flight one flushed at shutdown.
    const recorded = (await Deno.readTextFile(server.predictionsLog)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(recorded.map((r) => [r.symbol, r.version]), [["ETHUSDT", "v1_2024-01-01"], [
      "SOLUSDT",
      "v1_2024-01-01",
    ]]);
    assert.equal(typeof recorded[0].last_close, "number");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: starts without a model (503, unhealthy) and enforces CANDLECAST_API_KEY", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-serve-" });
  const server = await startServe(["--checkpoint", join(dir, "current")], { CANDLECAST_API_KEY: "k3y" });
  try {
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 503);
    assert.equal((await health.json()).status, "unhealthy");
    const denied = await fetch(`${server.url}/model/info`);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    const allowed = await fetch(`${server.url}/model/info`, { headers: { Authorization: "Bearer k3y" } });
    assert.equal(allowed.status, 503);
    assert.match((await allowed.json()).detail, /no model at .*current/);
    assert.equal((await server.stop("SIGINT")).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a port in use exits 1 with a reason and a hint", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        MAIN,
        "serve",
        "--port",
        String(listener.addr.port),
        "--checkpoint",
        "/nonexistent",
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.match(stderr, /address is in use/);
    assert.match(stderr, /hint: pass another --port/);
  } finally {
    listener.close();
  }
});
