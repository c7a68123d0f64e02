/**
 * Training speed against PyTorch on the same machine, in the same run: the step `train` runs (forward,
 * class-weighted CE + MSE, gradients, Adam with clipping) for both models at issue 12's sizes, lookback 50,
 * at batch 32 and 256, on candlecast's wasm backend and in PyTorch (`bench/train_reference.py`: the same models,
 * loss and optimiser). Inputs are random: speed does not depend on the values.
 *
 *   deno task bench:train [--seconds 15] [--batches 32,256] [--models transformer_lstm,lightweight_lstm]
 *                         [--torch-threads 1,2] [--data-parallel 1,2] [--stock] [--no-fma] [--no-native]
 *
 * PyTorch runs when `/usr/bin/python3 -c "import torch"` works (Debian: `apt-get install python3-torch
 * libopenblas0-pthread`; not a CI dependency), with OPENBLAS_NUM_THREADS=1 and at whichever of
 * `--torch-threads` is fastest in a short probe per model and batch. Without it the bench reports candlecast
 * alone and says how to install it. `--stock` adds the same models built from tfjs's stock layers (the
 * baseline the custom layers were first measured against). `--data-parallel` lists the part counts candlecast
 * is measured at: each batch cut into that many row parts, each on its own core (`ml/train/data_parallel.ts`,
 * what `train --members 1` does on a multi-core machine), each row with its own ratio.
 *
 * Every candidate runs ~1 s at a time, in turn, until each has run `seconds`, so load from other processes on
 * a shared machine falls on all of them alike. Samples/s is `samplesPerSecond` (ml/train/throughput.ts), the
 * figure `train` prints per epoch, over wall-clock time; the on-CPU column divides by the CPU time of the
 * thread (candlecast: tfjs-wasm computes on the main thread) or process (PyTorch) instead: what the same code
 * reaches with a core to itself (data-parallel candidates: the process's CPU time, every part's thread).
 * `--no-fma` adds each one-core candidate again with the SIMD kernels' plain builds instead of their FMA
 * twins (`useFmaKernels`: the products and the LSTM step), the same-run baseline for what the twins buy.
 * `--no-native` adds each one-core candidate again on the WebAssembly FMA kernels instead of their native twins
 * (`ml/runtime/native`: the products and the LSTM loops, used where `scripts/setup.sh` built them): what the
 * native kernels buy.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { initBackend } from "../ml/runtime/backend.ts";
import { buildModel, FAST_LAYERS, type LayerKit, type ModelType, STOCK_LAYERS } from "../ml/models/index.ts";
import { Adam, batchGradients, type BatchPart, Replicas, samplesPerSecond } from "../ml/train/index.ts";
import { FEATURE_COUNT } from "../features/index.ts";
import {
  fmaInUse,
  nativeInUse,
  productKernel,
  useFmaKernels,
  useNativeKernels,
} from "../ml/runtime/simd/index.ts";
import { referenceConfig } from "./reference_config.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "15" },
    batches: { type: "string", default: "32,256" },
    models: { type: "string", default: "transformer_lstm,lightweight_lstm" },
    "torch-threads": { type: "string", default: "1,2" },
    "data-parallel": { type: "string", default: "1,2" },
    stock: { type: "boolean", default: false },
    "no-fma": { type: "boolean", default: false },
    "no-native": { type: "boolean", default: false },
  },
});
const SECONDS = Number(values.seconds);
const BATCHES = values.batches.split(",").map(Number);
const MODELS = values.models.split(",") as ModelType[];
const TORCH_THREADS = values["torch-threads"].split(",").map(Number);
const DATA_PARALLEL = values["data-parallel"].split(",").map(Number);
const LOOKBACK = 50;
const PYTHON = "/usr/bin/python3";
const ROUND_SECONDS = 1;

interface Candidate {
  readonly engine: string;
  /** Candlecast's data-parallel parts (1: one core). */
  readonly parts?: number;
  readonly type: ModelType;
  readonly batch: number;
  threads?: number;
  /** Stops what the candidate started (data-parallel replica workers would keep the process alive). */
  close?(): void;
  /** Runs whole steps for at least `seconds`; returns steps, wall and CPU seconds. */
  run(seconds: number): Promise<{ steps: number; seconds: number; cpuSeconds: number }>;
  steps: number;
  seconds: number;
  cpuSeconds: number;
}

