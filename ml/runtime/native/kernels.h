// What the native kernels share (gemm.c, lstm.c). Built with AVX2 + FMA enabled per function (see gemm.c).
#ifndef CANDLECAST_KERNELS_H
#define CANDLECAST_KERNELS_H

// C = op(A)·op(B) (+ bias), gemm_tn.wat's sums: see gemm.c. `scratch` holds 128·(M + N) floats.
void kernel_gemm(const float* a, const float* b, float* c, int K, int M, int N, float* scratch, int layout,
          const float* bias);

#endif
