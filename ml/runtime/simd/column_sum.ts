/**
 * Column sums of a float32 [rows, cols] on tfjs-wasm's heap through the SIMD kernel `column_sum.wat`: float64
 * accumulators, rounded once (the bias gradients' Sum over leading axes).
 *
 * @example
 * ```ts
 * const out = columnSum(backend)(x, rows, cols, outShape); // null where cols % 4 ≠ 0: use another path
 * ```
 */
import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { COLUMN_SUM_WASM } from "./column_sum_wasm.ts";
import { heapOffset, instantiateKernel, perBackend } from "./heap.ts";

type Kernel = (src: number, rows: number, cols: number, acc: number, dst: number) => void;

/** Σ over the rows of x viewed as [rows, cols], shaped `outShape`; null where cols is not a multiple of 4. */
export const columnSum: (
  backend: BackendWasm,
) => (x: tf.TensorInfo, rows: number, cols: number, outShape: number[]) => tf.TensorInfo | null = perBackend(
  (backend) => {
    const kernel = instantiateKernel(COLUMN_SUM_WASM, backend).column_sum as Kernel;
    return (x, rows, cols, outShape) => {
      if (cols % 4 !== 0 || cols === 0 || rows === 0) return null;
      const out = backend.makeOutput(outShape, "float32");
      const acc = backend.makeOutput([cols * 2], "float32"); // cols float64 values
      kernel(heapOffset(backend, x), rows, cols, heapOffset(backend, acc), heapOffset(backend, out));
      backend.disposeData(acc.dataId);
      return out;
    };
  },
);