const libc = Deno.dlopen("libc.so.6", { clock_gettime: { parameters: ["i32", "buffer"], result: "i32" } });
const timespec = new BigInt64Array(2);
/** CPU seconds of this thread, or of the whole process (every data-parallel part's thread). */
function cpuSeconds(whole: boolean): number {
  // 2 = CLOCK_PROCESS_CPUTIME_ID, 3 = CLOCK_THREAD_CPUTIME_ID
  libc.symbols.clock_gettime(whole ? 2 : 3, new Uint8Array(timespec.buffer));
  return Number(timespec[0]) + Number(timespec[1]) / 1e9;
}

/** A seeded stand-in for a batch of windows, as plain arrays (`train` builds its tensors from these too). */
function randomBatch(batch: number, seed: number): BatchPart {
  let s = seed;
  const next = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return {
    size: batch,
    x: Float32Array.from({ length: batch * LOOKBACK * FEATURE_COUNT }, () => 2 * next() - 1),
    labels: Int32Array.from({ length: batch }, () => Math.floor(3 * next())),
    target: Float32Array.from({ length: batch }, () => 2 * next() - 1),
  };
}

async function candlecast(
  type: ModelType,
  batch: number,
  kit: LayerKit,
  parts = 1,
  fma = true,
  native = true,
): Promise<Candidate> {
  const model = buildModel(referenceConfig(type, LOOKBACK), 42, kit);
  const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const adam = new Adam(variables);
  const data = randomBatch(batch, 1);
  const options = {
    classWeights: [1, 1, 1] as [number, number, number],
    labelSmoothing: 0,
    regressionWeight: 1,
  };
  const replicas = parts > 1 ? await Replicas.start(parts - 1, "wasm", model) : null;
  // The step `train` runs (ml/train/loop.ts), tensors built from the batch's arrays included.
  const step = async () => {
    const g = replicas
      ? await replicas.gradients(model, variables, data, LOOKBACK, options)
      : batchGradients(model, variables, data, LOOKBACK, options);
    adam.stepValues(g.grads, 1e-3, 1);
  };
  const engine = (kit === FAST_LAYERS ? "candlecast" : "candlecast, stock tfjs layers") +
    (fma ? "" : ", no FMA") + (native ? "" : ", WebAssembly kernels");
  return {
    engine: parts > 1 ? `${engine}, ${parts} cores (data parallel)` : engine,
    parts,
    type,
    batch,
    steps: 0,
    seconds: 0,
    cpuSeconds: 0,
    close: () => replicas?.dispose(),
    run: async (seconds) => {
      // The main thread's products; replica workers keep the defaults (native where built, else the FMA twin).
      useFmaKernels(fma);
      useNativeKernels(native);
      const [wall, cpu] = [performance.now(), cpuSeconds(parts > 1)];
      let steps = 0;
      while (steps === 0 || performance.now() - wall < seconds * 1000) {
        await step();
        steps++;
      }
      const done = {
        steps,
        seconds: (performance.now() - wall) / 1000,
        cpuSeconds: cpuSeconds(parts > 1) - cpu,
      };
      useFmaKernels(true);
      useNativeKernels(true);
      return done;
    },
  };
}

/** bench/train_reference.py in a child process, answering one JSON line per request. */
class Torch {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;

  constructor() {
    this.#child = new Deno.Command(PYTHON, {
      args: [new URL("./train_reference.py", import.meta.url).pathname],
      env: { OPENBLAS_NUM_THREADS: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter())[
      Symbol.asyncIterator
    ]();
  }

  async run(type: ModelType, batch: number, threads: number, seconds: number) {
    const request = JSON.stringify({ model: type, batch, threads, seconds });
    await this.#writer.write(new TextEncoder().encode(request + "\n"));
    const { value, done } = await this.#lines.next();
    if (done) throw new Error("bench/train_reference.py exited early (its error is above)");
    const answer = JSON.parse(value) as { steps: number; seconds: number; cpu_seconds: number };
    return { steps: answer.steps, seconds: answer.seconds, cpuSeconds: answer.cpu_seconds };
  }

  async close(): Promise<void> {
    await this.#writer.close();
    await this.#child.status;
  }
}

function lineSplitter(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const p of parts) if (p.trim()) controller.enqueue(p);
    },
  });
}

