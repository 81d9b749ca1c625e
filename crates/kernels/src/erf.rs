//! Version 2's vectorized error function, [`erf_in_place`], with the same bits on every
//! instruction-set path (written once over `lanes::Lanes`), for exact GELU (Keras's
//! `gelu(approximate=False)`) and its derivative. Version 1 computes exact GELU in f64 on the
//! host (`libm::erf`); nothing here is used under it.
//!
//! # How
//!
//! On a = min(|x|, 4), then the sign of x put back (so erf is exactly odd, erf(−0) = −0):
//! - a < 0.875: erf a = a + a·P(a²), P of degree 5;
//! - a ≥ 0.875: erf a = 1 − e^(−Q(a)), Q(a) = a + a·R(a), R of degree 6, the exponential of
//!   `exp.rs`; at a = 4, 1 − erf is under half an ulp of 1, so the result is 1 from there on.
//!
//! Horner in fused multiply-adds; the coefficients are weighted least-squares (Lawson) fits of
//! erf's relative error made by crates/kernels/tools/fit_coefficients.py (the two-range form is
//! the one of Arm's optimized-routines `erff`). Both branches are computed for every lane and
//! one is selected, so the paths agree.
//!
//! # Accuracy (stated, and tested over a dense sweep of every input)
//!
//! At most [`MAX_ULPS`] units in the last place from the correctly rounded erf x for every
//! finite x; ±∞ gives ±1 and NaN stays NaN.

use crate::lanes::{self, Kernel, Lanes};

/// The largest error, in units in the last place, against the correctly rounded erf (measured
/// 1 over every 29th float of |x| ≤ 6, 75 million points, with tests/it/kernels_special.rs's
/// sweep; stated with a margin of one).
pub const MAX_ULPS: u32 = 2;

/// Below this |x| the odd polynomial, from it on the exponential form.
const SMALL: f32 = 0.875;
/// From here on erf x rounds to 1.
const LARGE: f32 = 4.0;
/// P(t) for erf a = a + a·P(t), t = a², a < 0.875: P[0] + P[1]·t + … + P[5]·t⁵.
const P: [f32; 6] = [
    0.128_379_15,
    -0.376_125_5,
    0.112_824_55,
    -0.026_791_463,
    0.005_032_181,
    -0.000_620_325_27,
];
/// R(a) for Q(a) = a + a·R(a), 0.875 ≤ a ≤ 4: R[0] + R[1]·a + … + R[6]·a⁶.
const R: [f32; 7] = [
    0.128_622_9,
    0.635_256_9,
    0.106_059_65,
    -0.023_607_226,
    0.003_568_276,
    -0.000_304_333_57,
    9.364_865e-6,
];

/// Replaces every x of `xs` with erf x (see the module header for the accuracy), on the calling
/// thread's instruction-set path; the same bits on every path.
pub fn erf_in_place(xs: &mut [f32]) {
    lanes::map_in_place(xs, Kernel::Erf);
}

/// erf x for one value, portably: the same operations as the vector paths, one lane.
pub fn erf(x: f32) -> f32 {
    lanes(x)
}

/// erf on any lanes (see the module header).
#[inline(always)]
pub(crate) fn lanes<V: Lanes>(x: V) -> V {
    let a = x.abs().min(V::splat(LARGE));
    let t = a.mul(a);
    let mut p = V::splat(P[5]);
    for &c in P[..5].iter().rev() {
        p = p.mul_add(t, V::splat(c));
    }
    let small = a.mul_add(p, a);
    let mut r = V::splat(R[6]);
    for &c in R[..6].iter().rev() {
        r = r.mul_add(a, V::splat(c));
    }
    let q = a.mul_add(r, a);
    let large = V::splat(1.0).sub(lanes::exp(V::splat(0.0).sub(q)));
    a.select_lt(V::splat(SMALL), small, large)
        .with_sign_of(x)
        .nan_from(x)
}
