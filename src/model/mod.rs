//! A sequential dense network with runtime sizes, built from a [`ModelSpec`] on dfdx tensors and
//! generic over the dfdx device (`Cpu` now, `Cuda` behind the `cuda` feature). dfdx's own nn
//! modules need compile-time sizes, so the network is a list of [`Op`]s over plain tensors, in the
//! order Keras's `Sequential` would hold them: [BN] → ([dropout] → dense → [BN] → activation → [BN])
//! per hidden layer → [dropout] → dense.
//!
//! Host copies of the parameters are the optimizer's working copy: a step reads each gradient to
//! the host, updates there and writes the tensor back, which keeps the optimizers device-free.
//! Parameters are numbered in op order (a plain network: kernel, bias per layer), the numbering
//! the optimizer's state and global clipping use.
//!
//! On dfdx's `Cpu`, dense layers' bias adds, batch norm in training mode and the relu, elu, selu
//! and fixed-β swish activations run as single ops (`cpu.rs`) that give dfdx's values and
//! gradients bit for bit, faster. A training step
//! ([`Mlp::forward_train_params`], [`Mlp::apply_gradients_owned`]) traces the parameters, not
//! the batch, so no gradient is computed for the input, and takes the gradient buffers over
//! instead of copying them.
//!
//! Every op belongs to a *layer*: hidden layer i (0-based) owns its dense layer, batch norms and
//! activation (the input BN belongs to layer 0); the output dense layer is the last. Layers can be
//! frozen (no updates; their BN runs in inference mode, as in Keras) and copied into another
//! network with the same lower layers (layer reuse).

mod cpu;
mod io;
mod norm;
mod param;

pub use norm::{BatchNorm, BatchNormSpec, BatchStats, Placement};
pub use param::{Kind, Param, Trainable};

use dfdx::prelude::*;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::zoo::activation::Activation;
use crate::zoo::clip::Clipping;
use crate::zoo::dropout::Dropout;
use crate::zoo::init::Initializer;
use crate::zoo::optim::Optimizer;
use crate::zoo::regularize::{Constraint, Regularizer};

/// The network's architecture as written in a study file: Flatten → Dense(hidden…) → Dense(outputs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Units of each hidden dense layer, bottom to top.
    pub hidden: Vec<usize>,
    /// Activation of every hidden layer (the output layer has none: the loss takes logits).
    #[serde(
        default = "relu",
        deserialize_with = "crate::zoo::named::string_or_table"
    )]
    pub activation: Activation,
    /// Initializer of every kernel (Keras's default is glorot_uniform).
    #[serde(
        default = "glorot_uniform",
        deserialize_with = "crate::zoo::named::string_or_table"
    )]
    pub initializer: Initializer,
    /// Dropout before every dense layer (inputs and hidden activations) while training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropout: Option<Dropout>,
    /// Batch normalization (none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_norm: Option<BatchNormSpec>,
}

fn relu() -> Activation {
    Activation::new(crate::zoo::activation::Relu {})
}
fn glorot_uniform() -> Initializer {
    Initializer::new(crate::zoo::init::GlorotUniform {})
}

impl ModelSpec {
    /// Checks the sizes and the initializer's parameters.
    pub fn check(&self) -> Result<()> {
        if self.hidden.contains(&0) {
            return Err(Error::invalid(
                "model.hidden",
                "every hidden layer needs at least 1 unit",
            ));
        }
        self.activation.check()?;
        if let Some(d) = &self.dropout {
            d.check()?;
        }
        if let Some(bn) = &self.batch_norm {
            bn.check()?;
        }
        self.initializer.check()
    }
}

/// A matrix with runtime sizes.
pub type Matrix<D, T = NoneTape> = Tensor<(usize, usize), f32, D, T>;

/// One dense layer: kernel [fan_in, fan_out] (Keras layout) and, unless batch norm follows it
/// directly, a bias [fan_out].
#[derive(Debug, Clone)]
pub struct Dense<D: Device<f32>> {
    /// The kernel.
    pub kernel: Param<(usize, usize), D>,
    /// The bias.
    pub bias: Option<Param<(usize,), D>>,
}

