/**
 * `candlecast serve` as a user runs it: a separate process, a real port, real signals.
 */
import assert from "node:assert/strict";
import { fromFileUrl } from "../test/paths.ts";
import { join } from "node:path";
import { writeStandInCheckpoint } from "../test/stand_in_checkpoint.ts";
import { DENO_RUN, MAIN } from "../test/cli.ts";
import { predictBody } from "../test/fake_predictor.ts";

/**
 * Starts `serve --port 0` and waits for its "listening" log line. Unless the test gave a predictions log, one
 * is made in a temporary folder, which `removeLog` removes (in the test's `finally`: a test may read the log
 * after `stop`).
 */
async function startServe(
  args: string[],
  env: Record<string, string> = {},
  // `wrap`: a command serve runs under (setpriv); `predictionsLog`: a log path the test has prepared.
  { wrap = [], predictionsLog: preparedLog }: { wrap?: string[]; predictionsLog?: string } = {},
) {
  // Never the default data/predictions.jsonl: tests must not write into the working tree.
  const logDir = preparedLog === undefined ? await Deno.makeTempDir({ prefix: "candlecast-predlog-" }) : null;
  const predictionsLog = preparedLog ?? join(logDir!, "predictions.jsonl");
  /** Removes the log's folder made here, if any (before, every run left one in TMPDIR per test). */
  const removeLog = async () => {
    if (logDir !== null) await Deno.remove(logDir, { recursive: true });
  };
  const command = wrap.length > 0 ? wrap[0] : Deno.execPath();
  const child = new Deno.Command(command, {
    args: [
      ...wrap.slice(1),
      ...(wrap.length > 0 ? [Deno.execPath()] : []),
      ...DENO_RUN,
      "--allow-all",
      MAIN,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--predictions-log",
      predictionsLog,
      // One process unless a test asks for more, so the log lines come in one order.
      "--workers",
      "1",
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
  if (!url) await removeLog();
  assert.ok(url, "serve printed its URL");
  // Later lines are collected in the background, so a test can look at them while serve runs.
  const draining = (async () => {
    while (await readLine());
  })();
  const stop = async (signal: Deno.Signal | null = "SIGTERM") => {
    if (signal) child.kill(signal);
    // A serve that does not exit fails the test (and is killed) instead of hanging the suite.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 60_000)),
    ]);
    clearTimeout(timer);
    if (!exited) child.kill("SIGKILL");
    const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text(), draining]);
    assert.ok(exited, `serve did not exit within 60 s of ${signal ?? "its own end"}; stderr: ${stderr}`);
    return { code: status.code, stderr };
  };
  return { url, lines, child, stop, predictionsLog, removeLog };
}

async function checkpoints() {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-serve-" });
  await writeStandInCheckpoint(join(dir, "v1_2024-01-01"));
  await Deno.symlink("v1_2024-01-01", join(dir, "current"));
  return dir;
}

/** One POST /predict with `predictBody(symbol)`, given up after 10 s rather than left to hang the test. */
function postPredict(url: string, symbol?: string): Promise<Response> {
  return fetch(`${url}/predict`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(predictBody(symbol)),
    signal: AbortSignal.timeout(10_000),
  });
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

Deno.test({
  name: "serve: a predictions log that exists keeps its mode (only a new one is made 0640)",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await checkpoints();
    const logDir = await Deno.makeTempDir({ prefix: "candlecast-predlog-" });
    try {
      const log = join(logDir, "predictions.jsonl");
      await Deno.writeTextFile(log, "");
      await Deno.chmod(log, 0o600);
      // Before: made 0640 at every start (Deno.writeFile applies a mode to an existing file too), widening a
      // log its operator had made private, and failing on one another user owns that this user may write (a
      // review).
      const server = await startServe(["--checkpoint", join(dir, "current")], {}, { predictionsLog: log });
      try {
        assert.equal((await Deno.stat(log)).mode! & 0o777, 0o600);
      } finally {
        assert.equal((await server.stop("SIGTERM")).code, 0);
      }
    } finally {
      // Both were left in TMPDIR by every run.
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(logDir, { recursive: true });
    }
  },
});

Deno.test("serve: answers /predict, and SIGTERM finishes the request in flight before exiting 0", async () => {
  const dir = await checkpoints();
  const server = await startServe(["--checkpoint", join(dir, "current")]);
  try {
    // The log exists, empty, before any prediction (monitor on a fresh deployment: "nothing to score yet").
    assert.equal(await Deno.readTextFile(server.predictionsLog), "");
    // Private to its owner and group whatever the umask: it holds the bot's symbols and calls. Before, made
    // 0644 under umask 022 (a security review).
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(server.predictionsLog)).mode! & 0o007, 0);
    const health = await fetch(`${server.url}/health`);
    assert.deepEqual(await health.json(), {
      status: "healthy",
      ready: true,
      model: "loaded",
      device: "cpu",
      input_features: 35,
      version: "v1_2024-01-01",
    });
    const res = await postPredict(server.url, "ETHUSDT");
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
    // With the version's creation time, which tells it from another version of the same name (monitor).
    assert.equal(recorded[0].version_created_at, "2024-01-01T00:00:00.000Z");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.removeLog();
  }
});

