//! The network: its ops ([`Op`]: dropout, dense or convolution, batch norm, activation, max
//! pooling) in the order Keras's `Sequential` would hold them, the layer each op belongs to, and its parameters: built from a
//! [`ModelSpec`], listed in update order for the training step, read and written back as host
//! copies, saved and restored as a state. The forward passes are in `forward.rs`, freezing and
//! layer reuse in `reuse.rs`, batch-norm folding in `fold.rs`, a CNN's convolutional layers in
//! `cnn.rs`; what a training step does with the gradients is the training loop's
//! (`train/step.rs`).

use dfdx::prelude::*;
use rand::RngCore;

use super::conv::{self, Window};
use super::spec::ModelKind;
use super::{cpu, BatchNorm, Kind, Matrix, ModelSpec, Param, Placement, Trainable};
use crate::error::Result;
use crate::zoo::activation::Activation;
use crate::zoo::dropout::Dropout;

/// One dense layer: kernel [fan_in, fan_out] (Keras layout) and, unless batch norm follows it
/// directly, a bias [fan_out]. With a `window` it is a 2-D convolution: the kernel is Keras's
/// [kh, kw, c_in, c_out] flattened to [kh·kw·c_in, c_out], applied to every patch of each image
/// (im2col, `conv.rs`), the bias added per output channel.
#[derive(Debug, Clone)]
pub struct Dense<D: Device<f32>> {
    /// The kernel.
    pub kernel: Param<(usize, usize), D>,
    /// The bias.
    pub bias: Option<Param<(usize,), D>>,
    /// A convolution's input shape, kernel size, stride and padding (None: a dense layer).
    pub window: Option<Window>,
}

impl<D: Device<f32>> Dense<D> {
    pub(super) fn forward<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        h: Matrix<D, T>,
    ) -> Matrix<D, T> {
        match &self.window {
            None => self.add_bias(h.matmul(self.kernel.tensor.clone())),
            Some(w) => {
                let batch = h.shape().0;
                let z = conv::patches(h, w).matmul(self.kernel.tensor.clone());
                self.images(self.add_bias(z), batch)
            }
        }
    }

    /// [`Dense::forward`] of an input that needs no gradient, starting the tape here: the
    /// backward pass computes the kernel's and the bias's gradients but not the input's.
    pub(super) fn forward_start_tape(&self, h: Matrix<D>) -> Matrix<D, OwnedTape<f32, D>> {
        match &self.window {
            None => self.add_bias(cpu::matmul_kernel_grad(h, &self.kernel.tensor)),
            Some(w) => {
                let batch = h.shape().0;
                let z = cpu::matmul_kernel_grad(conv::patches(h, w), &self.kernel.tensor);
                self.images(self.add_bias(z), batch)
            }
        }
    }

    /// A convolution's output, one row per output position, as one row per image (batch ×
    /// oh·ow·c_out, channels last).
    fn images<T: Tape<f32, D>>(&self, z: Matrix<D, T>, batch: usize) -> Matrix<D, T> {
        let (rows, cols) = *z.shape();
        z.reshape_like(&(batch, rows / batch.max(1) * cols))
    }

    pub(super) fn add_bias<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        z: Matrix<D, T>,
    ) -> Matrix<D, T> {
        match &self.bias {
            Some(b) => cpu::add_bias(z, &b.tensor),
            None => z,
        }
    }

    pub(super) fn fan_in(&self) -> usize {
        self.kernel.tensor.shape().0
    }

    pub(super) fn fan_out(&self) -> usize {
        self.kernel.tensor.shape().1
    }
}

/// One step of the network.
#[derive(Debug, Clone)]
pub enum Op<D: Device<f32>> {
    /// Dropout on the way into a dense layer (training and MC dropout only).
    Dropout(Dropout),
    /// A dense layer.
    Dense(Dense<D>),
    /// Batch normalization.
    Norm(BatchNorm<D>),
    /// A hidden activation, with its per-unit parameter when it learns one.
    Activation {
        /// The function.
        activation: Activation,
        /// prelu's α or learned swish's β, one per unit (per position and channel after a
        /// convolution, as Keras's `PReLU` without shared axes).
        param: Option<Param<(usize,), D>>,
    },
    /// Max pooling over a window (a CNN's conv layers).
    Pool(Window),
}

/// The network.
#[derive(Debug, Clone)]
pub struct Mlp<D: Device<f32>> {
    pub(super) ops: Vec<Op<D>>,
    /// The layer each op belongs to.
    pub(super) layer_of: Vec<usize>,
    /// Frozen layers get no updates.
    pub(super) frozen: Vec<bool>,
}

