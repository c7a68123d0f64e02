/**
 * Where one POST /predict spends its time inside `serve`, stage by stage, in one process (no sockets): body
 * → JSON.parse → schema → features → ONNX Runtime → response JSON, then the whole Hono app, so the HTTP
 * listener's share is what `wrk` measures beyond the app. ONNX Runtime session settings are compared
 * interleaved (A, B, A, B …) so that a busy machine shifts them alike. Each stage shows the process's CPU time
 * per call (on a shared machine a call's wall time is mostly waiting for a core) and, beside it, the wall time:
 * on a quiet machine that is what a client waits, and where a variant runs members on several threads it is
 * below the CPU time.
 *
 *   deno task bench:serve-stages --checkpoint DIR [--rounds 6] [--ms 400] [--variants parallel,intra,basic,extended]
 */
import process from "node:process";
import { FEATURE_COUNT } from "../features/index.ts";
import { engineerWindow } from "../features/index.ts";
import { loadPredictor, type Predictor, type SessionTuning } from "../engine/index.ts";
import { createApp, ModelStore, readJsonBody, silentLogger } from "../server/index.ts";
import { parsePredictRequest, schemaParsePredictRequest } from "../server/schemas.ts";
import { windowOf } from "../server/predict.ts";
import { predictBody } from "../test/fake_predictor.ts";
import { argument } from "./serve/args.ts";

const CHECKPOINT = argument("checkpoint", "");
const ROUNDS = Number(argument("rounds", "6"));
const MS = Number(argument("ms", "400"));
if (!CHECKPOINT) {
  console.error(
    "usage: deno task bench:serve-stages --checkpoint DIR [--rounds 6] [--ms 400] [--variants …]",
  );
  Deno.exit(2);
}

/**
 * Runs `f` repeatedly for `ms` and returns the process's CPU time and the wall time per call (ms): on a busy
 * machine the wall time of a call includes waiting for a core, its CPU time does not.
 */
async function time(f: () => unknown, ms: number): Promise<{ cpu: number; wall: number }> {
  let calls = 0;
  const before = process.cpuUsage();
  const start = performance.now();
  for (const until = start + ms; performance.now() < until; calls++) await f();
  const wall = (performance.now() - start) / calls;
  const used = process.cpuUsage(before);
  return { cpu: (used.user + used.system) / 1000 / calls, wall };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const LOOKBACK = 50;
const body = predictBody("BTCUSDT", LOOKBACK, 3);
const text = JSON.stringify(body);
const bytes = new TextEncoder().encode(text);
const predictor = await loadPredictor(CHECKPOINT, { threads: 1 });
const x = new Float32Array(LOOKBACK * FEATURE_COUNT);
const parsed = parsePredictRequest(JSON.parse(text), LOOKBACK);
if (!parsed.ok) throw new Error(parsed.detail);
const request = parsed.value;
engineerWindow(windowOf(request, LOOKBACK), 0, LOOKBACK, x, 0);
const [raw] = await predictor.predict(x, 1);

const store = new ModelStore();
store.install(predictor);
const app = createApp(store, { log: silentLogger });
const appRequest = () =>
  app.fetch(
    new Request("http://candlecast.invalid/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bytes,
    }),
  );
const check = await appRequest();
if (check.status !== 200) throw new Error(`app answered ${check.status}: ${await check.text()}`);

// ONNX Runtime session settings, each its own predictor on the same model. Threads that wait by spinning
// (ONNX Runtime's default) take a core from everything else on a busy 2-core machine.
const allVariants: Record<string, SessionTuning> = {
  "sequential, 1 thread (serve's)": {},
  "parallel members, 3 inter-op threads, no spinning": { parallel: true, interOpThreads: 3, spinning: false },
  "parallel members, 2 inter-op threads, no spinning": { parallel: true, interOpThreads: 2, spinning: false },
  "sequential, optimisation basic": { optimization: "basic" },
  "sequential, optimisation extended": { optimization: "extended" },
};
const only = argument("variants", "");
const variants = Object.entries(allVariants).filter(([name], i) =>
  i === 0 || only.split(",").some((w) => w && name.includes(w))
);
const tuned: Record<string, Predictor> = {};
for (const [name, tuning] of variants) tuned[name] = await loadPredictor(CHECKPOINT, { threads: 1, tuning });
const intra2 = only.includes("intra") ? await loadPredictor(CHECKPOINT, { threads: 2 }) : null;

const stages: Record<string, () => unknown> = {
  "TextDecoder + JSON.parse": () => JSON.parse(new TextDecoder().decode(bytes)),
  "body read from a Request (readJsonBody, includes the parse)": () =>
    readJsonBody(
      new Request("http://x/predict", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: bytes,
      }),
    ),
  "request check, zod schema (before)": () => schemaParsePredictRequest(body, LOOKBACK),
  "request check, fast path (now)": () => parsePredictRequest(body, LOOKBACK),
  "features (windowOf + engineerWindow)": () =>
    engineerWindow(windowOf(request, LOOKBACK), 0, LOOKBACK, new Float32Array(x.length), 0),
  "predictor.predict (ONNX Runtime + softmax)": () => predictor.predict(x, 1),
  "response JSON": () => JSON.stringify({ symbol: "BTCUSDT", ...raw, attention: null }),
  "whole app (Hono, no socket)": async () => await (await appRequest()).arrayBuffer(),
};
for (const [name, p] of Object.entries(tuned)) stages[`model: ${name}`] = () => p.predict(x, 1);
if (intra2) stages["model: sequential, 2 intra-op threads"] = () => intra2.predict(x, 1);

for (const f of Object.values(stages)) await time(f, 100); // warm-up
const results = new Map<string, { cpu: number; wall: number }[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, f] of Object.entries(stages)) {
    results.set(name, [...(results.get(name) ?? []), await time(f, MS)]);
  }
}
console.log(
  `1-min load average ${
    Deno.loadavg()[0].toFixed(2)
  } (shared machine); per call, median of ${ROUNDS} interleaved rounds`,
);
console.log("| stage | CPU per call | range over rounds | wall per call |");
console.log("|---|---|---|---|");
const us = (ms: number) => (ms * 1000).toFixed(0);
for (const [name, rounds] of results) {
  const cpu = rounds.map((t) => t.cpu).sort((a, b) => a - b);
  console.log(
    `| ${name} | ${us(median(cpu))} µs | ${us(cpu[0])}–${us(cpu.at(-1)!)} µs | ${
      us(median(rounds.map((t) => t.wall)))
    } µs |`,
  );
}
for (const p of [...Object.values(tuned), ...intra2 ? [intra2] : []]) await p.close();
await store.close();
