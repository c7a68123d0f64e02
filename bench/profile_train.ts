/**
 * Where a training step's time goes, by tfjs kernel: wraps every registered wasm kernel with a timer and runs a
 * few steps of `bench/train.ts`'s step for one model. Not a benchmark (the timers cost ~0.3 µs a call).
 *
 *   deno run -A bench/profile_train.ts [--model transformer_lstm] [--batch 256] [--steps 3]
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { initBackend } from "../ml/runtime/backend.ts";
import { buildModel, type ModelType } from "../ml/models/index.ts";
import { Adam, forward, lossTensors } from "../ml/train/index.ts";
import { referenceConfig } from "./reference_config.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string", default: "transformer_lstm" },
    batch: { type: "string", default: "256" },
    steps: { type: "string", default: "3" },
  },
});
const BATCH = Number(values.batch), LOOKBACK = 50;
await initBackend("wasm");

// Thread CPU time (CLOCK_THREAD_CPUTIME_ID): the machine is shared, and wall time counts other processes' turns.
const libc = Deno.dlopen("libc.so.6", { clock_gettime: { parameters: ["i32", "buffer"], result: "i32" } });
const timespec = new BigInt64Array(2);
const timespecBytes = new Uint8Array(timespec.buffer);
function cpuMs(): number {
  libc.symbols.clock_gettime(3, timespecBytes);
  return Number(timespec[0]) * 1e3 + Number(timespec[1]) / 1e6;
}

/** Matmuls by operand shapes, the layout kernels by shapes and attributes, the rest by name. */
function kernelKey(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): string {
  const shapes = Object.values(inputs).map((t) => `[${t?.shape}]`);
  if (name === "BatchMatMul" || name === "_FusedMatMul") {
    return `${name} ${shapes[0]}${attrs.transposeA ? "ᵀ" : ""}·${shapes[1]}${attrs.transposeB ? "ᵀ" : ""}`;
  }
  if (["Sum", "Identity", "Transpose", "Cast", "Multiply", "Concat"].includes(name)) {
    return `${name} ${shapes.join(",")} ${JSON.stringify(attrs)}`;
  }
  return name;
}

const totals = new Map<string, { ms: number; calls: number }>();
let depth = 0;
for (const config of tf.getKernelsForBackend("wasm")) {
  const inner = config.kernelFunc;
  tf.unregisterKernel(config.kernelName, "wasm");
  tf.registerKernel({
    ...config,
    kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
      if (depth > 0) return inner(args);
      depth++;
      const t = cpuMs();
      try {
        return inner(args);
      } finally {
        depth--;
        const key = kernelKey(config.kernelName, args.inputs, args.attrs ?? {});
        const e = totals.get(key) ?? { ms: 0, calls: 0 };
        e.ms += cpuMs() - t;
        e.calls++;
        totals.set(key, e);
      }
    }) as tf.KernelFunc,
  });
}

const model = buildModel(referenceConfig(values.model as ModelType, LOOKBACK), 42);
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
const phases = { forward: 0, backward: 0, adam: 0 };
async function step(): Promise<void> {
  let t = cpuMs();
  const { value, grads } = tf.variableGrads(() => {
    const out = forward(model, x, true);
    const loss = lossTensors(out.logits, out.regression, labels, target, options).total;
    phases.forward += cpuMs() - t;
    t = cpuMs();
    return loss;
  });
  phases.backward += cpuMs() - t;
  t = cpuMs();
  adam.step(variables.map((v) => grads[v.name]), 1e-3, 1);
  await value.data();
  phases.adam += cpuMs() - t;
  tf.dispose([value, ...Object.values(grads)]);
}
await step();
totals.clear();
Object.assign(phases, { forward: 0, backward: 0, adam: 0 });
const steps = Number(values.steps);
const t0 = cpuMs();
for (let i = 0; i < steps; i++) await step();
const wall = (cpuMs() - t0) / steps;
const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
console.log(
  `${values.model}, batch ${BATCH}: ${wall.toFixed(1)} ms of CPU a step (${
    (BATCH / wall * 1000).toFixed(1)
  } samples/s), load ${load}`,
);
console.log(
  `forward ${(phases.forward / steps).toFixed(1)} ms, backward ${
    (phases.backward / steps).toFixed(1)
  } ms, adam ${(phases.adam / steps).toFixed(1)} ms`,
);
const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, e]) => s + e.ms, 0) / steps;
console.log(
  `kernels ${kernelMs.toFixed(1)} ms a step in ${rows.reduce((s, [, e]) => s + e.calls, 0) / steps} calls`,
);
for (const [name, e] of rows.slice(0, 40)) {
  console.log(
    `${name.padEnd(44)} ${(e.ms / steps).toFixed(1).padStart(8)} ms ${
      String(e.calls / steps).padStart(7)
    } calls ${(e.ms / e.calls * 1000).toFixed(1).padStart(8)} µs/call`,
  );
}
