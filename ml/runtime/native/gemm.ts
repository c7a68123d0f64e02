/**
 * The native twin of `../simd/gemm_tn.wat`'s FMA kernel (`gemm.c`, AVX2 + FMA), called through Deno's FFI on
 * tfjs-wasm's own heap: same arguments, same sums in the same order, so the same bits, at up to twice the
 * speed (WebAssembly SIMD is 128 bits wide). Optional: `scripts/setup.sh` builds it where a C compiler is
 * present; without the library, FFI permission, an x86-64 Linux host or a CPU with AVX2 and FMA (or with
 * `CANDLECAST_NATIVE_KERNELS=0`) `nativeGemm()` is null and the WebAssembly kernel runs.
 *
 * @example
 * ```ts
 * const gemm = nativeGemm();
 * if (gemm) gemm(heapBytes, a, b, c, k, m, n, scratch, layout, bias); // byte offsets, as gemm_tn.wat takes
 * ```
 */
import { fileURLToPath } from "node:url";

/** Where scripts/setup.sh writes the library (gitignored: it is built, not committed). */
export const NATIVE_LIBRARY = fileURLToPath(new URL("./libcandlecast_gemm.so", import.meta.url));

const NATIVE_SOURCE = fileURLToPath(new URL("./gemm.c", import.meta.url));

/** op(A)·op(B) (+ bias) on `heap` (a view of tfjs-wasm's whole memory); arguments as gemm_tn.wat's. */
export type NativeGemm = (
  heap: Uint8Array<ArrayBuffer>,
  a: number,
  b: number,
  c: number,
  k: number,
  m: number,
  n: number,
  scratch: number,
  layout: number,
  bias: number,
) => void;

const SYMBOLS = {
  candlecast_native_ok: { parameters: [], result: "i32" },
  candlecast_gemm: {
    parameters: ["buffer", "u32", "u32", "u32", "i32", "i32", "i32", "u32", "i32", "u32"],
    result: "void",
  },
} as const;

/** Why the native kernel is not in use, or null when it is (for logs and the bench). */
export let nativeUnavailable: string | null = null;

function load(): NativeGemm | null {
  const no = (why: string) => (nativeUnavailable = why, null);
  if (Deno.env.get("CANDLECAST_NATIVE_KERNELS") === "0") return no("CANDLECAST_NATIVE_KERNELS=0");
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return no("not x86-64 Linux");
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return no("no --allow-ffi");
  let built: Date | null;
  try {
    built = Deno.statSync(NATIVE_LIBRARY).mtime;
  } catch {
    return no("not built (scripts/setup.sh builds it where `cc` exists)");
  }
  // A library older than its source was built from other code: run the source's kernel or none.
  const source = (() => {
    try {
      return Deno.statSync(NATIVE_SOURCE).mtime;
    } catch {
      return null; // no source beside it (an installed copy): nothing to compare
    }
  })();
  if (built && source && source > built) return no("older than gemm.c: re-run scripts/setup.sh");
  try {
    const library = Deno.dlopen(NATIVE_LIBRARY, SYMBOLS);
    if (library.symbols.candlecast_native_ok() !== 1) {
      library.close();
      return no("this CPU lacks AVX2 or FMA");
    }
    return library.symbols.candlecast_gemm;
  } catch (error) {
    return no(`could not load it (${(error as Error).message})`);
  }
}

let loaded: NativeGemm | null | undefined;

/** The native product, loaded on first use, or null where it cannot run (`nativeUnavailable` says why). */
export function nativeGemm(): NativeGemm | null {
  if (loaded === undefined) loaded = load();
  return loaded;
}
