/**
 * Training speed on the wasm backend, batch 32, lookback 50, the default model sizes: the step `train` runs
 * (forward, class-weighted CE + MSE, gradients, Adam with clipping) for both models built from candlecast's
 * layers, against the same models built from tfjs's stock `lstm`/`bidirectional`/`layerNormalization` in the
 * same run (`STOCK_LAYERS`), and the hybrid from stock layers on tfjs-wasm's own kernels too (ml/runtime/wasm_kernels.ts
 * switched off: where this started). Inputs are random: speed does not depend on the values.
 *
 *   deno task bench:train [--seconds 30]
 *
 * The models take turns one training step at a time until each has run `seconds`, so load from other processes
 * on the shared machine falls on all of them alike. The table reports samples/s over wall-clock time, and over
 * the main thread's on-CPU time (clock_gettime(CLOCK_THREAD_CPUTIME_ID) through FFI; tfjs-wasm computes on that
 * one thread): the figure the same code reaches when it has a core to itself.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { initBackend } from "../ml/runtime/backend.ts";
import { useWasmKernelFixes } from "../ml/runtime/wasm_kernels.ts";
import {
  buildModel,
  defaultModelConfig,
  FAST_LAYERS,
  type LayerKit,
  type ModelType,
  STOCK_LAYERS,
} from "../ml/models/index.ts";
import { Adam, forward, lossTensors } from "../ml/train/index.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { seconds: { type: "string", default: "30" } },
});
const SECONDS = Number(values.seconds);
const BATCH = 32;
const LOOKBACK = 50;
const TARGETS: Record<ModelType, number> = { transformer_lstm: 100, lightweight_lstm: 400 };

interface Candidate {
  name: string;
  type: ModelType;
  kit: LayerKit;
  /** Whether ml/runtime/wasm_kernels.ts's replacements are in place while this candidate steps. */
  kernelFixes: boolean;
  step: () => Promise<void>;
  steps: number;
  seconds: number;
  cpuSeconds: number;
  dispose: () => void;
}

function candidate(name: string, type: ModelType, kit: LayerKit, kernelFixes = true): Candidate {
  const model = buildModel(defaultModelConfig(type, LOOKBACK), 42, kit);
  const variables = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const adam = new Adam(variables);
  const x = tf.randomNormal([BATCH, LOOKBACK, 35], 0, 1, "float32", 1);
  const labels = tf.randomUniform([BATCH], 0, 3, "int32", 2) as tf.Tensor1D;
  const target = tf.randomNormal([BATCH], 0, 1, "float32", 3) as tf.Tensor1D;
  const options = {
    classWeights: [1, 1, 1] as [number, number, number],
    labelSmoothing: 0,
    regressionWeight: 1,
  };
  return {
    name,
    type,
    kit,
    kernelFixes,
    steps: 0,
    seconds: 0,
    cpuSeconds: 0,
    step: async () => {
      const { value, grads } = tf.variableGrads(() => {
        const out = forward(model, x, true);
        return lossTensors(out.logits, out.regression, labels, target, options).total;
      });
      adam.step(variables.map((v) => grads[v.name]), 1e-3, 1);
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
    },
    dispose: () => {
      adam.dispose();
      model.dispose();
      tf.dispose([x, labels, target]);
    },
  };
}

const libc = Deno.dlopen("libc.so.6", { clock_gettime: { parameters: ["i32", "buffer"], result: "i32" } });
const timespec = new BigInt64Array(2);
function threadCpuSeconds(): number {
  libc.symbols.clock_gettime(3, new Uint8Array(timespec.buffer)); // 3 = CLOCK_THREAD_CPUTIME_ID
  return Number(timespec[0]) + Number(timespec[1]) / 1e9;
}

const backend = await initBackend("wasm");
const load = () => Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
const loadBefore = load();
const candidates = [
  candidate("transformer_lstm", "transformer_lstm", FAST_LAYERS),
  candidate("lightweight_lstm", "lightweight_lstm", FAST_LAYERS),
  candidate("transformer_lstm, stock tfjs layers", "transformer_lstm", STOCK_LAYERS),
  candidate("lightweight_lstm, stock tfjs layers", "lightweight_lstm", STOCK_LAYERS),
  candidate("transformer_lstm, stock layers and stock wasm kernels", "transformer_lstm", STOCK_LAYERS, false),
];
async function timedStep(c: Candidate): Promise<void> {
  useWasmKernelFixes(c.kernelFixes);
  const [wall, cpu] = [performance.now(), threadCpuSeconds()];
  await c.step();
  c.steps++;
  c.seconds += (performance.now() - wall) / 1000;
  c.cpuSeconds += threadCpuSeconds() - cpu;
}

for (const c of candidates) {
  useWasmKernelFixes(c.kernelFixes);
  for (let i = 0; i < 2; i++) await c.step(); // warm-up: kernels, XNNPACK caches
}

while (candidates.some((c) => c.seconds < SECONDS)) {
  for (const c of candidates.filter((c) => c.seconds < SECONDS)) await timedStep(c);
}

const rate = (c: Candidate) => c.steps * BATCH / c.seconds;
const cpuRate = (c: Candidate) => c.steps * BATCH / c.cpuSeconds;
const stockOf = (c: Candidate) =>
  candidates.find((s) => s.type === c.type && s.kit === STOCK_LAYERS && s.kernelFixes)!;
console.log(
  `backend ${backend.backend} (${backend.device}), batch ${BATCH}, lookback ${LOOKBACK}, ` +
    `~${SECONDS} s of steps per model, interleaved; load average before ${loadBefore}, after ${load()}\n`,
);
console.log(
  "| model | steps | samples/s (wall) | vs stock | samples/s (on-CPU) | vs stock | target (wall) |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
for (const c of candidates) {
  const fast = c.kit === FAST_LAYERS;
  const ratio = (r: (c: Candidate) => number) =>
    fast ? `${(r(c) / r(stockOf(c))).toFixed(1)}×` : c.kernelFixes ? "1× (baseline)" : "(see below)";
  const target = c.kit === FAST_LAYERS
    ? `≥ ${TARGETS[c.type]} — ${rate(c) >= TARGETS[c.type] ? "met" : "not met"}`
    : "";
  console.log(
    `| ${c.name} | ${c.steps} | ${rate(c).toFixed(1)} | ${ratio(rate)} | ${cpuRate(c).toFixed(1)} | ` +
      `${ratio(cpuRate)} | ${target} |`,
  );
}
const start = candidates.find((c) => !c.kernelFixes)!;
const hybrid = candidates[0];
console.log(
  `\ntransformer_lstm vs where it started (stock layers on tfjs-wasm's own kernels): ` +
    `${(rate(hybrid) / rate(start)).toFixed(1)}× wall, ${
      (cpuRate(hybrid) / cpuRate(start)).toFixed(1)
    }× on-CPU`,
);
for (const c of candidates) c.dispose();
