;; Copies `rows` rows of `width` floats from src (a row every srcStride bytes) to dst (every dstStride bytes),
;; zero-filling each dst row from `width` to `padded` floats: the padding and unpadding around `gemm_tn.wat`
;; for widths off its 4 × 8 tile (attention's 50 × 16 products), one call where a loop of typed-array copies
;; paid ~0.1 µs a row. A pure copy: exact.
;;
;; Pointers and strides are bytes in the memory that tfjs-wasm's module exports.
(module
  (import "env" "memory" (memory 1))
  (func (export "copy_rows")
    (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32)
    (param $rows i32) (param $width i32) (param $padded i32)
    (local $r i32) (local $bytes i32) (local $fill i32)
    (local.set $bytes (i32.shl (local.get $width) (i32.const 2)))
    (local.set $fill (i32.shl (i32.sub (local.get $padded) (local.get $width)) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (memory.copy (local.get $dst) (local.get $src) (local.get $bytes))
        (if (local.get $fill)
          (then (memory.fill (i32.add (local.get $dst) (local.get $bytes)) (i32.const 0) (local.get $fill))))
        (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $each)))))
