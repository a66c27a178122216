;; The normal draws of runtime/weights.ts in WebAssembly, four at a time where it can: the same mulberry32
;; stream and the same ziggurat, value for value. Only a draw in the base strip's tail (about 1 in 1,700)
;; goes back to weights.ts. Assembled into ziggurat-wasm.ts by scripts/build-wasm.mjs; the initialisation
;; test checks the two agree, and that the values are those weights.ts draws itself.
;;
;; Tables, at `tab`: 128 u32 thresholds (the strip's k rounded up: |hz| < k ⇔ |hz| < ⌈k⌉ for an integer);
;; at +512 the 128 strip widths scaled by σ (f64); at +1536 the widths themselves; at +2560 the strips' f;
;; at +3584 the centre c of each strip's −x²/2, and at +4608 e^c.
(module
  (memory (import "env" "memory") 1)
  ;; The stream's state: after the last value written, or after the draw `hz` left to weights.ts.
  (global $state (export "state") (mut i32) (i32.const 0))
  (global $hz (export "hz") (mut i32) (i32.const 0))

  ;; mulberry32's output for the state `a` (already advanced), as a signed integer.
  (func $mix (param $a i32) (result i32)
    (local $t i32)
    (local.set $t (i32.mul (i32.xor (local.get $a) (i32.shr_u (local.get $a) (i32.const 15)))
                           (i32.or (local.get $a) (i32.const 1))))
    (local.set $t (i32.xor (local.get $t)
      (i32.add (local.get $t)
               (i32.mul (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 7)))
                        (i32.or (local.get $t) (i32.const 61))))))
    (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 14))))

  ;; |hz| below its strip's threshold: inside its rectangle (unsigned: |−2³¹| is 2³¹).
  (func $inside (param $hz i32) (param $tab i32) (result i32)
    (i32.lt_u
      (select (i32.sub (i32.const 0) (local.get $hz)) (local.get $hz) (i32.lt_s (local.get $hz) (i32.const 0)))
      (i32.load (i32.add (local.get $tab) (i32.shl (i32.and (local.get $hz) (i32.const 127)) (i32.const 2))))))

  ;; e^x for -6 < x ≤ 0, as fdlibm's __ieee754_exp computes it (V8's Math.exp), to the last bit: the
  ;; argument reduction by ln 2 and the same polynomial, in the same order.
  (func $exp (param $x f64) (result f64)
    (local $hx i32) (local $k i32) (local $hi f64) (local $lo f64) (local $t f64) (local $c f64) (local $y f64)
    (local.set $hx (i32.and (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32)))
                            (i32.const 0x7fffffff)))
    (if (i32.gt_u (local.get $hx) (i32.const 0x3fd62e42))
      (then
        (if (i32.lt_u (local.get $hx) (i32.const 0x3ff0a2b2))
          (then
            (local.set $hi (f64.add (local.get $x) (f64.const 6.93147180369123816490e-01)))
            (local.set $lo (f64.const -1.90821492927058770002e-10))
            (local.set $k (i32.const -1)))
          (else
            (local.set $k (i32.trunc_f64_s (f64.add (f64.mul (f64.const 1.44269504088896338700e+00) (local.get $x))
                                                    (f64.const -0.5))))
            (local.set $t (f64.convert_i32_s (local.get $k)))
            (local.set $hi (f64.sub (local.get $x) (f64.mul (local.get $t) (f64.const 6.93147180369123816490e-01))))
            (local.set $lo (f64.mul (local.get $t) (f64.const 1.90821492927058770002e-10)))))
        (local.set $x (f64.sub (local.get $hi) (local.get $lo))))
      (else
        (if (i32.lt_u (local.get $hx) (i32.const 0x3e300000))
          (then (return (f64.add (f64.const 1) (local.get $x)))))))
    (local.set $t (f64.mul (local.get $x) (local.get $x)))
    (local.set $c (f64.sub (local.get $x)
      (f64.mul (local.get $t)
        (f64.add (f64.const 1.66666666666666019037e-01) (f64.mul (local.get $t)
        (f64.add (f64.const -2.77777777770155933842e-03) (f64.mul (local.get $t)
        (f64.add (f64.const 6.61375632143793436117e-05) (f64.mul (local.get $t)
        (f64.add (f64.const -1.65339022054652515390e-06) (f64.mul (local.get $t) (f64.const 4.13813679705723846039e-08))))))))))))
    (if (i32.eqz (local.get $k))
      (then (return (f64.sub (f64.const 1)
        (f64.sub (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (local.get $c) (f64.const 2))) (local.get $x))))))
    (local.set $y (f64.sub (f64.const 1)
      (f64.sub (f64.sub (local.get $lo) (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (f64.const 2) (local.get $c))))
               (local.get $hi))))
    (f64.mul (local.get $y)
      (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (i32.add (i32.const 0x3ff00000) (i32.shl (local.get $k) (i32.const 20))))
                                    (i64.const 32)))))

