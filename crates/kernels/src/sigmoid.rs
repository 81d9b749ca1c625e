//! Version 2's vectorized logistic sigmoid, [`sigmoid_in_place`]: σ(x) = 1/(1 + e⁻ˣ) with the
//! exponential of `exp.rs`, the same bits on every instruction-set path (written once over
//! `lanes::Lanes`). These are exactly the bits version 2's fused swish computes for its gate
//! (`exp_in_place` on −x, then 1/(1 + e)), so swish, silu and gelu_sigmoid did not change
//! when this kernel came. Version 1 keeps dfdx's `sigmoid` (glibc's scalar `expf`).
//!
//! # Accuracy (stated, and tested over a dense sweep of every input)
//!
//! At most [`MAX_ULPS`] units in the last place from the correctly rounded σ(x) where σ(x) is a
//! normal float (x ≥ −87.3); below, the result is within 2⁻¹²⁶ of it (+0 for x < −88.72, where
//! e⁻ˣ overflows). ±∞ gives 1 and +0, NaN stays NaN.

use crate::lanes::{self, Kernel, Lanes};

/// The largest error, in units in the last place, against the correctly rounded σ for normal
/// results (measured 2, at x = −2.68e-6, over every 29th float of |x| ≤ 104, 77 million points,
/// with tests/it/kernels_special.rs's sweep; stated with a margin of one).
pub const MAX_ULPS: u32 = 3;

/// Replaces every x of `xs` with σ(x) (see the module header for the accuracy), on the calling
/// thread's instruction-set path; the same bits on every path.
pub fn sigmoid_in_place(xs: &mut [f32]) {
    lanes::map_in_place(xs, Kernel::Sigmoid);
}

/// σ(x) for one value, portably: the same operations as the vector paths, one lane.
pub fn sigmoid(x: f32) -> f32 {
    lanes(x)
}

/// σ on any lanes.
#[inline(always)]
pub(crate) fn lanes<V: Lanes>(x: V) -> V {
    let one = V::splat(1.0);
    one.div(one.add(lanes::exp(V::splat(0.0).sub(x))))
}
