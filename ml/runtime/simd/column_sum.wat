;; dst[c] = Σ_r src[r, c] for a row-major float32 [rows, cols]: the bias gradients of dense layers, summed over
;; batch × time (up to 12,800 rows). The sums run in float64, row by row, and round to float32 once: the same
;; numbers, bit for bit, as the plain loop it replaces, at a third of its time (bench/RESULTS.md § Session 11).
;;
;; Requires cols % 4 = 0 (the caller checks) and `acc` room for cols float64 values (scratch, zeroed here).
;; Pointers are byte offsets into the memory that tfjs-wasm's module exports.
(module
  (import "env" "memory" (memory 1))
  (func (export "column_sum")
    (param $src i32) (param $rows i32) (param $cols i32) (param $acc i32) (param $dst i32)
    (local $p i32) (local $end i32) (local $a i32) (local $v v128)
    ;; acc = 0
    (local.set $a (local.get $acc))
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $cols) (i32.const 3))))
    (loop $zero
      (v128.store (local.get $a) (v128.const i32x4 0 0 0 0))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (br_if $zero (i32.lt_u (local.get $a) (local.get $end))))
    ;; acc += each row, four floats at a time as two float64 pairs
    (local.set $p (local.get $src))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2))))
    (block $done
      (loop $rowsLoop
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (local.get $acc))
        (loop $colsLoop
          (local.set $v (v128.load (local.get $p)))
          (v128.store (local.get $a)
            (f64x2.add (v128.load (local.get $a)) (f64x2.promote_low_f32x4 (local.get $v))))
          (v128.store offset=16 (local.get $a)
            (f64x2.add (v128.load offset=16 (local.get $a))
              (f64x2.promote_low_f32x4
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $a (i32.add (local.get $a) (i32.const 32)))
          (br_if $colsLoop (i32.lt_u (local.get $a) (i32.add (local.get $acc) (i32.shl (local.get $cols) (i32.const 3))))))
        (br $rowsLoop)))
    ;; dst = float32(acc), rounded once
    (local.set $a (local.get $acc))
    (local.set $p (local.get $dst))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $cols) (i32.const 2))))
    (loop $out
      (v128.store (local.get $p)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (v128.load (local.get $a)))
          (f32x4.demote_f64x2_zero (v128.load offset=16 (local.get $a)))))
      (local.set $a (i32.add (local.get $a) (i32.const 32)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $out (i32.lt_u (local.get $p) (local.get $end))))))