impl<D: Device<f32>> Dense<D> {
    fn forward<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        h: Matrix<D, T>,
    ) -> Matrix<D, T> {
        self.add_bias(h.matmul(self.kernel.tensor.clone()))
    }

    /// [`Dense::forward`] of an input that needs no gradient, starting the tape here: the
    /// backward pass computes the kernel's and the bias's gradients but not the input's.
    fn forward_start_tape(&self, h: Matrix<D>) -> Matrix<D, OwnedTape<f32, D>> {
        self.add_bias(cpu::matmul_kernel_grad(h, &self.kernel.tensor))
    }

    fn add_bias<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        z: Matrix<D, T>,
    ) -> Matrix<D, T> {
        match &self.bias {
            Some(b) => cpu::add_bias(z, &b.tensor),
            None => z,
        }
    }

    fn fan_in(&self) -> usize {
        self.kernel.tensor.shape().0
    }

    fn fan_out(&self) -> usize {
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
        /// prelu's α or learned swish's β, one per unit.
        param: Option<Param<(usize,), D>>,
    },
}

/// The network.
#[derive(Debug, Clone)]
pub struct Mlp<D: Device<f32>> {
    ops: Vec<Op<D>>,
    /// The layer each op belongs to.
    layer_of: Vec<usize>,
    /// Frozen layers get no updates.
    frozen: Vec<bool>,
}

/// How a forward pass runs, and what it collects on the way.
struct Pass<'a> {
    /// Batch statistics in BN layers (else moving ones), random rrelu slopes.
    train: bool,
    /// Dropout masks (and rrelu slopes) come from here; none: dropout off.
    noise: Option<&'a mut dyn RngCore>,
    /// The batch statistics of every BN layer that used them, in op order.
    stats: Vec<BatchStats>,
    /// Each hidden activation's output, when asked for (diagnostics).
    taps: Option<Vec<Vec<f32>>>,
}

