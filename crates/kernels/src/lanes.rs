//! The vector operations version 2's element-wise kernels (tanh, erf, sigmoid) are written
//! with, once, over [`Lanes`]: 16 AVX-512 lanes, 8 AVX2 lanes, or one `f32` (the portable path
//! and every vector path's tail). Each operation is one correctly rounded IEEE operation (or an
//! exact one: min, max, abs, copysign, a select), and a kernel written once over the trait
//! performs the same operations in the same order whatever the width, so every path gives the
//! same bits by construction (the tests check it anyway). Multiply-adds are always fused
//! ([`Lanes::mul_add`]), never left to the compiler.
//!
//! Also here: [`exp`], the exponential of `exp.rs` (the same operations in the same order, so
//! the same bits; tests/it/kernels_special.rs checks it) for kernels that need one inside, and
//! [`map_in_place`], which runs a kernel over a slice on the calling thread's path.
//!
//! Not here: the kernels themselves (tanh.rs, erf.rs, sigmoid.rs).
//!
//! The methods are `#[inline(always)]` so that they are inlined into the `#[target_feature]`
//! loop of their path, where the intrinsics they call are allowed to inline too.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use crate::path::{self, Path};

/// A vector of f32 lanes and the operations the kernels use.
pub(crate) trait Lanes: Copy {
    /// Loads a vector's worth of values.
    ///
    /// # Safety
    /// `at` must point to as many readable floats as there are lanes, on a CPU that has this path.
    unsafe fn load(at: *const f32) -> Self;
    /// Stores a vector's worth of values.
    ///
    /// # Safety
    /// `at` must point to as many writable floats as there are lanes, on a CPU that has this path.
    unsafe fn store(self, at: *mut f32);
    /// Every lane `x`.
    fn splat(x: f32) -> Self;
    /// a + b.
    fn add(self, b: Self) -> Self;
    /// a − b.
    fn sub(self, b: Self) -> Self;
    /// a·b.
    fn mul(self, b: Self) -> Self;
    /// a / b.
    fn div(self, b: Self) -> Self;
    /// a·b + c, rounded once.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// max(a, b) for non-NaN lanes (a NaN lane gives `b`, as x86's `maxps`).
    fn max(self, b: Self) -> Self;
    /// min(a, b) for non-NaN lanes (a NaN lane gives `b`, as x86's `minps`).
    fn min(self, b: Self) -> Self;
    /// |a| (the sign bit cleared).
    fn abs(self) -> Self;
    /// |a| with the sign bit of `sign`.
    fn with_sign_of(self, sign: Self) -> Self;
    /// Lane by lane: `then` where a < b, else `other`.
    fn select_lt(self, b: Self, then: Self, other: Self) -> Self;
    /// Lane by lane: `x` where `x` is NaN, else `self`.
    fn nan_from(self, x: Self) -> Self;
    /// self·2^⌊n/2⌋·2^(n−⌊n/2⌋) for integer-valued n in [−252, 254] (two exact powers of two, so
    /// a subnormal result is rounded once, in the last product).
    fn scale_by_power_of_two(self, n: Self) -> Self;
}

/// One lane: the portable path (plain Rust, `f32::mul_add`).
impl Lanes for f32 {
    #[inline(always)]
    unsafe fn load(at: *const f32) -> Self {
        *at
    }
    #[inline(always)]
    unsafe fn store(self, at: *mut f32) {
        *at = self;
    }
    #[inline(always)]
    fn splat(x: f32) -> Self {
        x
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        self + b
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        self - b
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        self * b
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        self / b
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        f32::mul_add(self, b, c)
    }
    #[inline(always)]
    fn max(self, b: Self) -> Self {
        if self > b {
            self
        } else {
            b
        }
    }
    #[inline(always)]
    fn min(self, b: Self) -> Self {
        if self < b {
            self
        } else {
            b
        }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline(always)]
    fn with_sign_of(self, sign: Self) -> Self {
        f32::copysign(self, sign)
    }
    #[inline(always)]
    fn select_lt(self, b: Self, then: Self, other: Self) -> Self {
        if self < b {
            then
        } else {
            other
        }
    }
    #[inline(always)]
    fn nan_from(self, x: Self) -> Self {
        if x.is_nan() {
            x
        } else {
            self
        }
    }
    #[inline(always)]
    fn scale_by_power_of_two(self, n: Self) -> Self {
        let n = n as i32;
        let half = n >> 1;
        self * power_of_two(half) * power_of_two(n - half)
    }
}

/// 2^e as a float, for e in [−126, 127].
#[inline(always)]
fn power_of_two(e: i32) -> f32 {
    f32::from_bits(((e + 127) as u32) << 23)
}

