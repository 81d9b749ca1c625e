//! A sequential dense network with runtime sizes, built from a [`ModelSpec`] on dfdx tensors and
//! generic over the dfdx device (`Cpu` now, `Cuda` behind the `cuda` feature). dfdx's own nn
//! modules need compile-time sizes, so the network is a list of [`Op`]s over plain tensors, in the
//! order Keras's `Sequential` would hold them: [BN] → ([dropout] → dense → [BN] → activation → [BN])
//! per hidden layer → [dropout] → dense.
//!
//! The model holds the parameters, runs the forward passes and hands out gradients; what a
//! training step does with them (regularizers, clipping, weight decay, the optimizer's update,
//! constraints) is the training loop's (`train/step.rs`). Host copies of the parameters are the
//! optimizer's working copy: a step reads each gradient to the host, updates there and writes the
//! tensor back, which keeps the optimizers device-free (plain SGD on the `Cpu` excepted: it
//! updates the tensor in place, with the same bits, and the host copy is read back when next
//! needed; `param.rs`). Parameters are numbered in op order (a
//! plain network: kernel, bias per layer), the numbering the optimizer's state and global
//! clipping use.
//!
//! On dfdx's `Cpu`, dense layers' bias adds, batch norm in training mode and the relu, elu, selu
//! and fixed-β swish activations run as single ops (`cpu.rs`) that give dfdx's values and
//! gradients bit for bit, faster. A training step ([`Mlp::forward_train_params`],
//! [`Mlp::take_gradients`]) traces the parameters, not the batch, so no gradient is computed for
//! the input, and takes the gradient buffers over instead of copying them.
//!
//! A CNN (`kind = "cnn"`) is the same list of ops with convolutions (dense layers with a
//! window, `conv.rs`'s im2col) and max pooling below the dense layers, its images travelling as
//! rows of height × width × channels values.
//!
//! Where each concern lives: `spec.rs` (the study file's description), `network.rs` (the ops and
//! parameters), `cnn.rs` (a CNN's conv layers), `shape.rs` (the sizes
//! a spec implies, for estimates), `forward.rs` (the passes), `reuse.rs` (freezing, copying lower layers), `fold.rs`
//! (batch-norm folding), `norm.rs` (batch norm), `param.rs` (one parameter), `io.rs`
//! (safetensors), `cpu.rs` (the `Cpu` fast paths).

mod cnn;
pub mod conv;
mod cpu;
mod fold;
mod forward;
mod io;
mod network;
mod norm;
mod param;
mod reuse;
mod shape;
mod spec;

pub use network::{Dense, Mlp, Op};
pub use norm::{BatchNorm, BatchNormSpec, BatchStats, Placement};
pub use param::{Kind, Param, Trainable};
pub use shape::LayerShape;
pub use spec::{lenet5_conv, ConvLayer, ModelKind, ModelSpec, ModelSpecFile};

/// Numerics version 2's softmax cross-entropy on the `Cpu`, one op forward and backward.
pub use cpu::{is_cpu, softmax_cross_entropy};
/// The activation op a pass takes on a device (the benches time activations through these).
pub use forward::{apply_activation, fused_activation};

#[cfg(test)]
pub(crate) use cpu::with_dfdx_only;

use dfdx::prelude::*;

use crate::error::Error;

/// A matrix with runtime sizes.
pub type Matrix<D, T = NoneTape> = Tensor<(usize, usize), f32, D, T>;

/// Turns a dfdx device error into the library's.
pub fn device_err(e: impl std::fmt::Debug) -> Error {
    Error::Device(format!("{e:?}"))
}