impl<'a> Pass<'a> {
    fn new(train: bool, noise: Option<&'a mut dyn RngCore>) -> Self {
        Pass {
            train,
            noise,
            stats: Vec::new(),
            taps: None,
        }
    }
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
        let mut sizes = vec![inputs];
        sizes.extend(&spec.hidden);
        sizes.push(outputs);
        let last = sizes.len() - 2;
        let bn = spec.batch_norm;
        let placement = bn.map(|b| b.placement);
        let mut net = Mlp {
            ops: Vec::new(),
            layer_of: Vec::new(),
            frozen: vec![false; last + 1],
        };
        for (layer, pair) in sizes.windows(2).enumerate() {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let hidden = layer < last;
            if let (0, Some(b)) = (layer, &bn) {
                if b.input {
                    net.push(layer, Op::Norm(BatchNorm::new(dev, fan_in, b)));
                }
            }
            if let Some(d) = spec.dropout {
                net.push(layer, Op::Dropout(d));
            }
            let kernel = spec.initializer.kernel(fan_in, fan_out, rng);
            let norm_before = hidden && placement == Some(Placement::BeforeActivation);
            net.push(
                layer,
                Op::Dense(Dense {
                    kernel: Param::new(dev, kernel, (fan_in, fan_out), Kind::Kernel),
                    bias: (!norm_before)
                        .then(|| Param::new(dev, vec![0.0; fan_out], (fan_out,), Kind::Bias)),
                }),
            );
            if !hidden {
                break;
            }
            if let (true, Some(b)) = (norm_before, &bn) {
                net.push(layer, Op::Norm(BatchNorm::new(dev, fan_out, b)));
            }
            let param = spec
                .activation
                .learned_init()
                .map(|v| Param::new(dev, vec![v as f32; fan_out], (fan_out,), Kind::Activation));
            net.push(
                layer,
                Op::Activation {
                    activation: spec.activation.clone(),
                    param,
                },
            );
            if let (Some(Placement::AfterActivation), Some(b)) = (placement, &bn) {
                net.push(layer, Op::Norm(BatchNorm::new(dev, fan_out, b)));
            }
        }
        Ok(net)
    }

    fn push(&mut self, layer: usize, op: Op<D>) {
        self.ops.push(op);
        self.layer_of.push(layer);
    }

    /// The ops, in order.
    pub fn ops(&self) -> &[Op<D>] {
        &self.ops
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

    fn params_mut(&mut self) -> Vec<(usize, &mut dyn Trainable<D>)> {
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
        self.params()
            .iter()
            .map(|(_, p)| p.values().len())
            .collect()
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

    /// Freezes (no updates, BN in inference mode) or unfreezes `layer`.
    pub fn set_frozen(&mut self, layer: usize, frozen: bool) -> Result<()> {
        let n = self.frozen.len();
        match self.frozen.get_mut(layer) {
            Some(f) => {
                *f = frozen;
                Ok(())
            }
            None => Err(Error::invalid(
                "freeze",
                format!("layer {layer} does not exist; the network has layers 0..{n}"),
            )),
        }
    }

    /// Whether `layer` is frozen.
    pub fn is_frozen(&self, layer: usize) -> bool {
        self.frozen.get(layer).copied().unwrap_or(false)
    }

    /// Copies layers `0..layers` (parameters and moving statistics) from `source`, whose lower
    /// layers must have the same ops and shapes (layer reuse: model B built from model A's lower
    /// layers keeps its own upper layers).
    pub fn copy_lower_layers(&mut self, source: &Mlp<D>, layers: usize) -> Result<()> {
        let mismatch = |why: String| Err(Error::invalid("reuse", why));
        if layers >= self.num_layers() || layers >= source.num_layers() {
            return mismatch(format!(
                "cannot copy {layers} layers: the networks have {} and {} layers, and the top one \
                 is never copied",
                source.num_layers(),
                self.num_layers()
            ));
        }
        let count = |m: &Mlp<D>| m.layer_of.iter().take_while(|&&l| l < layers).count();
        let n = count(self);
        if n != count(source) {
            return mismatch("the lower layers are built differently".into());
        }
        for (mine, theirs) in self.ops[..n].iter_mut().zip(&source.ops[..n]) {
            let same = match (&*mine, theirs) {
                (Op::Dense(a), Op::Dense(b)) => {
                    a.kernel.tensor.shape() == b.kernel.tensor.shape()
                        && a.bias.is_some() == b.bias.is_some()
                }
                (Op::Norm(a), Op::Norm(b)) => a.moving_mean.len() == b.moving_mean.len(),
                (Op::Activation { param: a, .. }, Op::Activation { param: b, .. }) => {
                    a.as_ref().map(|p| p.host.len()) == b.as_ref().map(|p| p.host.len())
                }
                (Op::Dropout(_), Op::Dropout(_)) => true,
                _ => false,
            };
            if !same {
                return mismatch("the lower layers have different shapes or kinds".into());
            }
            *mine = theirs.clone();
        }
        Ok(())
    }

    /// Logits for a batch [n, inputs] in inference mode (dropout off, BN on moving statistics);
    /// records on the batch's tape when it has one.
    pub fn forward<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        x: Matrix<D, T>,
    ) -> Matrix<D, T> {
        self.run(x, &mut Pass::new(false, None))
    }

    /// Logits in training mode: dropout masks (and rrelu slopes) drawn from `noise` (the run's
    /// noise stream), BN on batch statistics, whose moving averages are then updated.
    pub fn forward_train<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &mut self,
        x: Matrix<D, T>,
        noise: &mut dyn RngCore,
    ) -> Matrix<D, T> {
        let mut pass = Pass::new(true, Some(noise));
        let logits = self.run(x, &mut pass);
        self.update_moving(&pass.stats);
        logits
    }

    /// [`Mlp::forward_train`] of an untraced batch, for a training step: the tape starts at the
    /// first op with a trainable parameter in an unfrozen layer, so the backward pass gives every
    /// parameter the same gradient as [`Mlp::forward_train`] of the traced batch, bit for bit,
    /// without computing one for the input (as costly as the first kernel's) or for frozen
    /// layers below. The same values, random draws and moving statistics.
    pub fn forward_train_params(
        &mut self,
        x: Matrix<D>,
        noise: &mut dyn RngCore,
    ) -> Matrix<D, OwnedTape<f32, D>> {
        let mut pass = Pass::new(true, Some(noise));
        let first = self
            .ops
            .iter()
            .zip(&self.layer_of)
            .position(|(op, &layer)| {
                !self.frozen[layer]
                    && match op {
                        Op::Dense(_) | Op::Norm(_) => true,
                        Op::Activation { param, .. } => param.is_some(),
                        Op::Dropout(_) => false,
                    }
            })
            .unwrap_or(self.ops.len());
        let mut h = x;
        for (op, &layer) in self.ops.iter().zip(&self.layer_of).take(first) {
            h = self.apply(op, layer, h, &mut pass);
        }
        let logits = match self.ops.get(first) {
            Some(Op::Dense(dense)) => {
                self.run_from(first + 1, dense.forward_start_tape(h), &mut pass)
            }
            _ => self.run_from(first, h.traced(Gradients::leaky()), &mut pass),
        };
        self.update_moving(&pass.stats);
        logits
    }

    /// Folds the batch statistics of a training pass into the moving ones.
    fn update_moving(&mut self, stats: &[BatchStats]) {
        let mut stats = stats.iter();
        for (op, &layer) in self.ops.iter_mut().zip(&self.layer_of) {
            if let (Op::Norm(bn), false) = (op, self.frozen[layer]) {
                if let Some(s) = stats.next() {
                    bn.update_moving(s);
                }
            }
        }
    }

    /// Logits with dropout on but everything else in inference mode (MC dropout).
    pub fn forward_mc(&self, x: Matrix<D>, noise: &mut dyn RngCore) -> Matrix<D> {
        self.run(x, &mut Pass::new(false, Some(noise)))
    }

    /// Logits in inference mode plus every hidden activation's output (row-major [n, units]).
    pub fn forward_probe<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        x: Matrix<D, T>,
    ) -> (Matrix<D, T>, Vec<Vec<f32>>) {
        let mut pass = Pass::new(false, None);
        pass.taps = Some(Vec::new());
        let logits = self.run(x, &mut pass);
        (logits, pass.taps.unwrap_or_default())
    }

    fn run<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        x: Matrix<D, T>,
        pass: &mut Pass,
    ) -> Matrix<D, T> {
        self.run_from(0, x, pass)
    }

    /// Applies the ops from number `start` on.
    fn run_from<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        start: usize,
        x: Matrix<D, T>,
        pass: &mut Pass,
    ) -> Matrix<D, T> {
        let mut h = x;
        for (op, &layer) in self.ops.iter().zip(&self.layer_of).skip(start) {
            h = self.apply(op, layer, h, pass);
        }
        h
    }

    /// Applies one op, of `layer`.
    fn apply<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        op: &Op<D>,
        layer: usize,
        h: Matrix<D, T>,
        pass: &mut Pass,
    ) -> Matrix<D, T> {
        match op {
            Op::Dropout(d) => match pass.noise.as_deref_mut() {
                Some(rng) => drop(h, *d, rng),
                None => h,
            },
            Op::Dense(dense) => dense.forward(h),
            Op::Norm(bn) if pass.train && !self.frozen[layer] => {
                let (out, stats) = bn.forward_train(h);
                pass.stats.push(stats);
                out
            }
            Op::Norm(bn) => bn.forward_infer(h),
            Op::Activation { activation, param } => {
                // The same values and gradients in one op, on an op's (contiguous) output.
                let fast = activation.fused().filter(|_| cpu::is_cpu::<D>());
                let out = match (param, fast, pass.train, pass.noise.as_deref_mut()) {
                    (Some(p), ..) => activation.apply_learned(h, &p.tensor),
                    (None, Some(f), ..) => cpu::activation(h, f),
                    (None, None, true, Some(rng)) => activation.apply_rrelu_train(h, rng),
                    _ => activation.apply(h),
                };
                if let Some(taps) = &mut pass.taps {
                    taps.push(out.retaped::<NoneTape>().as_vec());
                }
                out
            }
        }
    }

    /// The same function for inference with every BN layer folded into a neighbouring dense
    /// layer (TECHNIQUES.md): a BN right after a dense layer scales its columns, W′ = W·diag(s),
    /// b′ = s⊙b + t; a BN before a dense layer (on the input or after an activation) scales its
    /// rows, W′ = diag(s)·W, b′ = b + tW; with s = γ/√(v̂ + ε), t = β − μ̂·s. Dropout ops stay
    /// (identity at inference). Sums are in f64.
    pub fn folded(&self) -> Mlp<D> {
        let mut out = Mlp {
            ops: Vec::new(),
            layer_of: Vec::new(),
            frozen: vec![false; self.frozen.len()],
        };
        let mut pending: Option<(Vec<f32>, Vec<f32>)> = None;
        for (op, &layer) in self.ops.iter().zip(&self.layer_of) {
            match op {
                Op::Norm(bn) => {
                    let (s, t) = bn.affine();
                    match out.ops.last_mut() {
                        Some(Op::Dense(d)) => fold_after(d, &s, &t),
                        _ => pending = Some((s, t)),
                    }
                }
                Op::Dense(d) => {
                    let mut d = d.clone();
                    if let Some((s, t)) = pending.take() {
                        fold_before(&mut d, &s, &t);
                    }
                    out.push(layer, Op::Dense(d));
                }
                other => out.push(layer, other.clone()),
            }
        }
        out
    }

    /// Applies one optimizer step from the gradients of a backward pass with learning rate `lr`:
    /// the kernel regularizer's gradient is added, the gradients clipped (global clipping needs
    /// them all at once), weight decay, the optimizer updates every parameter of the unfrozen
    /// layers, then the kernel constraint.
    pub fn apply_gradients(
        &mut self,
        grads: &Gradients<f32, D>,
        optimizer: &mut Optimizer,
        lr: f64,
        rules: StepRules,
    ) -> Result<StepReport> {
        self.step(|p| p.grad(grads), optimizer, lr, rules)
    }

    /// [`Mlp::apply_gradients`] consuming the gradients: on the CPU, each parameter's gradient
    /// buffer is taken over instead of copied.
    pub fn apply_gradients_owned(
        &mut self,
        mut grads: Gradients<f32, D>,
        optimizer: &mut Optimizer,
        lr: f64,
        rules: StepRules,
    ) -> Result<StepReport> {
        self.step(|p| p.take_grad(&mut grads), optimizer, lr, rules)
    }

    /// One optimizer step, each unfrozen parameter's gradient from `grad_of`.
    fn step(
        &mut self,
        mut grad_of: impl FnMut(&dyn Trainable<D>) -> Vec<f32>,
        optimizer: &mut Optimizer,
        lr: f64,
        rules: StepRules,
    ) -> Result<StepReport> {
        let mut report = StepReport::default();
        let frozen = self.frozen.clone();
        let mut params = self.params_mut();
        // Frozen parameters take part with an empty gradient so the numbering stays the same.
        let mut host_grads: Vec<Vec<f32>> = params
            .iter()
            .map(|(layer, p)| {
                if frozen[*layer] {
                    Vec::new()
                } else {
                    grad_of(&**p)
                }
            })
            .collect();
        if let Some(r) = rules.regularizer {
            for ((_, p), g) in params.iter().zip(&mut host_grads) {
                if p.kind() == Kind::Kernel && !g.is_empty() {
                    r.add_gradient(p.values(), g);
                }
            }
        }
        if let Some(c) = rules.clipping {
            let raw = host_grads.clone();
            c.apply(&mut host_grads);
            report.clip_cosine = Some(cosine(&raw, &host_grads));
        }
        optimizer.begin_step();
        for (i, ((layer, p), g)) in params.iter_mut().zip(&host_grads).enumerate() {
            if frozen[*layer] {
                continue;
            }
            if let Some(wd) = rules.weight_decay {
                crate::zoo::optim::decay(lr as f32, wd as f32, p.values_mut());
            }
            optimizer.update(i, lr, p.values_mut(), g);
            if let (Kind::Kernel, Some(c)) = (p.kind(), rules.constraint) {
                let fan_out = p.columns();
                c.apply(p.values_mut(), fan_out);
            }
            p.sync();
        }
        Ok(report)
    }
}

