/**
 * What the hand-written kernels need from tfjs-wasm: its heap (the WebAssembly.Memory its module exports, which
 * each kernel module imports, so operands are read where tfjs keeps them) and a tensor's byte offset in it.
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** The parts of BackendWasm's internals used here (stable across tfjs 4.x). */
interface WasmHeap {
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  wasm: { asm: { memory: WebAssembly.Memory } };
}

const decode = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** Whether this engine accepts a kernel module (an FMA twin needs relaxed SIMD, newer than SIMD). */
export function kernelRuns(base64: string): boolean {
  return WebAssembly.validate(decode(base64));
}

/** Instantiates a kernel module (base64, as scripts/build_wasm.ts writes it) on the backend's heap. */
export function instantiateKernel(base64: string, backend: BackendWasm): WebAssembly.Exports {
  const bytes = decode(base64);
  const memory = (backend as unknown as WasmHeap).wasm.asm.memory;
  // Synchronous: the modules are under 1 kB, and kernels are called synchronously.
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
}

/**
 * A kernel and its FMA twin instantiated on the backend's heap (the twin only where the engine validates it):
 * returns the exports to call now, the twin's while `useTwin()` says so and it exists.
 */
export function twinKernels(
  plain: string,
  fma: string,
  backend: BackendWasm,
  useTwin: () => boolean,
): () => WebAssembly.Exports {
  const plainExports = instantiateKernel(plain, backend);
  const fmaExports = kernelRuns(fma) ? instantiateKernel(fma, backend) : plainExports;
  return () => (useTwin() ? fmaExports : plainExports);
}

/**
 * The byte offset of a tensor's data in the heap. Read it after the last allocation of a kernel call:
 * `makeOutput` may grow the heap (the offsets stay, the typed views of the old buffer do not).
 */
export function heapOffset(backend: BackendWasm, x: tf.TensorInfo): number {
  return (backend as unknown as WasmHeap).dataIdMap.get(x.dataId).memoryOffset;
}

const heapViews = new WeakMap<ArrayBuffer, Uint8Array<ArrayBuffer>>();

/**
 * The backend's whole heap as bytes, for native code that takes byte offsets into it (`../native/library.ts`).
 * Read it after the last allocation of a kernel call, as the offsets: growing the heap replaces its buffer.
 */
export function heapBytes(backend: BackendWasm): Uint8Array<ArrayBuffer> {
  const buffer = (backend as unknown as WasmHeap).wasm.asm.memory.buffer as ArrayBuffer;
  let view = heapViews.get(buffer);
  if (view === undefined) heapViews.set(buffer, view = new Uint8Array(buffer));
  return view;
}

/** One value per backend, made on first use. */
export function perBackend<T>(make: (backend: BackendWasm) => T): (backend: BackendWasm) => T {
  const made = new WeakMap<BackendWasm, T>();
  return (backend) => {
    let value = made.get(backend);
    if (value === undefined) made.set(backend, value = make(backend));
    return value;
  };
}
