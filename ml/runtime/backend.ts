/**
 * Chooses where tfjs runs: native TensorFlow when `@tensorflow/tfjs-node(-gpu)` is installed (never required),
 * else WebAssembly, else tfjs's pure-JS `cpu`. On wasm it also swaps in the kernel fixes that make training
 * fast there (eight of them, BatchMatMul and _FusedMatMul first: see `ml/runtime/wasm_kernels.ts`).
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { installWasmKernelFixes } from "./wasm_kernels.ts";
import { productKernel } from "./simd/index.ts";
import { ReportedError } from "../../base/index.ts";

/** The `--backend` choices; `auto` takes native TensorFlow when installed, else wasm, else cpu. */
export const BACKEND_NAMES = ["auto", "tensorflow", "wasm", "cpu"] as const;
export type BackendName = typeof BACKEND_NAMES[number];

export interface BackendInfo {
  /** The tfjs backend in use: "tensorflow", "wasm" or "cpu". */
  readonly backend: string;
  /** Where the arithmetic runs, as /health and the manifest report it: "gpu" or "cpu". */
  readonly device: string;
}

/**
 * The backend for a log line: `wasm (cpu); matrix products: native kernels (AVX2 + FMA)`. On wasm it names the
 * kernels the products run on (native where `scripts/setup.sh` built them, else WebAssembly, and why).
 */
export function describeBackend(info: BackendInfo): string {
  return `${info.backend} (${info.device})` +
    (info.backend === "wasm" ? `; matrix products: ${productKernel()}` : "");
}

/** Why the backend asked for cannot run here, with what to do instead. */
export class BackendError extends ReportedError {
  override name = "BackendError";
}

/**
 * The wasm binaries ship in the package's `dist/`. Under Deno the loader needs a plain file path (a file:// URL
 * or an http one is silently not found, and `setBackend` then returns false).
 */
export function wasmDistDir(): string {
  return fileURLToPath(new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url));
}

// Bare specifiers on purpose: they resolve only when the user has added the package to deno.json's imports,
// so `auto` never triggers a download or a native build.
const NATIVE_PACKAGES = [
  { specifier: "@tensorflow/tfjs-node-gpu", device: "gpu" },
  { specifier: "@tensorflow/tfjs-node", device: "cpu" },
] as const;

async function tryNative(): Promise<BackendInfo | null> {
  for (const { specifier, device } of NATIVE_PACKAGES) {
    try {
      await import(specifier);
    } catch {
      continue;
    }
    if (await tf.setBackend("tensorflow")) {
      await tf.ready();
      return { backend: "tensorflow", device };
    }
  }
  return null;
}

async function tryWasm(): Promise<BackendInfo | null> {
  const dir = wasmDistDir();
  if (!existsSync(dir + "tfjs-backend-wasm.wasm")) return null;
  setWasmPaths(dir);
  installWasmKernelFixes();
  // setBackend reports a failed wasm start by returning false (and staying on the old backend), not by throwing.
  let ok = false;
  try {
    ok = await tf.setBackend("wasm");
  } catch {
    ok = false;
  }
  if (!ok) return null;
  await tf.ready();
  return { backend: "wasm", device: "cpu" };
}

async function useCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend("cpu"))) {
    throw new BackendError(
      "tfjs could not start even its cpu backend",
      "its installation is damaged: run scripts/setup.sh (or `deno install`) again",
    );
  }
  await tf.ready();
  return { backend: "cpu", device: "cpu" };
}

/**
 * Selects and initialises a backend. `auto` prefers native TensorFlow, then wasm, then cpu; naming one
 * explicitly fails (BackendError) when it cannot start instead of quietly falling back.
 */
export async function initBackend(name: BackendName = "auto"): Promise<BackendInfo> {
  // Production mode only silences tfjs's console chatter (e.g. the "install tfjs-node" banner on cpu).
  tf.enableProdMode();
  switch (name) {
    case "auto":
      return (await tryNative()) ?? (await tryWasm()) ?? (await useCpu());
    case "tensorflow": {
      const info = await tryNative();
      if (info) return info;
      throw new BackendError(
        "--backend tensorflow needs @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu, which is not installed",
        'add it to deno.json\'s imports (e.g. "@tensorflow/tfjs-node": "npm:@tensorflow/tfjs-node@4.22.0"), ' +
          "or use --backend wasm",
      );
    }
    case "wasm": {
      const info = await tryWasm();
      if (info) return info;
      throw new BackendError(
        `the wasm backend did not start (its files are expected in ${wasmDistDir()})`,
        "run `deno install` (or scripts/setup.sh) to restore node_modules, or use --backend cpu",
      );
    }
    case "cpu":
      return await useCpu();
  }
}
