// Whole LSTM recurrences, forward and backward through time, as ../simd/lstm_cell.ts runs them step by step:
// each step's recurrent product (gemm.c, the same sums as gemm_tn.wat) and each step's cell work (the FMA
// twin of ../simd/lstm_cell.wat, operation for operation, 8 lanes at a time instead of 4), in one call per
// sequence instead of two kernel calls, two tensor allocations and a dozen heap lookups per step in
// JavaScript (~25 µs a step at batch 32, more than the step's arithmetic). Same bits as the step-by-step path
// (a test checks it); layouts, argument meanings and the ĉ = 2c / doubled-candidate tricks are
// lstm_cell.wat's.
//
// Requires B % 8 = 0 (whole AVX vectors per gate row and gemm.c's 8-column tiles) and H % 4 = 0; the caller
// uses the step-by-step path otherwise. Pointers are byte offsets into the heap; 0 means absent.
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#pragma GCC target("avx2,fma")

// σ(z) exactly as lstm_cell.wat's FMA twin computes it (Cephes' expf; the same constants, the same fused and
// unfused operations in the same order), so each lane gives the WebAssembly kernel's bits.
static inline __m256 sigmoid(__m256 z) {
  const __m256 x = _mm256_min_ps(_mm256_max_ps(_mm256_xor_ps(z, _mm256_set1_ps(-0.0f)), _mm256_set1_ps(-87.3f)),
                                 _mm256_set1_ps(88.3f));
  const __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(12582912.0f));
  const __m256 n = _mm256_sub_ps(t, _mm256_set1_ps(12582912.0f));
  __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-0.693359375f), x);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), r);
  const __m256 r2 = _mm256_mul_ps(r, r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(-1262485377)), 23);
  p = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
  return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), p));
}

#define LD(p) _mm256_loadu_ps(p)
#define ST(p, v) _mm256_storeu_ps(p, v)

// lstm_cell.wat's "forward" for one step (see there); `hb` = H·B floats, `h` may be NULL.
static void cell_forward(const float* x0, const float* x1, const float* rec, const float* c2prev, float* sig,
                         float* c2, float* th, float* hs, float* out0, float* out1, int dirs, size_t hb) {
  const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f), one = _mm256_set1_ps(1.0f);
  for (int d = 0; d < dirs; d++) {
    const float* x = d ? x1 : x0;
    float* out = d ? out1 : out0;
    const size_t gates = d * 4 * hb, cells = d * hb;
    for (size_t e = 0; e < 4 * hb; e += 8) {
      __m256 z = LD(x + e);
      if (rec) z = _mm256_add_ps(z, LD(rec + gates + e));
      ST(sig + gates + e, sigmoid(z));
    }
    for (size_t e = 0; e < hb; e += 8) {
      const float* g = sig + gates + e;
      const size_t k = cells + e;
      __m256 c = _mm256_mul_ps(LD(g), _mm256_sub_ps(_mm256_mul_ps(LD(g + 2 * hb), four), two));
      if (c2prev) c = _mm256_add_ps(_mm256_mul_ps(LD(g + hb), LD(c2prev + k)), c);
      ST(c2 + k, c);
      __m256 t = _mm256_sub_ps(_mm256_mul_ps(sigmoid(c), two), one);
      ST(th + k, t);
      t = _mm256_mul_ps(LD(g + 3 * hb), t);
      ST(hs + k, t);
      ST(out + e, t);
    }
  }
}

// lstm_cell.wat's "backward" for one step (see there), dz written once (to dzs).
static void cell_backward(const float* dy0, const float* dy1, const float* dhn, const float* sig, const float* th,
                          const float* c2prev, float* dcs, float* dzs, float* dx0, float* dx1, int dirs,
                          size_t hb) {
  const __m256 one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
  for (int d = 0; d < dirs; d++) {
    const float* dy = d ? dy1 : dy0;
    float* dx = d ? dx1 : dx0;
    const size_t gates = d * 4 * hb, cells = d * hb;
    for (size_t e = 0; e < hb; e += 8) {
      const size_t g = gates + e, k = cells + e;
      const __m256 si = LD(sig + g), sf = LD(sig + g + hb), sg = LD(sig + g + 2 * hb), so = LD(sig + g + 3 * hb);
      const __m256 t = LD(th + k);
      __m256 dh = LD(dy + e);
      if (dhn) dh = _mm256_add_ps(dh, LD(dhn + k));
      const __m256 dc =
          _mm256_add_ps(_mm256_mul_ps(dh, _mm256_mul_ps(so, _mm256_sub_ps(one, _mm256_mul_ps(t, t)))), LD(dcs + k));
      ST(dcs + k, _mm256_mul_ps(dc, sf));
      __m256 v = _mm256_mul_ps(_mm256_mul_ps(dc, _mm256_sub_ps(_mm256_add_ps(sg, sg), one)),
                               _mm256_mul_ps(si, _mm256_sub_ps(one, si)));
      ST(dzs + g, v);
      ST(dx + e, v);
      v = _mm256_setzero_ps();
      if (c2prev)
        v = _mm256_mul_ps(_mm256_mul_ps(dc, _mm256_mul_ps(LD(c2prev + k), half)),
                          _mm256_mul_ps(sf, _mm256_sub_ps(one, sf)));
      ST(dzs + g + hb, v);
      ST(dx + e + hb, v);
      v = _mm256_mul_ps(_mm256_mul_ps(dc, si), _mm256_mul_ps(_mm256_add_ps(sg, sg), _mm256_sub_ps(one, sg)));
      ST(dzs + g + 2 * hb, v);
      ST(dx + e + 2 * hb, v);
      v = _mm256_mul_ps(_mm256_mul_ps(dh, t), _mm256_mul_ps(so, _mm256_sub_ps(one, so)));
      ST(dzs + g + 3 * hb, v);
      ST(dx + e + 3 * hb, v);
    }
  }
}