;; Writes up to `n` float32 values at byte `p` (any alignment) from the state `a`, σ being `std`; returns
  ;; how many. Fewer than `n`: the next value is the base strip's tail, whose draw is left in $hz and the
  ;; state after it in $state. Four values at a time while all four fall inside their rectangles; a value
  ;; that does not, and the last few, take the one path that goes a value at a time, the tail written in it.
  (func (export "fill") (param $p i32) (param $n i32) (param $a i32) (param $tab i32) (param $std f64) (result i32)
    (local $i i32) (local $av v128) (local $t v128) (local $hz v128) (local $iz v128) (local $lo v128) (local $hi v128)
    (local $i0 i32) (local $i1 i32) (local $i2 i32) (local $i3 i32) (local $inside i32) (local $m i32)
    (local $s i32) (local $h i32) (local $k i32) (local $x f64) (local $f f64) (local $l f64) (local $y f64) (local $d f64) (local $e f64)
    (local $margin f64)
    (block $done
      (loop $value
        (if (i32.ge_s (i32.sub (local.get $n) (local.get $i)) (i32.const 4))
          (then
            ;; The next four states: a + 1·step … a + 4·step (step 0x6d2b79f5).
            (local.set $av (i32x4.add (i32x4.splat (local.get $a))
                                      (v128.const i32x4 0x6d2b79f5 0xda56f3ea 0x47826ddf 0xb4ade7d4)))
            (local.set $t (i32x4.mul (v128.xor (local.get $av) (i32x4.shr_u (local.get $av) (i32.const 15)))
                                     (v128.or (local.get $av) (i32x4.splat (i32.const 1)))))
            (local.set $t (v128.xor (local.get $t)
              (i32x4.add (local.get $t)
                         (i32x4.mul (v128.xor (local.get $t) (i32x4.shr_u (local.get $t) (i32.const 7)))
                                    (v128.or (local.get $t) (i32x4.splat (i32.const 61)))))))
            (local.set $hz (v128.xor (local.get $t) (i32x4.shr_u (local.get $t) (i32.const 14))))
            (local.set $iz (v128.and (local.get $hz) (i32x4.splat (i32.const 127))))
            (local.set $i0 (i32x4.extract_lane 0 (local.get $iz)))
            (local.set $i1 (i32x4.extract_lane 1 (local.get $iz)))
            (local.set $i2 (i32x4.extract_lane 2 (local.get $iz)))
            (local.set $i3 (i32x4.extract_lane 3 (local.get $iz)))
            ;; Which of the four are inside their rectangles (unsigned: |−2³¹| is 2³¹), one bit each.
            (local.set $inside (i32x4.bitmask (i32x4.lt_u (i32x4.abs (local.get $hz))
              (v128.load32_lane 3 (i32.add (local.get $tab) (i32.shl (local.get $i3) (i32.const 2)))
                (v128.load32_lane 2 (i32.add (local.get $tab) (i32.shl (local.get $i2) (i32.const 2)))
                  (v128.load32_lane 1 (i32.add (local.get $tab) (i32.shl (local.get $i1) (i32.const 2)))
                    (v128.load32_zero (i32.add (local.get $tab) (i32.shl (local.get $i0) (i32.const 2))))))))))
            ;; hz · (σ·w[iz]) in float64, rounded to float32 once: weights.ts's `out[i] = hz * w[iz]`.
            (local.set $lo (f32x4.demote_f64x2_zero (f64x2.mul
              (v128.load64_lane offset=512 1 (i32.add (local.get $tab) (i32.shl (local.get $i1) (i32.const 3)))
                (v128.load64_zero offset=512 (i32.add (local.get $tab) (i32.shl (local.get $i0) (i32.const 3)))))
              (f64x2.convert_low_i32x4_s (local.get $hz)))))
            (local.set $hi (f32x4.demote_f64x2_zero (f64x2.mul
              (v128.load64_lane offset=512 1 (i32.add (local.get $tab) (i32.shl (local.get $i3) (i32.const 3)))
                (v128.load64_zero offset=512 (i32.add (local.get $tab) (i32.shl (local.get $i2) (i32.const 3)))))
              (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $hz) (local.get $hz))))))
            (v128.store align=1 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo) (local.get $hi)))
            (if (i32.eq (local.get $inside) (i32.const 15))
              (then
                (local.set $a (i32.add (local.get $a) (i32.const 0xb4ade7d4)))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $value)))
            ;; The lanes before the first outside its rectangle are written; that one goes on below.
            (local.set $m (i32.ctz (i32.xor (local.get $inside) (i32.const 15))))
            (local.set $i (i32.add (local.get $i) (local.get $m)))
            (local.set $a (i32.add (local.get $a) (i32.mul (local.get $m) (i32.const 0x6d2b79f5))))))
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        ;; One value: weights.ts's draw, its `tail` written out.
        (local.set $s (i32.add (local.get $a) (i32.const 0x6d2b79f5)))
        (local.set $h (call $mix (local.get $s)))
        (local.set $k (i32.and (local.get $h) (i32.const 127)))
        (if (call $inside (local.get $h) (local.get $tab))
          (then
            (f32.store align=1 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))
              (f32.demote_f64 (f64.mul (f64.convert_i32_s (local.get $h))
                (f64.load offset=512 (i32.add (local.get $tab) (i32.shl (local.get $k) (i32.const 3))))))))
          (else
            ;; Outside its rectangle: x before σ, then σ · x rounded once (`out[i] = std * this.tail(hz, iz)`).
            (local.set $x (block $tail (result f64)
              (loop $retry
                (if (i32.eqz (local.get $k))
                  (then
                    ;; The base strip: weights.ts draws its tail.
                    (global.set $hz (local.get $h))
                    (global.set $state (local.get $s))
                    (return (local.get $i))))
                (local.set $x (f64.mul (f64.convert_i32_s (local.get $h))
                                       (f64.load offset=1536 (i32.add (local.get $tab) (i32.shl (local.get $k) (i32.const 3))))))
                (local.set $f (f64.load offset=2560 (i32.add (local.get $tab) (i32.shl (local.get $k) (i32.const 3)))))
                ;; f[iz] + u·(f[iz−1] − f[iz]) < e^(−x²/2), u = 0.5 + n·2⁻³² for the next draw n.
                (local.set $s (i32.add (local.get $s) (i32.const 0x6d2b79f5)))
                (local.set $l (f64.add (local.get $f)
                  (f64.mul (f64.add (f64.const 0.5) (f64.mul (f64.convert_i32_s (call $mix (local.get $s))) (f64.const 2.3283064365386963e-10)))
                           (f64.sub (f64.load offset=2552 (i32.add (local.get $tab) (i32.shl (local.get $k) (i32.const 3))))
                                    (local.get $f)))))
                (local.set $y (f64.mul (f64.mul (f64.const -0.5) (local.get $x)) (local.get $x)))
                (block $rejected
                  ;; Most comparisons are decided without e^y: near the strip's centre c, e^y = e^c·e^d (d = y − c)
                  ;; is e^c·(1 + d + d²/2 + d³/6) within e^c·d⁴·e^|d|/24, under 0.07·d⁴ of it for |d| ≤ 1/4. A margin
                  ;; of 0.2·d⁴ + 10⁻¹³ also covers rounding and exp's last bit; only inside it is e^y computed.
                  (local.set $d (f64.sub (local.get $y) (f64.load offset=3584 (i32.add (local.get $tab) (i32.shl (local.get $k) (i32.const 3))))))
                  (if (f64.le (f64.abs (local.get $d)) (f64.const 0.25))
                    (then
                      (local.set $e (f64.mul (f64.load offset=4608 (i32.add (local.get $tab) (i32.shl (local.get $k) (i32.const 3))))
                        (f64.add (f64.const 1) (f64.mul (local.get $d)
                          (f64.add (f64.const 1) (f64.mul (local.get $d)
                            (f64.add (f64.const 0.5) (f64.mul (local.get $d) (f64.const 0.16666666666666666)))))))))
                      (local.set $d (f64.mul (local.get $d) (local.get $d)))
                      (local.set $margin (f64.mul (local.get $e)
                        (f64.add (f64.mul (f64.mul (local.get $d) (local.get $d)) (f64.const 0.2)) (f64.const 1e-13))))
                      (drop (br_if $tail (local.get $x) (f64.lt (local.get $l) (f64.sub (local.get $e) (local.get $margin)))))
                      (br_if $rejected (f64.ge (local.get $l) (f64.add (local.get $e) (local.get $margin))))))
                  (drop (br_if $tail (local.get $x) (f64.lt (local.get $l) (call $exp (local.get $y))))))
                ;; Rejected: a fresh draw, which may fall inside its rectangle.
                (local.set $s (i32.add (local.get $s) (i32.const 0x6d2b79f5)))
                (local.set $h (call $mix (local.get $s)))
                (local.set $k (i32.and (local.get $h) (i32.const 127)))
                (br_if $tail (f64.mul (f64.convert_i32_s (local.get $h))
                                      (f64.load offset=1536 (i32.add (local.get $tab) (i32.shl (local.get $k) (i32.const 3)))))
                  (call $inside (local.get $h) (local.get $tab)))
                (br $retry))
              (unreachable)))
            (f32.store align=1 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))
              (f32.demote_f64 (f64.mul (local.get $std) (local.get $x))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $a (local.get $s))
        (br $value)))
    (global.set $state (local.get $a))
    (local.get $i))
)