Deno.test("serve: SIGHUP (kill -HUP, a closed terminal) does not stop it; it logs a line and checks --checkpoint now", async () => {
  const dir = await checkpoints();
  // A long poll interval: the version switched below is seen only if the HUP makes serve look at once.
  const server = await startServe(["--checkpoint", join(dir, "current"), "--reload-interval", "3600"]);
  try {
    const predict = () => postPredict(server.url, "ETHUSDT");
    const first = await predict();
    assert.equal((await first.json()).model_version, "v1_2024-01-01");
    // Re-pointed as promote does, then HUP: SIGHUP's default action ended serve at once (no drain, the
    // buffered prediction above lost, and not restarted by systemd's Restart=on-failure).
    await writeStandInCheckpoint(join(dir, "v2_2024-01-02"), { version: "v2_2024-01-02" });
    await Deno.symlink("v2_2024-01-02", join(dir, "current.new"));
    await Deno.rename(join(dir, "current.new"), join(dir, "current"));
    let exited = false;
    server.child.status.then(() => exited = true);
    server.child.kill("SIGHUP");
    const deadline = Date.now() + 30_000;
    while (!server.lines.some((l) => l.event === "model_loaded" && l.version === "v2_2024-01-02")) {
      assert.ok(!exited, "serve exited on SIGHUP");
      assert.ok(Date.now() < deadline, `no reload after SIGHUP; log: ${JSON.stringify(server.lines)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(server.lines.filter((l) => l.event === "sighup").length, 1);
    const second = await predict();
    assert.equal(second.status, 200);
    assert.equal((await second.json()).model_version, "v2_2024-01-02");
    const { code } = await server.stop("SIGTERM");
    assert.equal(code, 0);
    const recorded = (await Deno.readTextFile(server.predictionsLog)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(recorded.map((r) => r.version), ["v1_2024-01-01", "v2_2024-01-02"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.removeLog();
  }
});

Deno.test("serve --workers 2: a SIGHUP to the parent reaches every worker, so each loads the new version now", async () => {
  const dir = await checkpoints();
  const server = await startServe([
    "--checkpoint",
    join(dir, "current"),
    "--reload-interval",
    "3600",
    "--workers",
    "2",
  ]);
  const loaded = (version: string) =>
    server.lines.filter((l) => l.event === "model_loaded" && l.version === version).length;
  const waitFor = async (what: string, done: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!done()) {
      assert.ok(Date.now() < deadline, `${what}; log: ${JSON.stringify(server.lines)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  try {
    await waitFor("both processes load v1", () => loaded("v1_2024-01-01") === 2);
    await writeStandInCheckpoint(join(dir, "v2_2024-01-02"), { version: "v2_2024-01-02" });
    await Deno.symlink("v2_2024-01-02", join(dir, "current.new"));
    await Deno.rename(join(dir, "current.new"), join(dir, "current"));
    // The pid systemd's ExecReload or a script knows is the parent's. Before, only it looked at once; the
    // worker kept serving v1 until its next poll (an hour here, 2 s by default).
    server.child.kill("SIGHUP");
    await waitFor("a SIGHUP to the parent reloads both processes", () => loaded("v2_2024-01-02") === 2);
    assert.equal((await server.stop("SIGTERM")).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.removeLog();
  }
});

/**
 * Root passes every permission bit, so a file it may not write is made by running serve without that power
 * (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH); as another user serve runs as it is.
 */
const withoutRootsReach = Deno.build.os === "linux" && Deno.uid() === 0 &&
  new Deno.Command("setpriv", { args: ["--help"], stdout: "null", stderr: "null" }).outputSync().success;
const asUser = withoutRootsReach ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] : [];

Deno.test({
  name:
    "serve: a predictions log lock file this user may read but not write (left by a serve run as root) still logs",
  ignore: Deno.build.os === "windows" || (Deno.uid() === 0 && !withoutRootsReach),
  fn: async () => {
    const dir = await checkpoints();
    const logDir = await Deno.makeTempDir({ prefix: "candlecast-predlog-" });
    const predictionsLog = join(logDir, "predictions.jsonl");
    // As `sudo candlecast serve` leaves it: the log's folder and the log are this user's, the lock is not.
    await Deno.writeTextFile(`${predictionsLog}.lock`, "");
    await Deno.chmod(`${predictionsLog}.lock`, 0o444);
    const server = await startServe(["--checkpoint", join(dir, "current")], {}, {
      wrap: asUser,
      predictionsLog,
    });
    try {
      const res = await postPredict(server.url, "ETHUSDT");
      assert.equal(res.status, 200);
      await res.body?.cancel();
      assert.equal((await server.stop("SIGTERM")).code, 0);
      // Before: "Permission denied: open '…predictions.jsonl.lock'" on every write, and nothing logged.
      assert.deepEqual(server.lines.filter((l) => l.event === "prediction_log_failed"), []);
      const recorded = (await Deno.readTextFile(predictionsLog)).trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(recorded.map((r) => r.symbol), ["ETHUSDT"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(logDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "serve: a predictions log lock file this user cannot open is refused at start, exit 2, naming it",
  ignore: Deno.build.os === "windows" || (Deno.uid() === 0 && !withoutRootsReach),
  fn: async () => {
    const logDir = await Deno.makeTempDir({ prefix: "candlecast-predlog-" });
    const predictionsLog = join(logDir, "predictions.jsonl");
    try {
      await Deno.writeTextFile(`${predictionsLog}.lock`, "");
      await Deno.chmod(`${predictionsLog}.lock`, 0o000);
      const run = [...DENO_RUN, "--allow-all", MAIN, "serve", "--port", "0", "--checkpoint", "/nonexistent"]
        .concat(["--predictions-log", predictionsLog, "--workers", "1"]);
      const child = new Deno.Command(asUser.length > 0 ? asUser[0] : Deno.execPath(), {
        args: asUser.length > 0 ? [...asUser.slice(1), Deno.execPath(), ...run] : run,
        stdout: "null",
        stderr: "piped",
      }).spawn();
      // Started anyway (the bug), serve would run on: killed, so the test fails instead of hanging.
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const out = await child.output();
      clearTimeout(timer);
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(
        stderr,
        /--predictions-log: .*predictions\.jsonl\.lock cannot be opened: .*\nhint: remove it/,
      );
    } finally {
      await Deno.remove(logDir, { recursive: true });
    }
  },
});

Deno.test("serve: the log's rotation flags with --no-predictions-log (no log to rotate) are a usage error, exit 2", async () => {
  // Before: accepted and ignored, serve running without the log the operator had sized.
  for (const [flag, value] of [["--predictions-log-max-mb", "5"], ["--predictions-log-keep", "3"]]) {
    const { code, stderr } = await refusedAtStart(["serve", "--checkpoint", "/nonexistent", flag, value]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`^candlecast: ${flag} was given with --no-predictions-log, `, "m"));
    assert.match(stderr, /\nhint: drop --predictions-log-/);
  }
});

Deno.test({
  name:
    "serve: a FIFO named as the predictions log's lock is refused at start, exit 2, instead of hanging on it",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const logDir = await Deno.makeTempDir({ prefix: "candlecast-predlog-" });
    const predictionsLog = join(logDir, "predictions.jsonl");
    try {
      await new Deno.Command("mkfifo", { args: [`${predictionsLog}.lock`] }).output();
      // Before: serve waited at its start, opening the FIFO for reading, for good (killed after 30 s).
      const { code, stderr } = await refusedAtStart([
        "serve",
        "--checkpoint",
        "/nonexistent",
        "--predictions-log",
        predictionsLog,
      ]);
      assert.equal(code, 2, stderr);
      assert.match(
        stderr,
        /--predictions-log: \S+predictions\.jsonl\.lock is a FIFO \(named pipe\), not a regular file\nhint: move it away \('mv /,
      );
    } finally {
      await Deno.remove(logDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "serve: a predictions log at the file size limit (ulimit -f) fails its writes, not serve (SIGXFSZ)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await checkpoints();
    const logDir = await Deno.makeTempDir({ prefix: "candlecast-predlog-" });
    const predictionsLog = join(logDir, "predictions.jsonl");
    // A limit far above anything Deno writes at start, and a sparse log right below it.
    const limitKb = 1024 * 1024;
    await Deno.writeTextFile(predictionsLog, "");
    await Deno.truncate(predictionsLog, limitKb * 1024 - 10);
    const server = await startServe(
      ["--checkpoint", join(dir, "current"), "--predictions-log-max-mb", "2048"],
      {},
      { wrap: ["bash", "-c", `ulimit -f ${limitKb} && exec "$@"`, "bash"], predictionsLog },
    );
    try {
      for (let i = 0; i < 3; i++) {
        const res = await postPredict(server.url, "ETHUSDT");
        assert.equal(res.status, 200);
        await res.body?.cancel();
        // Past the log's first flush (500 ms): before, SIGXFSZ killed serve there and this fetch was refused.
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
      const failed = server.lines.filter((l) => l.event === "prediction_log_failed");
      assert.equal(failed.length, 1, JSON.stringify(server.lines));
      assert.match(String(failed[0].hint), /ulimit -f/);
      assert.equal((await server.stop("SIGTERM")).code, 0);
      // The cut write was undone: the log is as it was, no line glued to a partial one.
      assert.equal((await Deno.stat(predictionsLog)).size, limitKb * 1024 - 10);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(logDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "serve: a SIGXFSZ that arrives while serve stops does not kill it (exit 0, not 153)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await checkpoints();
    const server = await startServe(["--checkpoint", join(dir, "current")]);
    try {
      // Deno runs a signal's listeners from a thread of its own, after the write that raised it; serve removed
      // its SIGXFSZ listener after its last flush, so a signal still on its way took the default action (CI:
      // exit 153 on SIGTERM, once). A stream of them across the whole stop stands in for that late one.
      server.child.kill("SIGTERM");
      let exited = false;
      const status = server.child.status.finally(() => exited = true);
      while (!exited) {
        try {
          server.child.kill("SIGXFSZ");
        } catch {
          break; // gone between the look and the kill
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      assert.equal((await status).code, 0);
      assert.equal((await server.stop(null)).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await server.removeLog();
    }
  },
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
    // Even behind the key, the 503 names no server path (the log has it).
    const detail = (await allowed.json()).detail;
    assert.match(detail, /^no model loaded: none is installed/);
    assert.doesNotMatch(detail, new RegExp(dir));
    assert.equal((await server.stop("SIGINT")).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.removeLog();
  }
});

Deno.test("serve: a guessable CANDLECAST_API_KEY (short, or a common placeholder) is served with a warning line", async () => {
  for (
    const [key, reason] of [["k3y", /a common placeholder key/], [
      "abc12345",
      /is 8 characters long/,
    ]] as const
  ) {
    const server = await startServe(["--checkpoint", "/nonexistent"], { CANDLECAST_API_KEY: key });
    try {
      const end = Date.now() + 10_000;
      while (!server.lines.some((l) => l.event === "warning") && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const warning = server.lines.find((l) => l.event === "warning");
      assert.match(String(warning?.message), reason);
      assert.match(String(warning?.hint), /openssl rand -hex 32/);
      assert.ok(!JSON.stringify(server.lines).includes(key), "the key itself is never logged");
      assert.equal(server.lines.find((l) => l.event === "listening")?.auth, true, "still served with auth");
    } finally {
      await server.stop().finally(server.removeLog);
    }
  }
});

Deno.test("serve: a web page's request (Origin) is refused with 403 unless --allowed-origins lists it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-serve-" });
  const server = await startServe([
    "--checkpoint",
    join(dir, "current"),
    "--allowed-origins",
    "https://dash.example,https://ops.example",
  ]);
  try {
    const page = await fetch(`${server.url}/health`, { headers: { Origin: "https://evil.example" } });
    assert.equal(page.status, 403);
    assert.match((await page.json()).detail, /--allowed-origins/);
    for (const origin of ["https://dash.example", "https://ops.example"]) {
      const listed = await fetch(`${server.url}/health`, { headers: { Origin: origin } });
      assert.equal(listed.status, 503, `${origin}: past the guard (no model: 503)`);
      assert.equal(
        listed.headers.get("access-control-allow-origin"),
        origin,
        "a browser lets the page read it",
      );
      await listed.body?.cancel();
    }
    assert.equal((await server.stop("SIGINT")).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.removeLog();
  }
});

Deno.test("serve --rate-limit: a client over it gets 429 + Retry-After, /health still answers, /metrics counts it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-serve-" });
  const server = await startServe([
    "--checkpoint",
    join(dir, "current"),
    "--rate-limit",
    "0.5",
    "--rate-limit-burst",
    "2",
  ]);
  try {
    // No model: the burst's two are answered 503, as without a limit; the third is refused before that.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${server.url}/model/info`);
      assert.equal(res.status, 503);
      await res.body?.cancel();
    }
    const over = await fetch(`${server.url}/model/info`);
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers.get("retry-after")) >= 1, "Retry-After in whole seconds");
    assert.match((await over.json()).detail, /too many requests/);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 503, "/health is not limited (it says: no model)");
    await health.body?.cancel();
    // /metrics is limited like any route: waited for here (0.5/s: a token in 2 s).
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^candlecast_http_requests_rate_limited_total 1$/m);
    assert.equal((await server.stop("SIGTERM")).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.removeLog();
  }
});

Deno.test("serve: --rate-limit-burst or --rate-limit-clients without --rate-limit (no limit at all) is a usage error, exit 2", async () => {
  const { code, stderr } = await refusedAtStart([
    "serve",
    "--checkpoint",
    "/nonexistent",
    "--rate-limit-burst",
    "5",
  ]);
  assert.equal(code, 2);
  assert.match(stderr, /--rate-limit-burst was given without --rate-limit/);
  // The client cap alone limits nothing either; it was taken silently (commander's default hid it).
  const clients = await refusedAtStart([
    "serve",
    "--checkpoint",
    "/nonexistent",
    "--rate-limit-clients",
    "5",
  ]);
  assert.equal(clients.code, 2);
  assert.match(clients.stderr, /--rate-limit-clients was given without --rate-limit/);
  const zero = await refusedAtStart(["serve", "--checkpoint", "/nonexistent", "--rate-limit", "0"]);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /--rate-limit/);
});

Deno.test("serve --trusted-proxies: two clients behind one proxy get a bucket each; a spoofed left-most entry does not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-serve-" });
  const server = await startServe([
    "--checkpoint",
    join(dir, "current"),
    "--rate-limit",
    "0.1",
    "--rate-limit-burst",
    "1",
    "--trusted-proxies",
    "127.0.0.1",
    "::1",
  ]);
  try {
    const status = async (forwardedFor: string) => {
      const res = await fetch(`${server.url}/model/info`, { headers: { "X-Forwarded-For": forwardedFor } });
      await res.body?.cancel();
      return res.status;
    };
    // No model: a request let through is 503; a refused one 429. Before, the second bot shared the first's
    // bucket, the proxy's (127.0.0.1).
    assert.equal(await status("203.0.113.5"), 503);
    assert.equal(await status("198.51.100.9"), 503, "another client behind the same proxy");
    assert.equal(await status("203.0.113.5"), 429);
    assert.equal(await status("192.0.2.1, 203.0.113.5"), 429, "a made-up left-most entry changes nothing");
    assert.equal((await server.stop("SIGTERM")).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.removeLog();
  }
});

Deno.test("serve --proxy-header forwarded: clients by RFC 7239's for=, a client's own X-Forwarded-For unread", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-serve-" });
  const server = await startServe([
    "--checkpoint",
    join(dir, "current"),
    "--rate-limit",
    "0.1",
    "--rate-limit-burst",
    "1",
    "--trusted-proxies",
    "127.0.0.1,::1",
    // As a config writes the header's name: names are case-insensitive.
    "--proxy-header",
    "Forwarded",
  ]);
  try {
    const status = async (headers: Record<string, string>) => {
      const res = await fetch(`${server.url}/model/info`, { headers });
      await res.body?.cancel();
      return res.status;
    };
    // No model: a request let through is 503; a refused one 429.
    assert.equal(await status({ Forwarded: 'for="203.0.113.5:4711";proto=https' }), 503);
    assert.equal(await status({ Forwarded: 'for="[2001:db8::9]"' }), 503, "another client behind the proxy");
    assert.equal(await status({ Forwarded: "for=203.0.113.5", "X-Forwarded-For": "192.0.2.1" }), 429);
    assert.equal((await server.stop("SIGTERM")).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.removeLog();
  }
});

Deno.test("serve: a bad --trusted-proxies, --proxy-header or --rate-limit-ipv6-prefix is a usage error, exit 2, naming it", async () => {
  const refused = (...flags: string[]) =>
    refusedAtStart(["serve", "--checkpoint", "/nonexistent", "--rate-limit", "5", ...flags]);
  for (
    const [value, message] of [
      ["10.0.0.0/33", /--trusted-proxies: 10\.0\.0\.0\/33: the prefix length of an IPv4 range is 1–32/],
      ["proxy.internal", /--trusted-proxies: proxy\.internal is not an IP address or CIDR range \(e\.g\./],
      [
        "10.0.0.1/8",
        /--trusted-proxies: 10\.0\.0\.1\/8 has bits set past its \/8: the range is 10\.0\.0\.0\/8/,
      ],
      ["0.0.0.0/0", /--trusted-proxies: 0\.0\.0\.0\/0 trusts every address/],
      ["2001:db8::/129", /--trusted-proxies: 2001:db8::\/129: the prefix length of an IPv6 range is 1–128/],
    ] as const
  ) {
    // After a good entry: every entry is checked, not only the first.
    const { code, stderr } = await refused("--trusted-proxies", `127.0.0.1,${value}`);
    assert.equal(code, 2, stderr);
    assert.match(stderr, message);
  }
  // An empty list (an unset variable) would trust nothing while looking set.
  const empty = await refused("--trusted-proxies", "");
  assert.equal(empty.code, 2, empty.stderr);
  assert.match(
    empty.stderr,
    /--trusted-proxies: expected proxy addresses or CIDR ranges, e\.g\. 127\.0\.0\.1/,
  );
  // So would an empty --allowed-hosts or --allowed-origins (they were accepted); and an empty --port, read as 0,
  // bound a free port without a word, as hex was read as a number.
  for (
    const [flag, value] of [["--allowed-hosts", ""], ["--allowed-origins", ""], ["--port", ""], [
      "--port",
      "0x1F40",
    ]]
  ) {
    const { code, stderr } = await refused(flag, value);
    assert.equal(code, 2, `${flag} ${JSON.stringify(value)}: ${stderr}`);
    assert.match(stderr, new RegExp(`${flag}: expected `));
  }
  for (const bits of ["0", "129", "64.5", "x"]) {
    const { code, stderr } = await refused("--rate-limit-ipv6-prefix", bits);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /--rate-limit-ipv6-prefix: expected a prefix length 1–128/, bits);
  }
  // Without --rate-limit neither limits anything: said, as for --rate-limit-burst.
  for (const flags of [["--trusted-proxies", "127.0.0.1"], ["--rate-limit-ipv6-prefix", "48"]]) {
    const { code, stderr } = await refusedAtStart(["serve", "--checkpoint", "/nonexistent", ...flags]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`${flags[0]} was given without --rate-limit`));
  }
  // --proxy-header: one of the two headers, and only with proxies to believe it from.
  const header = await refused("--trusted-proxies", "127.0.0.1", "--proxy-header", "x-real-ip");
  assert.equal(header.code, 2, header.stderr);
  assert.match(header.stderr, /--proxy-header: expected x-forwarded-for or forwarded/);
  const alone = await refused("--proxy-header", "forwarded");
  assert.equal(alone.code, 2, alone.stderr);
  assert.match(alone.stderr, /--proxy-header was given without --trusted-proxies/);
});

Deno.test("serve: a --reload-interval under 0.1 s is a usage error, exit 2, the bound in --help", async () => {
  // Before: 0.001 was taken, and serve looked at --checkpoint a thousand times a second (a quarter of a core).
  const tiny = await refusedAtStart(["serve", "--checkpoint", "/nonexistent", "--reload-interval", "0.001"]);
  assert.equal(tiny.code, 2, tiny.stderr);
  assert.match(
    tiny.stderr,
    /^candlecast: --reload-interval: expected a number of seconds ≥ 0\.1: .*SIGHUP.*\nhint: run 'candlecast serve --help'/,
  );
  const help = await new Deno.Command(Deno.execPath(), {
    args: [...DENO_RUN, "--allow-all", MAIN, "serve", "--help"],
    stdout: "piped",
  }).output();
  assert.match(
    new TextDecoder().decode(help.stdout).replace(/\s+/g, " "),
    /--reload-interval <seconds> how often --checkpoint is checked for a new version \(at least 0\.1;/,
  );
});

Deno.test("serve: an --allowed-origins or --allowed-hosts entry of the wrong shape is a usage error, exit 2", async () => {
  for (
    const [flag, value, message] of [
      ["--allowed-origins", "dash.example", /scheme:\/\/host\[:port\]/],
      ["--allowed-origins", "https://dash.example:99999", /scheme:\/\/host\[:port\]/],
      ["--allowed-hosts", "http://bot.internal", /host names as clients send them/],
    ] as const
  ) {
    // No log: refused before it is opened today, but one started would write data/ in the working tree.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...DENO_RUN, "--allow-all", MAIN, "serve", flag, value, "--checkpoint", "/nonexistent"]
        .concat(["--no-predictions-log"]),
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2, flag);
    assert.match(new TextDecoder().decode(out.stderr), message);
  }
});

Deno.test("serve: a port in use exits 1 with a reason and a hint", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // The log on, as by default, but not the default data/predictions.jsonl: before, every run made it and its
  // .lock in the working tree (serve opens the log before it binds).
  const logDir = await Deno.makeTempDir({ prefix: "candlecast-predlog-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_RUN,
        "--allow-all",
        MAIN,
        "serve",
        "--port",
        String(listener.addr.port),
        "--checkpoint",
        "/nonexistent",
        "--predictions-log",
        join(logDir, "predictions.jsonl"),
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
    await Deno.remove(logDir, { recursive: true });
  }
});

Deno.test({
  name: "serve --workers above the machine's cores: served, with a warning line saying what it costs",
  // One process more than the cores: a big machine would start too many for a test.
  ignore: navigator.hardwareConcurrency > 8,
  fn: async () => {
    const cores = navigator.hardwareConcurrency;
    // Before: no line at all; the processes shared the cores, each with its own model.
    const server = await startServe(["--checkpoint", "/nonexistent", "--workers", String(cores + 1)]);
    try {
      const warning = server.lines.find((l) => l.event === "warning");
      assert.match(
        String(warning?.message),
        new RegExp(
          `^--workers ${cores + 1} is more than this machine's ${cores} cores: its ${cores + 1} processes`,
        ),
      );
      assert.match(String(warning?.hint), new RegExp(`^--workers ${cores} \\(the default here`));
      assert.equal(server.lines.find((l) => l.event === "listening")?.workers, cores + 1, "still accepted");
    } finally {
      await server.stop().finally(server.removeLog);
    }
  },
});

Deno.test("serve --workers 2: a second serve on a port that workers already share exits 1", async () => {
  // The first binds with SO_REUSEPORT, which would let a second SO_REUSEPORT bind join it and split traffic.
  const first = await startServe(["--checkpoint", "/nonexistent", "--workers", "2"]);
  try {
    const second = new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_RUN,
        "--allow-all",
        MAIN,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        new URL(first.url).port,
        "--checkpoint",
        "/nonexistent",
        "--no-predictions-log",
        "--workers",
        "2",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // One that binds runs until stopped: kill it rather than hang the suite.
    const timer = setTimeout(() => second.kill("SIGKILL"), 30_000);
    const out = await second.output();
    clearTimeout(timer);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, `the second serve bound the port too; stderr: ${stderr}`);
    assert.match(stderr, /cannot listen on 127\.0\.0\.1:\d+: the address is in use/);
    assert.match(stderr, /hint: pass another --port/);
  } finally {
    assert.equal((await first.stop("SIGTERM").finally(first.removeLog)).code, 0);
  }
});

Deno.test("serve: a CANDLECAST_API_KEY with white space (no client could send it) is refused, exit 2", async () => {
  for (const [key, what] of [["two words", "a space or tab"], ["k3y\n", "a line break"]]) {
    // No log: refused before it is opened today, but one started would write data/ in the working tree.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...DENO_RUN, "--allow-all", MAIN, "serve", "--port", "0", "--checkpoint", "/nonexistent"]
        .concat(["--no-predictions-log"]),
      env: { CANDLECAST_API_KEY: key },
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.match(stderr, new RegExp(`CANDLECAST_API_KEY contains ${what}`));
    assert.match(stderr, /hint: set CANDLECAST_API_KEY to a key without white space/);
    assert.doesNotMatch(stderr, new RegExp(key.trim()), "the key itself is not printed");
  }
  // A key outside visible ASCII: refused with a hint for that case (it said "without white space").
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...DENO_RUN, "--allow-all", MAIN, "serve", "--port", "0", "--checkpoint", "/nonexistent"]
      .concat(["--no-predictions-log"]),
    env: { CANDLECAST_API_KEY: "ключ-ключ-ключ-ключ-1234" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2, stderr);
  assert.match(stderr, /outside visible ASCII/);
  assert.match(stderr, /hint: set CANDLECAST_API_KEY to a key of letters, digits and punctuation/);
});

Deno.test("serve with a --checkpoint its --allow-read leaves out is a usage error, not a model missing for good", async () => {
  // The container's serve set reads /app and /tmp: versions mounted elsewhere read as "model_missing" (503) forever.
  const ROOT = fromFileUrl(new URL("..", import.meta.url));
  const dir = await Deno.makeTempDir();
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_RUN,
        `--allow-read=${ROOT},${Deno.realPathSync(join(ROOT, "node_modules"))}`,
        "--allow-write",
        "--allow-env",
        "--allow-ffi",
        "--allow-run",
        "--allow-net",
        MAIN,
        "serve",
        "--checkpoint",
        `${dir}/current`,
        "--port",
        "0",
        "--workers",
        "1",
        "--no-predictions-log",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const [status, stdout, stderr] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    clearTimeout(timer);
    assert.equal(status.code, 2, stderr);
    assert.match(stderr, /^candlecast: --checkpoint: this process may not read /m);
    assert.match(stderr, /^hint: .*\/app\/checkpoints/m);
    assert.doesNotMatch(stdout, /model_missing|listening/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Runs a command meant to refuse at start (`serve` or `predict`): its exit code and stderr. One that starts
 * serving instead (the failure tested for) is killed after 30 s rather than hanging the suite; one worker, and no
 * predictions log unless one is named, so it writes nothing into the working tree meanwhile.
 */
async function refusedAtStart(
  args: string[],
  env: Record<string, string> = {},
  permissions: readonly string[] = ["--allow-all"],
) {
  const port = args.includes("--port") ? [] : ["--port", "0"];
  const log = args.includes("--predictions-log") ? [] : ["--no-predictions-log"];
  const extra = args[0] === "serve" ? [...port, "--workers", "1", ...log] : [];
  const child = new Deno.Command(Deno.execPath(), {
    args: [...DENO_RUN, ...permissions, MAIN, ...args, ...extra],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
  clearTimeout(timer);
  return { code: status.code, stderr };
}

Deno.test("serve: CANDLECAST_API_KEY set but empty is refused, exit 2, rather than serving without auth", async () => {
  const { code, stderr } = await refusedAtStart(["serve", "--checkpoint", "/nonexistent"], {
    CANDLECAST_API_KEY: "",
  });
  // Before: it started, logging "auth": false, every route open.
  assert.equal(code, 2, stderr);
  assert.equal(
    stderr,
    "candlecast: CANDLECAST_API_KEY is set but empty; serve will not guess whether auth was meant to be on\n" +
      "hint: unset CANDLECAST_API_KEY to serve without auth, or set it to a key (e.g. openssl rand -hex 32)\n",
  );
});

Deno.test("serve: --checkpoint naming the folder holding the versions is refused at start as predict refuses it, exit 2", async () => {
  const dir = await checkpoints();
  try {
    await Deno.writeTextFile(join(dir, "request.json"), "{}");
    // Before: serve started, answered 503 and logged model_load_failed every reload interval.
    const [served, predicted] = await Promise.all([
      refusedAtStart(["serve", "--checkpoint", dir]),
      refusedAtStart(["predict", "--checkpoint", dir, "--input", join(dir, "request.json")]),
    ]);
    assert.equal(served.code, 2, served.stderr);
    assert.equal(
      served.stderr,
      `candlecast: --checkpoint: ${dir} holds model versions but is not one itself\n` +
        `hint: use --checkpoint ${join(dir, "current")} (the version served); ` +
        `'candlecast models list --checkpoints ${dir}' shows them all\n`,
    );
    assert.equal(predicted.code, 2, predicted.stderr);
    assert.equal(predicted.stderr, served.stderr, "the same words as predict's");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve, predict and export given a file inside a version (its model.onnx) name the version folder to give, exit 2", async () => {
  const dir = await checkpoints();
  try {
    await Deno.writeTextFile(join(dir, "request.json"), "{}");
    const onnx = join(dir, "v1_2024-01-01", "model.onnx");
    // Before: predict and export said only "point --checkpoint at a version folder such as checkpoints/current",
    // and serve started, answered 503 and logged model_load_failed every reload interval.
    const [served, predicted, exported] = await Promise.all([
      refusedAtStart(["serve", "--checkpoint", onnx]),
      refusedAtStart(["predict", "--checkpoint", onnx, "--input", join(dir, "request.json")]),
      refusedAtStart(["export", "--checkpoint", onnx, "--output", join(dir, "out.onnx")]),
    ]);
    assert.equal(served.code, 2, served.stderr);
    assert.equal(
      served.stderr,
      `candlecast: --checkpoint: ${onnx} is a file, not a checkpoint folder\n` +
        `hint: point --checkpoint at a version folder, not a file in it: --checkpoint ${
          join(dir, "v1_2024-01-01")
        }\n`,
    );
    for (const other of [predicted, exported]) {
      assert.equal(other.code, 2, other.stderr);
      assert.equal(other.stderr, served.stderr, "the same words as serve's");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a --predictions-log that can never be written is refused at start, exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-serve-log-" });
  try {
    await Deno.writeTextFile(join(dir, "raw.csv"), "x\n");
    // Before: serve started and dropped every record, saying so only after the first prediction.
    for (
      const [path, message] of [
        [
          join(dir, "raw.csv", "p.jsonl"),
          /--predictions-log: .*p\.jsonl cannot be written: .*raw\.csv is a file/,
        ],
        [dir, /--predictions-log: .* is a folder, not a file/],
      ] as const
    ) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [...DENO_RUN, "--allow-all", MAIN, "serve", "--port", "0", "--checkpoint", "/nonexistent"]
          .concat(["--predictions-log", path]),
        stdout: "null",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.match(stderr, message);
      assert.match(stderr, /\nhint: .*; or serve without the log: --no-predictions-log\n/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --workers 2 with a TMPDIR that does not exist or is a file is refused at start, exit 2, naming it", async () => {
  const dir = await checkpoints();
  try {
    await Deno.writeTextFile(join(dir, "afile"), "x\n");
    for (
      const [tmpdir, why] of [
        [join(dir, "missing", "tmp"), "which does not exist"],
        [join(dir, "afile"), "which is not a folder"],
      ] as const
    ) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [...DENO_RUN, "--allow-all", MAIN, "serve", "--port", "0", "--workers", "2"]
          .concat(["--checkpoint", join(dir, "current"), "--no-predictions-log"]),
        env: { TMPDIR: tmpdir },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      // Before: the model loaded, then "unexpected failure: No such file or directory (os error 2): tmpdir",
      // "hint: this is a bug" and exit 1 (with TMPDIR a file: "Not a directory").
      assert.equal(out.code, 2, stderr);
      assert.equal(
        stderr,
        "candlecast: serve --workers 2 shares /metrics between its processes through a folder it makes in " +
          `TMPDIR (${tmpdir}), ${why}\n` +
          "hint: set TMPDIR to a folder this user can write (or unset it for /tmp), or serve with --workers 1\n",
      );
      // Refused before the model loads or the port is bound.
      assert.doesNotMatch(new TextDecoder().decode(out.stdout), /model_loaded|listening/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a --predictions-log through a link to a folder not there is refused at start, exit 2, not a bug", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-serve-log-" });
  try {
    // A data disk not mounted yet when serve starts: the links are there, the folder they lead into is not.
    const [folder, file] = [join(dir, "logs"), join(dir, "p.jsonl")];
    await Deno.symlink(join(dir, "unmounted", "logs"), folder);
    await Deno.symlink(join(dir, "unmounted", "p.jsonl"), file);
    // Was exit 1, "unexpected failure: File exists (os error 17): mkdir …" (a folder link) or "No such file or
    // directory (os error 2): open …" (the log a link), and "this is a bug".
    for (
      const [path, link] of [
        [join(folder, "p.jsonl"), folder],
        [join(folder, "serve", "p.jsonl"), folder],
        [file, file],
      ]
    ) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [...DENO_RUN, "--allow-all", MAIN, "serve", "--port", "0", "--checkpoint", "/nonexistent"]
          .concat(["--predictions-log", path]),
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, stderr);
      assert.ok(stderr.startsWith(`candlecast: --predictions-log: ${link} is a link to `), stderr);
      assert.match(
        stderr,
        /is not there .*\nhint: mount or restore it.*; or serve without the log: --no-predictions-log\n/,
      );
      // Before the port is bound: nothing said it listened.
      assert.doesNotMatch(new TextDecoder().decode(out.stdout), /listening/);
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["logs", "p.jsonl"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A port that was free a moment ago (for a server started through a shell, which cannot report it). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** `serve` started by bash, so a test can set `ulimit` or point stdout somewhere hostile. */
async function startServeInShell(
  shell: string,
  args: string[],
  stdout: "piped" | "null" = "null",
) {
  const port = freePort();
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      `${shell} "$@"`,
      "serve",
      Deno.execPath(),
      ...DENO_RUN,
      "--allow-all",
      MAIN,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--no-predictions-log",
      ...args,
    ],
    stdout,
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  // Generous: on a loaded CI machine starting Deno and loading the model can take many seconds.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
    if (res) {
      await res.body?.cancel();
      break;
    }
    if (Date.now() > deadline) throw new Error("serve did not start within 120 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  return { url, port, child, status, exited: () => exited, stderr: new Response(child.stderr).text() };
}

const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);

Deno.test("serve: 400 stalled sockets under ulimit -n 256 do not kill it; /health answers after", async () => {
  const server = await startServeInShell("ulimit -n 256 && exec", [
    "--checkpoint",
    "/nonexistent",
    "--workers",
    "1",
    "--header-timeout",
    "0.5",
    "--request-timeout",
    "1",
  ]);
  const conns: Deno.Conn[] = [];
  try {
    const head = new TextEncoder().encode("GET /health HTTP/1.1\r\nHost: a\r\n");
    for (let i = 0; i < 400; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      conns.push(conn);
      conn.write(head).catch(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(server.exited(), false, "serve is still running");
    for (const conn of conns.splice(0)) conn.close();
    const started = performance.now();
    const res = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(1000) });
    assert.equal(res.status, 503); // no model, but alive and answering
    await res.body?.cancel();
    assert.ok(performance.now() - started < 1000);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.ok(
      metric(text, "candlecast_http_connections_dropped_total") > 0,
      "connections over the cap dropped",
    );
    assert.ok(metric(text, "candlecast_http_read_timeouts_total") > 0, "stalled sockets timed out");
    server.child.kill("SIGTERM");
    assert.equal((await server.status).code, 0);
  } finally {
    for (const conn of conns) conn.close();
    if (!server.exited()) server.child.kill("SIGKILL");
    await server.status;
    await server.stderr;
  }
});

Deno.test("serve: stdout on /dev/full starts, answers, counts the dropped lines and exits 0", async () => {
  const dir = await checkpoints();
  const server = await startServeInShell("exec >/dev/full", [
    "--checkpoint",
    join(dir, "current"),
    "--workers",
    "1",
  ]);
  try {
    for (let i = 0; i < 20; i++) {
      const res = await postPredict(server.url);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.ok(metric(text, "candlecast_log_lines_dropped_total") >= 20);
    server.child.kill("SIGTERM");
    assert.equal((await server.status).code, 0);
  } finally {
    if (!server.exited()) server.child.kill("SIGKILL");
    await server.status;
    await server.stderr;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a stdout pipe nobody reads never stalls requests, and SIGTERM still stops it", async () => {
  const dir = await checkpoints();
  // stdout is piped and never read: the pipe buffer (64 KiB) fills after a few hundred lines.
  const server = await startServeInShell(
    "exec",
    ["--checkpoint", join(dir, "current"), "--workers", "1"],
    "piped",
  );
  try {
    for (let i = 0; i < 1000; i++) {
      // A hang would never answer; 10 s only allows for a heavily loaded CI machine.
      const res = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    const started = performance.now();
    server.child.kill("SIGTERM");
    assert.equal((await server.status).code, 0);
    assert.ok(performance.now() - started < 5000);
  } finally {
    if (!server.exited()) server.child.kill("SIGKILL");
    await server.status;
    await server.stderr;
    await server.child.stdout.cancel();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: --shutdown-timeout cuts a client that never finishes, flushes the predictions log, exits 0", async () => {
  const dir = await checkpoints();
  const server = await startServe(["--checkpoint", join(dir, "current"), "--shutdown-timeout", "1"]);
  try {
    const res = await postPredict(server.url, "ETHUSDT");
    assert.equal(res.status, 200);
    await res.body?.cancel();
    await slowRequest(server.url, JSON.stringify(predictBody("SOLUSDT"))); // never finished
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    const { code } = await server.stop("SIGTERM");
    const ms = performance.now() - started;
    assert.equal(code, 0);
    assert.ok(ms > 800 && ms < 4000, `stopped after ${Math.round(ms)} ms`);
    assert.ok(server.lines.some((l) => l.event === "shutdown_timeout"));
    const recorded = (await Deno.readTextFile(server.predictionsLog)).trim().split("\n");
    assert.equal(recorded.length, 1);
    assert.match(recorded[0], /"symbol":"ETHUSDT"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.removeLog();
  }
});

Deno.test("serve --workers 2: two processes answer on one port, and SIGTERM stops both", async () => {
  const dir = await checkpoints();
  const server = await startServe(["--checkpoint", join(dir, "current"), "--workers", "2"]);
  try {
    // The second worker starts once the first listens, and loads its own model: wait for it to say so.
    const ready = Date.now() + 120_000;
    while (!server.lines.some((l) => l.event === "worker_listening") && Date.now() < ready) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const deadline = Date.now() + 30_000;
    const seen = new Set<unknown>();
    let sent = 0;
    while (seen.size < 2 && Date.now() < deadline) {
      sent++;
      // Bounded, so a worker that stops answering fails the test instead of hanging the suite.
      const res = await fetch(`${server.url}/health`, {
        headers: { Connection: "close" },
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Each process tags its lines with its worker number; the log is read as it comes.
      for (const line of server.lines) if (line.path === "/health") seen.add(line.worker);
    }
    assert.deepEqual([...seen].sort(), [0, 1]);
    // /metrics sums both workers, whichever one answers (the other's counters are ≤ 1 s old).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (let i = 0; i < 4; i++) {
      const text = await (await fetch(`${server.url}/metrics`, {
        headers: { Connection: "close" },
        signal: AbortSignal.timeout(10_000),
      })).text();
      assert.equal(
        metric(text, 'candlecast_http_requests_total\\{route="/health",method="GET",status="200"\\}'),
        sent,
      );
      // Each worker's model, labelled, whichever worker answers the scrape.
      for (const w of ["0", "1"]) {
        assert.equal(metric(text, `candlecast_worker_model_loaded\\{worker="${w}"\\}`), 1);
      }
    }
    const { code } = await server.stop("SIGTERM");
    assert.equal(code, 0);
    assert.equal(server.lines.filter((l) => l.event === "stopped").length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.removeLog();
  }
});

Deno.test("serve and predict never load TensorFlow.js (only training needs it)", async () => {
  for (const entry of ["serve.ts", "predict.ts"]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", new URL(entry, import.meta.url).pathname],
      stdout: "piped",
      stderr: "null",
    }).output();
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: unknown[] };
    assert.ok(graph.modules.length > 10, "deno info listed the module graph");
    const tf = graph.modules.filter((m) => JSON.stringify(m).includes("@tensorflow/"));
    assert.deepEqual(tf, [], `${entry} reaches TensorFlow.js`);
  }
  // The program loads only the command it runs: `serve` does not bring train's modules along.
  const program = await import("./program.ts");
  const serveOnly = await program.buildProgram(["serve"]);
  assert.deepEqual(serveOnly.commands.map((c) => c.name()), ["serve"]);
});

Deno.test("models and monitor do not load TensorFlow.js: they read stores and logs, and start faster without it", async () => {
  // A runtime check, not the module graph: `models` imports the training code on demand, only to describe a
  // stopped run (before, both commands loaded the tensor library, ~0.2 s, through the checkpoint barrel).
  for (const entry of ["models.ts", "monitor.ts"]) {
    const code = `await import(${JSON.stringify(new URL(entry, import.meta.url).href)});\n` +
      `console.log("_tfengine" in globalThis);`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--node-modules-dir=manual", code],
      cwd: fromFileUrl(new URL("..", import.meta.url)),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "false", `${entry} loaded TensorFlow.js`);
  }
});

Deno.test("serve: an address --allow-net does not grant is refused with what to add, not an uncaught stack trace", async () => {
  // The container's narrowed set, or a --host outside it: node:http's listen threw Deno's NotCapable from a
  // later tick, which nothing could catch.
  const port = freePort();
  const { code, stderr } = await refusedAtStart(
    ["serve", "--host", "127.0.0.1", "--port", String(port), "--checkpoint", "/nonexistent"],
    {},
    // Every permission serve needs, the network only to Binance.
    [
      "--no-prompt",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi",
      "--allow-sys",
      "--allow-run",
      "--allow-net=api.binance.com",
    ],
  );
  assert.equal(code, 1, stderr);
  assert.match(
    stderr,
    new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: Deno's --allow-net does not grant`),
  );
  assert.match(stderr, /hint: add 127\.0\.0\.1:\d+ to --allow-net/);
  assert.doesNotMatch(stderr, /Uncaught|^ {4}at /m);
});
