//! One trainable tensor with its host copy: the optimizer updates the host copy and writes it back
//! (see the model's header), so every kind of parameter — kernels, biases, batch norm's γ and β,
//! learned activation parameters — is handled alike through [`Trainable`].

use dfdx::prelude::*;

/// What a parameter is, for the rules that apply to some kinds only (kernel regularizers and
/// constraints act on kernels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A dense layer's kernel [fan_in, fan_out].
    Kernel,
    /// A dense layer's bias.
    Bias,
    /// Batch norm's scale γ.
    Gamma,
    /// Batch norm's offset β.
    Beta,
    /// A learned activation's per-unit parameter (prelu's α, swish's β).
    Activation,
}

/// A trainable tensor of shape `S` and its host copy.
#[derive(Debug, Clone)]
pub struct Param<S: Shape, D: Device<f32>> {
    /// The device tensor the forward pass reads.
    pub tensor: Tensor<S, f32, D>,
    /// The host copy (the optimizer's working copy).
    pub host: Vec<f32>,
    kind: Kind,
}

impl<S: Shape, D: Device<f32>> Param<S, D> {
    /// A parameter holding `values` (row-major) with `shape`.
    pub fn new(dev: &D, values: Vec<f32>, shape: S, kind: Kind) -> Self {
        Param {
            tensor: dev.tensor_from_vec(values.clone(), shape),
            host: values,
            kind,
        }
    }
}

/// What the training step needs of any parameter, whatever its shape.
pub trait Trainable<D: Device<f32>> {
    /// Its kind.
    fn kind(&self) -> Kind;
    /// The host copy.
    fn values(&self) -> &[f32];
    /// Its gradient from a backward pass (the tape must have reached it).
    fn grad(&self, grads: &Gradients<f32, D>) -> Vec<f32>;
    /// Its gradient, moved out of `grads` where the device allows (the `Cpu`), else copied.
    fn take_grad(&self, grads: &mut Gradients<f32, D>) -> Vec<f32> {
        self.grad(grads)
    }
    /// Mutable host copy; call [`Trainable::sync`] after changing it.
    fn values_mut(&mut self) -> &mut Vec<f32>;
    /// Writes the host copy to the device tensor (keeping the tensor's id).
    fn sync(&mut self);
    /// Columns of the tensor (fan_out for a kernel, the length otherwise).
    fn columns(&self) -> usize;
}

impl<S: Shape, D: Device<f32>> Trainable<D> for Param<S, D> {
    fn kind(&self) -> Kind {
        self.kind
    }
    fn values(&self) -> &[f32] {
        &self.host
    }
    fn grad(&self, grads: &Gradients<f32, D>) -> Vec<f32> {
        // A parameter is contiguous, so its buffer is its row-major order: one copy, not an
        // element-by-element strided walk (`as_vec`).
        let grad = grads.get(&self.tensor);
        let mut out = vec![0.0; self.tensor.shape().num_elements()];
        grad.copy_into(&mut out);
        out
    }
    fn take_grad(&self, grads: &mut Gradients<f32, D>) -> Vec<f32> {
        super::cpu::take_grad(grads, &self.tensor).unwrap_or_else(|| self.grad(grads))
    }
    fn values_mut(&mut self) -> &mut Vec<f32> {
        &mut self.host
    }
    fn sync(&mut self) {
        self.tensor.copy_from(&self.host);
    }
    fn columns(&self) -> usize {
        let dims = self.tensor.shape().concrete();
        dims.as_ref().last().copied().unwrap_or(1)
    }
}
