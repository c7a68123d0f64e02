/**
 * `candlecast serve` under load and under abuse, measured from a separate process over loopback.
 *
 * 1. Speed: POST /predict for `--seconds` at concurrency 1 and 16 (p50/p99 latency, requests/s), each next to
 *    its baseline measured in the same run: GET /health at the same concurrency (the HTTP floor of this
 *    server) and the engine alone in-process (ONNX Runtime, batch 1), so the ratios show where time goes.
 * 2. With `wrk` installed (Debian `apt-get install wrk`): POST /predict at c=1 and c=16 driven by wrk, one
 *    worker and one per core (`serve --workers N`), and every process's RSS before and after `--requests`
 *    (default 100,000) requests.
 * 3. Robustness: `--malformed` bad requests (truncated JSON, wrong types, NaN strings, huge arrays, deep
 *    nesting, wrong content types, bad encodings/methods/paths/framing): no 5xx, /health still answers, RSS
 *    within 10 % of before, one log line per request.
 *
 * The model is the default-size hybrid (transformer_lstm) with untrained weights unless `--checkpoint` names a
 * trained version; request bodies are real candles when ../shared is present.
 *
 * Every phase is bounded in time (a request that gets no answer in 10 s counts as "no response"; the
 * many-requests phase stops after `--memory-seconds`), progress goes to stderr, and a server that dies is
 * reported with its exit status and last log lines rather than as the next connection's "connection refused".
 *
 *   deno task bench:serve [--seconds 10] [--malformed 5000] [--checkpoint DIR] [--max-batch 1] [--requests N]
 *                         [--memory-seconds 180]
 */
import { join } from "node:path";
import { candleAt, type CandleSeries, FEATURE_COUNT, windowBatch, windowEnds } from "../features/index.ts";
import { toRequestCandle } from "../server/predict.ts";
import { loadPredictor } from "../engine/index.ts";
import { predictBody } from "../test/fake_predictor.ts";
import { haveRealData, loadRealSeries } from "../test/real_data.ts";
import { REAL_SYMBOLS } from "../test/shared.ts";
import { HttpConnection, rawRequest } from "./serve/http_client.ts";
import { writeHybridCheckpoint } from "./serve/hybrid_checkpoint.ts";
import { defaultModelConfig } from "../ml/models/index.ts";
import { malformedRequests } from "./serve/malformed.ts";
import { haveWrk, runWrk, type WrkResult } from "./serve/wrk.ts";
import { argument } from "./serve/args.ts";

const LOOKBACK = 50;
/** Idle time before each RSS reading, so memory freed by the last requests is returned. */
const SETTLE_MS = 5000;

const SECONDS = Number(argument("seconds", "10"));
const MALFORMED = Number(argument("malformed", "5000"));
const CHECKPOINT = argument("checkpoint", "");
const MAX_BATCH = argument("max-batch", "1");
const REQUESTS = Number(argument("requests", "100000"));
const MEMORY_SECONDS = Number(argument("memory-seconds", "180"));
/** Longest wait for one response before it counts as none. */
const RESPONSE_TIMEOUT_MS = 10_000;
/** Longest wait for `serve` to load its model and listen. */
const START_TIMEOUT_MS = 180_000;
if (!(SECONDS > 0) || !Number.isInteger(MALFORMED) || MALFORMED < 0 || !(MEMORY_SECONDS > 0)) {
  console.error("usage: deno task bench:serve [--seconds 10] [--malformed 5000] [--checkpoint DIR]");
  Deno.exit(2);
}

type WireBody = { symbol: string; candles: Record<string, unknown>[] };

