/**
 * `candlecast serve` under load and under abuse, measured from a separate process over loopback.
 *
 * 1. Speed: POST /predict for `--seconds` at concurrency 1 and 16 (p50/p99 latency, requests/s), each next to
 *    its baseline measured in the same run: GET /health at the same concurrency (the HTTP floor of this
 *    server) and the engine alone in-process (ONNX Runtime, batch 1), so the ratios show where time goes.
 * 2. Robustness: `--malformed` bad requests (truncated JSON, wrong types, NaN strings, huge arrays, deep
 *    nesting, wrong content types, bad encodings/methods/paths/framing): no 5xx, /health still answers, RSS
 *    within 10 % of before, one log line per request.
 *
 * The model is the default-size hybrid (transformer_lstm) with untrained weights unless `--checkpoint` names a
 * trained version; request bodies are real candles when ../shared is present.
 *
 *   deno task bench:serve [--seconds 10] [--malformed 5000] [--checkpoint DIR] [--max-batch 1]
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
import { malformedRequests } from "./serve/malformed.ts";

const LOOKBACK = 50;
/** Idle time before each RSS reading, so memory freed by the last requests is returned. */
const SETTLE_MS = 5000;

function argument(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}
const SECONDS = Number(argument("seconds", "10"));
const MALFORMED = Number(argument("malformed", "5000"));
const CHECKPOINT = argument("checkpoint", "");
const MAX_BATCH = argument("max-batch", "1");
if (!(SECONDS > 0) || !Number.isInteger(MALFORMED) || MALFORMED < 0) {
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

/** The server as a user runs it; resolves once it prints its URL, then counts its request log lines. */
async function startServer(checkpoint: string, maxBatch: string) {
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
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "", port = 0;
  const counts = { requests: 0, serverErrors: 0 };
  const consume = (line: string) => {
    const record = JSON.parse(line);
    if (record.event === "listening") port = Number(new URL(record.url).port);
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
  while (port === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  return { child, port, counts, pump };
}

interface LoadResult {
  readonly latencies: number[];
  readonly perSecond: number;
  readonly statuses: Map<number, number>;
}

/** `concurrency` keep-alive connections, each with one request outstanding, for `seconds`. */
async function load(port: number, concurrency: number, seconds: number, next: (i: number) => Uint8Array) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const started = performance.now(), deadline = started + seconds * 1000;
  let sent = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    const conn = await HttpConnection.open("127.0.0.1", port);
    try {
      while (performance.now() < deadline) {
        const request = next(sent++);
        const t0 = performance.now();
        const { status } = await conn.send(request);
        latencies.push(performance.now() - t0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    } finally {
      conn.close();
    }
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
      const conn = ownConnection
        ? await HttpConnection.open("127.0.0.1", port)
        : (shared ??= await HttpConnection.open("127.0.0.1", port));
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const timeout = new Promise<never>((_, reject) =>
          timer = setTimeout(() => reject(new Error("timeout")), 10_000)
        );
        const res = await Promise.race([conn.send(bytes), timeout]);
        note(kind, res.status);
        if (res.closed && !ownConnection) {
          conn.close();
          shared = null;
        }
      } catch {
        noResponse++;
        note(kind, "no response");
        conn.close();
        if (!ownConnection) shared = null;
      } finally {
        clearTimeout(timer);
        if (ownConnection) conn.close();
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
  model =
    "transformer_lstm, default size (d_model 64, 4 heads, 2 encoder layers, BiLSTM 2×64), untrained weights";
  cleanup = () => Deno.remove(dir, { recursive: true });
}

// Baseline 1: the engine alone, in this process, before the server starts (no CPU contention).
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

const server = await startServer(checkpoint, MAX_BATCH);
const encoded = bodies.map((b) =>
  rawRequest("POST", "/predict", new TextEncoder().encode(JSON.stringify(b)), {
    "Content-Type": "application/json",
  })
);
const health = rawRequest("GET", "/health");
const predictRequest = (i: number) => encoded[i % encoded.length];
await load(server.port, 4, 2, predictRequest); // warm-up: JIT, allocator, connection setup

const rows: { c: number; predict: LoadResult; health: LoadResult; cpuMs: number }[] = [];
for (const c of [1, 16]) {
  const healthRun = await load(server.port, c, Math.min(5, SECONDS), () => health);
  const cpu0 = cpuSeconds(server.child.pid);
  const predictRun = await load(server.port, c, SECONDS, predictRequest);
  const cpuMs = (cpuSeconds(server.child.pid) - cpu0) * 1000 / predictRun.latencies.length;
  rows.push({ c, predict: predictRun, health: healthRun, cpuMs });
}
await new Promise((resolve) => setTimeout(resolve, 200));
const loadRequests = server.counts.requests;

// "Before" is taken after a short round of every malformed kind, so the heap's high-water mark for
// megabyte bodies is already in it: what the check then catches is growth with the number of requests (a leak).
const warmUp = await abuse(server.port, bodies, Math.min(350, MALFORMED), 99);
await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
const rssBefore = rssMiB(server.child.pid);
const fuzz = await abuse(server.port, bodies, MALFORMED);
await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
const rssAfter = rssMiB(server.child.pid);
const healthAfter = await (async () => {
  const conn = await HttpConnection.open("127.0.0.1", server.port);
  try {
    return (await conn.send(health)).status;
  } finally {
    conn.close();
  }
})();
await new Promise((resolve) => setTimeout(resolve, 200));
const loggedDuringAbuse = server.counts.requests - loadRequests - warmUp.sent - 1;

server.child.kill("SIGTERM");
const exit = await server.child.status;
await server.pump;
await cleanup();

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