impl<D: Device<f32>> Mlp<D> {
    /// Builds the network for `inputs` features and `outputs` classes, kernels drawn from `rng`
    /// layer by layer, biases zero, BN and learned activations at their initial values.
    pub fn new(
        spec: &ModelSpec,
        inputs: usize,
        outputs: usize,
        dev: &D,
        rng: &mut impl RngCore,
    ) -> Result<Self> {
        spec.check()?;
        let mut net = Mlp {
            ops: Vec::new(),
            layer_of: Vec::new(),
            frozen: vec![false; spec.hidden_layers() + 1],
        };
        let features = match spec.kind {
            ModelKind::Mlp => {
                if let Some(b) = spec.batch_norm.filter(|b| b.input) {
                    net.push(0, Op::Norm(BatchNorm::new(dev, inputs, &b)));
                }
                inputs
            }
            ModelKind::Cnn => net.push_conv_layers(spec, inputs, dev, rng)?,
        };
        net.push_dense_layers(spec, spec.conv.len(), features, outputs, dev, rng);
        Ok(net)
    }

    /// Pushes the dense layers: `spec.hidden` hidden ones then the output layer, numbered from
    /// `first_layer`, on `inputs` features.
    fn push_dense_layers(
        &mut self,
        spec: &ModelSpec,
        first_layer: usize,
        inputs: usize,
        outputs: usize,
        dev: &D,
        rng: &mut impl RngCore,
    ) {
        let mut sizes = vec![inputs];
        sizes.extend(&spec.hidden);
        sizes.push(outputs);
        let last = sizes.len() - 2;
        let bn = spec.batch_norm;
        let placement = bn.map(|b| b.placement);
        for (i, pair) in sizes.windows(2).enumerate() {
            let layer = first_layer + i;
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let hidden = i < last;
            if let Some(d) = spec.dropout {
                self.push(layer, Op::Dropout(d));
            }
            let kernel = spec.initializer.kernel(fan_in, fan_out, rng);
            let norm_before = hidden && placement == Some(Placement::BeforeActivation);
            self.push(
                layer,
                Op::Dense(Dense {
                    kernel: Param::new(dev, kernel, (fan_in, fan_out), Kind::Kernel),
                    bias: (!norm_before)
                        .then(|| Param::new(dev, vec![0.0; fan_out], (fan_out,), Kind::Bias)),
                    window: None,
                }),
            );
            if !hidden {
                break;
            }
            self.push_activation(spec, layer, fan_out, fan_out, dev);
        }
    }

    /// Pushes a hidden layer's [BN before] → activation → [BN after], on `units` values per
    /// image in `channels` normalized groups (BN normalizes per channel; `units` = `channels`
    /// for a dense layer).
    pub(super) fn push_activation(
        &mut self,
        spec: &ModelSpec,
        layer: usize,
        units: usize,
        channels: usize,
        dev: &D,
    ) {
        let bn = spec.batch_norm;
        let placement = bn.map(|b| b.placement);
        if let (Some(Placement::BeforeActivation), Some(b)) = (placement, &bn) {
            self.push(layer, Op::Norm(BatchNorm::new(dev, channels, b)));
        }
        let param = spec
            .activation
            .learned_init()
            .map(|v| Param::new(dev, vec![v as f32; units], (units,), Kind::Activation));
        self.push(
            layer,
            Op::Activation {
                activation: spec.activation.clone(),
                param,
            },
        );
        if let (Some(Placement::AfterActivation), Some(b)) = (placement, &bn) {
            self.push(layer, Op::Norm(BatchNorm::new(dev, channels, b)));
        }
    }

    pub(super) fn push(&mut self, layer: usize, op: Op<D>) {
        self.ops.push(op);
        self.layer_of.push(layer);
    }

    /// The ops, in order.
    pub fn ops(&self) -> &[Op<D>] {
        &self.ops
    }

    /// Whether any layer has dropout (or alpha dropout) before it.
    pub fn has_dropout(&self) -> bool {
        self.ops.iter().any(|op| matches!(op, Op::Dropout(_)))
    }

