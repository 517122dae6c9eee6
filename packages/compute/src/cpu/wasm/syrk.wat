;; SYRK panel kernel (f64x2 SIMD): upper part of C += P Pᵀ for one packed panel of P.
;;
;; Layout (byte offsets into the imported memory, all 16-byte aligned):
;;   panel at $pp: n rows of P, row a's `len` panel entries at $pp + a·KC·8 (KC = 64, the
;;     exported global "kc"), the row stride a compile-time constant so that every load below
;;     is a single addressing mode with a static offset;
;;   C at $c: n × n row-major, row stride n.
;; Only the rows p < $rows of C are computed (all of them for $rows = n; fewer when a thread
;; computes a band of rows, see ../threads.ts; each entry's value does not depend on $rows).
;; Preconditions (the JS wrapper in syrk.ts pads to meet them): n and rows are multiples of 4,
;; rows ≤ n, len is even and 2 ≤ len ≤ KC, and padded rows / the padded column are zero.
;;
;; Blocks of 4 rows (p..p+3) × 2 columns (q, q+1), q ≥ p from the block diagonal on, are row dot
;; products: 8 f64x2 accumulators hold the even and odd partial sums of the 8 dot products, so
;; one step of the inner loop reads 2 entries of each of the 6 rows and does 8 f64x2.mul and
;; 8 f64x2.add. 8 accumulators + 2 column vectors + 1 row vector + 1 product fit in the 16 xmm
;; registers; wider blocks (4 × 4, 3 × 3) spill and are measurably slower. The kernel is bound by
;; the floating-point ports (no fused multiply-add in baseline SIMD), not by memory: the 4 rows
;; p.. stay in L1 while the panel (n · KC · 8 bytes) stays in L2.
;; Each dot product is (Σ even products) + (Σ odd products) per panel, added to C: a fixed
;; summation order, so results are bit-for-bit reproducible. Blocks on the diagonal also write a
;; few entries below it (C[p+1][p], ...): those are scratch, never read back by the wrapper.
(module
  (import "env" "memory" (memory 1))
  (global (export "kc") i32 (i32.const 64))

  (func (export "panel") (param $pp i32) (param $c i32) (param $n i32) (param $len i32) (param $rows i32)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local $x v128) (local $y0 v128) (local $y1 v128)
    (local $p i32) (local $q i32) (local $pa i32) (local $pb i32) (local $end i32)
    (local $cr i32) (local $nb i32)
    (local.set $nb (i32.shl (local.get $n) (i32.const 3)))
    (local.set $p (i32.const 0))
    (block $pdone
      (loop $ploop
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $rows)))
        (local.set $q (local.get $p))
        (block $qdone
          (loop $qloop
            (br_if $qdone (i32.ge_u (local.get $q) (local.get $n)))
            (local.set $s00 (v128.const i64x2 0 0))
            (local.set $s01 (v128.const i64x2 0 0))
            (local.set $s10 (v128.const i64x2 0 0))
            (local.set $s11 (v128.const i64x2 0 0))
            (local.set $s20 (v128.const i64x2 0 0))
            (local.set $s21 (v128.const i64x2 0 0))
            (local.set $s30 (v128.const i64x2 0 0))
            (local.set $s31 (v128.const i64x2 0 0))
            ;; $pa: rows p.. (stride 512 bytes), $pb: rows q.., both stepping 2 entries
            (local.set $pa (i32.add (local.get $pp) (i32.shl (local.get $p) (i32.const 9))))
            (local.set $pb (i32.add (local.get $pp) (i32.shl (local.get $q) (i32.const 9))))
            (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $len) (i32.const 3))))
            (loop $kloop
              (local.set $y0 (v128.load offset=0 (local.get $pb)))
              (local.set $y1 (v128.load offset=512 (local.get $pb)))
              (local.set $x (v128.load offset=0 (local.get $pa)))
              (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $x) (local.get $y0))))
              (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $x) (local.get $y1))))
              (local.set $x (v128.load offset=512 (local.get $pa)))
              (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $x) (local.get $y0))))
              (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $x) (local.get $y1))))
              (local.set $x (v128.load offset=1024 (local.get $pa)))
              (local.set $s20 (f64x2.add (local.get $s20) (f64x2.mul (local.get $x) (local.get $y0))))
              (local.set $s21 (f64x2.add (local.get $s21) (f64x2.mul (local.get $x) (local.get $y1))))
              (local.set $x (v128.load offset=1536 (local.get $pa)))
              (local.set $s30 (f64x2.add (local.get $s30) (f64x2.mul (local.get $x) (local.get $y0))))
              (local.set $s31 (f64x2.add (local.get $s31) (f64x2.mul (local.get $x) (local.get $y1))))
              (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
              (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
              (br_if $kloop (i32.lt_u (local.get $pa) (local.get $end))))
            ;; C[p+r][q+s] += lane 0 + lane 1 of s_rs
            (local.set $cr
              (i32.add (local.get $c)
                (i32.add (i32.mul (local.get $p) (local.get $nb)) (i32.shl (local.get $q) (i32.const 3)))))
            (f64.store offset=0 (local.get $cr)
              (f64.add (f64.load offset=0 (local.get $cr))
                (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00)))))
            (f64.store offset=8 (local.get $cr)
              (f64.add (f64.load offset=8 (local.get $cr))
                (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01)))))
            (local.set $cr (i32.add (local.get $cr) (local.get $nb)))
            (f64.store offset=0 (local.get $cr)
              (f64.add (f64.load offset=0 (local.get $cr))
                (f64.add (f64x2.extract_lane 0 (local.get $s10)) (f64x2.extract_lane 1 (local.get $s10)))))
            (f64.store offset=8 (local.get $cr)
              (f64.add (f64.load offset=8 (local.get $cr))
                (f64.add (f64x2.extract_lane 0 (local.get $s11)) (f64x2.extract_lane 1 (local.get $s11)))))
            (local.set $cr (i32.add (local.get $cr) (local.get $nb)))
            (f64.store offset=0 (local.get $cr)
              (f64.add (f64.load offset=0 (local.get $cr))
                (f64.add (f64x2.extract_lane 0 (local.get $s20)) (f64x2.extract_lane 1 (local.get $s20)))))
            (f64.store offset=8 (local.get $cr)
              (f64.add (f64.load offset=8 (local.get $cr))
                (f64.add (f64x2.extract_lane 0 (local.get $s21)) (f64x2.extract_lane 1 (local.get $s21)))))
            (local.set $cr (i32.add (local.get $cr) (local.get $nb)))
            (f64.store offset=0 (local.get $cr)
              (f64.add (f64.load offset=0 (local.get $cr))
                (f64.add (f64x2.extract_lane 0 (local.get $s30)) (f64x2.extract_lane 1 (local.get $s30)))))
            (f64.store offset=8 (local.get $cr)
              (f64.add (f64.load offset=8 (local.get $cr))
                (f64.add (f64x2.extract_lane 0 (local.get $s31)) (f64x2.extract_lane 1 (local.get $s31)))))
            (local.set $q (i32.add (local.get $q) (i32.const 2)))
            (br $qloop)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $ploop)))))
