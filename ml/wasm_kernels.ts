/**
 * Two tfjs-wasm kernels replaced by faster equivalents (measured in DESIGN.md; same results, bit for bit):
 * - BatchMatMul: the wasm kernel reaches XNNPACK only without transposes, else it runs a scalar loop 4–16×
 *   slower. Every gradient matmul transposes, so transpose the operand first (a cheap copy) and multiply plain.
 * - Slice: the stock kernel copies the WHOLE input to JS before taking its piece (`readSync`), so taking one
 *   timestep per step of a recurrence is quadratic. Read the input through a view of the wasm heap instead.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}
type WasmKernel = (args: KernelArgs) => tf.TensorInfo;

let installed = false;

function replaceKernel(name: string, make: (original: WasmKernel) => WasmKernel): void {
  const original = tf.getKernel(name, "wasm");
  if (!original) throw new Error(`tfjs-wasm has no ${name} kernel to replace`);
  const originalFunc = original.kernelFunc as unknown as WasmKernel;
  tf.unregisterKernel(name, "wasm");
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: make(originalFunc) as unknown as tf.KernelFunc,
  });
}

function transposeLastTwo(x: tf.TensorInfo, backend: BackendWasm, transpose: WasmKernel): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose({ inputs: { x }, backend, attrs: { perm } });
}

function fastBatchMatMul(original: WasmKernel): WasmKernel {
  const transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc as unknown as WasmKernel;
  return ({ inputs, backend, attrs }) => {
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    if (!attrs.transposeA && !attrs.transposeB) return original({ inputs, backend, attrs });
    const a2 = attrs.transposeA ? transposeLastTwo(a, backend, transpose) : a;
    const b2 = attrs.transposeB ? transposeLastTwo(b, backend, transpose) : b;
    const out = original({
      inputs: { a: a2, b: b2 },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    if (a2 !== a) backend.disposeData(a2.dataId);
    if (b2 !== b) backend.disposeData(b2.dataId);
    return out;
  };
}

/** Copies the box [begin, begin+size) of x into out, one contiguous innermost run at a time. */
function copyBox(
  src: Float32Array | Int32Array | Uint8Array,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: Float32Array | Int32Array | Uint8Array,
): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  // Merge trailing axes that are taken whole, so the innermost run is as long as possible.
  let inner = rank - 1;
  while (inner > 0 && begin[inner] === 0 && size[inner] === shape[inner]) inner--;
  const run = size[inner] * strides[inner];
  const index = new Array<number>(inner).fill(0);
  let out = 0;
  for (;;) {
    let offset = begin[inner] * strides[inner];
    for (let d = 0; d < inner; d++) offset += (begin[d] + index[d]) * strides[d];
    dst.set(src.subarray(offset, offset + run), out);
    out += run;
    let d = inner - 1;
    while (d >= 0 && ++index[d] === size[d]) index[d--] = 0;
    if (d < 0) return;
  }
}

function fastSlice(original: WasmKernel): WasmKernel {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === "string" || x.shape.length === 0) return original({ inputs, backend, attrs });
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as unknown as tf.Tensor,
      attrs.begin as number | number[],
      attrs.size as number | number[] | undefined,
    );
    const out = backend.makeOutput(size, x.dtype);
    if (size.some((s) => s === 0)) return out;
    copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
    return out;
  };
}

/** Idempotent; call before `tf.setBackend("wasm")` so the replacements' setup runs with the backend's. */
export function installWasmKernelFixes(): void {
  if (installed) return;
  installed = true;
  replaceKernel("BatchMatMul", fastBatchMatMul);
  replaceKernel("Slice", fastSlice);
}
