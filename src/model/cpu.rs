//! Fast paths for dfdx's `Cpu` device, chosen at run time (the model stays generic over the
//! device; other devices take dfdx's general path). Each gives exactly the values and gradients
//! dfdx's own ops would, bit for bit: the same gemm calls (sizes, strides, threads) and the same
//! f32 operations in the same order per element; only work whose result nobody reads is
//! skipped, and copies and strided element-by-element loops are avoided. That is numerics
//! version 1. Under version 2 (`kernels::numerics`, set per thread by a training run) the
//! activations' exponentials are `kernels::exp`'s vectorized one, and elu′(0) = α, selu′(0) = λα
//! as Keras on JAX (dfdx's ops give 0); tanh, sigmoid, gelu, gelu_tanh and mish are fused too,
//! with `kernels`' vectorized tanh, erf, sigmoid and exp (version 2 only: their formulas are in
//! `v2`); the matrix products change under crates/gemm.
//!
//! - [`matmul_kernel_grad`]: x·W for an input that needs no gradient (the batch, in the first
//!   dense layer of a training step). dfdx's matmul always computes the gradients of both
//!   operands; the input's (batch × 784) costs as much as the kernel's.
//! - [`add_bias`]: z + b for a dense layer. dfdx broadcasts b and walks every element of the add,
//!   forward and backward, through a strided index, one at a time.
//! - [`batch_norm_train`]: batch norm in training mode, fifteen dfdx ops (with reductions and
//!   broadcasts) as one.
//! - [`activation`]: relu, elu, selu and swish with a fixed β (silu, gelu_sigmoid), one op each
//!   instead of up to nine; under version 2 also tanh, sigmoid, gelu, gelu_tanh and mish.
//! - [`bias_activation`]: a dense layer's bias and the activation after it, one op (one pass
//!   forward, one backward) with the bits of [`add_bias`] then [`activation`].
//! - [`take_grad`]: moves a gradient out of a `Gradients` instead of cloning it.
//!
//! How dfdx accumulates gradients, which the backward passes below reproduce: every gradient
//! buffer starts at +0.0 and each op adds its contribution to it (gemm accumulates onto it,
//! element ops do `g += …`). Where this module has gemm write into a fresh buffer instead, it
//! copies the result into the zero gradient buffer and adds +0.0 to each element, which is what
//! accumulating onto +0.0 gives (it only turns -0.0 into +0.0).

// Some sums are written as dfdx's kernels compute them (e.g. `0.0 + -1.0 * x`, which differs
// from `-x` for x = 0 in the sign of the zero), so the results stay bit-identical.
#![allow(clippy::neg_multiply)]

use std::any::{Any, TypeId};

use dfdx::prelude::*;

use super::Matrix;

/// A bias or other per-unit vector.
type Vector<D> = Tensor<(usize,), f32, D>;

