;; C = Aᵀ·B for row-major A [K, M] and B [K, N], C [M, N]: the weight gradient of a dense layer, where K is
;; batch × time (1,600–12,800 rows) and M, N are layer widths (32–512). Pointers are byte offsets into the
;; memory that tfjs-wasm's own module exports, so the operands are read where tfjs keeps them (no copies).
;;
;; Why a kernel of our own: XNNPACK packs one operand as "weights" per call and does not block a long
;; reduction, so tfjs-wasm runs these products at a third of its forward-matmul speed (bench/RESULTS.md).
;; Here K is cut into chunks of 128 rows. Each chunk is first packed into panels (A's 4 columns of an m-tile,
;; B's 8 columns of an n-tile, each panel contiguous row after row in `scratch`), so the inner loop reads
;; memory in order instead of at the layer width's power-of-two stride, which maps every row to the same few
;; L1 sets. Then every 4 × 8 tile of C is updated from the panels: per row k, two loads of B, four broadcasts
;; of A, 8 multiplies and 8 adds into 8 accumulators (11 vector registers, no spills on x86-64's 16).
;;
;; The same kernel runs the other layouts: `$layout` bit 0 says A is stored [M, K] (a plain product a·b), bit
;; 1 that B is stored [N, K] (a·bᵀ). Only the packing differs (those panels gather strided values: a copy of
;; O(M·K + N·K) beside the O(M·N·K) products), so forward products and input gradients run on the same inner
;; loop, where XNNPACK reaches half its speed at these shapes (bench/RESULTS.md § Session 11). `$bias` (a byte
;; offset, 0 for none) starts every row of C at that [N] vector instead of zero: a dense layer's x·W + b in one
;; call. C is only written: the first chunk's tiles start from the bias or zero, later chunks add to them.
;;
;; Requires M % 4 = 0, N % 8 = 0 (the caller pads), K ≥ 1, and `scratch` room for 128·(M + N) floats. Each C
;; entry is summed in k order with float32 accumulators, chunk by chunk: deterministic, like any fixed-order
;; sum.
(module
  (import "env" "memory" (memory 1))
  ;; Four rows of four floats (at src, src+stride, …) stored as four columns: out row j (at dst + j·dstStride)
  ;; is [row0[j], row1[j], row2[j], row3[j]].
  (func $transpose4 (param $src i32) (param $stride i32) (param $dst i32) (param $dstStride i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $v0 (v128.load (local.get $src)))
    (local.set $v1 (v128.load (i32.add (local.get $src) (local.get $stride))))
    (local.set $v2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $stride) (i32.const 1)))))
    (local.set $v3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $stride) (i32.const 3)))))
    ;; t0 = [v0₀ v1₀ v0₁ v1₁], t1 = [v2₀ v3₀ v2₁ v3₁], t2 = [v0₂ v1₂ v0₃ v1₃], t3 = [v2₂ v3₂ v2₃ v3₃]
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
    (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
    (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
    (v128.store (local.get $dst)
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
    (v128.store (i32.add (local.get $dst) (local.get $dstStride))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
    (v128.store (i32.add (local.get $dst) (i32.shl (local.get $dstStride) (i32.const 1)))
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
    (v128.store (i32.add (local.get $dst) (i32.mul (local.get $dstStride) (i32.const 3)))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3))))
  (func (export "gemm_tn")
    (param $a i32) (param $b i32) (param $c i32) (param $K i32) (param $M i32) (param $N i32)
    (param $scratch i32) (param $layout i32) (param $bias i32)
    (local $i i32) (local $rowA i32) (local $rowB i32) (local $k0 i32) (local $kEnd i32) (local $m i32) (local $n i32)
    (local $pa i32) (local $pb i32) (local $pc i32) (local $end i32)
    (local $packB i32) (local $rows i32) (local $src i32) (local $dst i32) (local $t i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local.set $rowA (i32.shl (local.get $M) (i32.const 2)))
    (local.set $rowB (i32.shl (local.get $N) (i32.const 2)))
    (local.set $k0 (i32.const 0))
    (loop $chunks
      (local.set $kEnd (i32.add (local.get $k0) (i32.const 128)))
      (if (i32.gt_u (local.get $kEnd) (local.get $K)) (then (local.set $kEnd (local.get $K))))
      (local.set $rows (i32.sub (local.get $kEnd) (local.get $k0)))
      ;; Pack A's chunk: m-tile t's panel at scratch + t·rows·16, row r at +r·16.
      (local.set $packB (i32.add (local.get $scratch) (i32.mul (local.get $rows) (local.get $rowA))))
      (if (i32.and (local.get $layout) (i32.const 1))
        (then
          ;; A is [M, K]: the panel row r of the m-tile at m is A[m … m+3, k0+r]: 4 values a row apart,
          ;; gathered 4 × 4 at a time by SIMD transposes, the last rows % 4 one by one.
          (local.set $i (i32.shl (local.get $K) (i32.const 2))) ;; bytes per row of the operand
          (local.set $pa (local.get $scratch))
          (local.set $m (i32.const 0))
          (loop $packTilesAT
            ;; src = the tile's first row at column k0; dst = its panel
            (local.set $src (i32.add (local.get $a) (i32.add (i32.mul (local.get $m) (local.get $i))
              (i32.shl (local.get $k0) (i32.const 2)))))
            (local.set $dst (local.get $pa))
            (local.set $t (i32.const 0)) ;; byte offset of column k0+r in a row of the operand
            (local.set $end (i32.shl (i32.and (local.get $rows) (i32.const -4)) (i32.const 2)))
            (block $vectorsDoneA
              (loop $vectorsA
                (br_if $vectorsDoneA (i32.ge_u (local.get $t) (local.get $end)))
                  (call $transpose4 (i32.add (local.get $src) (local.get $t)) (local.get $i) (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 2))) (i32.const 16))
                (local.set $t (i32.add (local.get $t) (i32.const 16)))
                (br $vectorsA)))
            (block $tailDoneA
              (loop $tailA
                (br_if $tailDoneA (i32.ge_u (local.get $t) (i32.shl (local.get $rows) (i32.const 2))))
                (local.set $n (i32.const 0))
                (loop $tailLanesA
                  (f32.store
                    (i32.add (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 2))) (i32.shl (local.get $n) (i32.const 2)))
                    (f32.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $n) (local.get $i))) (local.get $t))))
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))
                  (br_if $tailLanesA (i32.lt_u (local.get $n) (i32.const 4))))
                (local.set $t (i32.add (local.get $t) (i32.const 4)))
                (br $tailA)))
            (local.set $pa (i32.add (local.get $pa) (i32.shl (local.get $rows) (i32.const 4))))
            (local.set $m (i32.add (local.get $m) (i32.const 4)))
            (br_if $packTilesAT (i32.lt_u (local.get $m) (local.get $M)))))
        (else
          (local.set $src (i32.add (local.get $a) (i32.mul (local.get $k0) (local.get $rowA))))
          (local.set $pa (local.get $scratch))
          (local.set $end (i32.add (local.get $scratch) (i32.shl (local.get $rows) (i32.const 4))))
          (loop $packRowsA
            (local.set $dst (local.get $pa))
            (local.set $t (i32.const 0))
            (loop $packTilesA
              (v128.store (local.get $dst) (v128.load (i32.add (local.get $src) (local.get $t))))
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 4))))
              (local.set $t (i32.add (local.get $t) (i32.const 16)))
              (br_if $packTilesA (i32.lt_u (local.get $t) (local.get $rowA))))
            (local.set $src (i32.add (local.get $src) (local.get $rowA)))
            (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
            (br_if $packRowsA (i32.lt_u (local.get $pa) (local.get $end))))))
      ;; Pack B's chunk: n-tile t's panel at packB + t·rows·32, row r at +r·32.
      (if (i32.and (local.get $layout) (i32.const 2))
        (then
          ;; B is [N, K]: the panel row r of the n-tile at m is B[m … m+7, k0+r]: 8 values a row apart,
          ;; gathered 4 × 4 at a time by SIMD transposes, the last rows % 4 one by one.
          (local.set $i (i32.shl (local.get $K) (i32.const 2))) ;; bytes per row of the operand
          (local.set $pb (local.get $packB))
          (local.set $m (i32.const 0))
          (loop $packTilesBT
            ;; src = the tile's first row at column k0; dst = its panel
            (local.set $src (i32.add (local.get $b) (i32.add (i32.mul (local.get $m) (local.get $i))
              (i32.shl (local.get $k0) (i32.const 2)))))
            (local.set $dst (local.get $pb))
            (local.set $t (i32.const 0)) ;; byte offset of column k0+r in a row of the operand
            (local.set $end (i32.shl (i32.and (local.get $rows) (i32.const -4)) (i32.const 2)))
            (block $vectorsDoneB
              (loop $vectorsB
                (br_if $vectorsDoneB (i32.ge_u (local.get $t) (local.get $end)))
                  (call $transpose4 (i32.add (local.get $src) (local.get $t)) (local.get $i) (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 3))) (i32.const 32))
                  (call $transpose4 (i32.add (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))) (local.get $t)) (local.get $i) (i32.add (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 3))) (i32.const 16)) (i32.const 32))
                (local.set $t (i32.add (local.get $t) (i32.const 16)))
                (br $vectorsB)))
            (block $tailDoneB
              (loop $tailB
                (br_if $tailDoneB (i32.ge_u (local.get $t) (i32.shl (local.get $rows) (i32.const 2))))
                (local.set $n (i32.const 0))
                (loop $tailLanesB
                  (f32.store
                    (i32.add (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 3))) (i32.shl (local.get $n) (i32.const 2)))
                    (f32.load (i32.add (i32.add (local.get $src) (i32.mul (local.get $n) (local.get $i))) (local.get $t))))
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))
                  (br_if $tailLanesB (i32.lt_u (local.get $n) (i32.const 8))))
                (local.set $t (i32.add (local.get $t) (i32.const 4)))
                (br $tailB)))
            (local.set $pb (i32.add (local.get $pb) (i32.shl (local.get $rows) (i32.const 5))))
            (local.set $m (i32.add (local.get $m) (i32.const 8)))
            (br_if $packTilesBT (i32.lt_u (local.get $m) (local.get $N)))))
        (else
          (local.set $src (i32.add (local.get $b) (i32.mul (local.get $k0) (local.get $rowB))))
          (local.set $pb (local.get $packB))
          (local.set $end (i32.add (local.get $packB) (i32.shl (local.get $rows) (i32.const 5))))
          (loop $packRowsB
            (local.set $dst (local.get $pb))
            (local.set $t (i32.const 0))
            (loop $packTilesB
              (v128.store (local.get $dst) (v128.load (i32.add (local.get $src) (local.get $t))))
              (v128.store offset=16 (local.get $dst) (v128.load offset=16 (i32.add (local.get $src) (local.get $t))))
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 5))))
              (local.set $t (i32.add (local.get $t) (i32.const 32)))
              (br_if $packTilesB (i32.lt_u (local.get $t) (local.get $rowB))))
            (local.set $src (i32.add (local.get $src) (local.get $rowB)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
            (br_if $packRowsB (i32.lt_u (local.get $pb) (local.get $end))))))
      (local.set $m (i32.const 0))
      (loop $rows
        (local.set $n (i32.const 0))
        (loop $cols
          ;; pc = c + (m·N + n)·4
          (local.set $pc (i32.add (local.get $c)
            (i32.shl (i32.add (i32.mul (local.get $m) (local.get $N)) (local.get $n)) (i32.const 2))))
          (if (local.get $k0)
            (then
              ;; later chunks add to the tile's sums so far
              (local.set $c00 (v128.load (local.get $pc)))
              (local.set $c01 (v128.load offset=16 (local.get $pc)))
              (local.set $pc (i32.add (local.get $pc) (local.get $rowB)))
              (local.set $c10 (v128.load (local.get $pc)))
              (local.set $c11 (v128.load offset=16 (local.get $pc)))
              (local.set $pc (i32.add (local.get $pc) (local.get $rowB)))
              (local.set $c20 (v128.load (local.get $pc)))
              (local.set $c21 (v128.load offset=16 (local.get $pc)))
              (local.set $pc (i32.add (local.get $pc) (local.get $rowB)))
              (local.set $c30 (v128.load (local.get $pc)))
              (local.set $c31 (v128.load offset=16 (local.get $pc))))
            (else
              ;; the first chunk starts from the bias (or 0), so C is never read before it is written
              (if (local.get $bias)
                (then
                  (local.set $c00 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $n) (i32.const 2)))))
                  (local.set $c01 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $n) (i32.const 2))))))
                (else
                  (local.set $c00 (v128.const i32x4 0 0 0 0))
                  (local.set $c01 (v128.const i32x4 0 0 0 0))))
              (local.set $c10 (local.get $c00))
              (local.set $c11 (local.get $c01))
              (local.set $c20 (local.get $c00))
              (local.set $c21 (local.get $c01))
              (local.set $c30 (local.get $c00))
              (local.set $c31 (local.get $c01))
              (local.set $pc (i32.add (local.get $pc) (i32.mul (local.get $rowB) (i32.const 3))))))
          ;; pa = A panel m/4 = scratch + m·rows·4, pb = B panel n/8 = packB + n·rows·4, end = pb + rows·32
          (local.set $pa (i32.add (local.get $scratch) (i32.shl (i32.mul (local.get $m) (local.get $rows)) (i32.const 2))))
          (local.set $pb (i32.add (local.get $packB) (i32.shl (i32.mul (local.get $n) (local.get $rows)) (i32.const 2))))
          (local.set $end (i32.add (local.get $pb) (i32.shl (local.get $rows) (i32.const 5))))
          (loop $inner
            (local.set $b0 (v128.load (local.get $pb)))
            (local.set $b1 (v128.load offset=16 (local.get $pb)))
            (local.set $x (v128.load32_splat (local.get $pa)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=4 (local.get $pa)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=8 (local.get $pa)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $x (v128.load32_splat offset=12 (local.get $pa)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
            (br_if $inner (i32.lt_u (local.get $pb) (local.get $end))))
          ;; store the tile back, bottom row first (pc points at row 3)
          (v128.store (local.get $pc) (local.get $c30))
          (v128.store offset=16 (local.get $pc) (local.get $c31))
          (local.set $pc (i32.sub (local.get $pc) (local.get $rowB)))
          (v128.store (local.get $pc) (local.get $c20))
          (v128.store offset=16 (local.get $pc) (local.get $c21))
          (local.set $pc (i32.sub (local.get $pc) (local.get $rowB)))
          (v128.store (local.get $pc) (local.get $c10))
          (v128.store offset=16 (local.get $pc) (local.get $c11))
          (local.set $pc (i32.sub (local.get $pc) (local.get $rowB)))
          (v128.store (local.get $pc) (local.get $c00))
          (v128.store offset=16 (local.get $pc) (local.get $c01))
          (local.set $n (i32.add (local.get $n) (i32.const 8)))
          (br_if $cols (i32.lt_u (local.get $n) (local.get $N))))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (br_if $rows (i32.lt_u (local.get $m) (local.get $M))))
      (local.set $k0 (local.get $kEnd))
      (br_if $chunks (i32.lt_u (local.get $k0) (local.get $K))))))
