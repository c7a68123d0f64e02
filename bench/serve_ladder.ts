/**
 * Where a c=1 POST /predict's latency goes, by subtraction: `wrk` at one connection against a ladder of
 * servers in this process, each adding one layer to the one before it —
 *
 * 1. a bare `node:http` server that reads the body and answers a fixed JSON, and the same on `Deno.serve`;
 * 2. candlecast's listener (`server/listen.ts`: timeouts, caps, the Request it builds) with that handler;
 * 3. the listener with the whole app and a stand-in model that answers at once: the body parsed and checked,
 *    features engineered, the response built — the app's own work;
 * 4. the listener with the app and real ONNX models: by default untrained lightweight_lstm and transformer_lstm
 *    models of the default size, each with 1 member and with the default's 3 (`--checkpoints DIR,…` for
 *    trained versions; latency depends on the graph's shapes, not its weights).
 *
 * Rounds interleave the servers so that drift on the machine shifts them alike; the median of the rounds is
 * reported. No request log line is written (serve writes one per request to stdout: `bench:serve` includes
 * it), and the body is one 50-candle synthetic /predict body. Needs `wrk` (Debian: `apt-get install wrk`).
 *
 *   deno task bench:serve-ladder [--seconds 4] [--rounds 3] [--checkpoints DIR,…]
 */
import http from "node:http";
import { basename, join } from "node:path";
import { loadPredictor, type RawPrediction } from "../engine/index.ts";
import { createApp, listen, ModelStore, silentLogger } from "../server/index.ts";
import { FEATURE_COUNT } from "../features/index.ts";
import { initBackend } from "../ml/runtime/index.ts";
import { FakePredictor, predictBody } from "../test/fake_predictor.ts";
import { writeUntrainedCheckpoint } from "./untrained_checkpoint.ts";
import { haveWrk, runWrk } from "./serve/wrk.ts";
import { argument } from "./serve/args.ts";

const SECONDS = Number(argument("seconds", "4"));
const ROUNDS = Number(argument("rounds", "3"));
const CHECKPOINTS = argument("checkpoints", "");
if (!(SECONDS > 0) || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error("usage: deno task bench:serve-ladder [--seconds 4] [--rounds 3] [--checkpoints DIR,…]");
  Deno.exit(2);
}
if (!haveWrk()) {
  console.log("bench:serve-ladder needs wrk (Debian: apt-get install wrk); nothing measured");
  Deno.exit(0);
}

const LOOKBACK = 50;
const BODY = JSON.stringify(predictBody("BTCUSDT", LOOKBACK, 3));
const FIXED = JSON.stringify({ symbol: "BTCUSDT", prediction: "UP", confidence: 0.5 });

/** A server on 127.0.0.1 with a free port; `stop` closes it and every connection. */
interface Running {
  readonly url: string;
  stop(): Promise<void>;
}
type Rung = { readonly name: string; readonly start: () => Promise<Running> };

const fixedAnswer = async (request: Request) => {
  await request.arrayBuffer();
  return new Response(FIXED, { headers: { "content-type": "application/json" } });
};

async function bareNodeHttp(): Promise<Running> {
  const server = http.createServer((req, res) => {
    req.on("data", () => {});
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(FIXED));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

function bareDenoServe(): Promise<Running> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, fixedAnswer);
  return Promise.resolve({ url: `http://127.0.0.1:${server.addr.port}`, stop: () => server.shutdown() });
}

async function listener(fetch: (request: Request) => Response | Promise<Response>): Promise<Running> {
  const listening = await listen(fetch, { hostname: "127.0.0.1", port: 0 });
  return { url: listening.url, stop: () => listening.shutdown() };
}

function appWith(store: ModelStore) {
  return createApp(store, { log: silentLogger }).fetch;
}