/// The cosine between two lists of tensors taken as one vector each (1 for two zero vectors).
fn cosine(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 && nb == 0.0 {
        1.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

/// Folds a BN that follows `d` into it: columns scaled by `s`, bias s⊙b + t.
fn fold_after<D: Device<f32>>(d: &mut Dense<D>, s: &[f32], t: &[f32]) {
    let (fan_in, fan_out) = (d.fan_in(), d.fan_out());
    let kernel = &mut d.kernel;
    for row in kernel.host.chunks_exact_mut(fan_out) {
        for (w, &sj) in row.iter_mut().zip(s) {
            *w = (*w as f64 * sj as f64) as f32;
        }
    }
    kernel.tensor = kernel
        .tensor
        .device()
        .tensor_from_vec(kernel.host.clone(), (fan_in, fan_out));
    let old = d.bias.as_ref().map(|b| b.host.clone());
    let bias: Vec<f32> = (0..fan_out)
        .map(|j| {
            let b = old.as_ref().map_or(0.0, |b| b[j] as f64);
            (s[j] as f64 * b + t[j] as f64) as f32
        })
        .collect();
    d.bias = Some(Param::new(
        kernel.tensor.device(),
        bias,
        (fan_out,),
        Kind::Bias,
    ));
}

/// Folds a BN that precedes `d` into it: rows scaled by `s`, bias b + tW.
fn fold_before<D: Device<f32>>(d: &mut Dense<D>, s: &[f32], t: &[f32]) {
    let (fan_in, fan_out) = (d.fan_in(), d.fan_out());
    let old = d.kernel.host.clone();
    let mut bias: Vec<f64> = match &d.bias {
        Some(b) => b.host.iter().map(|&v| v as f64).collect(),
        None => vec![0.0; fan_out],
    };
    for i in 0..fan_in {
        for j in 0..fan_out {
            bias[j] += t[i] as f64 * old[i * fan_out + j] as f64;
        }
    }
    let kernel: Vec<f32> = old
        .iter()
        .enumerate()
        .map(|(k, &w)| (w as f64 * s[k / fan_out] as f64) as f32)
        .collect();
    let dev = d.kernel.tensor.device().clone();
    d.kernel = Param::new(&dev, kernel, (fan_in, fan_out), Kind::Kernel);
    let bias = bias.into_iter().map(|b| b as f32).collect();
    d.bias = Some(Param::new(&dev, bias, (fan_out,), Kind::Bias));
}

/// Applies one dropout mask to a batch of activations: h·scale (+ shift for alpha dropout).
fn drop<D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
    h: Matrix<D, T>,
    d: Dropout,
    rng: &mut dyn RngCore,
) -> Matrix<D, T> {
    let shape = *h.shape();
    let mask = d.mask(shape.0 * shape.1, rng);
    let dev = h.device().clone();
    let h = h * dev.tensor_from_vec(mask.scale, shape);
    match mask.shift {
        Some(shift) => h + dev.tensor_from_vec(shift, shape),
        None => h,
    }
}

/// What a training step does besides the optimizer's update (all optional).
#[derive(Debug, Clone, Copy, Default)]
pub struct StepRules<'a> {
    /// Gradient clipping.
    pub clipping: Option<&'a Clipping>,
    /// Kernel regularizer (its gradient joins the loss's).
    pub regularizer: Option<&'a Regularizer>,
    /// Kernel constraint applied after each update.
    pub constraint: Option<&'a Constraint>,
    /// Decoupled weight decay λ of every parameter before the update, w ← w − η·λ·w (Keras's
    /// `weight_decay` option of any optimizer).
    pub weight_decay: Option<f64>,
}

/// What a step reports besides updating the parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepReport {
    /// With clipping: the cosine between the raw and the clipped gradient (all parameters as one
    /// vector), in f64.
    pub clip_cosine: Option<f64>,
}

/// Turns a dfdx device error into the library's.
pub fn device_err(e: impl std::fmt::Debug) -> Error {
    Error::Device(format!("{e:?}"))
}
