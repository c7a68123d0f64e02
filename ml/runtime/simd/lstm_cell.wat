;; One LSTM timestep, forward and backward, for `ml/layers/lstm_recurrence.ts`: everything a step does besides
;; its recurrent product, in one call where the tfjs path makes about fifteen kernel calls (slices, sigmoids,
;; adds, multiplies, a concat), each a few microseconds of fixed cost on vectors of a few thousand floats.
;;
;; Layout as in lstm_recurrence.ts: per direction, gate-major blocks [4H, B] (gates i, f, g, o; B contiguous),
;; the candidate's pre-activation already doubled (`candidateScale`) so that g = 2·σ(z_g) − 1 = tanh, and the
;; cell kept as ĉ = 2c so that tanh(c) = 2·σ(ĉ) − 1: one sigmoid serves every nonlinearity.
;;
;; The sigmoid is 1 / (1 + e^−z), with e^x from Cephes' expf: x = n·ln2 + r with |r| ≤ ln2/2, a degree-7
;; polynomial for e^r and 2^n built in the exponent bits; −z is clamped to [−87.3, 88.3], where e^x is a normal
;; float. Its error is a few float ulps: not bit for bit tfjs's sigmoid, which the tests allow for.
;;
;; Pointers are byte offsets into tfjs-wasm's exported memory; 0 means "absent" where a parameter is optional
;; (tfjs never places a tensor at offset 0). Requires H·B % 4 = 0 (the caller checks).
(module
  (import "env" "memory" (memory 1))

  (func $sigmoid (param $z v128) (result v128)
    (local $x v128) (local $t v128) (local $n v128) (local $r v128) (local $r2 v128) (local $p v128)
    (local.set $x (f32x4.min
      (f32x4.max (f32x4.neg (local.get $z)) (f32x4.splat (f32.const -87.3)))
      (f32x4.splat (f32.const 88.3))))
    ;; n = round(x·log2 e) by the 1.5·2²³ trick: t's low mantissa bits then hold n as an integer, for 2ⁿ below
    ;; (cheaper than f32x4.nearest and i32x4.trunc_sat; the same rounding, to nearest even)
    (local.set $t (f32x4.add (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))
      (f32x4.splat (f32.const 12582912))))
    (local.set $n (f32x4.sub (local.get $t) (f32x4.splat (f32.const 12582912))))
    ;; r = x − n·ln2, ln2 split in two so that n·C1 is exact (written as n·(−C1) + x for the FMA twin)
    (local.set $r (f32x4.add (f32x4.mul (local.get $n) (f32x4.splat (f32.const -0.693359375))) (local.get $x)))
    (local.set $r (f32x4.add (f32x4.mul (local.get $n) (f32x4.splat (f32.const 2.12194440e-4))) (local.get $r)))
    (local.set $r2 (f32x4.mul (local.get $r) (local.get $r)))
    (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    ;; e^r = p·r² + r + 1
    (local.set $p (f32x4.add
      (f32x4.add (f32x4.mul (local.get $p) (local.get $r2)) (local.get $r))
      (f32x4.splat (f32.const 1))))
    ;; × 2ⁿ: n + 127 in the exponent field (t's bits are 0x4B400000 + n)
    (local.set $p (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (local.get $t) (i32x4.splat (i32.const -1262485377))) (i32.const 23))))
    (f32x4.div (f32x4.splat (f32.const 1)) (f32x4.add (f32x4.splat (f32.const 1)) (local.get $p))))

