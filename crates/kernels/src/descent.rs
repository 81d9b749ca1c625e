//! The plain gradient-descent update, θ ← θ − g·η (after decoupled weight decay
//! θ ← θ − θ·λ·η when asked), vectorized on the calling thread's instruction-set path. Every
//! operation is one correctly rounded multiply or subtract, never fused, in the order of the
//! scalar loop, so every path and every version gives the bits of
//! `for (p, g) in … { *p -= *p * λ * η; *p -= g * η }`: this kernel needs no numerics version.
//!
//! Why it is here: the update is a pass over every parameter each step, and the portable build
//! compiles the scalar loop for SSE (4 lanes); it was 7% of a batch-32 MLP study's time.

use crate::lanes::Lanes;
#[cfg(target_arch = "x86_64")]
use crate::lanes::{Avx2, Avx512};
use crate::path::{self, Path};

/// θ ← θ − θ·λ·η (when `decay` is λ) then θ ← θ − g·η, element by element, for `values` θ and
/// `grads` g of the same length, η = `lr`.
///
/// # Panics
/// When the lengths differ.
pub fn descend(values: &mut [f32], grads: &[f32], lr: f32, decay: Option<f32>) {
    assert_eq!(values.len(), grads.len(), "one gradient per value");
    let done = match path::current() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the path is only ever one this CPU has (path::current).
        Path::Avx512 => unsafe { avx512(values, grads, lr, decay) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Path::Avx2 => unsafe { avx2(values, grads, lr, decay) },
        _ => 0,
    };
    // SAFETY: `done` ≤ the length; one lane at a time.
    unsafe { run::<f32>(&mut values[done..], &grads[done..], lr, decay, 1) };
}

/// The loop over whole vectors of `width` lanes; returns how many values it did.
///
/// # Safety
/// `V` must be a path this CPU has, `width` its lane count.
#[inline(always)]
unsafe fn run<V: Lanes>(
    values: &mut [f32],
    grads: &[f32],
    lr: f32,
    decay: Option<f32>,
    width: usize,
) -> usize {
    let vectors = values.len() / width;
    let (p, g) = (values.as_mut_ptr(), grads.as_ptr());
    let eta = V::splat(lr);
    match decay {
        None => {
            for v in 0..vectors {
                let at = v * width;
                let theta = V::load(p.add(at));
                theta.sub(V::load(g.add(at)).mul(eta)).store(p.add(at));
            }
        }
        Some(lambda) => {
            let lambda = V::splat(lambda);
            for v in 0..vectors {
                let at = v * width;
                let theta = V::load(p.add(at));
                let theta = theta.sub(theta.mul(lambda).mul(eta));
                theta.sub(V::load(g.add(at)).mul(eta)).store(p.add(at));
            }
        }
    }
    vectors * width
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512(values: &mut [f32], grads: &[f32], lr: f32, decay: Option<f32>) -> usize {
    run::<Avx512>(values, grads, lr, decay, 16)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(values: &mut [f32], grads: &[f32], lr: f32, decay: Option<f32>) -> usize {
    run::<Avx2>(values, grads, lr, decay, 8)
}
