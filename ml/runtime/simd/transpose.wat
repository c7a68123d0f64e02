;; dst = the transpose of each of `batch` row-major [rows, cols] matrices in src (dst [batch, cols, rows]):
;; every Transpose whose permutation keeps some leading axes and rotates the rest is one of these, e.g. the
;; LSTM's layout changes [B, T, D·4H] ↔ [T, D, 4H, B] (6.5 M floats each at batch 256).
;;
;; Why a kernel of our own: tfjs-wasm's Transpose computes an index per element (~5–10 ns an element). Here
;; 4 × 4 blocks move through registers (four loads, eight lane shuffles, four stores), and the rows are taken
;; many at a time (`$sweep` below) so that each line of dst is written whole before moving on: a column sweep
;; over a wide matrix would otherwise evict half-written lines.
;;
;; Requires rows % 4 = 0 and cols % 4 = 0 (the caller checks); pointers are byte offsets into the memory that
;; tfjs-wasm's module exports. A pure copy: the result is exact.
(module
  (import "env" "memory" (memory 1))
  (func (export "transpose")
    (param $src i32) (param $dst i32) (param $batch i32) (param $rows i32) (param $cols i32)
    (local $rowBytes i32) (local $colBytes i32) (local $r0 i32) (local $rEnd i32) (local $r i32) (local $c i32)
    (local $ps i32) (local $pd i32) (local $i i32)
    (local $a v128) (local $b v128) (local $x v128) (local $d v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128) (local $sweep i32)
    ;; Source rows per sweep over the columns: 128 where rows are narrow (≤ 1,024 columns: the sweep's rows
    ;; share a few pages, and each dst row gets 512 contiguous bytes), 16 where they are wide (128 rows would
    ;; be 128 pages apart and miss the TLB). bench/RESULTS.md § Session 16.
    (local.set $sweep (select (i32.const 128) (i32.const 16) (i32.le_u (local.get $cols) (i32.const 1024))))
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2))) ;; one src row
    (local.set $colBytes (i32.shl (local.get $rows) (i32.const 2))) ;; one dst row
    (loop $matrices
      (local.set $r0 (i32.const 0))
      (loop $blocks
        (local.set $rEnd (i32.add (local.get $r0) (local.get $sweep)))
        (if (i32.gt_u (local.get $rEnd) (local.get $rows)) (then (local.set $rEnd (local.get $rows))))
        (local.set $c (i32.const 0))
        (loop $columns
          (local.set $r (local.get $r0))
          (loop $quads
            ;; ps = src + (r·cols + c)·4, pd = dst + (c·rows + r)·4
            (local.set $ps (i32.add (local.get $src)
              (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))
            (local.set $pd (i32.add (local.get $dst)
              (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2))))
            (local.set $a (v128.load (local.get $ps)))
            (local.set $ps (i32.add (local.get $ps) (local.get $rowBytes)))
            (local.set $b (v128.load (local.get $ps)))
            (local.set $ps (i32.add (local.get $ps) (local.get $rowBytes)))
            (local.set $x (v128.load (local.get $ps)))
            (local.set $ps (i32.add (local.get $ps) (local.get $rowBytes)))
            (local.set $d (v128.load (local.get $ps)))
            ;; t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3, t2 = c0 d0 c1 d1, t3 = c2 d2 c3 d3
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x) (local.get $d)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x) (local.get $d)))
            (v128.store (local.get $pd)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (local.set $pd (i32.add (local.get $pd) (local.get $colBytes)))
            (v128.store (local.get $pd)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (local.set $pd (i32.add (local.get $pd) (local.get $colBytes)))
            (v128.store (local.get $pd)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (local.set $pd (i32.add (local.get $pd) (local.get $colBytes)))
            (v128.store (local.get $pd)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $r (i32.add (local.get $r) (i32.const 4)))
            (br_if $quads (i32.lt_u (local.get $r) (local.get $rEnd))))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br_if $columns (i32.lt_u (local.get $c) (local.get $cols))))
        (local.set $r0 (local.get $rEnd))
        (br_if $blocks (i32.lt_u (local.get $r0) (local.get $rows))))
      (local.set $src (i32.add (local.get $src) (i32.mul (local.get $rows) (local.get $rowBytes))))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $rows) (local.get $rowBytes))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $matrices (i32.lt_u (local.get $i) (local.get $batch))))))
