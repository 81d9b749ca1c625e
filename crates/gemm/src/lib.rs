//! gemm 0.15's entry point (`gemm::gemm`, `gemm::Parallelism`), as dfdx 0.13 calls it, for f32.
//!
//! dfdx 0.13 does every Cpu matmul through gemm 0.15, whose f32 kernel has an AVX2 path only
//! (~70 GFLOP/s a core on an AVX-512 machine). gemm 0.19 has an AVX-512 kernel (~120). Swapping
//! the library would change trainbench's recorded numbers, except that on an AVX-512 machine
//! the two give the same bits for most shapes: both accumulate each output element with fused
//! multiply-adds in the same k order and the same k blocks. They differ in their special paths
//! for tiny products: m or n ≤ 2 (matrix-vector), and dot-product layouts (lhs rows and rhs
//! columns contiguous) with m·n ≤ 256. So [`gemm`] sends a product to gemm 0.19 only when
//! [`takes_avx512_kernel`] says so (AVX-512 present, m and n ≥ 3, m·n ≥ 1024: a margin of 4 over
//! the dot-product limit), and everything else to gemm 0.15's own f32 kernel, called the way
//! gemm 0.15's `gemm` calls it. trainbench's tests/it/gemm_routes.rs checks the two routes bit for
//! bit over the shapes training uses and random others, and `trainbench verify` re-trains
//! committed runs (made with gemm 0.15 alone) bit-identically.
//!
//! That is numerics version 1. Under version 2 (`kernels::numerics`, set by a training run for
//! its thread) every product goes to trainbench's own kernel instead, `kernels::sgemm`, which
//! sums each element as one chain of fused multiply-adds in k order and so gives the same bits
//! on every instruction-set path and thread count (tests/it/kernels_sgemm.rs); the version is read
//! here, on the calling thread, before any split between threads.
//!
//! Only f32 exists here: dfdx 0.13 without its `f16` feature calls gemm for f32 (and f64, which
//! trainbench never uses and which panics here).

use core::any::TypeId;

pub use gemm_common::Parallelism;

/// Products of fewer multiply-adds than this run on the calling thread alone, whatever
/// parallelism dfdx asks for: waking a second thread for each of a small step's matmuls costs
/// more than it saves (the chapter MLP at batch 32 trained at 38k samples/s on 2 threads, 53k
/// on 1). The split over threads never changes the bits: each output is summed by one thread.
pub const PARALLEL_MIN_MACS: usize = 16 << 20;

/// Whether an m×n f32 product (of any depth) goes to gemm 0.19's AVX-512 kernel (see the
/// module header).
pub fn takes_avx512_kernel(m: usize, n: usize) -> bool {
    m >= 3 && n >= 3 && m * n >= 1024 && has_avx512()
}

/// AVX-512F on this CPU (std caches the detection).
pub fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("avx512f");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// dst := alpha·dst + beta·lhs·rhs (dst read only when `read_dst`), with gemm 0.15's signature:
/// sizes, then for dst, lhs and rhs a pointer with its column and row strides.
///
/// # Safety
/// The pointers and strides must describe valid m×n, m×k and k×n matrices, dst not overlapping
/// the others (gemm 0.15's contract).
///
/// # Panics
/// For any `T` but f32.
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm<T: 'static>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    dst_cs: isize,
    dst_rs: isize,
    read_dst: bool,
    lhs: *const T,
    lhs_cs: isize,
    lhs_rs: isize,
    rhs: *const T,
    rhs_cs: isize,
    rhs_rs: isize,
    alpha: T,
    beta: T,
    conj_dst: bool,
    conj_lhs: bool,
    conj_rhs: bool,
    parallelism: Parallelism,
) {
    assert!(
        TypeId::of::<T>() == TypeId::of::<f32>(),
        "trainbench's gemm stand-in multiplies f32 only"
    );
    let call = F32Call {
        m,
        n,
        k,
        dst: dst as *mut f32,
        dst_cs,
        dst_rs,
        read_dst,
        lhs: lhs as *const f32,
        lhs_cs,
        lhs_rs,
        rhs: rhs as *const f32,
        rhs_cs,
        rhs_rs,
        alpha: *(&alpha as *const T as *const f32),
        beta: *(&beta as *const T as *const f32),
        conj: (conj_dst, conj_lhs, conj_rhs),
        parallelism: if m * n * k < PARALLEL_MIN_MACS {
            Parallelism::None
        } else {
            parallelism
        },
    };
    if kernels::numerics::current() >= kernels::numerics::V2 {
        call.by_version_2()
    } else if takes_avx512_kernel(m, n) {
        call.by_gemm_0_19()
    } else {
        call.by_gemm_0_15()
    }
}

/// One f32 product's arguments, in gemm 0.15's order and meaning.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct F32Call {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub dst: *mut f32,
    pub dst_cs: isize,
    pub dst_rs: isize,
    pub read_dst: bool,
    pub lhs: *const f32,
    pub lhs_cs: isize,
    pub lhs_rs: isize,
    pub rhs: *const f32,
    pub rhs_cs: isize,
    pub rhs_rs: isize,
    pub alpha: f32,
    pub beta: f32,
    /// conj_dst, conj_lhs, conj_rhs (meaningless for reals; passed on).
    pub conj: (bool, bool, bool),
    pub parallelism: Parallelism,
}

