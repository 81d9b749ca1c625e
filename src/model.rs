//! A sequential dense network with runtime sizes, built from a [`ModelSpec`] on dfdx tensors and
//! generic over the dfdx device (`Cpu` now, `Cuda` behind the `cuda` feature). dfdx's own nn
//! modules need compile-time sizes, so the layers are plain weight/bias tensors here.
//!
//! Host copies of the parameters are the optimizer's working copy: a step reads each gradient to
//! the host, updates there and writes the tensor back, which keeps the optimizers device-free.

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
        deserialize_with = "crate::zoo::named::string_or_table",
        serialize_with = "crate::zoo::activation::serialize"
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
}

fn relu() -> Activation {
    Activation::Relu
}
fn glorot_uniform() -> Initializer {
    Initializer::GlorotUniform
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
        self.initializer.check()
    }
}

/// A matrix with runtime sizes.
pub type Matrix<D, T = NoneTape> = Tensor<(usize, usize), f32, D, T>;

/// One dense layer: kernel [fan_in, fan_out] (Keras layout) and bias [fan_out].
#[derive(Debug, Clone)]
pub struct Dense<D: Device<f32>> {
    /// The kernel.
    pub weight: Matrix<D>,
    /// The bias.
    pub bias: Tensor<(usize,), f32, D>,
}

/// The network: dense layers with one activation between them, logits out.
#[derive(Debug, Clone)]
pub struct Mlp<D: Device<f32>> {
    layers: Vec<Dense<D>>,
    activation: Activation,
    dropout: Option<Dropout>,
    /// Host copy of every parameter in [`Mlp::params`] order (kernel, bias per layer).
    host: Vec<Vec<f32>>,
}

impl<D: Device<f32>> Mlp<D> {
    /// Builds the network for `inputs` features and `outputs` classes, kernels drawn from `rng`
    /// layer by layer, biases zero.
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
        let mut layers = Vec::new();
        let mut host = Vec::new();
        for pair in sizes.windows(2) {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let kernel = spec.initializer.kernel(fan_in, fan_out, rng);
            let bias = vec![0.0f32; fan_out];
            layers.push(Dense {
                weight: dev.tensor_from_vec(kernel.clone(), (fan_in, fan_out)),
                bias: dev.tensor_from_vec(bias.clone(), (fan_out,)),
            });
            host.push(kernel);
            host.push(bias);
        }
        Ok(Mlp {
            layers,
            activation: spec.activation,
            dropout: spec.dropout,
            host,
        })
    }

    /// The layers, bottom to top.
    pub fn layers(&self) -> &[Dense<D>] {
        &self.layers
    }

    /// Sizes of the parameters in update order (kernel, bias per layer).
    pub fn param_sizes(&self) -> Vec<usize> {
        self.host.iter().map(Vec::len).collect()
    }

    /// Total number of trainable values.
    pub fn num_params(&self) -> usize {
        self.host.iter().map(Vec::len).sum()
    }

    /// The parameters' current values, in update order (host copies).
    pub fn param_values(&self) -> &[Vec<f32>] {
        &self.host
    }

    /// Logits for a batch [n, inputs] in inference mode (dropout off); records on the batch's
    /// tape when it has one.
    pub fn forward<T: Tape<f32, D> + Merge<T> + Default>(&self, x: Matrix<D, T>) -> Matrix<D, T> {
        self.forward_with(x, None)
    }

    /// Logits in training mode: dropout masks drawn from `noise` (the run's noise stream).
    pub fn forward_train<T: Tape<f32, D> + Merge<T> + Default>(
        &self,
        x: Matrix<D, T>,
        noise: &mut dyn RngCore,
    ) -> Matrix<D, T> {
        self.forward_with(x, Some(noise))
    }

    fn forward_with<T: Tape<f32, D> + Merge<T> + Default>(
        &self,
        x: Matrix<D, T>,
        mut noise: Option<&mut dyn RngCore>,
    ) -> Matrix<D, T> {
        let last = self.layers.len() - 1;
        let mut h = x;
        for (i, layer) in self.layers.iter().enumerate() {
            if let (Some(d), Some(rng)) = (self.dropout, noise.as_deref_mut()) {
                h = drop(h, d, rng);
            }
            let (n, _) = *h.shape();
            let units = layer.bias.shape().0;
            let z = h.matmul(layer.weight.clone())
                + layer.bias.clone().broadcast_like::<_, Axis<0>>(&(n, units));
            h = if i == last {
                z
            } else {
                self.activation.apply(z)
            };
        }
        h
    }

    /// Replaces every parameter (e.g. early stopping's best weights), host and device copies.
    pub fn set_params(&mut self, values: &[Vec<f32>]) {
        debug_assert_eq!(values.len(), self.host.len());
        for (i, layer) in self.layers.iter_mut().enumerate() {
            self.host[2 * i].clone_from(&values[2 * i]);
            self.host[2 * i + 1].clone_from(&values[2 * i + 1]);
            layer.weight.copy_from(&self.host[2 * i]);
            layer.bias.copy_from(&self.host[2 * i + 1]);
        }
    }

    /// Applies one optimizer step from the gradients of a backward pass with learning rate `lr`:
    /// the kernel regularizer's gradient is added, the gradients clipped (global clipping needs
    /// them all at once), the optimizer updates every parameter, then the kernel constraint.
    pub fn apply_gradients(
        &mut self,
        grads: &Gradients<f32, D>,
        optimizer: &mut Optimizer,
        lr: f64,
        rules: StepRules,
    ) -> Result<()> {
        let mut host_grads: Vec<Vec<f32>> = Vec::with_capacity(self.host.len());
        for layer in &self.layers {
            host_grads.push(grads.get(&layer.weight).as_vec());
            host_grads.push(grads.get(&layer.bias).as_vec());
        }
        if let Some(r) = rules.regularizer {
            for i in 0..self.layers.len() {
                r.add_gradient(&self.host[2 * i], &mut host_grads[2 * i]);
            }
        }
        if let Some(c) = rules.clipping {
            c.apply(&mut host_grads);
        }
        optimizer.begin_step();
        for (i, layer) in self.layers.iter_mut().enumerate() {
            let (w, b) = (2 * i, 2 * i + 1);
            optimizer.update(w, lr, &mut self.host[w], &host_grads[w]);
            if let Some(c) = rules.constraint {
                c.apply(&mut self.host[w], layer.bias.shape().0);
            }
            layer.weight.copy_from(&self.host[w]);
            optimizer.update(b, lr, &mut self.host[b], &host_grads[b]);
            layer.bias.copy_from(&self.host[b]);
        }
        Ok(())
    }
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
}

/// Turns a dfdx device error into the library's.
pub fn device_err(e: impl std::fmt::Debug) -> Error {
    Error::Device(format!("{e:?}"))
}
