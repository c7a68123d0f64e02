// C = op(A)·op(B) (+ bias) on tfjs-wasm's heap, the native twin of ../simd/gemm_tn.wat's FMA kernel: the same
// arguments (byte offsets into the heap, which is passed as a pointer), the same layouts and padding rules,
// and the same sums: each C entry starts from the bias (or 0) and takes a fused multiply-add per k, in k
// order, so its results are bit for bit those of the WebAssembly FMA kernel (a test checks it).
//
// Why: WebAssembly SIMD is 128 bits wide, so the products ran at ~35 GFLOP/s; with AVX2 + FMA one core does
// twice the work per instruction (bench/RESULTS.md § Session 16). Loaded through Deno's FFI where it was
// built (scripts/setup.sh) and the CPU has AVX2 and FMA; otherwise the WebAssembly kernel runs.
//
// $layout bit 0: A is stored [M, K] (else [K, M]); bit 1: B is stored [N, K] (else [K, N]). M % 4 = 0,
// N % 8 = 0, K ≥ 1, and `scratch` has room for 128·(M + N) floats (one chunk of each operand, packed).
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#define CHUNK 128

// Built without -mavx2 so that this check runs on any x86-64; only the code below it uses AVX2 and FMA.
int candlecast_native_ok(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#pragma GCC target("avx2,fma")

// A 4 × (8·NB) tile of C from packed panels: pa row r holds A'(r, m … m+3), panel j of pb row r holds
// B'(r, n+8j … n+8j+7); panels lie `stride` floats apart. 4·NB accumulators (12 at NB = 3: with the NB
// loads and the broadcast, x86-64's 16 vector registers).
#define TILE(NB)                                                                                      \
  static inline void tile_##NB(const float* pa, const float* pb, size_t stride, int rows, float* c,     \
                               size_t ldc, const float* start, int fromStart) {                         \
    __m256 acc[4][NB];                                                                                \
    for (int i = 0; i < 4; i++)                                                                       \
      for (int j = 0; j < NB; j++)                                                                    \
        acc[i][j] = fromStart ? (start ? _mm256_loadu_ps(start + 8 * j) : _mm256_setzero_ps())        \
                              : _mm256_loadu_ps(c + i * ldc + 8 * j);                                 \
    for (int r = 0; r < rows; r++) {                                                                  \
      __m256 b[NB];                                                                                   \
      for (int j = 0; j < NB; j++) b[j] = _mm256_loadu_ps(pb + j * stride + 8 * r);                  \
      for (int i = 0; i < 4; i++) {                                                                   \
        __m256 x = _mm256_broadcast_ss(pa + 4 * r + i);                                               \
        for (int j = 0; j < NB; j++) acc[i][j] = _mm256_fmadd_ps(x, b[j], acc[i][j]);                 \
      }                                                                                               \
    }                                                                                                 \
    for (int i = 0; i < 4; i++)                                                                       \
      for (int j = 0; j < NB; j++) _mm256_storeu_ps(c + i * ldc + 8 * j, acc[i][j]);                  \
  }
TILE(1)
TILE(2)
TILE(3)

void kernel_gemm(const float* a, const float* b, float* c, int K, int M, int N, float* packA, int layout,
          const float* bias) {
  for (int k0 = 0; k0 < K; k0 += CHUNK) {
    const int rows = K - k0 < CHUNK ? K - k0 : CHUNK;
    float* packB = packA + (size_t)rows * M;
    // A's chunk as panels of 4 columns: panel t at packA + t·4·rows, row r at +4r.
    for (int m = 0; m < M; m += 4) {
      float* dst = packA + (size_t)m * rows;
      if (layout & 1) {
        for (int r = 0; r < rows; r++)
          for (int i = 0; i < 4; i++) dst[4 * r + i] = a[(size_t)(m + i) * K + k0 + r];
      } else {
        for (int r = 0; r < rows; r++)
          for (int i = 0; i < 4; i++) dst[4 * r + i] = a[(size_t)(k0 + r) * M + m + i];
      }
    }
    // B's chunk as panels of 8 columns: panel t at packB + t·8·rows, row r at +8r.
    for (int n = 0; n < N; n += 8) {
      float* dst = packB + (size_t)n * rows;
      if (layout & 2) {
        for (int r = 0; r < rows; r++)
          for (int j = 0; j < 8; j++) dst[8 * r + j] = b[(size_t)(n + j) * K + k0 + r];
      } else {
        for (int r = 0; r < rows; r++)
          _mm256_storeu_ps(dst + 8 * r, _mm256_loadu_ps(b + (size_t)(k0 + r) * N + n));
      }
    }
    const size_t stride = (size_t)8 * rows;
    for (int m = 0; m < M; m += 4) {
      const float* pa = packA + (size_t)m * rows;
      int n = 0;
      for (; n + 24 <= N; n += 24)
        tile_3(pa, packB + (size_t)n * rows, stride, rows, c + (size_t)m * N + n, N, bias ? bias + n : NULL,
               k0 == 0);
      if (n + 16 <= N) {
        tile_2(pa, packB + (size_t)n * rows, stride, rows, c + (size_t)m * N + n, N, bias ? bias + n : NULL,
               k0 == 0);
        n += 16;
      }
      if (n < N)
        tile_1(pa, packB + (size_t)n * rows, stride, rows, c + (size_t)m * N + n, N, bias ? bias + n : NULL,
               k0 == 0);
    }
  }
}

void candlecast_gemm(uint8_t* heap, uint32_t aAt, uint32_t bAt, uint32_t cAt, int32_t K, int32_t M,
                     int32_t N, uint32_t scratchAt, int32_t layout, uint32_t biasAt) {
  kernel_gemm((const float*)(heap + aAt), (const float*)(heap + bAt), (float*)(heap + cAt), K, M, N,
       (float*)(heap + scratchAt), layout, biasAt ? (const float*)(heap + biasAt) : NULL);
}