    /// Width of the output layer.
    pub fn outputs(&self) -> usize {
        self.ops
            .iter()
            .rev()
            .find_map(|op| match op {
                Op::Dense(d) => Some(d.fan_out()),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// Number of layers (hidden layers + the output layer).
    pub fn num_layers(&self) -> usize {
        self.frozen.len()
    }

    /// Every trainable parameter with its layer, in update order.
    pub fn params(&self) -> Vec<(usize, &dyn Trainable<D>)> {
        let mut out: Vec<(usize, &dyn Trainable<D>)> = Vec::new();
        for (op, &layer) in self.ops.iter().zip(&self.layer_of) {
            match op {
                Op::Norm(n) => {
                    out.push((layer, &n.gamma));
                    out.push((layer, &n.beta));
                }
                Op::Dense(d) => {
                    out.push((layer, &d.kernel));
                    if let Some(b) = &d.bias {
                        out.push((layer, b));
                    }
                }
                Op::Activation { param: Some(p), .. } => out.push((layer, p)),
                _ => {}
            }
        }
        out
    }

    /// Every trainable parameter with its layer, in update order, to change (the training step
    /// updates the host copies and syncs them).
    pub fn params_mut(&mut self) -> Vec<(usize, &mut dyn Trainable<D>)> {
        let mut out: Vec<(usize, &mut dyn Trainable<D>)> = Vec::new();
        for (op, &layer) in self.ops.iter_mut().zip(&self.layer_of) {
            match op {
                Op::Norm(n) => {
                    out.push((layer, &mut n.gamma));
                    out.push((layer, &mut n.beta));
                }
                Op::Dense(d) => {
                    out.push((layer, &mut d.kernel));
                    if let Some(b) = &mut d.bias {
                        out.push((layer, b));
                    }
                }
                Op::Activation { param: Some(p), .. } => out.push((layer, p)),
                _ => {}
            }
        }
        out
    }

    /// Sizes of the parameters in update order.
    pub fn param_sizes(&self) -> Vec<usize> {
        self.params().iter().map(|(_, p)| p.num_values()).collect()
    }

    /// Total number of trainable values.
    pub fn num_params(&self) -> usize {
        self.param_sizes().iter().sum()
    }

    /// The parameters' current values, in update order (host copies).
    pub fn param_values(&self) -> Vec<Vec<f32>> {
        self.params()
            .iter()
            .map(|(_, p)| p.values().to_vec())
            .collect()
    }

    /// The dense kernels, bottom to top.
    pub fn kernels(&self) -> Vec<&[f32]> {
        self.params()
            .into_iter()
            .filter(|(_, p)| p.kind() == Kind::Kernel)
            .map(|(_, p)| p.values())
            .collect()
    }

    /// The L2 norm of each dense kernel's gradient (bottom to top), in f64.
    pub fn kernel_grad_norms(&self, grads: &Gradients<f32, D>) -> Vec<f64> {
        self.params()
            .into_iter()
            .filter(|(_, p)| p.kind() == Kind::Kernel)
            .map(|(_, p)| {
                p.grad(grads)
                    .iter()
                    .map(|&g| (g as f64).powi(2))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect()
    }

    /// Everything a restore needs: the parameters, then each BN layer's moving mean and variance.
    pub fn state(&self) -> Vec<Vec<f32>> {
        let mut state = self.param_values();
        for op in &self.ops {
            if let Op::Norm(n) = op {
                state.push(n.moving_mean.clone());
                state.push(n.moving_variance.clone());
            }
        }
        state
    }

    /// Puts back a [`Mlp::state`] (e.g. early stopping's best epoch), host and device copies.
    pub fn restore(&mut self, state: &[Vec<f32>]) {
        let n = self.param_sizes().len();
        for ((_, p), values) in self.params_mut().into_iter().zip(state) {
            p.values_mut().clone_from(values);
            p.sync();
        }
        let norms = self.ops.iter_mut().filter_map(|op| match op {
            Op::Norm(bn) => Some(bn),
            _ => None,
        });
        for (bn, pair) in norms.zip(state[n..].chunks_exact(2)) {
            bn.moving_mean.clone_from(&pair[0]);
            bn.moving_variance.clone_from(&pair[1]);
        }
    }

    /// Each parameter's gradient from a backward pass, in update order, moved out of `grads`
    /// where the device allows (the `Cpu`) and copied otherwise. A frozen layer's parameters
    /// get an empty gradient, so the numbering stays that of [`Mlp::params`] (the numbering
    /// the optimizer's state and global clipping use).
    pub fn take_gradients(&self, mut grads: Gradients<f32, D>) -> Vec<Vec<f32>> {
        self.params()
            .into_iter()
            .map(|(layer, p)| {
                if self.frozen[layer] {
                    Vec::new()
                } else {
                    p.take_grad(&mut grads)
                }
            })
            .collect()
    }
}