async function torchAvailable(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(PYTHON, {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

function torchCandidate(torch: Torch, type: ModelType, batch: number): Candidate {
  const c: Candidate = {
    engine: "PyTorch",
    type,
    batch,
    threads: TORCH_THREADS[0],
    steps: 0,
    seconds: 0,
    cpuSeconds: 0,
    run: (seconds) => torch.run(type, batch, c.threads!, seconds),
  };
  return c;
}

const load = () => Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
const backend = await initBackend("wasm");
const torch = (await torchAvailable()) ? new Torch() : null;
if (!torch) {
  console.log(
    `PyTorch not found (${PYTHON} -c "import torch" failed): reporting candlecast alone. To compare, install ` +
      "it (Debian/Ubuntu: `apt-get install python3-torch libopenblas0-pthread`) and run again.\n",
  );
}
const loadBefore = load();
const candidates: Candidate[] = [];
for (const batch of BATCHES) {
  for (const type of MODELS) {
    for (const parts of DATA_PARALLEL) candidates.push(await candlecast(type, batch, FAST_LAYERS, parts));
    if (values["no-fma"]) candidates.push(await candlecast(type, batch, FAST_LAYERS, 1, false));
    if (values["no-native"] && nativeInUse()) {
      candidates.push(await candlecast(type, batch, FAST_LAYERS, 1, true, false));
    }
    if (values.stock) candidates.push(await candlecast(type, batch, STOCK_LAYERS));
    if (torch) candidates.push(torchCandidate(torch, type, batch));
  }
}

// Warm-up (kernels, XNNPACK and OpenBLAS buffers), then PyTorch's thread count: the fastest in a short probe.
const probes: string[] = [];
for (const c of candidates) {
  if (c.engine !== "PyTorch") {
    await c.run(0);
    continue;
  }
  let [best, fastest] = [0, TORCH_THREADS[0]];
  for (const threads of TORCH_THREADS) {
    c.threads = threads;
    await c.run(0);
    const r = await c.run(ROUND_SECONDS);
    const rate = samplesPerSecond(r.steps * c.batch, r.seconds);
    probes.push(`${c.type} batch ${c.batch}: ${threads} thread(s) ${rate.toFixed(0)}/s`);
    if (rate > best) [best, fastest] = [rate, threads];
  }
  c.threads = fastest;
}

while (candidates.some((c) => c.seconds < SECONDS)) {
  for (const c of candidates.filter((c) => c.seconds < SECONDS)) {
    const r = await c.run(ROUND_SECONDS);
    c.steps += r.steps;
    c.seconds += r.seconds;
    c.cpuSeconds += r.cpuSeconds;
  }
}
await torch?.close();
candidates.forEach((c) => c.close?.());

const wall = (c: Candidate) => samplesPerSecond(c.steps * c.batch, c.seconds);
const onCpu = (c: Candidate) => samplesPerSecond(c.steps * c.batch, c.cpuSeconds);
console.log(
  `candlecast on ${backend.backend} (${backend.device}), lookback ${LOOKBACK}, issue 12 sizes (d64, 2 × LSTM 64); ` +
    `~${SECONDS} s of steps per candidate, interleaved ~${ROUND_SECONDS} s at a time; ` +
    `SIMD kernels: ${
      fmaInUse() ? "FMA twins (relaxed SIMD)" : "plain (this engine refuses relaxed SIMD)"
    }; products: ${productKernel()}; ` +
    `load average before ${loadBefore}, after ${load()}`,
);
if (probes.length) console.log(`PyTorch thread probe (OPENBLAS_NUM_THREADS=1): ${probes.join("; ")}`);
console.log(
  "\n| model | batch | engine | steps | samples/s (wall) | samples/s (on-CPU) | ÷ PyTorch wall | on-CPU |",
);
console.log("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
for (const c of candidates) {
  const reference = candidates.find((r) =>
    r.engine === "PyTorch" && r.type === c.type && r.batch === c.batch
  );
  const engine = c.engine === "PyTorch" ? `PyTorch, ${c.threads} thread(s)` : c.engine;
  const ratio = (f: (c: Candidate) => number) =>
    reference && c !== reference ? `**${(f(c) / f(reference)).toFixed(2)}×**` : "";
  console.log(
    `| ${c.type} | ${c.batch} | ${engine} | ${c.steps} | ${wall(c).toFixed(1)} | ${onCpu(c).toFixed(1)} | ` +
      `${ratio(wall)} | ${ratio(onCpu)} |`,
  );
}
