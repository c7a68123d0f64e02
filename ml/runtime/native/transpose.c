// dst = the transpose of each of `batch` row-major [rows, cols] matrices in src (dst [batch, cols, rows]): the
// native twin of ../simd/transpose.wat (the LSTM's layout changes [B, T, D·4H] ↔ [T, D, 4H, B] and the like).
// A pure copy, so its result is the WebAssembly kernel's exactly.
//
// 8 × 8 blocks move through AVX registers (eight loads, 24 shuffles, eight stores), in the WebAssembly
// kernel's sweeps of source rows. Requires rows % 8 = 0 and cols % 8 = 0 (the caller checks); offsets are bytes into the heap.
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC target("avx2,fma")


static inline void transpose8(const float* s, size_t ss, float* d, size_t ds) {
  const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ss), r2 = _mm256_loadu_ps(s + 2 * ss),
               r3 = _mm256_loadu_ps(s + 3 * ss), r4 = _mm256_loadu_ps(s + 4 * ss), r5 = _mm256_loadu_ps(s + 5 * ss),
               r6 = _mm256_loadu_ps(s + 6 * ss), r7 = _mm256_loadu_ps(s + 7 * ss);
  // Pairs of rows interleaved, then quads, then the 128-bit halves exchanged.
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
               t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
               t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
               u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
               u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
               u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + ds, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2 * ds, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3 * ds, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4 * ds, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5 * ds, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6 * ds, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7 * ds, _mm256_permute2f128_ps(u3, u7, 0x31));
}

void candlecast_transpose(uint8_t* heap, uint32_t srcAt, uint32_t dstAt, int32_t batch, int32_t rows,
                          int32_t cols) {
  const float* src = (const float*)(heap + srcAt);
  float* dst = (float*)(heap + dstAt);
  const size_t size = (size_t)rows * cols;
  // Source rows per sweep over the columns, as transpose.wat chooses them: 128 for narrow rows, 16 for wide
  // ones (128 rows a page or more apart would miss the TLB).
  const int sweep = cols <= 1024 ? 128 : 16;
  for (int i = 0; i < batch; i++, src += size, dst += size) {
    for (int r0 = 0; r0 < rows; r0 += sweep) {
      const int end = r0 + sweep < rows ? r0 + sweep : rows;
      for (int c = 0; c < cols; c += 8)
        for (int r = r0; r < end; r += 8) transpose8(src + (size_t)r * cols + c, cols, dst + (size_t)c * rows + r, rows);
    }
  }
}