impl F32Call {
    /// Through numerics version 2's kernel, `kernels::sgemm`. dfdx asks for dst := A·B
    /// (`read_dst` false) or dst := dst + A·B (alpha = beta = 1), which are its two starts of
    /// the chains; any other alpha and beta (which dfdx never passes) combine a product made
    /// apart with dst afterwards, as gemm 0.15 defines them.
    ///
    /// # Safety
    /// As [`gemm`].
    #[doc(hidden)]
    pub unsafe fn by_version_2(self) {
        use kernels::sgemm::{sgemm, Init, Strided};
        let threads = match self.parallelism {
            Parallelism::None => 1,
            Parallelism::Rayon(0) => rayon::current_num_threads(),
            Parallelism::Rayon(threads) => threads,
        };
        let lhs = Strided {
            ptr: self.lhs,
            rs: self.lhs_rs,
            cs: self.lhs_cs,
        };
        let rhs = Strided {
            ptr: self.rhs,
            rs: self.rhs_rs,
            cs: self.rhs_cs,
        };
        let dst = Strided {
            ptr: self.dst,
            rs: self.dst_rs,
            cs: self.dst_cs,
        };
        let reads_dst = self.read_dst && self.alpha != 0.0;
        match (reads_dst, self.alpha, self.beta) {
            (false, _, 1.0) => sgemm(self.m, self.n, self.k, dst, Init::Zero, lhs, rhs, threads),
            (true, 1.0, 1.0) => sgemm(self.m, self.n, self.k, dst, Init::Dst, lhs, rhs, threads),
            _ => {
                let (m, n) = (self.m, self.n);
                let mut product = vec![0.0f32; m * n];
                let apart = Strided {
                    ptr: product.as_mut_ptr(),
                    rs: n as isize,
                    cs: 1,
                };
                sgemm(m, n, self.k, apart, Init::Zero, lhs, rhs, threads);
                for i in 0..m {
                    for j in 0..n {
                        let d = dst.ptr.offset(i as isize * dst.rs + j as isize * dst.cs);
                        let p = self.beta * product[i * n + j];
                        *d = if reads_dst { self.alpha * *d + p } else { p };
                    }
                }
            }
        }
    }

    /// Through gemm 0.19 (its AVX-512 kernel where the CPU has one).
    ///
    /// # Safety
    /// As [`gemm`].
    #[doc(hidden)]
    pub unsafe fn by_gemm_0_19(self) {
        let parallelism = match self.parallelism {
            Parallelism::None => gemm19::Parallelism::None,
            Parallelism::Rayon(threads) => gemm19::Parallelism::Rayon(threads),
        };
        gemm19::gemm(
            self.m,
            self.n,
            self.k,
            self.dst,
            self.dst_cs,
            self.dst_rs,
            self.read_dst,
            self.lhs,
            self.lhs_cs,
            self.lhs_rs,
            self.rhs,
            self.rhs_cs,
            self.rhs_rs,
            self.alpha,
            self.beta,
            self.conj.0,
            self.conj.1,
            self.conj.2,
            parallelism,
        )
    }

    /// Through gemm 0.15's f32 kernel, with the argument normalisation gemm 0.15's `gemm` does
    /// first: the kernel prefers a column-major dst, so a row-major one is computed as the
    /// transposed product (dstᵀ = rhsᵀ·lhsᵀ); negative strides are walked from the other end.
    ///
    /// # Safety
    /// As [`gemm`].
    #[doc(hidden)]
    pub unsafe fn by_gemm_0_15(self) {
        let c = self;
        let transpose = c.dst_cs.abs() < c.dst_rs.abs();
        let (m, n, mut dst_cs, mut dst_rs) = if transpose {
            (c.n, c.m, c.dst_rs, c.dst_cs)
        } else {
            (c.m, c.n, c.dst_cs, c.dst_rs)
        };
        let (mut lhs, lhs_cs, mut lhs_rs, mut rhs, mut rhs_cs, rhs_rs) = if transpose {
            (c.rhs, c.rhs_rs, c.rhs_cs, c.lhs, c.lhs_rs, c.lhs_cs)
        } else {
            (c.lhs, c.lhs_cs, c.lhs_rs, c.rhs, c.rhs_cs, c.rhs_rs)
        };
        let mut dst = c.dst;
        if dst_rs < 0 && m > 0 {
            dst = dst.wrapping_offset((m - 1) as isize * dst_rs);
            dst_rs = -dst_rs;
            lhs = lhs.wrapping_offset((m - 1) as isize * lhs_rs);
            lhs_rs = -lhs_rs;
        }
        if dst_cs < 0 && n > 0 {
            dst = dst.wrapping_offset((n - 1) as isize * dst_cs);
            dst_cs = -dst_cs;
            rhs = rhs.wrapping_offset((n - 1) as isize * rhs_cs);
            rhs_cs = -rhs_cs;
        }
        gemm_f32::gemm::f32::GEMM(
            m,
            n,
            c.k,
            dst,
            dst_cs,
            dst_rs,
            c.read_dst,
            lhs as *mut f32,
            lhs_cs,
            lhs_rs,
            rhs as *mut f32,
            rhs_cs,
            rhs_rs,
            c.alpha,
            c.beta,
            // gemm 0.15 hands its f32 kernel no conjugation (reals).
            false,
            false,
            false,
            c.parallelism,
        )
    }
}