#define AT(off) ((float*)(heap + (off)))

// lstmForward in ../simd/lstm_cell.ts: D LSTMs from zero state over `steps` steps. xs [T, D, 4H, B] (time
// order), us [D, H, 4H]; writes output [T, D, H, B] (time order), sig [T, D, 4H, B], c2, th, hs [T, D, H, B]
// (processing order). `work` holds D·4H·B + 128·(4H + B) floats.
void candlecast_lstm_forward(uint8_t* heap, uint32_t xsAt, uint32_t usAt, uint32_t outputAt, uint32_t sigAt,
                             uint32_t c2At, uint32_t thAt, uint32_t hsAt, uint32_t workAt, int32_t steps,
                             int32_t dirs, int32_t units, int32_t batch) {
  const size_t hb = (size_t)units * batch, block = 4 * hb;
  float *xs = AT(xsAt), *us = AT(usAt), *output = AT(outputAt), *sig = AT(sigAt), *c2 = AT(c2At);
  float *th = AT(thAt), *hs = AT(hsAt), *rec = AT(workAt), *scratch = rec + dirs * block;
  for (int k = 0; k < steps; k++) {
    const int back = steps - 1 - k;
    if (k > 0) {
      // Uᵀ·h per direction: us[d] [H, 4H] as A stored [K, M], h = hs's step k−1 [H, B] as B [K, N].
      for (int d = 0; d < dirs; d++)
        kernel_gemm(us + (size_t)d * units * 4 * units, hs + ((size_t)(k - 1) * dirs + d) * hb, rec + d * block,
                    units, 4 * units, batch, scratch, 0, NULL);
    }
    cell_forward(xs + (size_t)k * dirs * block, dirs > 1 ? xs + ((size_t)back * dirs + 1) * block : NULL,
                 k > 0 ? rec : NULL, k > 0 ? c2 + (size_t)(k - 1) * dirs * hb : NULL, sig + (size_t)k * dirs * block,
                 c2 + (size_t)k * dirs * hb, th + (size_t)k * dirs * hb, hs + (size_t)k * dirs * hb,
                 output + (size_t)k * dirs * hb, dirs > 1 ? output + ((size_t)back * dirs + 1) * hb : NULL, dirs, hb);
  }
}

// lstmBackward in ../simd/lstm_cell.ts: dy [T, D, H, B] (time order), the forward's sig, c2, th (processing
// order), ut [D, 4H, H]; writes dZ [T, D, 4H, B] (processing order) and dXs [T, D, 4H, B] (time order).
// `work` holds 2·D·H·B + 128·(H + B) floats.
void candlecast_lstm_backward(uint8_t* heap, uint32_t dyAt, uint32_t sigAt, uint32_t c2At, uint32_t thAt,
                              uint32_t utAt, uint32_t dZAt, uint32_t dXsAt, uint32_t workAt, int32_t steps,
                              int32_t dirs, int32_t units, int32_t batch) {
  const size_t hb = (size_t)units * batch, block = 4 * hb;
  float *dy = AT(dyAt), *sig = AT(sigAt), *c2 = AT(c2At), *th = AT(thAt), *ut = AT(utAt), *dZ = AT(dZAt);
  float *dXs = AT(dXsAt), *carried = AT(workAt), *dhn = carried + dirs * hb, *scratch = dhn + dirs * hb;
  memset(carried, 0, sizeof(float) * dirs * hb);
  for (int k = steps - 1; k >= 0; k--) {
    const int back = steps - 1 - k;
    float* dz = dZ + (size_t)k * dirs * block;
    cell_backward(dy + (size_t)k * dirs * hb, dirs > 1 ? dy + ((size_t)back * dirs + 1) * hb : NULL,
                  k < steps - 1 ? dhn : NULL, sig + (size_t)k * dirs * block, th + (size_t)k * dirs * hb,
                  k > 0 ? c2 + (size_t)(k - 1) * dirs * hb : NULL, carried, dz, dXs + (size_t)k * dirs * block,
                  dirs > 1 ? dXs + ((size_t)back * dirs + 1) * block : NULL, dirs, hb);
    // U·dz per direction, the gradient reaching h_{k−1}: ut[d] [4H, H] as A stored [K, M], dz [4H, B].
    if (k > 0) {
      for (int d = 0; d < dirs; d++)
        kernel_gemm(ut + (size_t)d * 4 * units * units, dz + d * block, dhn + d * hb, 4 * units, units, batch,
                    scratch, 0, NULL);
    }
  }
}
