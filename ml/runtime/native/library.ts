/**
 * The native kernels (`gemm.c`, `lstm.c`: C with AVX2 + FMA), loaded through Deno's FFI. They work on
 * tfjs-wasm's own heap, taking byte offsets into it as the WebAssembly kernels of `../simd/` do, and do the
 * same arithmetic in the same order, so they give the same bits at up to twice the speed (WebAssembly SIMD is
 * 128 bits wide; the LSTM loops also leave JavaScript's per-step bookkeeping behind). Optional:
 * `scripts/setup.sh` builds the library where a C compiler is present; without the library, FFI permission,
 * an x86-64 Linux host or a CPU with AVX2 and FMA (or with `CANDLECAST_NATIVE_KERNELS=0`) `nativeKernels()` is
 * null and the WebAssembly kernels run.
 *
 * @example
 * ```ts
 * const native = nativeKernels();
 * if (native) native.gemm(heapBytes, a, b, c, k, m, n, scratch, layout, bias); // as gemm_tn.wat takes them
 * ```
 */
import { fileURLToPath } from "node:url";

const here = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** Where scripts/setup.sh writes the library (gitignored: it is built, not committed). */
export const NATIVE_LIBRARY = here("libcandlecast_kernels.so");

/** The sources it is built from: a library older than any of them is not used. */
const SOURCES = ["gemm.c", "lstm.c", "transpose.c", "kernels.h"].map(here);

type Heap = Uint8Array<ArrayBuffer>;

/** gemm_tn.wat's arguments: byte offsets of A, B and C, the sizes K, M, N, the scratch's offset, the layout bits
 * and the bias's offset (0: none). */
export type GemmArguments = [
  a: number,
  b: number,
  c: number,
  k: number,
  m: number,
  n: number,
  scratch: number,
  layout: number,
  bias: number,
];

/** The LSTM loops' sizes: timesteps, directions, units H, batch B. */
type SequenceSizes = [steps: number, dirs: number, units: number, batch: number];

/** The kernels; every offset is a byte offset into `heap`, a view of tfjs-wasm's whole memory. */
export interface NativeKernels {
  /** op(A)·op(B) (+ bias), as gemm_tn.wat computes it. */
  gemm(heap: Heap, ...args: GemmArguments): void;
  /** `lstmForward` of ../simd/lstm_cell.ts in one call; `work` holds D·4H·B + 128·(4H + B) floats. */
  lstmForward(
    heap: Heap,
    ...args: [
      xs: number,
      us: number,
      output: number,
      sig: number,
      c2: number,
      th: number,
      hs: number,
      work: number,
      ...SequenceSizes,
    ]
  ): void;
  /** transpose.wat's transposes: `batch` row-major [rows, cols] matrices at `src` → [batch, cols, rows] at `dst`
   * (rows and cols multiples of 8). */
  transpose(heap: Heap, src: number, dst: number, batch: number, rows: number, cols: number): void;
  /** `lstmBackward` of ../simd/lstm_cell.ts in one call; `work` holds 2·D·H·B + 128·(H + B) floats. */
  lstmBackward(
    heap: Heap,
    ...args: [
      dy: number,
      sig: number,
      c2: number,
      th: number,
      ut: number,
      dZ: number,
      dXs: number,
      work: number,
      ...SequenceSizes,
    ]
  ): void;
}

const OFFSETS_AND_SIZES = [
  "u32",
  "u32",
  "u32",
  "u32",
  "u32",
  "u32",
  "u32",
  "u32",
  "i32",
  "i32",
  "i32",
  "i32",
] as const;
const SYMBOLS = {
  candlecast_native_ok: { parameters: [], result: "i32" },
  candlecast_gemm: {
    parameters: ["buffer", "u32", "u32", "u32", "i32", "i32", "i32", "u32", "i32", "u32"],
    result: "void",
  },
  candlecast_transpose: { parameters: ["buffer", "u32", "u32", "i32", "i32", "i32"], result: "void" },
  candlecast_lstm_forward: { parameters: ["buffer", ...OFFSETS_AND_SIZES], result: "void" },
  candlecast_lstm_backward: { parameters: ["buffer", ...OFFSETS_AND_SIZES], result: "void" },
} as const;

/** Why the native kernels are not in use, or null when they are (for logs and the bench). */
export let nativeUnavailable: string | null = null;

const modified = (path: string): Date | null => {
  try {
    return Deno.statSync(path).mtime;
  } catch {
    return null;
  }
};

function load(): NativeKernels | null {
  const no = (why: string) => (nativeUnavailable = why, null);
  if (Deno.env.get("CANDLECAST_NATIVE_KERNELS") === "0") return no("CANDLECAST_NATIVE_KERNELS=0");
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return no("not x86-64 Linux");
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return no("no --allow-ffi");
  const built = modified(NATIVE_LIBRARY);
  if (built === null) return no("not built (scripts/setup.sh builds it where `cc` exists)");
  // A library older than a source beside it was built from other code. (No sources beside it, as in an
  // installed copy: nothing to compare.)
  if (SOURCES.some((source) => (modified(source) ?? built) > built)) {
    return no("older than its sources: re-run scripts/setup.sh");
  }
  try {
    const library = Deno.dlopen(NATIVE_LIBRARY, SYMBOLS);
    const symbols = library.symbols;
    if (symbols.candlecast_native_ok() !== 1) {
      library.close();
      return no("this CPU lacks AVX2 or FMA");
    }
    return {
      gemm: symbols.candlecast_gemm,
      lstmForward: symbols.candlecast_lstm_forward,
      lstmBackward: symbols.candlecast_lstm_backward,
      transpose: symbols.candlecast_transpose,
    };
  } catch (error) {
    return no(`could not load it (${(error as Error).message})`);
  }
}

let loaded: NativeKernels | null | undefined;

/** The native kernels, loaded on first use, or null where they cannot run (`nativeUnavailable` says why). */
export function nativeKernels(): NativeKernels | null {
  if (loaded === undefined) loaded = load();
  return loaded;
}