/** The checkpoints measured: the given ones, else untrained default-size models written to a temp folder. */
async function checkpoints(): Promise<{ dirs: string[]; cleanup: () => Promise<void> }> {
  if (CHECKPOINTS) return { dirs: CHECKPOINTS.split(","), cleanup: async () => {} };
  await initBackend("wasm");
  const root = await Deno.makeTempDir({ prefix: "candlecast-ladder-" });
  // Any finite windows fit the scaler: speed does not depend on the values.
  const windows = Float32Array.from({ length: 64 * LOOKBACK * FEATURE_COUNT }, (_, i) => Math.sin(i) * 3);
  const dirs: string[] = [];
  for (
    const [name, type, members] of [
      ["lightweight_lstm_1_member", "lightweight_lstm", 1],
      ["lightweight_lstm_3_members_default", "lightweight_lstm", 3],
      ["transformer_lstm_1_member", "transformer_lstm", 1],
      ["transformer_lstm_3_members_default", "transformer_lstm", 3],
    ] as const
  ) {
    const dir = join(root, name);
    (await writeUntrainedCheckpoint(dir, type, LOOKBACK, windows, name, { members })).dispose();
    dirs.push(dir);
  }
  return { dirs, cleanup: () => Deno.remove(root, { recursive: true }) };
}

/** The app's stand-in model: answers at once, so its rung is the app's own work (the test fake hashes its input). */
class InstantPredictor extends FakePredictor {
  override predict(_x: Float32Array, count: number): Promise<RawPrediction[]> {
    const attention = new Float32Array(LOOKBACK).fill(1 / LOOKBACK);
    return Promise.resolve(
      Array.from(
        { length: count },
        () => ({ probabilities: [0.3, 0.4, 0.3], expectedReturn: 0.001, attention }),
      ),
    );
  }
}
const fake = new ModelStore();
fake.install(new InstantPredictor({ lookback: LOOKBACK }));
const rungs: Rung[] = [
  { name: "bare node:http (reads the body, fixed answer)", start: bareNodeHttp },
  { name: "bare Deno.serve (the same)", start: bareDenoServe },
  { name: "candlecast listener, the same handler", start: () => listener(fixedAnswer) },
  { name: "listener + app, a model that answers at once", start: () => listener(appWith(fake)) },
];
const { dirs, cleanup } = await checkpoints();
for (const dir of dirs) {
  const store = new ModelStore();
  store.install(await loadPredictor(dir, { threads: 1 }));
  rungs.push({ name: `listener + app, ${basename(dir)}`, start: () => listener(appWith(store)) });
}

const loads = [Deno.loadavg()[0]];
const p50: number[][] = rungs.map(() => []);
const perSecond: number[][] = rungs.map(() => []);
for (let round = 1; round <= ROUNDS; round++) {
  for (const [i, rung] of rungs.entries()) {
    const server = await rung.start();
    try {
      const r = await runWrk({ url: `${server.url}/predict`, connections: 1, seconds: SECONDS, body: BODY });
      if (r.bad > 0) throw new Error(`${rung.name}: ${r.bad} bad responses`);
      p50[i].push(r.p50Ms);
      perSecond[i].push(r.perSecond);
      console.error(`[round ${round}/${ROUNDS}] ${rung.name}: p50 ${(r.p50Ms * 1000).toFixed(0)} µs`);
    } finally {
      await server.stop();
    }
  }
  loads.push(Deno.loadavg()[0]);
}
await cleanup();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `wrk c=1, ${SECONDS} s per server, median of ${ROUNDS} interleaved rounds; ` +
    `1-min load average ${loads.map((l) => l.toFixed(2)).join(" → ")}`,
);
console.log("| server | p50 | rounds | added by this rung | req/s |");
console.log("|---|---:|---|---:|---:|");
let previous = NaN;
for (const [i, rung] of rungs.entries()) {
  const m = median(p50[i]) * 1000;
  // Each rung adds to the listener's row, and the model rows to the stand-in's.
  const base = i === 2 ? median(p50[0]) * 1000 : i === 3 ? median(p50[2]) * 1000 : i >= 4 ? previous : NaN;
  if (i === 3) previous = m;
  const added = Number.isFinite(base) ? `${m - base >= 0 ? "+" : ""}${(m - base).toFixed(0)} µs` : "—";
  const range = p50[i].map((v) => (v * 1000).toFixed(0)).join(", ");
  console.log(
    `| ${rung.name} | ${m.toFixed(0)} µs | ${range} | ${added} | ${median(perSecond[i]).toFixed(0)} |`,
  );
}
Deno.exit(0); // ONNX Runtime's sessions would otherwise keep the process alive
