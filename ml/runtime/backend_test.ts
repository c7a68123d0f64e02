import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { BackendError, initBackend } from "./backend.ts";

async function nativeInstalled(): Promise<boolean> {
  for (const name of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      await import(name);
      return true;
    } catch {
      // not installed: the usual case
    }
  }
  return false;
}

Deno.test("initBackend: wasm starts and reports the cpu device", async () => {
  assert.deepEqual(await initBackend("wasm"), { backend: "wasm", device: "cpu" });
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("initBackend: cpu is selectable, and wasm can be restored", async () => {
  assert.deepEqual(await initBackend("cpu"), { backend: "cpu", device: "cpu" });
  assert.equal(tf.getBackend(), "cpu");
  assert.equal((await initBackend("wasm")).backend, "wasm");
});

Deno.test("initBackend: auto picks tensorflow only when tfjs-node is importable, else wasm", async () => {
  const info = await initBackend("auto");
  assert.equal(info.backend, (await nativeInstalled()) ? "tensorflow" : "wasm");
  await initBackend("wasm");
});

Deno.test("initBackend: tensorflow without tfjs-node fails with what to do", async () => {
  if (await nativeInstalled()) return;
  await assert.rejects(
    initBackend("tensorflow"),
    (e: Error) => e instanceof BackendError && e.message.includes("@tensorflow/tfjs-node"),
  );
  assert.equal(tf.getBackend(), "wasm");
});