#[cfg(test)]
thread_local! {
    /// Tests set this to run dfdx's general path on the `Cpu`, as the reference.
    static DFDX_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` on this thread with the fast paths off when `reference` (dfdx's general path: the
/// reference the tests compare the fast paths with), on otherwise.
#[cfg(test)]
pub(crate) fn with_dfdx_only<R>(reference: bool, f: impl FnOnce() -> R) -> R {
    DFDX_ONLY.with(|only| only.set(reference));
    let out = f();
    DFDX_ONLY.with(|only| only.set(false));
    out
}

/// Whether `D` is dfdx's `Cpu` (whether to take the fast paths).
pub fn is_cpu<D: 'static>() -> bool {
    #[cfg(test)]
    if DFDX_ONLY.with(|only| only.get()) {
        return false;
    }
    TypeId::of::<D>() == TypeId::of::<Cpu>()
}

/// `x` as `B`, which must be its type (e.g. a tensor of `D` as one of `Cpu` when `D` is `Cpu`).
fn cast<A: 'static, B: 'static>(x: A) -> B {
    *(Box::new(x) as Box<dyn Any>)
        .downcast()
        .unwrap_or_else(|_| unreachable!("cast between different types"))
}

/// `x` as `&B`, which must be its type.
fn cast_ref<A: 'static, B: 'static>(x: &A) -> &B {
    (x as &dyn Any)
        .downcast_ref()
        .unwrap_or_else(|| unreachable!("cast between different types"))
}

/// x·w on a new tape whose backward pass gives w its gradient xᵀ·∂z and x none. w must appear
/// only here in the graph (a dense layer's kernel), as its gradient buffer is written, not
/// added to.
pub fn matmul_kernel_grad<D: Device<f32>>(
    x: Matrix<D>,
    w: &Matrix<D>,
) -> Matrix<D, OwnedTape<f32, D>> {
    if !is_cpu::<D>() {
        return x.traced(Gradients::leaky()).matmul(w.clone());
    }
    cast(cpu_matmul_kernel_grad(cast(x), cast_ref(w)))
}

fn cpu_matmul_kernel_grad(x: Matrix<Cpu>, w: &Matrix<Cpu>) -> Matrix<Cpu, OwnedTape<f32, Cpu>> {
    let (rows, fan_in) = *x.shape();
    let cols = w.shape().1;
    // The same gemm call as the traced matmul's forward.
    let z = x.clone().matmul(w.clone());
    let (z_ghost, w_ghost) = (z.ghost(), w.ghost());
    // x's values (x is contiguous: the batch, or patches this crate made), so that the backward
    // product writes straight into w's gradient buffer: a copy of the batch here instead of a
    // fresh zeroed product of w's size copied over (10 times more bytes for the chapter MLP at
    // batch 32).
    let mut xs = vec![0.0; rows * fan_in];
    x.copy_into(&mut xs);
    drop(x);
    let mut tape = OwnedTape::<f32, Cpu>::default();
    tape.add_backward_op(move |grads| {
        // ∂z, written by the op that consumed z; nothing reads it after this op.
        let dz = std::mem::take(&mut **grads.get_or_alloc_mut(&z_ghost)?);
        let slot: &mut Vec<f32> = grads.get_or_alloc_mut(&w_ghost)?;
        debug_assert!(slot.iter().all(|&g| g == 0.0), "w is used once");
        debug_assert_eq!(slot.len(), fan_in * cols);
        // dfdx's backward, xᵀ·∂z: the very gemm call its matmul makes for
        // `x.permute().matmul(∂z)` into a fresh buffer (m = fan_in, n = cols, k = rows; xᵀ
        // with x's strides swapped; C not read), which dfdx then adds onto the zero gradient
        // (a −0 becomes +0): the same bits under every numerics version.
        // SAFETY: xs is rows × fan_in, dz rows × cols and the slot fan_in × cols, all
        // contiguous and row-major; the slot overlaps neither.
        unsafe { kernel_gradient_into(slot, &xs, &dz, (fan_in, cols, rows)) };
        Ok(())
    });
    z.put_tape(tape)
}

/// slot (m × n) ← 0 + xᵀ·∂z, for x (k × m) and ∂z (k × n), all contiguous and row-major: the
/// product into the slot, then +0 added to each element. Under version 2 the microkernel adds
/// the +0 as it stores ([`kernels::sgemm::Init::ZeroAdded`]); under version 1 a pass over the
/// slot does, after gemm 0.15's product (the pass was a twentieth of a batch-32 step).
///
/// # Safety
/// `x`, `dz` and `slot` must hold k × m, k × n and m × n values.
unsafe fn kernel_gradient_into(
    slot: &mut [f32],
    x: &[f32],
    dz: &[f32],
    (m, n, k): (usize, usize, usize),
) {
    debug_assert!(x.len() >= k * m && dz.len() >= k * n && slot.len() >= m * n);
    if kernels::numerics::current() >= kernels::numerics::V2 {
        use kernels::sgemm::{sgemm, Init, Strided};
        // gemm's entry's rule: small products on the calling thread (no bit depends on it).
        let threads = if m * n * k < gemm::PARALLEL_MIN_MACS {
            1
        } else {
            rayon::current_num_threads()
        };
        let c = Strided {
            ptr: slot.as_mut_ptr(),
            rs: n as isize,
            cs: 1,
        };
        let a = Strided {
            ptr: x.as_ptr(),
            rs: 1,
            cs: m as isize,
        };
        let b = Strided {
            ptr: dz.as_ptr(),
            rs: n as isize,
            cs: 1,
        };
        sgemm(m, n, k, c, Init::ZeroAdded, a, b, threads);
        return;
    }
    gemm::gemm(
        m,
        n,
        k,
        slot.as_mut_ptr(),
        1,
        n as isize,
        false,
        x.as_ptr(),
        m as isize,
        1,
        dz.as_ptr(),
        1,
        n as isize,
        0.0f32,
        1.0f32,
        false,
        false,
        false,
        gemm::Parallelism::Rayon(rayon::current_num_threads()),
    );
    for g in slot.iter_mut() {
        *g += 0.0;
    }
}

/// z + b broadcast over the rows of z, recorded on z's tape when it has one. z must be a fresh
/// matmul output used only here, and b must appear only here in the graph, as their gradient
/// buffers are written, not added to.
pub fn add_bias<D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default + 'static>(
    z: Matrix<D, T>,
    b: &Vector<D>,
) -> Matrix<D, T> {
    if !is_cpu::<D>() {
        let shape = *z.shape();
        return z + b.clone().broadcast_like::<_, Axis<0>>(&shape);
    }
    cast(cpu_add_bias::<T>(cast(z), cast_ref(b)))
}

fn cpu_add_bias<T: 'static>(z: Matrix<Cpu, T>, b: &Vector<Cpu>) -> Matrix<Cpu, T> {
    let (z, mut tape) = z.split_tape();
    let (rows, cols) = *z.shape();
    // dfdx's add computes z + b per element, as here.
    let mut bias = vec![0.0; cols];
    b.copy_into(&mut bias);
    let mut values = vec![0.0; rows * cols];
    z.copy_into(&mut values);
    for row in values.chunks_exact_mut(cols) {
        for (v, &bj) in row.iter_mut().zip(&bias) {
            *v += bj;
        }
    }
    let out = z.device().tensor_from_vec(values, (rows, cols));
    if let Some(tape) = (&mut tape as &mut dyn Any).downcast_mut::<OwnedTape<f32, Cpu>>() {
        let (out_ghost, z_ghost, b_ghost) = (out.ghost(), z.ghost(), b.ghost());
        tape.add_backward_op(move |grads| {
            // ∂out, written by the op that consumed out; nothing reads it after this op.
            let g = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
            // dfdx's add backward: ∂b[j] += ∂out[r][j] row by row, from +0.0, …
            let db: &mut Vec<f32> = grads.get_or_alloc_mut(&b_ghost)?;
            for row in g.chunks_exact(cols) {
                for (d, &gj) in db.iter_mut().zip(row) {
                    *d += gj;
                }
            }
            // … and ∂z = 0 + ∂out, which gives ∂out back but for the sign of zeros, which the
            // gemm accumulating ∂z onto +0.0 next does not see.
            let dz: &mut Vec<f32> = grads.get_or_alloc_mut(&z_ghost)?;
            debug_assert!(dz.iter().all(|&g| g == 0.0), "z is used once");
            *dz = g;
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// Batch normalization in training mode on the `Cpu` (`D` must be `Cpu`: see [`is_cpu`]), as
/// one op: what [`super::BatchNorm::forward_train`] computes with dfdx's ops, whose fifteen
/// steps (the batch mean and variance, their broadcasts, γ, β) each allocate, and whose
/// reductions and broadcasts walk a strided index. Returns the output and the batch's mean and
/// biased variance. `z` may be used elsewhere too; its gradient is added to.
pub fn batch_norm_train<D: Device<f32>, T: 'static>(
    z: Matrix<D, T>,
    gamma: &Vector<D>,
    beta: &Vector<D>,
    epsilon: f32,
) -> (Matrix<D, T>, (Vec<f32>, Vec<f32>)) {
    assert!(is_cpu::<D>(), "the Cpu fast path on another device");
    let (out, stats) = cpu_batch_norm_train::<T>(cast(z), cast_ref(gamma), cast_ref(beta), epsilon);
    (cast(out), stats)
}

/// dfdx's ops in `BatchNorm::forward_train`, in order (a–o), with their per-element f32
/// arithmetic, which the forward and backward passes below repeat exactly:
///
/// a. s = Σ_r z (from 0, r ascending)     b. μ = s · (1/n)          c. c = z − μ
/// d. q = c²                              e. t = Σ_r q              f. v = t · (1/n)
/// g. v + ε                               h. sd = √(v + ε)          i. rc = 1/sd
/// j. inv = rc · γ                        k. mi = μ · inv           l. nm = −mi
/// m. shift = nm + β                      n. zi = z · inv           o. out = zi + shift
///
/// (c uses μ off the tape, but under μ's id, so its backward adds to μ's gradient.) The
/// backward pass runs o to a; each op adds `df · ∂out` to its inputs' gradients, which start at
/// +0.0, element by element in row-major order.
fn cpu_batch_norm_train<T: 'static>(
    z: Matrix<Cpu, T>,
    gamma: &Vector<Cpu>,
    beta: &Vector<Cpu>,
    epsilon: f32,
) -> (Matrix<Cpu, T>, (Vec<f32>, Vec<f32>)) {
    let (z, mut tape) = z.split_tape();
    let (rows, cols) = *z.shape();
    let inv_n = (1.0 / rows as f64) as f32;
    let mut zv = vec![0.0; rows * cols];
    z.copy_into(&mut zv);
    let mut g = vec![0.0; cols];
    gamma.copy_into(&mut g);
    let mut b = vec![0.0; cols];
    beta.copy_into(&mut b);
    let mut sum = vec![0.0f32; cols];
    for row in zv.chunks_exact(cols) {
        for (s, &x) in sum.iter_mut().zip(row) {
            *s += x;
        }
    }
    let mean: Vec<f32> = sum.iter().map(|&s| s * inv_n).collect();
    let mut centered = vec![0.0; rows * cols];
    let mut sq_sum = vec![0.0f32; cols];
    for (crow, zrow) in centered.chunks_exact_mut(cols).zip(zv.chunks_exact(cols)) {
        let columns = crow.iter_mut().zip(zrow).zip(&mean).zip(&mut sq_sum);
        for (((c, &x), &m), t) in columns {
            *c = x - m;
            *t += c.powi(2);
        }
    }
    let variance: Vec<f32> = sq_sum.iter().map(|&t| t * inv_n).collect();
    let sd: Vec<f32> = variance.iter().map(|&v| (v + epsilon).sqrt()).collect();
    let rc: Vec<f32> = sd.iter().map(|&x| x.recip()).collect();
    let inv: Vec<f32> = rc.iter().zip(&g).map(|(&r, &gj)| r * gj).collect();
    let shift: Vec<f32> = (0..cols).map(|j| -(mean[j] * inv[j]) + b[j]).collect();
    let mut values = vec![0.0; rows * cols];
    for (orow, zrow) in values.chunks_exact_mut(cols).zip(zv.chunks_exact(cols)) {
        for ((o, &x), (&i, &t)) in orow.iter_mut().zip(zrow).zip(inv.iter().zip(&shift)) {
            *o = x * i + t;
        }
    }
    let out = z.device().tensor_from_vec(values, (rows, cols));
    let stats = (mean.clone(), variance);
    if let Some(tape) = (&mut tape as &mut dyn Any).downcast_mut::<OwnedTape<f32, Cpu>>() {
        let ghosts = (out.ghost(), z.ghost(), gamma.ghost(), beta.ghost());
        tape.add_backward_op(move |grads| {
            let (out_ghost, z_ghost, gamma_ghost, beta_ghost) = &ghosts;
            let go = std::mem::take(&mut **grads.get_or_alloc_mut(out_ghost)?);
            // o: ∂zi = 0 + 1·∂out; ∂shift += 1·∂out.
            let dzi = |x: f32| 0.0 + 1.0 * x;
            let mut dshift = vec![0.0f32; cols];
            for row in go.chunks_exact(cols) {
                for (d, &x) in dshift.iter_mut().zip(row) {
                    *d += 1.0 * x;
                }
            }
            // n: ∂z += inv·∂zi (applied below, with c's and a's terms, in this order); ∂inv +=
            // z·∂zi.
            let mut dinv = vec![0.0f32; cols];
            for (zrow, grow) in zv.chunks_exact(cols).zip(go.chunks_exact(cols)) {
                for ((d, &x), &gx) in dinv.iter_mut().zip(zrow).zip(grow) {
                    *d += x * dzi(gx);
                }
            }
            // m: ∂nm = 0 + 1·∂shift; ∂β += 1·∂shift.
            let dbeta: &mut Vec<f32> = grads.get_or_alloc_mut(beta_ghost)?;
            for (d, &x) in dbeta.iter_mut().zip(&dshift) {
                *d += 1.0 * x;
            }
            let mut dmean = vec![0.0f32; cols];
            let mut dsq = vec![0.0f32; cols];
            let dgamma: &mut Vec<f32> = grads.get_or_alloc_mut(gamma_ghost)?;
            for j in 0..cols {
                let dnm = 0.0 + 1.0 * dshift[j];
                // l: ∂mi = 0 + (−1)·∂nm.
                let dmi = 0.0 + -1.0 * dnm;
                // k: ∂μ = 0 + inv·∂mi; ∂inv += μ·∂mi.
                dmean[j] = 0.0 + inv[j] * dmi;
                dinv[j] += mean[j] * dmi;
                // j: ∂rc = 0 + γ·∂inv; ∂γ += rc·∂inv.
                let drc = 0.0 + g[j] * dinv[j];
                dgamma[j] += rc[j] * dinv[j];
                // i: ∂sd = 0 + (−rc²)·∂rc; h: ∂(v + ε) = 0 + (2sd)⁻¹·∂sd; g: ∂v = 0 + 1·∂(v + ε).
                let dsd = 0.0 + -rc[j].powi(2) * drc;
                let dve = 0.0 + (sd[j] + sd[j]).recip() * dsd;
                let dv = 0.0 + 1.0 * dve;
                // f: ∂t = 0 + (1/n)·∂v; e: ∂q = 0 + ∂t, the same for every row.
                let dt = 0.0 + inv_n * dv;
                dsq[j] = 0.0 + dt;
            }
            // d: ∂c = 0 + (c + c)·∂q; c: ∂z += 1·∂c (below); ∂μ += (−1)·∂c.
            let dc = |c: f32, dq: f32| 0.0 + (c + c) * dq;
            for crow in centered.chunks_exact(cols) {
                for ((d, &c), &dq) in dmean.iter_mut().zip(crow).zip(&dsq) {
                    *d += -1.0 * dc(c, dq);
                }
            }
            // b: ∂s = 0 + (1/n)·∂μ; a: ∂z += ∂s.
            let dsum: Vec<f32> = dmean.iter().map(|&d| 0.0 + inv_n * d).collect();
            let dz: &mut Vec<f32> = grads.get_or_alloc_mut(z_ghost)?;
            let rows = dz
                .chunks_exact_mut(cols)
                .zip(go.chunks_exact(cols).zip(centered.chunks_exact(cols)));
            for (dzrow, (grow, crow)) in rows {
                let columns = dzrow.iter_mut().zip(grow).zip(crow);
                let units = inv.iter().zip(&dsq).zip(&dsum);
                for (((d, &gx), &c), ((&i, &dq), &ds)) in columns.zip(units) {
                    *d += i * dzi(gx);
                    *d += 1.0 * dc(c, dq);
                    *d += ds;
                }
            }
            Ok(())
        });
    }
    (out.put_tape(tape), stats)
}

/// An activation with a fast path on the `Cpu` (see [`activation`]): relu, elu, selu, and swish
/// with a fixed β, as the activation's `fused()` names it.
pub use crate::zoo::activation::Fused as Fast;

/// dfdx's relu derivative, 1 where x > 0, else 0.
fn relu_df(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// eˣ for every x of `xs`, in place: glibc's scalar `expf` under numerics version 1 (dfdx's
/// `exp`, the bits of every result recorded before versions), `kernels::exp`'s vectorized one
/// under version 2 (at most `kernels::exp::MAX_ULPS` ulps off, the same bits on every path).
fn exp_by_version(xs: &mut [f32], version: u32) {
    if version >= kernels::numerics::V2 {
        kernels::exp::exp_in_place(xs);
    } else {
        for x in xs {
            *x = x.exp();
        }
    }
}

/// The derivative of elu's negative branch, max(−z, 0) seen from z (`relu_df(−z)`), by numerics
/// version. Version 1 is dfdx's, 0 at z = ±0 as well, so elu′(0) = 0 and selu′(0) = 0 although
/// both are differentiable there with derivative α (λα for selu). Version 2 follows Keras on JAX
/// (issue 11 item 7): the negative branch owns z = ±0, so elu′(0) = α·e⁰ = α and selu′(0) = λα.
fn elu_negative_df(x: f32, version: u32) -> f32 {
    if version >= kernels::numerics::V2 {
        if x <= 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        relu_df(-x)
    }
}

/// `f` applied to z element-wise on the `Cpu` (`D` must be `Cpu`: see [`is_cpu`]), as one op:
/// what `Activation::apply` computes with dfdx's ops (elu and selu take nine, swish three, each
/// allocating). `z` must be contiguous (any op's output is); it may be used elsewhere too, as
/// its gradient is added to.
pub fn activation<D: Device<f32>, T: 'static>(z: Matrix<D, T>, f: Fast) -> Matrix<D, T> {
    assert!(is_cpu::<D>(), "the Cpu fast path on another device");
    cast(cpu_activation::<T>(cast(z), f))
}

/// The forward and backward arithmetic below repeats dfdx's ops in `zoo::activation`:
///
/// - relu: max(z, 0); ∂z += relu′(z)·∂out, relu′(z) = 1 if z > 0 else 0.
/// - elu: a = −z, b = max(a, 0), c = −b, d = eᶜ, e = d − 1, f = e·α, g = max(z, 0), h = g + f, and
///   selu's i = h·λ. Backward from i (or h) down: each op adds df·∂out to its input's gradient,
///   from +0.0; z's gradient gets g's term, then a's. Under numerics version 2, b's derivative
///   at z = ±0 is 1, not dfdx's 0 (see [`elu_negative_df`]).
/// - swish: u = z·β, s = 1/(1 + e⁻ᵘ), out = z·s; z's gradient gets s·∂out, then β·∂u with
///   ∂u = 0 + s(1 − s)·∂s and ∂s = 0 + z·∂out.
/// - tanh, sigmoid, gelu, gelu_tanh, mish (version 2 only): out = f(z); z's gradient gets
///   f′(z)·∂out, with f and f′ as `v2` gives them.
fn cpu_activation<T: 'static>(z: Matrix<Cpu, T>, f: Fast) -> Matrix<Cpu, T> {
    let (z, mut tape) = z.split_tape();
    let shape = *z.shape();
    let mut zv = vec![0.0; shape.0 * shape.1];
    z.copy_into(&mut zv);
    // The version of the forward pass's thread (the backward pass runs on it too, but its
    // arithmetic belongs to the run that recorded it).
    let version = kernels::numerics::current();
    let (values, kept) = activation_forward(&zv, f, version);
    let out = z.device().tensor_from_vec(values, shape);
    if let Some(tape) = (&mut tape as &mut dyn Any).downcast_mut::<OwnedTape<f32, Cpu>>() {
        let (out_ghost, z_ghost) = (out.ghost(), z.ghost());
        tape.add_backward_op(move |grads| {
            let go = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
            let dz: &mut Vec<f32> = grads.get_or_alloc_mut(&z_ghost)?;
            activation_backward(f, version, &zv, &kept, &go, dz);
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// f(z + b) with b broadcast over the rows of z, as one op on the `Cpu` (`D` must be `Cpu`: see
/// [`is_cpu`]): [`add_bias`] then [`activation`] in one pass forward and one backward, with the
/// same per-element arithmetic in the same order, so the same bits under every numerics version
/// (the sum's gradient buffer, which dfdx starts at +0.0 and the activation adds to, is a fresh
/// zeroed buffer here). As for [`add_bias`], z must be a fresh matmul output used only here and b
/// must appear only here in the graph.
pub fn bias_activation<D: Device<f32>, T: 'static>(
    z: Matrix<D, T>,
    b: &Vector<D>,
    f: Fast,
) -> Matrix<D, T> {
    assert!(is_cpu::<D>(), "the Cpu fast path on another device");
    cast(cpu_bias_activation::<T>(cast(z), cast_ref(b), f))
}

fn cpu_bias_activation<T: 'static>(z: Matrix<Cpu, T>, b: &Vector<Cpu>, f: Fast) -> Matrix<Cpu, T> {
    let (z, mut tape) = z.split_tape();
    let (rows, cols) = *z.shape();
    let mut bias = vec![0.0; cols];
    b.copy_into(&mut bias);
    // v = z + b, as [`cpu_add_bias`].
    let mut v = vec![0.0; rows * cols];
    z.copy_into(&mut v);
    for row in v.chunks_exact_mut(cols) {
        for (x, &bj) in row.iter_mut().zip(&bias) {
            *x += bj;
        }
    }
    let version = kernels::numerics::current();
    let (values, kept) = activation_forward(&v, f, version);
    let out = z.device().tensor_from_vec(values, (rows, cols));
    if let Some(tape) = (&mut tape as &mut dyn Any).downcast_mut::<OwnedTape<f32, Cpu>>() {
        let (out_ghost, z_ghost, b_ghost) = (out.ghost(), z.ghost(), b.ghost());
        tape.add_backward_op(move |grads| {
            let go = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
            // ∂v from +0.0, as dfdx's zeroed buffer of the sum, then the add's backward.
            let mut dv = vec![0.0; rows * cols];
            activation_backward(f, version, &v, &kept, &go, &mut dv);
            let db: &mut Vec<f32> = grads.get_or_alloc_mut(&b_ghost)?;
            for row in dv.chunks_exact(cols) {
                for (d, &gj) in db.iter_mut().zip(row) {
                    *d += gj;
                }
            }
            let dz: &mut Vec<f32> = grads.get_or_alloc_mut(&z_ghost)?;
            debug_assert!(dz.iter().all(|&g| g == 0.0), "z is used once");
            *dz = dv;
            Ok(())
        });
    }
    out.put_tape(tape)
}

/// f(z) for every z, and what the backward pass needs besides z (e^c for elu, s for swish, …):
/// the forward arithmetic of [`cpu_activation`].
fn activation_forward(zv: &[f32], f: Fast, version: u32) -> (Vec<f32>, Vec<f32>) {
    let mut kept = Vec::new();
    let values: Vec<f32> = match f {
        Fast::Relu => zv.iter().map(|&x| x.max(0.0)).collect(),
        Fast::Elu { alpha, lambda } => {
            kept = zv.iter().map(|&x| -(-x).max(0.0)).collect();
            exp_by_version(&mut kept, version);
            let h = zv
                .iter()
                .zip(&kept)
                .map(|(&x, &d)| x.max(0.0) + (d - 1.0) * alpha);
            match lambda {
                Some(l) => h.map(|h| h * l).collect(),
                None => h.collect(),
            }
        }
        Fast::Swish { beta } => {
            kept = zv.iter().map(|&x| -(x * beta)).collect();
            exp_by_version(&mut kept, version);
            for s in &mut kept {
                *s = 1.0 / (1.0 + *s);
            }
            zv.iter().zip(&kept).map(|(&x, &s)| x * s).collect()
        }
        // Version 2 only (see `Fused::since_version_2`): the formulas of `v2`.
        Fast::Tanh => {
            kept = zv.to_vec();
            kernels::tanh::tanh_in_place(&mut kept);
            kept.clone()
        }
        Fast::Sigmoid => {
            kept = zv.to_vec();
            kernels::sigmoid::sigmoid_in_place(&mut kept);
            kept.clone()
        }
        Fast::Gelu => {
            kept = v2::gelu_cdf(zv);
            zv.iter().zip(&kept).map(|(&x, &c)| x * c).collect()
        }
        Fast::GeluTanh => {
            kept = zv.iter().map(|&x| v2::gelu_tanh_inner(x)).collect();
            kernels::tanh::tanh_in_place(&mut kept);
            zv.iter()
                .zip(&kept)
                .map(|(&x, &t)| v2::gelu_tanh(x, t))
                .collect()
        }
        Fast::Mish => {
            kept = zv.iter().map(|&x| x.min(v2::MISH_CLAMP)).collect();
            kernels::exp::exp_in_place(&mut kept);
            zv.iter()
                .zip(&kept)
                .map(|(&x, &w)| v2::mish(x, w))
                .collect()
        }
    };
    (values, kept)
}

/// Adds f′(z)·∂out to `dz` for every z, in dfdx's accumulation order (see [`cpu_activation`]),
/// from the forward pass's z and `kept`.
fn activation_backward(
    f: Fast,
    version: u32,
    zv: &[f32],
    kept: &[f32],
    go: &[f32],
    dz: &mut [f32],
) {
    let terms = dz.iter_mut().zip(zv.iter().zip(go));
    match f {
        Fast::Relu => {
            for (d, (&x, &g)) in terms {
                *d += relu_df(x) * g;
            }
        }
        Fast::Elu { alpha, lambda } => {
            for ((d, (&x, &g)), &e_c) in terms.zip(kept) {
                let dh = match lambda {
                    Some(l) => 0.0 + l * g,
                    None => g,
                };
                let (dg, df) = (0.0 + 1.0 * dh, 0.0 + 1.0 * dh);
                *d += relu_df(x) * dg;
                let de = 0.0 + alpha * df;
                let dd = 0.0 + 1.0 * de;
                let dc = 0.0 + e_c * dd;
                let db = 0.0 + -1.0 * dc;
                let da = 0.0 + elu_negative_df(x, version) * db;
                *d += -1.0 * da;
            }
        }
        Fast::Swish { beta } => {
            for ((d, (&x, &g)), &s) in terms.zip(kept) {
                *d += s * g;
                let ds = 0.0 + x * g;
                let du = 0.0 + (s * (1.0 - s)) * ds;
                *d += beta * du;
            }
        }
        Fast::Tanh => {
            for ((d, (_, &g)), &t) in terms.zip(kept) {
                *d += v2::tanh_df(t) * g;
            }
        }
        Fast::Sigmoid => {
            for ((d, (_, &g)), &s) in terms.zip(kept) {
                *d += s * (1.0 - s) * g;
            }
        }
        Fast::Gelu => {
            let density = v2::gelu_density(zv);
            for (((d, (&x, &g)), &c), &p) in terms.zip(kept).zip(&density) {
                *d += (c + x * p) * g;
            }
        }
        Fast::GeluTanh => {
            for ((d, (&x, &g)), &t) in terms.zip(kept) {
                *d += v2::gelu_tanh_df(x, t) * g;
            }
        }
        Fast::Mish => {
            for ((d, (&x, &g)), &w) in terms.zip(kept) {
                *d += v2::mish_df(x, w) * g;
            }
        }
    }
}

/// Version 2's activations with no version-1 fused form, element by element around `kernels`'
/// vectorized tanh, erf, sigmoid and exp (each kernel call a pass over the whole batch). These
/// per-element formulas are version 2's numbers: plain f32 operations in the order written (no
/// fused multiply-add, so every path agrees), not to be changed within the version.
///
/// - tanh: t = tanh z; tanh′ = (1 − t)(1 + t) (1 − t is exact for t ≥ 1/2, unlike 1 − t²).
/// - sigmoid: s = σ(z) (`kernels::sigmoid`); σ′ = s(1 − s).
/// - gelu (exact; Keras's default `approximate=False`): Φ = 0.5·(1 + erf(z·(1/√2))), out = z·Φ;
///   gelu′ = Φ + z·φ with φ = e^(−0.5·z·z)·(1/√(2π)).
/// - gelu_tanh: u = √(2/π)·(z + 0.044715·z·z·z), t = tanh u, out = 0.5·z·(1 + t);
///   gelu_tanh′ = 0.5·(1 + t) + 0.5·z·(1 − t)(1 + t)·√(2/π)·(1 + 3·0.044715·z·z).
/// - mish: z·tanh(softplus z) without a logarithm or a tanh: with w = e^min(z, 20),
///   tanh(ln(1 + w)) = n/(n + 2) for n = w(w + 2), exactly; past z = 20 that rounds to 1 in f32,
///   and the clamp keeps n finite. mish′ = t + z·(1 − t²)·σ(z) with 1 − t² = 4(n + 1)/(n + 2)²
///   (no cancellation) and σ(z) = w/(1 + w).
mod v2 {
    /// 1/√2.
    const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
    /// 1/√(2π).
    const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;
    /// √(2/π).
    const SQRT_2_OVER_PI: f32 = 0.797_884_6;
    /// GELU's tanh approximation's cubic coefficient.
    const GELU_CUBIC: f32 = 0.044_715;
    /// mish's exponent is clamped here: tanh(softplus z) rounds to 1 in f32 from about z = 9.
    pub(super) const MISH_CLAMP: f32 = 20.0;

    pub(super) fn tanh_df(t: f32) -> f32 {
        (1.0 - t) * (1.0 + t)
    }

    /// Φ(z) for every z.
    pub(super) fn gelu_cdf(z: &[f32]) -> Vec<f32> {
        let mut cdf: Vec<f32> = z.iter().map(|&x| x * FRAC_1_SQRT_2).collect();
        kernels::erf::erf_in_place(&mut cdf);
        for c in &mut cdf {
            *c = 0.5 * (1.0 + *c);
        }
        cdf
    }

    /// φ(z) for every z.
    pub(super) fn gelu_density(z: &[f32]) -> Vec<f32> {
        let mut density: Vec<f32> = z.iter().map(|&x| -0.5 * x * x).collect();
        kernels::exp::exp_in_place(&mut density);
        for p in &mut density {
            *p *= FRAC_1_SQRT_2PI;
        }
        density
    }

    pub(super) fn gelu_tanh_inner(x: f32) -> f32 {
        SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)
    }

    pub(super) fn gelu_tanh(x: f32, t: f32) -> f32 {
        0.5 * x * (1.0 + t)
    }

    pub(super) fn gelu_tanh_df(x: f32, t: f32) -> f32 {
        let inner_df = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x * x);
        0.5 * (1.0 + t) + 0.5 * x * tanh_df(t) * inner_df
    }

    /// mish(x) from w = e^min(x, 20).
    pub(super) fn mish(x: f32, w: f32) -> f32 {
        let n = w * (w + 2.0);
        x * (n / (n + 2.0))
    }

    /// mish′(x) from w = e^min(x, 20).
    pub(super) fn mish_df(x: f32, w: f32) -> f32 {
        let n = w * (w + 2.0);
        let t = n / (n + 2.0);
        let sech2 = 4.0 * (n + 1.0) / ((n + 2.0) * (n + 2.0));
        t + x * sech2 * (w / (1.0 + w))
    }
}

/// Softmax cross-entropy of `logits` (batch × classes) against target probabilities (one-hot
/// labels), averaged over the batch, and its gradient, as one op on the `Cpu` (`D` must be
/// `Cpu`: see [`is_cpu`]): numerics version 2's loss. dfdx's `cross_entropy_with_logits_loss`
/// (version 1's) takes a log-softmax, a product, a mean, a negation and a division, each a pass
/// with its own buffer and glibc's scalar `expf` per element, and as many again backward.
///
/// Per row i, in f32 and in this order: m = max z, s = z − m, S = Σ eˢ (sums in class order,
/// the exponentials by `kernels::exp`), lossᵢ = (Σ y)·ln S − Σ y·s; the loss is Σᵢ lossᵢ (in
/// row order) / rows. The gradient is ∂z = ∂loss·(eˢ/S·Σy − y)/rows, added to z's.
pub fn softmax_cross_entropy<D: Device<f32>>(
    logits: Matrix<D, OwnedTape<f32, D>>,
    targets: Matrix<D>,
) -> Tensor<(), f32, D, OwnedTape<f32, D>> {
    assert!(is_cpu::<D>(), "the Cpu fast path on another device");
    cast(cpu_softmax_cross_entropy(cast(logits), cast(targets)))
}

fn cpu_softmax_cross_entropy(
    logits: Matrix<Cpu, OwnedTape<f32, Cpu>>,
    targets: Matrix<Cpu>,
) -> Tensor<(), f32, Cpu, OwnedTape<f32, Cpu>> {
    let (z, mut tape) = logits.split_tape();
    let (rows, cols) = *z.shape();
    let mut e = vec![0.0; rows * cols];
    z.copy_into(&mut e);
    let mut y = vec![0.0; rows * cols];
    targets.copy_into(&mut y);
    // Per row: Σ y·s and Σ y, with s = z − max z written over z.
    let mut dot = vec![0.0f32; rows];
    let mut mass = vec![0.0f32; rows];
    for (((row, t), d), w) in e
        .chunks_exact_mut(cols)
        .zip(y.chunks_exact(cols))
        .zip(&mut dot)
        .zip(&mut mass)
    {
        let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        for (s, &t) in row.iter_mut().zip(t) {
            *s -= m;
            *d += t * *s;
            *w += t;
        }
    }
    // One call over the whole batch: whole vectors, not rows of 10.
    kernels::exp::exp_in_place(&mut e);
    let mut sums = vec![0.0f32; rows];
    let mut loss = 0.0f32;
    for (((row, sum), &d), &w) in e.chunks_exact(cols).zip(&mut sums).zip(&dot).zip(&mass) {
        *sum = row.iter().sum();
        loss += w * sum.ln() - d;
    }
    let inv_rows = 1.0 / rows as f32;
    let out = z.device().tensor(loss * inv_rows);
    let (out_ghost, z_ghost) = (out.ghost(), z.ghost());
    tape.add_backward_op(move |grads| {
        let g = grads.get_or_alloc_mut(&out_ghost)?[0] * inv_rows;
        let dz: &mut Vec<f32> = grads.get_or_alloc_mut(&z_ghost)?;
        let rows_of = dz.chunks_exact_mut(cols).zip(e.chunks_exact(cols));
        for (((d, row), t), (&sum, &w)) in rows_of
            .zip(y.chunks_exact(cols))
            .zip(sums.iter().zip(&mass))
        {
            for ((d, &ex), &t) in d.iter_mut().zip(row).zip(t) {
                *d += g * (ex / sum * w - t);
            }
        }
        Ok(())
    });
    out.put_tape(tape)
}

/// Moves `t`'s gradient out of `grads` (leaving an empty buffer there) when the device is the
/// `Cpu`; `None` on other devices. A gradient the backward pass never reached comes out as zeros.
pub fn take_grad<S: Shape, D: Device<f32>>(
    grads: &mut Gradients<f32, D>,
    t: &Tensor<S, f32, D>,
) -> Option<Vec<f32>> {
    let grads = (grads as &mut dyn Any).downcast_mut::<Gradients<f32, Cpu>>()?;
    let t: &Tensor<S, f32, Cpu> = (t as &dyn Any).downcast_ref()?;
    let slot = grads.get_or_alloc_mut(t).ok()?;
    Some(std::mem::take(&mut **slot))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::zoo::activation::{Activation, Elu, GeluSigmoid, Relu, Selu, Silu, Swish};
    use crate::zoo::rng::uniform01;

    /// `n` values uniform in [-1, 1).
    fn random(n: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
        (0..n)
            .map(|_| (uniform01(rng) * 2.0 - 1.0) as f32)
            .collect()
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Runs `f` on a rayon pool of `threads` (dfdx's gemm splits its work over them).
    fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(f)
    }

    /// A dense layer's output and the gradients of w, b and (when `x_grad`) x under
    /// loss = Σ out ⊙ u, by dfdx's ops (`reference`) or through [`matmul_kernel_grad`] (when
    /// not `x_grad`) and [`add_bias`].
    fn dense_grads(
        dev: &Cpu,
        (rows, fan_in, cols): (usize, usize, usize),
        with_bias: bool,
        x_grad: bool,
        reference: bool,
    ) -> Vec<Vec<u32>> {
        let mut rng = ChaCha8Rng::seed_from_u64((rows * 1000 + fan_in * 10 + cols) as u64);
        // Zero pixels, as in images, make exact ±0 products.
        let x = dev
            .tensor_from_vec(random(rows * fan_in, &mut rng), (rows, fan_in))
            .relu();
        let w = dev.tensor_from_vec(random(fan_in * cols, &mut rng), (fan_in, cols));
        let b = dev.tensor_from_vec(random(cols, &mut rng), (cols,));
        let u = dev.tensor_from_vec(random(rows * cols, &mut rng), (rows, cols));
        let z = if reference || x_grad {
            x.clone().traced(Gradients::leaky()).matmul(w.clone())
        } else {
            matmul_kernel_grad(x.clone(), &w)
        };
        let out = match (with_bias, reference) {
            (false, _) => z,
            (true, true) => z + b.clone().broadcast_like::<_, Axis<0>>(&(rows, cols)),
            (true, false) => add_bias(z, &b),
        };
        let values = out.retaped::<NoneTape>().as_vec();
        let grads = (out * u).sum().backward();
        let mut result = vec![bits(&values), bits(&grads.get(&w).as_vec())];
        if with_bias {
            result.push(bits(&grads.get(&b).as_vec()));
        }
        if x_grad {
            result.push(bits(&grads.get(&x).as_vec()));
        }
        result
    }

    #[test]
    fn the_dense_ops_match_dfdx_bit_for_bit() {
        // Batches of 1 and 2 take gemm's special small-k paths; 600 rows split k into blocks.
        let shapes = [
            (1, 7, 5),
            (2, 7, 5),
            (3, 4, 1),
            (1, 1, 9),
            (32, 784, 30),
            (33, 65, 17),
            (600, 33, 17),
        ];
        for threads in [1, 2] {
            on_threads(threads, || {
                let dev = Cpu::default();
                for shape in shapes {
                    for with_bias in [true, false] {
                        for x_grad in [true, false] {
                            assert_eq!(
                                dense_grads(&dev, shape, with_bias, x_grad, true),
                                dense_grads(&dev, shape, with_bias, x_grad, false),
                                "{shape:?}, bias {with_bias}, x_grad {x_grad}, {threads} threads"
                            );
                        }
                    }
                }
            });
        }
    }

    /// Batch norm's output, batch statistics and the gradients of z, γ and β under
    /// loss = Σ out ⊙ u + Σ z ⊙ v (z also used elsewhere), by dfdx's ops or by the fast path.
    fn batch_norm_grads(
        dev: &Cpu,
        (rows, cols): (usize, usize),
        scale: f32,
        reference: bool,
    ) -> Vec<Vec<u32>> {
        use crate::model::{BatchNorm, BatchNormSpec, Kind, Param, Placement};
        DFDX_ONLY.with(|only| only.set(reference));
        let mut rng = ChaCha8Rng::seed_from_u64((rows * 100 + cols) as u64);
        let spec = BatchNormSpec {
            placement: Placement::BeforeActivation,
            input: false,
            momentum: 0.99,
            epsilon: 1e-3,
        };
        let mut bn = BatchNorm::new(dev, cols, &spec);
        bn.gamma = Param::new(dev, random(cols, &mut rng), (cols,), Kind::Gamma);
        bn.beta = Param::new(dev, random(cols, &mut rng), (cols,), Kind::Beta);
        let values: Vec<f32> = random(rows * cols, &mut rng)
            .iter()
            .map(|x| x * scale)
            .collect();
        let z = dev.tensor_from_vec(values, (rows, cols));
        let u = dev.tensor_from_vec(random(rows * cols, &mut rng), (rows, cols));
        let v = dev.tensor_from_vec(random(rows * cols, &mut rng), (rows, cols));
        let zt = z.clone().traced(Gradients::leaky());
        let (out, (mean, variance)) = bn.forward_train(zt.with_empty_tape());
        let values = out.retaped::<NoneTape>().as_vec();
        let loss = (out * u).sum() + (zt * v).sum();
        let grads = loss.backward();
        DFDX_ONLY.with(|only| only.set(false));
        vec![
            bits(&values),
            bits(&mean),
            bits(&variance),
            bits(&grads.get(&z).as_vec()),
            bits(&grads.get(&bn.gamma.tensor).as_vec()),
            bits(&grads.get(&bn.beta.tensor).as_vec()),
        ]
    }

    #[test]
    fn batch_norm_matches_dfdx_bit_for_bit() {
        let dev = Cpu::default();
        for shape in [(1, 3), (2, 5), (3, 1), (32, 7), (256, 100), (600, 9)] {
            for scale in [1.0, 1e-3, 50.0] {
                assert_eq!(
                    batch_norm_grads(&dev, shape, scale, true),
                    batch_norm_grads(&dev, shape, scale, false),
                    "{shape:?}, scale {scale}"
                );
            }
        }
    }

    /// An activation's output and the gradient of z under loss = Σ out ⊙ u + Σ z ⊙ v, by
    /// dfdx's ops or through [`activation`].
    fn activation_grads(dev: &Cpu, a: &Activation, reference: bool) -> Vec<Vec<u32>> {
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let mut values: Vec<f32> = random(300, &mut rng).iter().map(|x| x * 8.0).collect();
        values.extend([
            0.0,
            -0.0,
            1e-40,
            -1e-40,
            100.0,
            -100.0,
            1e30,
            -1e30,
            f32::MIN_POSITIVE,
        ]);
        let shape = (values.len() / 3, 3);
        let u = dev.tensor_from_vec(random(values.len(), &mut rng), shape);
        let v = dev.tensor_from_vec(random(values.len(), &mut rng), shape);
        let z = dev.tensor_from_vec(values, shape);
        let zt = z.clone().traced(Gradients::leaky());
        let out = if reference {
            a.apply(zt.with_empty_tape())
        } else {
            activation(zt.with_empty_tape(), a.fused().unwrap())
        };
        let values = out.retaped::<NoneTape>().as_vec();
        let grads = ((out * u).sum() + (zt * v).sum()).backward();
        vec![bits(&values), bits(&grads.get(&z).as_vec())]
    }

    #[test]
    fn fast_activations_match_dfdx_bit_for_bit() {
        let dev = Cpu::default();
        for a in [
            Activation::new(Relu {}),
            Activation::new(Elu { alpha: 1.0 }),
            Activation::new(Elu { alpha: 0.3 }),
            Activation::new(Selu {}),
            Activation::new(Silu {}),
            Activation::new(GeluSigmoid {}),
            Activation::new(Swish {
                beta: 0.6,
                learned: false,
            }),
        ] {
            assert_eq!(
                activation_grads(&dev, &a, true),
                activation_grads(&dev, &a, false),
                "{a:?}"
            );
        }
    }

    /// A dense layer's output f(x·w + b) and the gradients of w and b under loss = Σ out ⊙ u,
    /// through [`bias_activation`] (`fused`) or [`add_bias`] then [`activation`].
    fn bias_activation_grads(
        dev: &Cpu,
        (rows, fan_in, cols): (usize, usize, usize),
        f: Fast,
        fused: bool,
    ) -> Vec<Vec<u32>> {
        let mut rng = ChaCha8Rng::seed_from_u64((rows * 1000 + fan_in * 10 + cols) as u64);
        let x = dev.tensor_from_vec(random(rows * fan_in, &mut rng), (rows, fan_in));
        let w = dev.tensor_from_vec(random(fan_in * cols, &mut rng), (fan_in, cols));
        let mut bias = random(cols, &mut rng);
        // Exact zeros of z + b (the kinks, and elu′(0) under version 2) in the first row.
        bias[0] = 0.0;
        let b = dev.tensor_from_vec(bias, (cols,));
        let u = dev.tensor_from_vec(random(rows * cols, &mut rng), (rows, cols));
        let z = matmul_kernel_grad(x.clone(), &w);
        let out = if fused {
            bias_activation(z, &b, f)
        } else {
            activation(add_bias(z, &b), f)
        };
        let values = out.retaped::<NoneTape>().as_vec();
        let grads = (out * u).sum().backward();
        vec![
            bits(&values),
            bits(&grads.get(&w).as_vec()),
            bits(&grads.get(&b).as_vec()),
        ]
    }

    #[test]
    fn bias_and_activation_in_one_op_give_the_bits_of_the_two_ops() {
        let dev = Cpu::default();
        let every = [
            Fast::Relu,
            Fast::Elu {
                alpha: 1.0,
                lambda: None,
            },
            Fast::Elu {
                alpha: 1.673_263_2,
                lambda: Some(1.050_701),
            },
            Fast::Swish { beta: 1.0 },
            Fast::Swish { beta: 0.6 },
            Fast::Tanh,
            Fast::Sigmoid,
            Fast::Gelu,
            Fast::GeluTanh,
            Fast::Mish,
        ];
        for version in kernels::numerics::KNOWN {
            let _version = kernels::numerics::enter(version);
            for f in every.into_iter().filter(|f| f.serves(version)) {
                for shape in [(1, 3, 5), (32, 20, 17), (7, 1, 1)] {
                    assert_eq!(
                        bias_activation_grads(&dev, shape, f, false),
                        bias_activation_grads(&dev, shape, f, true),
                        "{f:?}, {shape:?}, version {version}"
                    );
                }
            }
        }
    }

    /// ∂(Σ f(z))/∂z by the fused path under numerics `version`.
    fn fused_gradient(dev: &Cpu, a: &Activation, z: &[f32], version: u32) -> Vec<f32> {
        let _version = kernels::numerics::enter(version);
        let z = dev.tensor_from_vec(z.to_vec(), (z.len(), 1));
        let out = activation(z.clone().traced(Gradients::leaky()), a.fused().unwrap());
        out.sum().backward().get(&z).as_vec()
    }

    #[test]
    fn under_version_2_elu_and_selu_have_their_derivative_at_zero() {
        let dev = Cpu::default();
        let (lambda, alpha) = (1.050_701_f32, 1.673_263_2_f32);
        let at_zero = [0.0, -0.0];
        for (a, v2) in [
            (Activation::new(Elu { alpha: 1.0 }), 1.0),
            (Activation::new(Elu { alpha: 0.3 }), 0.3),
            (Activation::new(Selu {}), lambda * alpha),
            // relu′(0) = 0 in both (JAX's convention too).
            (Activation::new(Relu {}), 0.0),
        ] {
            let (one, two) = (
                fused_gradient(&dev, &a, &at_zero, kernels::numerics::V1),
                fused_gradient(&dev, &a, &at_zero, kernels::numerics::V2),
            );
            assert_eq!(one, [0.0, 0.0], "{a:?} under version 1 (dfdx's convention)");
            for g in two {
                assert!(
                    (g - v2).abs() <= 1e-6 * v2.max(1.0),
                    "{a:?}: {g}, expected {v2}"
                );
            }
        }
    }

    #[test]
    fn away_from_zero_version_2_stays_within_its_exps_error_of_version_1() {
        // Version 2 changes only the exponential (and elu′ at ±0): relu keeps its bits, and the
        // others' values and gradients move by a few ulps of e^x, nowhere near a formula's error.
        let dev = Cpu::default();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut z: Vec<f32> = random(400, &mut rng).iter().map(|x| x * 8.0).collect();
        z.extend([1e-40, -1e-40, 100.0, -100.0, f32::MIN_POSITIVE]);
        let relu = Activation::new(Relu {});
        assert_eq!(
            bits(&fused_gradient(&dev, &relu, &z, kernels::numerics::V1)),
            bits(&fused_gradient(&dev, &relu, &z, kernels::numerics::V2)),
        );
        assert_eq!(
            bits(&fused_values(&dev, &relu, &z, kernels::numerics::V1)),
            bits(&fused_values(&dev, &relu, &z, kernels::numerics::V2)),
        );
        let mut differing = 0;
        for a in [
            Activation::new(Elu { alpha: 1.0 }),
            Activation::new(Selu {}),
            Activation::new(Silu {}),
        ] {
            let one = fused_values(&dev, &a, &z, kernels::numerics::V1);
            let two = fused_values(&dev, &a, &z, kernels::numerics::V2);
            let d_one = fused_gradient(&dev, &a, &z, kernels::numerics::V1);
            let d_two = fused_gradient(&dev, &a, &z, kernels::numerics::V2);
            for ((x, (o, t)), (d_o, d_t)) in z
                .iter()
                .zip(one.iter().zip(&two))
                .zip(d_one.iter().zip(&d_two))
            {
                assert!(
                    (o - t).abs() <= 1e-6 * o.abs().max(1.0),
                    "{a:?} f({x}): {o} vs {t}"
                );
                assert!(
                    (d_o - d_t).abs() <= 1e-6 * d_o.abs().max(1.0),
                    "{a:?} f'({x}): {d_o} vs {d_t}"
                );
            }
            differing += usize::from(bits(&one) != bits(&two));
        }
        // The vectorized exponential is used at all.
        assert!(differing > 0, "version 2 gave version 1's bits everywhere");
    }

    /// f(z) by the fused path under numerics `version`.
    fn fused_values(dev: &Cpu, a: &Activation, z: &[f32], version: u32) -> Vec<f32> {
        let _version = kernels::numerics::enter(version);
        let z = dev.tensor_from_vec(z.to_vec(), (z.len(), 1));
        activation(z, a.fused().unwrap()).as_vec()
    }

    #[test]
    fn under_version_2_the_fused_activations_match_keras_at_zero() {
        // tests/reference/keras_activations.json's "at_zero": Keras on JAX at z = +0 and −0.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/reference/keras_activations.json"
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let floats = |v: &serde_json::Value| -> Vec<f32> {
            let values = v.as_array().unwrap().iter();
            values.map(|x| x.as_f64().unwrap() as f32).collect()
        };
        let z = floats(&doc["at_zero"]["x"]);
        let dev = Cpu::default();
        let mut fused = 0;
        for case in doc["at_zero"]["cases"].as_array().unwrap() {
            let mut table = case["params"].clone();
            table["name"] = case["name"].clone();
            let a: Activation = serde_json::from_value(table).unwrap();
            if a.fused().is_none() {
                continue;
            }
            let expected = floats(&case["dy"]);
            let got = fused_gradient(&dev, &a, &z, kernels::numerics::V2);
            for (g, k) in got.iter().zip(&expected) {
                assert!((g - k).abs() <= 5e-6, "{a:?} at ±0: {g}, Keras {k}");
            }
            fused += 1;
        }
        // relu, elu (two α), selu, silu, gelu_sigmoid, swish.
        assert!(fused >= 7, "only {fused} fused activations checked");
    }

    /// Every activation with a fused op, through it under version 2, against Keras 3 on JAX
    /// (tests/reference/keras_activations.json's cases, z from −8 to 8 with the tails) with the
    /// tolerances of tests/it/activation_conformance.rs: values to 2e-6, gradients to 5e-6,
    /// relative above 1.
    #[test]
    fn under_version_2_every_fused_activation_matches_keras() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/reference/keras_activations.json"
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let floats = |v: &serde_json::Value| -> Vec<f32> {
            let values = v.as_array().unwrap().iter();
            values.map(|x| x.as_f64().unwrap() as f32).collect()
        };
        let z = floats(&doc["x"]);
        let dev = Cpu::default();
        let mut checked = Vec::new();
        for case in doc["cases"].as_array().unwrap() {
            let mut table = case["params"].clone();
            table["name"] = case["name"].clone();
            let a: Activation = serde_json::from_value(table).unwrap();
            if a.fused().is_none() {
                continue;
            }
            let values = fused_values(&dev, &a, &z, kernels::numerics::V2);
            let grads = fused_gradient(&dev, &a, &z, kernels::numerics::V2);
            let tol = |k: f32, t: f32| t * k.abs().max(1.0);
            for (i, (&k, &dk)) in floats(&case["y"])
                .iter()
                .zip(&floats(&case["dy"]))
                .enumerate()
            {
                let (o, g) = (values[i], grads[i]);
                assert!(
                    (o - k).abs() <= tol(k, 2e-6),
                    "{a:?} f({}): {o}, Keras {k}",
                    z[i]
                );
                assert!(
                    (g - dk).abs() <= tol(dk, 5e-6),
                    "{a:?} f'({}): {g}, Keras {dk}",
                    z[i]
                );
            }
            checked.push(case["name"].as_str().unwrap().to_string());
        }
        for name in [
            "tanh",
            "sigmoid",
            "gelu",
            "gelu_tanh",
            "mish",
            "silu",
            "selu",
        ] {
            assert!(
                checked.iter().any(|c| c == name),
                "{name} not checked: {checked:?}"
            );
        }
    }

    /// Version 2's new fused activations against their scalar forms in f64 over a dense grid
    /// (and the far tails, where overflow and the clamps act): a wrong formula is off by far
    /// more than the 1e-6 (relative above 1) allowed.
    #[test]
    fn under_version_2_the_new_fused_activations_follow_their_scalar_forms() {
        use crate::zoo::activation::{Gelu, GeluTanh, Mish, Sigmoid, Tanh};
        let dev = Cpu::default();
        let mut z: Vec<f32> = (0..=4000).map(|i| -20.0 + 0.01 * i as f32).collect();
        z.extend([-80.0, -30.0, 30.0, 80.0, 1e-30, -1e-30, 0.0, -0.0]);
        for a in [
            Activation::new(Tanh {}),
            Activation::new(Sigmoid {}),
            Activation::new(Gelu {}),
            Activation::new(GeluTanh {}),
            Activation::new(Mish {}),
        ] {
            assert!(a.fused().unwrap().since_version_2(), "{a:?}");
            let values = fused_values(&dev, &a, &z, kernels::numerics::V2);
            let grads = fused_gradient(&dev, &a, &z, kernels::numerics::V2);
            let mut worst = (0.0f64, 0.0f32);
            for ((&x, &v), &g) in z.iter().zip(&values).zip(&grads) {
                let (f, df) = a.scalar(f64::from(x));
                for (ours, exact) in [(v, f), (g, df)] {
                    let err = (f64::from(ours) - exact).abs() / exact.abs().max(1.0);
                    assert!(err <= 1e-6, "{a:?} at {x}: {ours} vs {exact}");
                    if err > worst.0 {
                        worst = (err, x);
                    }
                }
            }
            eprintln!("{a:?}: worst error {:.2e} at {}", worst.0, worst.1);
        }
    }

    #[test]
    fn under_version_1_the_new_fused_ops_are_not_served() {
        use crate::zoo::activation::{Gelu, GeluTanh, Mish, Sigmoid, Tanh};
        for a in [
            Activation::new(Tanh {}),
            Activation::new(Sigmoid {}),
            Activation::new(Gelu {}),
            Activation::new(GeluTanh {}),
            Activation::new(Mish {}),
        ] {
            let f = a.fused().unwrap();
            assert!(!f.serves(kernels::numerics::V1) && f.serves(kernels::numerics::V2));
        }
        for a in [Activation::new(Relu {}), Activation::new(Selu {})] {
            assert!(a.fused().unwrap().serves(kernels::numerics::V1), "{a:?}");
        }
    }

    #[test]
    fn the_fused_softmax_cross_entropy_matches_dfdxs_loss_and_gradient() {
        let dev = Cpu::default();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for (rows, scale) in [(32, 3.0), (7, 30.0), (1, 0.5)] {
            let cols = 10;
            let logits: Vec<f32> = random(rows * cols, &mut rng)
                .iter()
                .map(|x| x * scale)
                .collect();
            // One-hot labels, and one soft row (target probabilities summing to 1).
            let mut y = vec![0.0; rows * cols];
            for r in 0..rows {
                y[r * cols + (r * 7) % cols] = 1.0;
            }
            y[..cols].fill(0.1);
            let z = dev.tensor_from_vec(logits, (rows, cols));
            let t = dev.tensor_from_vec(y, (rows, cols));
            let run = |fused: bool| {
                let zt = z.clone().traced(Gradients::leaky());
                let loss = if fused {
                    softmax_cross_entropy(zt, t.clone())
                } else {
                    cross_entropy_with_logits_loss(zt, t.clone())
                };
                let value = loss.retaped::<NoneTape>().as_vec()[0];
                // A loss scaled by 2.5 checks that the upstream gradient is used.
                (value, (loss * 2.5).backward().get(&z).as_vec())
            };
            let ((ours, d_ours), (dfdx, d_dfdx)) = (run(true), run(false));
            assert!(
                (ours - dfdx).abs() <= 2e-6 * dfdx.abs().max(1.0),
                "{rows}: {ours} vs {dfdx}"
            );
            for (a, b) in d_ours.iter().zip(&d_dfdx) {
                assert!((a - b).abs() <= 1e-6, "{rows}: ∂z {a} vs {b}");
            }
        }
    }
}
