//! Version 2's vectorized hyperbolic tangent, [`tanh_in_place`], with the same bits on every
//! instruction-set path (written once over `lanes::Lanes`). Version 1 keeps dfdx's `tanh`
//! (glibc's scalar `tanhf`); nothing here is used under it.
//!
//! # How
//!
//! On a = |x|, then the sign of x put back (so tanh is exactly odd, and tanh(−0) = −0):
//! - a < 0.625: tanh a = a + a·a²·P(a²), P of degree 4 (Horner in fused multiply-adds), the
//!   coefficients a weighted least-squares (Lawson) fit of the relative error made by
//!   crates/kernels/tools/fit_coefficients.py; no cancellation near 0.
//! - a ≥ 0.625: tanh a = 1 − 2/(e^(2a) + 1), e^(2a) by the exponential of `exp.rs` (2a is
//!   exact); for a above ~44.4 that is +∞ and the result exactly 1.
//!
//! Both branches are computed for every lane and one is selected, so the paths agree.
//!
//! # Accuracy (stated, and tested over a dense sweep of every input)
//!
//! At most [`MAX_ULPS`] units in the last place from the correctly rounded tanh x for every
//! finite x (subnormal inputs give themselves); ±∞ gives ±1 and NaN stays NaN.

use crate::lanes::{self, Kernel, Lanes};

/// The largest error, in units in the last place, against the correctly rounded tanh (measured
/// 1, at x = −0.000352, over every 29th float of |x| ≤ 12, 75 million points, on this crate's
/// sweep in tests/it/kernels_special.rs; stated with a margin of one).
pub const MAX_ULPS: u32 = 2;

/// Below this |x| the polynomial, from it on the exponential.
const SMALL: f32 = 0.625;
/// P(t) for tanh a = a + a·t·P(t), t = a², |a| < 0.625: P[0] + P[1]·t + … + P[4]·t⁴.
const P: [f32; 5] = [
    -0.333_332_8,
    0.133_314_42,
    -0.053_739_71,
    0.020_639_079,
    -0.005_704_978_5,
];

/// Replaces every x of `xs` with tanh x (see the module header for the accuracy), on the
/// calling thread's instruction-set path; the same bits on every path.
pub fn tanh_in_place(xs: &mut [f32]) {
    lanes::map_in_place(xs, Kernel::Tanh);
}

/// tanh x for one value, portably: the same operations as the vector paths, one lane.
pub fn tanh(x: f32) -> f32 {
    lanes(x)
}

/// tanh on any lanes (see the module header).
#[inline(always)]
pub(crate) fn lanes<V: Lanes>(x: V) -> V {
    let a = x.abs();
    let t = a.mul(a);
    let mut p = V::splat(P[4]);
    for &c in P[..4].iter().rev() {
        p = p.mul_add(t, V::splat(c));
    }
    let small = a.mul(t).mul_add(p, a);
    let one = V::splat(1.0);
    let e = lanes::exp(a.add(a));
    let large = one.sub(V::splat(2.0).div(e.add(one)));
    a.select_lt(V::splat(SMALL), small, large)
        .with_sign_of(x)
        .nan_from(x)
}
