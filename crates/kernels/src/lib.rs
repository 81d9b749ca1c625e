//! trainbench's CPU kernels and the switches that choose them.
//!
//! - [`numerics`]: the numerics version the calling thread computes under. Version 1 is the
//!   arithmetic every result committed before versions existed was made with (gemm 0.15's bits,
//!   glibc's scalar `expf`, dfdx's float order); version 2 is this crate's kernels. A training
//!   run sets its version for its own duration; every kernel entry point reads it.
//! - [`path`]: the instruction-set path (AVX-512, AVX2, portable) the kernels take, detected
//!   once, which tests can narrow per thread to check that every path gives the same bits.
//!
//! - [`sgemm`]: version 2's matrix product, one fused multiply-add chain per element in k order,
//!   so that every path and thread count gives the same bits.
//!
//! - [`exp`]: version 2's vectorized exponential, with a stated maximum error and the same
//!   bits on every path.
//!
//! - [`tanh`], [`erf`], [`sigmoid`]: version 2's vectorized tanh, error function and logistic
//!   sigmoid, each with a stated maximum error and the same bits on every path, written once
//!   over [`lanes`]'s vector operations (which also hold a copy of [`exp`]'s arithmetic).
//!
//! - [`descent`]: the plain gradient-descent update, vectorized; exact operations only, so
//!   the same bits on every path under every version.
//!
//! Nothing here knows about dfdx, tensors or training: plain slices and raw matrices only, so
//! that both the gemm stand-in (crates/gemm) and trainbench can depend on it.

pub mod descent;
pub mod erf;
pub mod exp;
pub(crate) mod lanes;
pub mod numerics;
pub mod path;
pub mod sgemm;
pub mod sigmoid;
pub mod tanh;