;; Forward step. Per direction d: x_d the step's input block x·W + b [4H, B] (direction 1's at its own
  ;; timestep), rec the recurrent product Uᵀ·h [D, 4H, B] (0 on the first step), c2prev the previous ĉ [D, H, B]
  ;; (0 on the first step). Writes σ of every gate to sig [D, 4H, B], then ĉ, tanh(c) and h to c2, th and hs
  ;; [D, H, B], h again to h [D, H, B] (the next step's operand) and to out_d [H, B] (the output in time order).
  (func (export "forward")
    (param $x0 i32) (param $x1 i32) (param $rec i32) (param $c2prev i32)
    (param $sig i32) (param $c2 i32) (param $th i32) (param $hs i32) (param $h i32)
    (param $out0 i32) (param $out1 i32) (param $dirs i32) (param $units i32) (param $batch i32)
    (local $block i32) (local $d i32) (local $x i32) (local $out i32) (local $gates i32) (local $cells i32)
    (local $e i32) (local $g i32) (local $k i32) (local $z v128) (local $c v128) (local $t v128)
    (local.set $block (i32.shl (i32.mul (local.get $units) (local.get $batch)) (i32.const 2))) ;; H·B floats, in bytes
    (local.set $d (i32.const 0))
    (loop $directions
      (local.set $x (select (local.get $x1) (local.get $x0) (local.get $d)))
      (local.set $out (select (local.get $out1) (local.get $out0) (local.get $d)))
      (local.set $gates (i32.mul (local.get $d) (i32.shl (local.get $block) (i32.const 2))))
      (local.set $cells (i32.mul (local.get $d) (local.get $block)))
      ;; σ of all four gates' pre-activations
      (local.set $e (i32.const 0))
      (loop $gateLoop
        (local.set $z (v128.load (i32.add (local.get $x) (local.get $e))))
        (if (local.get $rec) (then
          (local.set $z (f32x4.add (local.get $z)
            (v128.load (i32.add (local.get $rec) (i32.add (local.get $gates) (local.get $e))))))))
        (v128.store (i32.add (local.get $sig) (i32.add (local.get $gates) (local.get $e)))
          (call $sigmoid (local.get $z)))
        (local.set $e (i32.add (local.get $e) (i32.const 16)))
        (br_if $gateLoop (i32.lt_u (local.get $e) (i32.shl (local.get $block) (i32.const 2)))))
      ;; ĉ = f·ĉ_prev + i·(4σ_g − 2); tanh(c) = 2σ(ĉ) − 1; h = o·tanh(c)
      (local.set $e (i32.const 0))
      (loop $cellLoop
        (local.set $g (i32.add (local.get $sig) (i32.add (local.get $gates) (local.get $e)))) ;; gate i, element e
        (local.set $k (i32.add (local.get $cells) (local.get $e)))
        (local.set $c (f32x4.mul
          (v128.load (local.get $g))
          (f32x4.sub
            (f32x4.mul
              (v128.load (i32.add (local.get $g) (i32.shl (local.get $block) (i32.const 1))))
              (f32x4.splat (f32.const 4)))
            (f32x4.splat (f32.const 2)))))
        (if (local.get $c2prev) (then
          (local.set $c (f32x4.add
            (f32x4.mul
              (v128.load (i32.add (local.get $g) (local.get $block)))
              (v128.load (i32.add (local.get $c2prev) (local.get $k))))
            (local.get $c)))))
        (v128.store (i32.add (local.get $c2) (local.get $k)) (local.get $c))
        (local.set $t (f32x4.sub
          (f32x4.mul (call $sigmoid (local.get $c)) (f32x4.splat (f32.const 2)))
          (f32x4.splat (f32.const 1))))
        (v128.store (i32.add (local.get $th) (local.get $k)) (local.get $t))
        (local.set $t (f32x4.mul
          (v128.load (i32.add (local.get $g) (i32.mul (local.get $block) (i32.const 3))))
          (local.get $t)))
        (v128.store (i32.add (local.get $hs) (local.get $k)) (local.get $t))
        (v128.store (i32.add (local.get $h) (local.get $k)) (local.get $t))
        (v128.store (i32.add (local.get $out) (local.get $e)) (local.get $t))
        (local.set $e (i32.add (local.get $e) (i32.const 16)))
        (br_if $cellLoop (i32.lt_u (local.get $e) (local.get $block))))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br_if $directions (i32.lt_u (local.get $d) (local.get $dirs)))))

  ;; Backward step k. Per direction d: dy_d the output's gradient at its timestep [H, B], dhn the gradient
  ;; reaching h from step k+1, U·dz_{k+1} [D, H, B] (0 on the first backward step), sig / th the step's saved σ
  ;; [D, 4H, B] and tanh(c) [D, H, B], c2prev the previous step's ĉ [D, H, B] (0 at k = 0), dcs the gradient
  ;; carried through the cell, dc_{k+1}·f_{k+1} [D, H, B] (read, then overwritten with dc_k·f_k; zeros to
  ;; start). Writes dz, the gradient of the pre-activations, to dz [D, 4H, B] (the next product's operand), to
  ;; dzs [D, 4H, B] (its slot in processing order) and to dx_d [4H, B] (its slot in time order):
  ;;   dh = dy + dhn;  dc = dh·σ_o·(1 − tanh²c) + dcs
  ;;   dz = [dc·g·σ_i', dc·c_prev·σ_f', dc·σ_i·2σ_g', dh·tanh(c)·σ_o'],  σ' = σ(1 − σ), g = 2σ_g − 1
  (func (export "backward")
    (param $dy0 i32) (param $dy1 i32) (param $dhn i32) (param $sig i32) (param $th i32) (param $c2prev i32)
    (param $dcs i32) (param $dz i32) (param $dzs i32) (param $dx0 i32) (param $dx1 i32)
    (param $dirs i32) (param $units i32) (param $batch i32)
    (local $block i32) (local $d i32) (local $dy i32) (local $dx i32) (local $gates i32) (local $cells i32)
    (local $e i32) (local $g i32) (local $k i32) (local $o i32)
    (local $dh v128) (local $dc v128) (local $t v128) (local $si v128) (local $sf v128) (local $sg v128)
    (local $so v128) (local $v v128) (local $one v128)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $block (i32.shl (i32.mul (local.get $units) (local.get $batch)) (i32.const 2)))
    (local.set $d (i32.const 0))
    (loop $directions
      (local.set $dy (select (local.get $dy1) (local.get $dy0) (local.get $d)))
      (local.set $dx (select (local.get $dx1) (local.get $dx0) (local.get $d)))
      (local.set $gates (i32.mul (local.get $d) (i32.shl (local.get $block) (i32.const 2))))
      (local.set $cells (i32.mul (local.get $d) (local.get $block)))
      (local.set $e (i32.const 0))
      (loop $cellLoop
        (local.set $g (i32.add (local.get $gates) (local.get $e))) ;; gate i's element e, from a [D, 4H, B] base
        (local.set $k (i32.add (local.get $cells) (local.get $e)))
        (local.set $si (v128.load (i32.add (local.get $sig) (local.get $g))))
        (local.set $sf (v128.load (i32.add (local.get $sig) (i32.add (local.get $g) (local.get $block)))))
        (local.set $sg (v128.load (i32.add (local.get $sig)
          (i32.add (local.get $g) (i32.shl (local.get $block) (i32.const 1))))))
        (local.set $so (v128.load (i32.add (local.get $sig)
          (i32.add (local.get $g) (i32.mul (local.get $block) (i32.const 3))))))
        (local.set $t (v128.load (i32.add (local.get $th) (local.get $k))))
        (local.set $dh (v128.load (i32.add (local.get $dy) (local.get $e))))
        (if (local.get $dhn) (then
          (local.set $dh (f32x4.add (local.get $dh) (v128.load (i32.add (local.get $dhn) (local.get $k)))))))
        (local.set $dc (f32x4.add
          (f32x4.mul (local.get $dh)
            (f32x4.mul (local.get $so) (f32x4.sub (local.get $one) (f32x4.mul (local.get $t) (local.get $t)))))
          (v128.load (i32.add (local.get $dcs) (local.get $k)))))
        (v128.store (i32.add (local.get $dcs) (local.get $k)) (f32x4.mul (local.get $dc) (local.get $sf)))
        ;; gate i: dc·(2σ_g − 1)·σ_i'
        (local.set $o (local.get $g))
        (local.set $v (f32x4.mul
          (f32x4.mul (local.get $dc)
            (f32x4.sub (f32x4.add (local.get $sg) (local.get $sg)) (local.get $one)))
          (f32x4.mul (local.get $si) (f32x4.sub (local.get $one) (local.get $si)))))
        (v128.store (i32.add (local.get $dz) (local.get $o)) (local.get $v))
        (v128.store (i32.add (local.get $dzs) (local.get $o)) (local.get $v))
        (v128.store (i32.add (local.get $dx) (local.get $e)) (local.get $v))
        ;; gate f: dc·c_prev·σ_f', c_prev = ĉ_prev/2
        (local.set $o (i32.add (local.get $o) (local.get $block)))
        (local.set $v (f32x4.splat (f32.const 0)))
        (if (local.get $c2prev) (then
          (local.set $v (f32x4.mul
            (f32x4.mul (local.get $dc)
              (f32x4.mul (v128.load (i32.add (local.get $c2prev) (local.get $k))) (f32x4.splat (f32.const 0.5))))
            (f32x4.mul (local.get $sf) (f32x4.sub (local.get $one) (local.get $sf)))))))
        (v128.store (i32.add (local.get $dz) (local.get $o)) (local.get $v))
        (v128.store (i32.add (local.get $dzs) (local.get $o)) (local.get $v))
        (v128.store (i32.add (local.get $dx) (i32.add (local.get $e) (local.get $block))) (local.get $v))
        ;; gate g: dc·σ_i·2σ_g'
        (local.set $o (i32.add (local.get $o) (local.get $block)))
        (local.set $v (f32x4.mul
          (f32x4.mul (local.get $dc) (local.get $si))
          (f32x4.mul (f32x4.add (local.get $sg) (local.get $sg)) (f32x4.sub (local.get $one) (local.get $sg)))))
        (v128.store (i32.add (local.get $dz) (local.get $o)) (local.get $v))
        (v128.store (i32.add (local.get $dzs) (local.get $o)) (local.get $v))
        (v128.store (i32.add (local.get $dx) (i32.add (local.get $e) (i32.shl (local.get $block) (i32.const 1))))
          (local.get $v))
        ;; gate o: dh·tanh(c)·σ_o'
        (local.set $o (i32.add (local.get $o) (local.get $block)))
        (local.set $v (f32x4.mul
          (f32x4.mul (local.get $dh) (local.get $t))
          (f32x4.mul (local.get $so) (f32x4.sub (local.get $one) (local.get $so)))))
        (v128.store (i32.add (local.get $dz) (local.get $o)) (local.get $v))
        (v128.store (i32.add (local.get $dzs) (local.get $o)) (local.get $v))
        (v128.store (i32.add (local.get $dx) (i32.add (local.get $e) (i32.mul (local.get $block) (i32.const 3))))
          (local.get $v))
        (local.set $e (i32.add (local.get $e) (i32.const 16)))
        (br_if $cellLoop (i32.lt_u (local.get $e) (local.get $block))))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br_if $directions (i32.lt_u (local.get $d) (local.get $dirs)))))
)