/// 16 AVX-512 lanes.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Avx512(__m512);

// SAFETY (every method): only reached from `#[target_feature(enable = "avx512f")]` code, run
// only on CPUs that have it (path::current).
#[cfg(target_arch = "x86_64")]
impl Lanes for Avx512 {
    #[inline(always)]
    unsafe fn load(at: *const f32) -> Self {
        Avx512(_mm512_loadu_ps(at))
    }
    #[inline(always)]
    unsafe fn store(self, at: *mut f32) {
        _mm512_storeu_ps(at, self.0)
    }
    #[inline(always)]
    fn splat(x: f32) -> Self {
        Avx512(unsafe { _mm512_set1_ps(x) })
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        Avx512(unsafe { _mm512_add_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        Avx512(unsafe { _mm512_sub_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        Avx512(unsafe { _mm512_mul_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        Avx512(unsafe { _mm512_div_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Avx512(unsafe { _mm512_fmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn max(self, b: Self) -> Self {
        Avx512(unsafe { _mm512_max_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn min(self, b: Self) -> Self {
        Avx512(unsafe { _mm512_min_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Avx512(unsafe { _mm512_abs_ps(self.0) })
    }
    #[inline(always)]
    fn with_sign_of(self, sign: Self) -> Self {
        unsafe {
            let mask = _mm512_set1_epi32(i32::MIN);
            let magnitude = _mm512_andnot_si512(mask, _mm512_castps_si512(self.0));
            let sign = _mm512_and_si512(mask, _mm512_castps_si512(sign.0));
            Avx512(_mm512_castsi512_ps(_mm512_or_si512(magnitude, sign)))
        }
    }
    #[inline(always)]
    fn select_lt(self, b: Self, then: Self, other: Self) -> Self {
        unsafe {
            let lt = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, b.0);
            Avx512(_mm512_mask_blend_ps(lt, other.0, then.0))
        }
    }
    #[inline(always)]
    fn nan_from(self, x: Self) -> Self {
        unsafe {
            let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(x.0, x.0);
            Avx512(_mm512_mask_blend_ps(nan, self.0, x.0))
        }
    }
    #[inline(always)]
    fn scale_by_power_of_two(self, n: Self) -> Self {
        unsafe {
            let n = _mm512_cvtps_epi32(n.0);
            let half = _mm512_srai_epi32::<1>(n);
            let bias = _mm512_set1_epi32(127);
            let s1 = _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(half, bias)));
            let s2 = _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(
                _mm512_sub_epi32(n, half),
                bias,
            )));
            Avx512(_mm512_mul_ps(_mm512_mul_ps(self.0, s1), s2))
        }
    }
}

/// 8 AVX2 lanes (with FMA).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Avx2(__m256);

// SAFETY (every method): only reached from `#[target_feature(enable = "avx2,fma")]` code, run
// only on CPUs that have both (path::current).
#[cfg(target_arch = "x86_64")]
impl Lanes for Avx2 {
    #[inline(always)]
    unsafe fn load(at: *const f32) -> Self {
        Avx2(_mm256_loadu_ps(at))
    }
    #[inline(always)]
    unsafe fn store(self, at: *mut f32) {
        _mm256_storeu_ps(at, self.0)
    }
    #[inline(always)]
    fn splat(x: f32) -> Self {
        Avx2(unsafe { _mm256_set1_ps(x) })
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        Avx2(unsafe { _mm256_add_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        Avx2(unsafe { _mm256_sub_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        Avx2(unsafe { _mm256_mul_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        Avx2(unsafe { _mm256_div_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Avx2(unsafe { _mm256_fmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn max(self, b: Self) -> Self {
        Avx2(unsafe { _mm256_max_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn min(self, b: Self) -> Self {
        Avx2(unsafe { _mm256_min_ps(self.0, b.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Avx2(unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), self.0) })
    }
    #[inline(always)]
    fn with_sign_of(self, sign: Self) -> Self {
        unsafe {
            let mask = _mm256_set1_ps(-0.0);
            let magnitude = _mm256_andnot_ps(mask, self.0);
            Avx2(_mm256_or_ps(magnitude, _mm256_and_ps(mask, sign.0)))
        }
    }
    #[inline(always)]
    fn select_lt(self, b: Self, then: Self, other: Self) -> Self {
        unsafe {
            let lt = _mm256_cmp_ps::<_CMP_LT_OQ>(self.0, b.0);
            Avx2(_mm256_blendv_ps(other.0, then.0, lt))
        }
    }
    #[inline(always)]
    fn nan_from(self, x: Self) -> Self {
        unsafe {
            let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(x.0, x.0);
            Avx2(_mm256_blendv_ps(self.0, x.0, nan))
        }
    }
    #[inline(always)]
    fn scale_by_power_of_two(self, n: Self) -> Self {
        unsafe {
            let n = _mm256_cvtps_epi32(n.0);
            let half = _mm256_srai_epi32::<1>(n);
            let bias = _mm256_set1_epi32(127);
            let s1 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(half, bias)));
            let s2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
                _mm256_sub_epi32(n, half),
                bias,
            )));
            Avx2(_mm256_mul_ps(_mm256_mul_ps(self.0, s1), s2))
        }
    }
}

/// eˣ as `exp.rs` computes it (see its header: the same constants, operations and order, so
/// the same bits), on any [`Lanes`].
#[inline(always)]
pub(crate) fn exp<V: Lanes>(x0: V) -> V {
    use crate::exp::{LN2_HI, LN2_LO, LOG2E, P, ROUNDER, X_MAX, X_MIN};
    let x = x0.max(V::splat(X_MIN)).min(V::splat(X_MAX));
    let rounder = V::splat(ROUNDER);
    let n = x.mul_add(V::splat(LOG2E), rounder).sub(rounder);
    let r = n.mul_add(V::splat(-LN2_HI), x);
    let r = n.mul_add(V::splat(-LN2_LO), r);
    let mut p = V::splat(P[0]);
    for &c in &P[1..] {
        p = p.mul_add(r, V::splat(c));
    }
    let er = p.mul_add(r.mul(r), r).add(V::splat(1.0));
    er.scale_by_power_of_two(n).nan_from(x0)
}

/// Replaces every x of `xs` with `f(x)`, on the calling thread's path: whole vectors on a
/// vector path, the rest (and everything on the portable path) one lane at a time through the
/// same `f`.
#[inline(always)]
pub(crate) fn map_in_place(xs: &mut [f32], f: Kernel) {
    let done = match path::current() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the path is only ever one this CPU has (path::current).
        Path::Avx512 => unsafe { avx512(xs, f) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Path::Avx2 => unsafe { avx2(xs, f) },
        _ => 0,
    };
    for x in &mut xs[done..] {
        *x = f.portable(*x);
    }
}

/// The kernels [`map_in_place`] runs (an enum rather than a generic closure, since one closure
/// cannot be instantiated at three lane types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// tanh.rs.
    Tanh,
    /// erf.rs.
    Erf,
    /// sigmoid.rs.
    Sigmoid,
}

impl Kernel {
    #[inline(always)]
    fn apply<V: Lanes>(self, x: V) -> V {
        match self {
            Kernel::Tanh => crate::tanh::lanes(x),
            Kernel::Erf => crate::erf::lanes(x),
            Kernel::Sigmoid => crate::sigmoid::lanes(x),
        }
    }

    /// One value on the portable path.
    pub(crate) fn portable(self, x: f32) -> f32 {
        self.apply(x)
    }
}

/// The AVX-512 loop of [`map_in_place`]: whole vectors of 16; returns how many values it did.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512(xs: &mut [f32], f: Kernel) -> usize {
    let vectors = xs.len() / 16;
    let ptr = xs.as_mut_ptr();
    match f {
        Kernel::Tanh => {
            for v in 0..vectors {
                let at = ptr.add(v * 16);
                crate::tanh::lanes(Avx512::load(at)).store(at);
            }
        }
        Kernel::Erf => {
            for v in 0..vectors {
                let at = ptr.add(v * 16);
                crate::erf::lanes(Avx512::load(at)).store(at);
            }
        }
        Kernel::Sigmoid => {
            for v in 0..vectors {
                let at = ptr.add(v * 16);
                crate::sigmoid::lanes(Avx512::load(at)).store(at);
            }
        }
    }
    vectors * 16
}

/// The AVX2 loop of [`map_in_place`]: whole vectors of 8; returns how many values it did.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(xs: &mut [f32], f: Kernel) -> usize {
    let vectors = xs.len() / 8;
    let ptr = xs.as_mut_ptr();
    match f {
        Kernel::Tanh => {
            for v in 0..vectors {
                let at = ptr.add(v * 8);
                crate::tanh::lanes(Avx2::load(at)).store(at);
            }
        }
        Kernel::Erf => {
            for v in 0..vectors {
                let at = ptr.add(v * 8);
                crate::erf::lanes(Avx2::load(at)).store(at);
            }
        }
        Kernel::Sigmoid => {
            for v in 0..vectors {
                let at = ptr.add(v * 8);
                crate::sigmoid::lanes(Avx2::load(at)).store(at);
            }
        }
    }
    vectors * 8
}