/** 64 request bodies of `LOOKBACK` candles: real windows spread over the five series, else synthetic. */
async function requestBodies(): Promise<{ bodies: WireBody[]; windows: Float32Array; source: string }> {
  if (!haveRealData()) {
    const bodies: WireBody[] = Array.from(
      { length: 64 },
      (_, i) => predictBody(`SYN${i}`, LOOKBACK, i + 1) as unknown as WireBody,
    );
    return { bodies, windows: new Float32Array(0), source: "synthetic candles (../shared absent)" };
  }
  const bodies: WireBody[] = [];
  const windows: Float32Array[] = [];
  for (const symbol of REAL_SYMBOLS) {
    const s: CandleSeries = await loadRealSeries(symbol);
    const { ends } = windowEnds(s, { lookback: LOOKBACK, horizon: 0 });
    const picked = Int32Array.from({ length: 13 }, (_, k) => ends[Math.floor((k + 0.5) * ends.length / 13)]);
    windows.push(windowBatch(s, picked, LOOKBACK, 0).x);
    for (const end of picked) {
      const candles = [];
      for (let i = end - LOOKBACK + 1; i <= end; i++) candles.push({ ...toRequestCandle(candleAt(s, i)) });
      bodies.push({ symbol, candles });
    }
  }
  const all = new Float32Array(windows.reduce((n, w) => n + w.length, 0));
  windows.reduce((at, w) => (all.set(w, at), at + w.length), 0);
  return { bodies, windows: all, source: "real 1h candles of the five shared series" };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Resident memory of a process, via ps (reading another process's /proc entry needs --allow-all). */
function rssMiB(pid: number): number {
  const out = new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).outputSync();
  return Number(new TextDecoder().decode(out.stdout).trim()) / 1024;
}

/** CPU seconds a process has used (user + system), from /proc via cat (a direct read needs --allow-all). */
function cpuSeconds(pid: number): number {
  const out = new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).outputSync();
  const fields = new TextDecoder().decode(out.stdout).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

const benchStarted = performance.now();
/** Progress on stderr, so a long run shows where it is. */
function progress(message: string): void {
  const s = ((performance.now() - benchStarted) / 1000).toFixed(0).padStart(4);
  console.error(`[bench:serve ${s} s, load ${Deno.loadavg()[0].toFixed(2)}] ${message}`);
}

/** The server died (or never listened): says how, with its last log lines, instead of a later ECONNREFUSED. */
class ServerGone extends Error {
  override name = "ServerGone";
}

/** The server as a user runs it; resolves once every worker listens, then counts its request log lines. */
async function startServer(checkpoint: string, maxBatch: string, workers = 1) {
  const main = new URL("../main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      main,
      "serve",
      "--port",
      "0",
      "--checkpoint",
      checkpoint,
      "--max-batch",
      maxBatch,
      "--workers",
      String(workers),
      "--no-predictions-log",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "", port = 0, workersListening = 0;
  const counts = { requests: 0, serverErrors: 0 };
  /** The last lines that were not request logs: model loads, errors, shutdown. */
  const events: string[] = [];
  const consume = (line: string) => {
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      record = { event: "not_json", line: line.slice(0, 200) };
    }
    if (!record.method) events.push(line.slice(0, 300)), events.length > 12 && events.shift();
    if (record.event === "listening") port = Number(new URL(record.url).port);
    else if (record.event === "worker_listening") workersListening++;
    else if (record.method) counts.requests++;
    else if (record.event === "server_error") counts.serverErrors++;
  };
  const pump = (async () => {
    for (;;) {
      const { done, value } = await lines.read();
      if (done) return;
      buffered += value;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        consume(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    }
  })();
  let status: Deno.CommandStatus | null = null;
  const exited = child.status.then((s) => status = s);
  const gone = (phase: string) =>
    new ServerGone(
      `serve (pid ${child.pid}) ${
        status
          ? `exited with code ${status.code}${status.signal ? `, signal ${status.signal}` : ""}`
          : "is gone"
      } during ${phase}; its last events:\n  ${events.join("\n  ") || "(none)"}`,
    );
  /** `work`, or a ServerGone error as soon as the server exits while it runs. */
  const guard = async <T>(phase: string, work: Promise<T>): Promise<T> => {
    progress(phase);
    const outcome = await Promise.race([work.then((value) => ({ value })), exited.then(() => null)]);
    if (outcome === null) {
      work.catch(() => {}); // what it failed with is a consequence; the exit is the news
      throw gone(phase);
    }
    return outcome.value;
  };
  const deadline = performance.now() + START_TIMEOUT_MS;
  while (port === 0 || workersListening < workers - 1) {
    if (status !== null) throw gone("start-up");
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new ServerGone(
        `serve did not listen within ${START_TIMEOUT_MS / 1000} s; its last events:\n  ${
          events.join("\n  ") || "(none)"
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  /** SIGTERM, then the exit status (SIGKILL after 30 s: a stuck drain must not hold the bench). */
  const stop = async (): Promise<Deno.CommandStatus> => {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const s = await child.status;
    clearTimeout(timer);
    await pump.catch(() => {});
    return s;
  };
  return { child, port, counts, pump, guard, stop };
}

/** `work`, or `fallback` once `ms` pass. */
async function within<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => timer = setTimeout(() => resolve(fallback()), ms));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface LoadResult {
  readonly latencies: number[];
  readonly perSecond: number;
  /** By status; "no response" for a refused connection, a closed one, or none within the timeout. */
  readonly statuses: Map<number | string, number>;
}

/** `concurrency` keep-alive connections, each with one request outstanding, for `seconds`. */
async function load(port: number, concurrency: number, seconds: number, next: (i: number) => Uint8Array) {
  const latencies: number[] = [];
  const statuses = new Map<number | string, number>();
  const started = performance.now(), deadline = started + seconds * 1000;
  let sent = 0;
  const note = (status: number | string) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  await Promise.all(Array.from({ length: concurrency }, async () => {
    let conn: HttpConnection | null = null;
    while (performance.now() < deadline) {
      try {
        conn ??= await within(HttpConnection.open("127.0.0.1", port), RESPONSE_TIMEOUT_MS, () => {
          throw new Error("connect timeout");
        });
        const request = next(sent++);
        const t0 = performance.now();
        const { status } = await within(conn.send(request), RESPONSE_TIMEOUT_MS, () => {
          throw new Error("response timeout");
        });
        latencies.push(performance.now() - t0);
        note(status);
      } catch {
        // Counted and retried on a new connection (after a pause, so a dead server does not spin this loop).
        note("no response");
        conn?.close();
        conn = null;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    conn?.close();
  }));
  const elapsed = (performance.now() - started) / 1000;
  return { latencies: latencies.sort((a, b) => a - b), perSecond: latencies.length / elapsed, statuses };
}

/** Sends every malformed request (4 at a time); a request of `ownConnection` kind gets a fresh connection. */
async function abuse(port: number, bodies: WireBody[], count: number, seed = 7) {
  const statuses = new Map<string, number>();
  const byKind = new Map<string, Map<number | string, number>>();
  let noResponse = 0, sent = 0;
  const requests = malformedRequests(bodies, count, seed);
  const note = (kind: string, status: number | string) => {
    const m = byKind.get(kind) ?? new Map();
    m.set(status, (m.get(status) ?? 0) + 1);
    byKind.set(kind, m);
    statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
  };
  await Promise.all(Array.from({ length: 4 }, async () => {
    let shared: HttpConnection | null = null;
    for (let r = requests.next(); !r.done; r = requests.next()) {
      const { kind, bytes, ownConnection } = r.value;
      sent++;
      let conn: HttpConnection | null = null;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const timeout = new Promise<never>((_, reject) =>
          timer = setTimeout(() => reject(new Error("timeout")), RESPONSE_TIMEOUT_MS)
        );
        conn = ownConnection
          ? await Promise.race([HttpConnection.open("127.0.0.1", port), timeout])
          : (shared ??= await Promise.race([HttpConnection.open("127.0.0.1", port), timeout]));
        const res = await Promise.race([conn.send(bytes), timeout]);
        note(kind, res.status);
        if (res.closed && !ownConnection) {
          conn.close();
          shared = null;
        }
      } catch {
        noResponse++;
        note(kind, "no response");
        conn?.close();
        if (!ownConnection) shared = null;
      } finally {
        clearTimeout(timer);
        if (ownConnection) conn?.close();
      }
    }
    shared?.close();
  }));
  return { statuses, byKind, noResponse, sent };
}

// ---- run ----
const { bodies, windows, source } = await requestBodies();
let checkpoint = CHECKPOINT, model = `trained checkpoint ${CHECKPOINT}`, cleanup = async () => {};
if (!checkpoint) {
  const dir = await Deno.makeTempDir({ prefix: "candlecast_bench_serve_" });
  checkpoint = join(dir, "v1_bench");
  await writeHybridCheckpoint(
    checkpoint,
    windows.length > 0 ? windows : new Float32Array(FEATURE_COUNT * 2).fill(1),
  );
  const c = defaultModelConfig("transformer_lstm", LOOKBACK);
  model = `transformer_lstm, default size (${c.members} members of d_model ${c.dModel}, ${c.heads} heads, ` +
    `${c.encoderLayers} encoder layer(s), BiLSTM ${c.lstmLayers}×${c.lstmHidden}), untrained weights`;
  cleanup = () => Deno.remove(dir, { recursive: true });
}

// Baseline 1: the engine alone, in this process, before the server starts (no CPU contention).
progress("engine alone, in-process");
const predictor = await loadPredictor(checkpoint, { threads: 1 });
const x = new Float32Array(LOOKBACK * FEATURE_COUNT).map((_, i) => Math.sin(i) * 0.5);
const engineTimes: number[] = [];
for (let i = 0; i < 200; i++) await predictor.predict(x, 1);
for (const until = performance.now() + 3000; performance.now() < until;) {
  const t0 = performance.now();
  await predictor.predict(x, 1);
  engineTimes.push(performance.now() - t0);
}
await predictor.close();
engineTimes.sort((a, b) => a - b);

progress("starting serve --workers 1");
const server = await startServer(checkpoint, MAX_BATCH);
const encoded = bodies.map((b) =>
  rawRequest("POST", "/predict", new TextEncoder().encode(JSON.stringify(b)), {
    "Content-Type": "application/json",
  })
);
const health = rawRequest("GET", "/health");
const predictRequest = (i: number) => encoded[i % encoded.length];
await server.guard("warm-up", load(server.port, 4, 2, predictRequest)); // JIT, allocator, connections

const rows: { c: number; predict: LoadResult; health: LoadResult; cpuMs: number }[] = [];
for (const c of [1, 16]) {
  const healthRun = await server.guard(
    `GET /health at c=${c}`,
    load(server.port, c, Math.min(5, SECONDS), () => health),
  );
  const cpu0 = cpuSeconds(server.child.pid);
  const predictRun = await server.guard(
    `POST /predict at c=${c}`,
    load(server.port, c, SECONDS, predictRequest),
  );
  const cpuMs = (cpuSeconds(server.child.pid) - cpu0) * 1000 / predictRun.latencies.length;
  rows.push({ c, predict: predictRun, health: healthRun, cpuMs });
}
await new Promise((resolve) => setTimeout(resolve, 200));
const loadRequests = server.counts.requests;

// "Before" is taken after a short round of every malformed kind, so the heap's high-water mark for
// megabyte bodies is already in it: what the check then catches is growth with the number of requests (a leak).
const warmUp = await server.guard(
  "malformed warm-up round",
  abuse(server.port, bodies, Math.min(350, MALFORMED), 99),
);
await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
const rssBefore = rssMiB(server.child.pid);
const fuzz = await server.guard(`${MALFORMED} malformed requests`, abuse(server.port, bodies, MALFORMED));
await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
const rssAfter = rssMiB(server.child.pid);
const healthAfter = await server.guard(
  "GET /health after the malformed requests",
  (async () => {
    const conn = await HttpConnection.open("127.0.0.1", server.port);
    try {
      return (await within(conn.send(health), RESPONSE_TIMEOUT_MS, () => ({ status: 0 }))).status;
    } finally {
      conn.close();
    }
  })(),
);
await new Promise((resolve) => setTimeout(resolve, 200));
const loggedDuringAbuse = server.counts.requests - loadRequests - warmUp.sent - 1;

const exit = await server.stop();

/** The server's process and its worker children (`serve --workers N`). */
function processTree(pid: number): number[] {
  const out = new Deno.Command("pgrep", { args: ["-P", String(pid)] }).outputSync();
  const children = new TextDecoder().decode(out.stdout).trim().split("\n").filter(Boolean).map(Number);
  return [pid, ...children];
}

// ---- wrk: one worker and one per core, and memory over many requests ----
const WORKERS = navigator.hardwareConcurrency || 1;
const wrkRows: { workers: number; c: number; r: WrkResult }[] = [];
// GET /health at c=16 per worker count: what the machine, wrk and loopback allow a route that does no work, so
// /predict's 2-worker ratio can be read against a ceiling measured in the same run.
const wrkHealth: { workers: number; r: WrkResult }[] = [];
let memory: { before: number[]; after: number[]; requests: number; bad: number } | null = null;
if (haveWrk()) {
  const body = JSON.stringify(bodies[0]);
  for (const workers of [...new Set([1, WORKERS])]) {
    progress(`starting serve --workers ${workers}`);
    const s = await startServer(checkpoint, MAX_BATCH, workers);
    const url = `http://127.0.0.1:${s.port}/predict`;
    await s.guard(`wrk warm-up, ${workers} worker(s)`, runWrk({ url, connections: 4, seconds: 2, body }));
    for (const c of [1, 16]) {
      const r = await s.guard(
        `wrk c=${c}, ${workers} worker(s)`,
        runWrk({ url, connections: c, seconds: SECONDS, body }),
      );
      wrkRows.push({ workers, c, r });
    }
    const healthUrl = `http://127.0.0.1:${s.port}/health`;
    wrkHealth.push({
      workers,
      r: await s.guard(
        `wrk GET /health c=16, ${workers} worker(s)`,
        runWrk({ url: healthUrl, connections: 16, seconds: SECONDS, body: null }),
      ),
    });
    if (workers === 1 && REQUESTS > 0) {
      // "Before" follows a tenth as many requests first, so the heap has grown to its working size (JIT code,
      // V8's young generation) and what the check catches is growth with the number of requests: a leak.
      await s.guard(
        `${REQUESTS / 10} requests before the memory reading`,
        runWrk({ url, connections: 16, seconds: MEMORY_SECONDS / 4, body, maxRequests: REQUESTS / 10 }),
      );
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const pids = processTree(s.child.pid);
      const before = pids.map(rssMiB);
      // Bounded in time: on a busy machine 100,000 requests can take far longer than anyone waits.
      const r = await s.guard(
        `${REQUESTS} requests for memory (at most ${MEMORY_SECONDS} s)`,
        runWrk({ url, connections: 16, seconds: MEMORY_SECONDS, body, maxRequests: REQUESTS }),
      );
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      memory = { before, after: pids.map(rssMiB), requests: r.requests, bad: r.bad };
    }
    await s.stop();
  }
}
await cleanup();
progress("done");

// ---- report ----
const ms = (v: number) => `${v.toFixed(3)} ms`;
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const load1 = Deno.loadavg()[0];
const engineP50 = quantile(engineTimes, 0.5);
console.log(`model: ${model}; serve --max-batch ${MAX_BATCH}`);
console.log(`request bodies: ${bodies.length} × ${LOOKBACK} candles, ${source}`);
console.log(
  `machine: ${navigator.hardwareConcurrency} cores, 1-min load average at the end ${load1.toFixed(2)}\n`,
);
console.log("| route | concurrency | p50 | p99 | requests/s | non-200 |");
console.log("|---|---|---|---|---|---|");
for (const { c, predict, health } of rows) {
  for (const [route, r] of [["POST /predict", predict], ["GET /health (baseline)", health]] as const) {
    const bad = [...r.statuses].filter(([s]) => s !== 200).reduce((n, [, k]) => n + k, 0);
    console.log(
      `| ${route} | ${c} | ${ms(quantile(r.latencies, 0.5))} | ${ms(quantile(r.latencies, 0.99))} | ` +
        `${fmt(r.perSecond)} | ${bad} |`,
    );
  }
}
console.log(
  `| engine alone, in-process (baseline) | 1 | ${ms(engineP50)} | ${ms(quantile(engineTimes, 0.99))} | ` +
    `${fmt(1000 / (engineTimes.reduce((a, b) => a + b, 0) / engineTimes.length))} | – |`,
);
const [c1, c16] = rows;
const p50c1 = quantile(c1.predict.latencies, 0.5);
console.log(
  `\nserver CPU per /predict: ${rows.map((r) => `${r.cpuMs.toFixed(2)} ms at c=${r.c}`).join(", ")} ` +
    `(the server process's user+system time over the phase / requests answered)`,
);
console.log(
  `ratios: /predict p50 at c=1 = ${(p50c1 / quantile(c1.health.latencies, 0.5)).toFixed(1)}× /health, ` +
    `${(p50c1 / engineP50).toFixed(1)}× the engine alone; /predict req/s at c=16 = ` +
    `${(c16.predict.perSecond / c16.health.perSecond * 100).toFixed(0)} % of /health's`,
);
console.log(`target p50 ≤ 1 ms at c=1: ${p50c1 <= 1 ? "met" : "NOT met"} (${ms(p50c1)})`);
console.log(
  `target ≥ 2,000 req/s at c=16: ${c16.predict.perSecond >= 2000 ? "met" : "NOT met"} (${
    fmt(c16.predict.perSecond)
  })`,
);

const fiveXXWarmUp = [...warmUp.statuses].filter(([s]) => s.startsWith("5")).reduce((n, [, k]) => n + k, 0);
const fiveXX = [...fuzz.statuses].filter(([s]) => s.startsWith("5")).reduce((n, [, k]) => n + k, 0);
console.log(
  `\nmalformed requests: ${
    fmt(fuzz.sent)
  } (after a warm-up round of ${warmUp.sent}, 5xx there: ${fiveXXWarmUp})`,
);
console.log("| kind | responses by status |");
console.log("|---|---|");
for (const [kind, m] of fuzz.byKind) {
  console.log(`| ${kind} | ${[...m].sort().map(([s, n]) => `${s}: ${fmt(n)}`).join(", ")} |`);
}
console.log(`5xx: ${fiveXX} (must be 0) ${fiveXX === 0 ? "— met" : "— NOT met"}`);
console.log(`no response (connection closed or timed out): ${fuzz.noResponse}`);
console.log(`server errors logged: ${server.counts.serverErrors}`);
console.log(`GET /health afterwards: ${healthAfter} ${healthAfter === 200 ? "— met" : "— NOT met"}`);
const growth = (rssAfter - rssBefore) / rssBefore * 100;
console.log(
  `server RSS: ${rssBefore.toFixed(1)} MiB before, ${rssAfter.toFixed(1)} MiB after (${
    growth >= 0 ? "+" : ""
  }${growth.toFixed(1)} %; within 10 %: ${Math.abs(growth) <= 10 ? "met" : "NOT met"})`,
);
console.log(
  `request log lines during the malformed phase: ${fmt(loggedDuringAbuse)} for ${fmt(fuzz.sent)} requests`,
);
console.log(`server exit after SIGTERM: ${exit.code}`);

if (wrkRows.length === 0) {
  console.log("\nwrk not installed (Debian: apt-get install wrk): the wrk phase was skipped");
} else {
  console.log(
    `\nwrk, POST /predict, ${SECONDS} s per row (1-min load average now ${Deno.loadavg()[0].toFixed(2)})`,
  );
  console.log("| workers | connections | p50 | p99 | requests/s | non-2xx or errors |");
  console.log("|---|---|---|---|---|---|");
  for (const { workers, c, r } of wrkRows) {
    console.log(`| ${workers} | ${c} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${fmt(r.perSecond)} | ${r.bad} |`);
  }
  const one = wrkRows.find((w) => w.workers === 1 && w.c === 16)?.r.perSecond ?? NaN;
  const many = wrkRows.find((w) => w.workers === WORKERS && w.c === 16)?.r.perSecond ?? NaN;
  if (WORKERS > 1) {
    console.log(
      `c=16 with ${WORKERS} workers ÷ 1 worker: ${(many / one).toFixed(2)}× (target ≥ 1.8×: ${
        many / one >= 1.8 ? "met" : "NOT met"
      })`,
    );
    // Where the cores went: if the workers' run keeps every core busy while wrk takes a small share, the
    // ratio is bounded by the machine CPU a request costs, not by how serve spreads its work.
    for (const { workers, r } of wrkRows.filter((w) => w.c === 16)) {
      const perRequest = r.busyCores / r.perSecond * 1000;
      console.log(
        `c=16, ${workers} worker(s): ${
          r.busyCores.toFixed(2)
        } of ${navigator.hardwareConcurrency} cores busy ` +
          `(wrk itself ${r.wrkCores.toFixed(2)}), ${perRequest.toFixed(2)} ms of machine CPU per request`,
      );
    }
    const h1 = wrkHealth.find((h) => h.workers === 1)?.r.perSecond ?? NaN;
    const hMany = wrkHealth.find((h) => h.workers === WORKERS)?.r.perSecond ?? NaN;
    const ceiling = `1 worker ${fmt(h1)}/s, ${WORKERS} workers ${fmt(hMany)}/s, ${(hMany / h1).toFixed(2)}×`;
    console.log(`GET /health c=16 (no work; the ceiling wrk and loopback leave on this machine): ${ceiling}`);
  }
  const p50 = wrkRows.find((w) => w.workers === 1 && w.c === 1)?.r.p50Ms ?? NaN;
  console.log(`c=1 p50 with 1 worker: ${ms(p50)} (target ≤ 0.5 ms: ${p50 <= 0.5 ? "met" : "NOT met"})`);
  if (memory) {
    const growth = memory.after.map((a, i) => (a - memory!.before[i]) / memory!.before[i] * 100);
    console.log(
      `RSS of serve --workers 1 over ${fmt(memory.requests)} requests (${memory.bad} bad): ` +
        `${memory.before.map((b) => b.toFixed(1)).join(" + ")} MiB before, ` +
        `${memory.after.map((a) => a.toFixed(1)).join(" + ")} MiB after ` +
        (memory.requests < REQUESTS ? `(only ${fmt(memory.requests)} within ${MEMORY_SECONDS} s) ` : "") +
        `(growth ${growth.map((g) => g.toFixed(1)).join(", ")} %; ≤ 200 MiB: ${
          Math.max(...memory.after) <= 200 ? "met" : "NOT met"
        }; growth ≤ 10 %: ${Math.max(...growth) <= 10 ? "met" : "NOT met"})`,
    );
  }
}
