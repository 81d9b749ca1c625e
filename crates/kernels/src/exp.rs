//! Version 2's vectorized single-precision exponential, [`exp_in_place`], with the same bits on
//! every instruction-set path (AVX-512, AVX2, portable). Version 1 keeps glibc's scalar `expf`
//! (Rust's `f32::exp`); nothing here is used under it.
//!
//! # How, and why the paths agree
//!
//! Cody–Waite range reduction and a polynomial: n = round(x·log₂e) (the 1.5·2²³ trick, so the
//! rounding is the fused multiply-add's own), r = x − n·ln2 in two fused steps (ln2 split into
//! a high and a low part), eʳ = 1 + r + r²·P(r) with Cephes's degree-5 P for `expf` (Horner in
//! fused multiply-adds), and the result eʳ·2^⌊n/2⌋·2^(n−⌊n/2⌋): two exact powers of two, so
//! results that underflow to subnormals are rounded once, in the last product. Every step is a
//! correctly rounded IEEE operation (fma, add, mul, conversions of integers), computed in the
//! same order on every path, so the bits do not depend on the path (tests/it/kernels_exp.rs checks
//! that on a dense sweep).
//!
//! # Accuracy (stated, and tested over a dense sweep of the whole range)
//!
//! At most [`MAX_ULPS`] units in the last place from the correctly rounded eˣ where eˣ is a
//! normal float (x ∈ [−87.3, 88.7]); below, the absolute error is at most 2⁻¹⁴⁹ (one subnormal
//! step), and results under half the smallest subnormal are +0. Above ln(f32::MAX) the result
//! is +∞, −∞ gives +0, and NaN stays NaN.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use crate::path::{self, Path};

/// The largest error, in units in the last place, against the correctly rounded eˣ for normal
/// results (measured 1 over the test's sweep; stated with a margin of one).
pub const MAX_ULPS: u32 = 2;

/// log₂e.
pub(crate) const LOG2E: f32 = std::f32::consts::LOG2_E;
/// 1.5·2²³: added to a float of magnitude < 2²², it leaves the nearest integer (ties to even)
/// in the low mantissa bits; subtracted again, that integer as a float.
pub(crate) const ROUNDER: f32 = 12_582_912.0;
/// ln2's high part (its 12 leading bits, so n·LN2_HI is exact for |n| < 2¹²) and the rest.
pub(crate) const LN2_HI: f32 = 0.693_359_4;
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;
/// Inputs are clamped to this range first: e^−104 is under half the smallest subnormal (so
/// +0), e^89 is above f32::MAX (so +∞), and n stays within the two scale factors' range.
pub(crate) const X_MIN: f32 = -104.0;
pub(crate) const X_MAX: f32 = 89.0;
/// Cephes's `expf` polynomial: eʳ ≈ 1 + r + r²·(P0·r⁵ + … + P5), |r| ≤ ln2/2.
pub(crate) const P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    0.166_666_65,
    0.5,
];

/// Replaces every value x of `xs` with eˣ (see the module header for the accuracy), on the
/// calling thread's instruction-set path; the same bits on every path.
pub fn exp_in_place(xs: &mut [f32]) {
    let path = path::current();
    let done = match path {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the path is only ever one this CPU has (path::current).
        Path::Avx512 => unsafe { avx512(xs) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Path::Avx2 => unsafe { avx2(xs) },
        _ => 0,
    };
    for x in &mut xs[done..] {
        *x = exp(*x);
    }
}

/// eˣ for one value, portably: the same operations as the vector paths, one lane.
pub fn exp(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let x = x.clamp(X_MIN, X_MAX);
    let n = x.mul_add(LOG2E, ROUNDER) - ROUNDER;
    let r = n.mul_add(-LN2_HI, x);
    let r = n.mul_add(-LN2_LO, r);
    let mut p = P[0];
    for &c in &P[1..] {
        p = p.mul_add(r, c);
    }
    let er = p.mul_add(r * r, r) + 1.0;
    let n = n as i32;
    let half = n >> 1;
    er * power_of_two(half) * power_of_two(n - half)
}

/// 2^e as a float, for e in [−126, 127].
fn power_of_two(e: i32) -> f32 {
    f32::from_bits(((e + 127) as u32) << 23)
}

/// The AVX-512 lanes of [`exp_in_place`]: whole vectors of 16; returns how many it did.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512(xs: &mut [f32]) -> usize {
    let vectors = xs.len() / 16;
    let ptr = xs.as_mut_ptr();
    for v in 0..vectors {
        let at = ptr.add(v * 16);
        let x0 = _mm512_loadu_ps(at);
        // max/min return their second operand for NaN: NaN lanes are put back at the end.
        let x = _mm512_min_ps(
            _mm512_max_ps(x0, _mm512_set1_ps(X_MIN)),
            _mm512_set1_ps(X_MAX),
        );
        let rounder = _mm512_set1_ps(ROUNDER);
        let n = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(LOG2E), rounder), rounder);
        let r = _mm512_fmadd_ps(n, _mm512_set1_ps(-LN2_HI), x);
        let r = _mm512_fmadd_ps(n, _mm512_set1_ps(-LN2_LO), r);
        let mut p = _mm512_set1_ps(P[0]);
        for &c in &P[1..] {
            p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
        }
        let er = _mm512_add_ps(
            _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r),
            _mm512_set1_ps(1.0),
        );
        let n = _mm512_cvtps_epi32(n);
        let half = _mm512_srai_epi32::<1>(n);
        let bias = _mm512_set1_epi32(127);
        let s1 = _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(half, bias)));
        let s2 = _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(
            _mm512_sub_epi32(n, half),
            bias,
        )));
        let y = _mm512_mul_ps(_mm512_mul_ps(er, s1), s2);
        let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(x0, x0);
        _mm512_storeu_ps(at, _mm512_mask_blend_ps(nan, y, x0));
    }
    vectors * 16
}

/// The AVX2 lanes of [`exp_in_place`]: whole vectors of 8; returns how many it did.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(xs: &mut [f32]) -> usize {
    let vectors = xs.len() / 8;
    let ptr = xs.as_mut_ptr();
    for v in 0..vectors {
        let at = ptr.add(v * 8);
        let x0 = _mm256_loadu_ps(at);
        let x = _mm256_min_ps(
            _mm256_max_ps(x0, _mm256_set1_ps(X_MIN)),
            _mm256_set1_ps(X_MAX),
        );
        let rounder = _mm256_set1_ps(ROUNDER);
        let n = _mm256_sub_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(LOG2E), rounder), rounder);
        let r = _mm256_fmadd_ps(n, _mm256_set1_ps(-LN2_HI), x);
        let r = _mm256_fmadd_ps(n, _mm256_set1_ps(-LN2_LO), r);
        let mut p = _mm256_set1_ps(P[0]);
        for &c in &P[1..] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
        }
        let er = _mm256_add_ps(
            _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r),
            _mm256_set1_ps(1.0),
        );
        let n = _mm256_cvtps_epi32(n);
        let half = _mm256_srai_epi32::<1>(n);
        let bias = _mm256_set1_epi32(127);
        let s1 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(half, bias)));
        let s2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
            _mm256_sub_epi32(n, half),
            bias,
        )));
        let y = _mm256_mul_ps(_mm256_mul_ps(er, s1), s2);
        let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(x0, x0);
        _mm256_storeu_ps(at, _mm256_blendv_ps(y, x0, nan));
    }
    vectors * 8
}
