//! One trainable tensor with its host copy: the optimizer updates the host copy and writes it back
//! (see the model's header), so every kind of parameter — kernels, biases, batch norm's γ and β,
//! learned activation parameters — is handled alike through [`Trainable`].
//!
//! One exception, for speed: plain gradient descent on the `Cpu` updates the tensor in place
//! ([`Trainable::descend_on_device`]) and leaves the host copy empty, to be read back from the
//! tensor the next time anything asks for it. At batch 32 the chapter MLP's first kernel is
//! 0.9 MB, and the update through the host (update the copy, then copy it to the tensor) was two
//! passes over it where one does.

use std::any::Any;
use std::sync::OnceLock;

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
    /// The device tensor the forward pass reads. Change its values through
    /// [`Param::set_values`] or [`Trainable::values_mut`] and [`Trainable::sync`], so that the
    /// host copy follows.
    pub tensor: Tensor<S, f32, D>,
    /// The host copy, row-major (the optimizer's working copy); empty after an update made on
    /// the tensor itself, until read.
    host: OnceLock<Vec<f32>>,
    kind: Kind,
}

impl<S: Shape, D: Device<f32>> Param<S, D> {
    /// A parameter holding `values` (row-major) with `shape`.
    pub fn new(dev: &D, values: Vec<f32>, shape: S, kind: Kind) -> Self {
        Param {
            tensor: dev.tensor_from_vec(values.clone(), shape),
            host: OnceLock::from(values),
            kind,
        }
    }

    /// Replaces the values (row-major, as many as the tensor has), host and device copies.
    pub fn set_values(&mut self, values: Vec<f32>) {
        self.tensor.copy_from(&values);
        self.host = OnceLock::from(values);
    }
}

/// What the training step needs of any parameter, whatever its shape.
pub trait Trainable<D: Device<f32>> {
    /// Its kind.
    fn kind(&self) -> Kind;
    /// The host copy.
    fn values(&self) -> &[f32];
    /// How many values it holds (the tensor's size: no need to read the host copy back).
    fn num_values(&self) -> usize;
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
    /// θ ← θ − g·η on the device tensor itself, where the device allows it (the `Cpu`): the
    /// bits of `*θ -= g * η` on the host copy and [`Trainable::sync`], in one pass. The host
    /// copy is read back from the tensor when next asked for. Gives `grad` back, untouched,
    /// where the device does not allow it.
    fn descend_on_device(&mut self, grad: Vec<f32>, lr: f32) -> Result<(), Vec<f32>>;
}

impl<S: Shape, D: Device<f32>> Trainable<D> for Param<S, D> {
    fn kind(&self) -> Kind {
        self.kind
    }
    fn num_values(&self) -> usize {
        self.tensor.shape().num_elements()
    }
    fn values(&self) -> &[f32] {
        self.host.get_or_init(|| {
            let mut values = vec![0.0; self.num_values()];
            self.tensor.copy_into(&mut values);
            values
        })
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
        self.values();
        self.host.get_mut().expect("values() filled the host copy")
    }
    fn sync(&mut self) {
        // An empty host copy is stale only in that the tensor moved on: nothing to write.
        if let Some(host) = self.host.get() {
            self.tensor.copy_from(host);
        }
    }
    fn columns(&self) -> usize {
        let dims = self.tensor.shape().concrete();
        dims.as_ref().last().copied().unwrap_or(1)
    }
    fn descend_on_device(&mut self, grad: Vec<f32>, lr: f32) -> Result<(), Vec<f32>> {
        let Some(tensor) = (&mut self.tensor as &mut dyn Any).downcast_mut::<Tensor<S, f32, Cpu>>()
        else {
            return Err(grad);
        };
        if grad.len() != tensor.shape().num_elements() {
            return Err(grad);
        }
        let shape = *tensor.shape();
        let grad = tensor.device().tensor_from_vec(grad, shape);
        // θ·1 + g·(−η): θ·1 is θ, g·(−η) is −(g·η), and adding a negation is subtracting (IEEE
        // 754), so θ − g·η exactly, as the host update computes it.
        tensor.axpy(1.0f32, &grad, -lr);
        self.host.take();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Values and gradients that reach each operation's edges: zeros of both signs, a
    /// subnormal, huge values, infinity and NaN, and ordinary ones.
    fn edges() -> (Vec<f32>, Vec<f32>) {
        let values = vec![
            0.0,
            -0.0,
            1e-40,
            -3.5,
            1.0,
            f32::MAX,
            f32::INFINITY,
            0.25,
            -0.0,
        ];
        let grads = vec![-0.0, 0.0, 2.0, 1e-39, f32::NAN, -f32::MAX, 1.0, 0.25, -0.0];
        (values, grads)
    }

    #[test]
    fn descent_on_the_tensor_gives_the_bits_of_the_host_update_and_sync() {
        let dev = Cpu::default();
        let (values, grads) = edges();
        let n = values.len();
        for lr in [0.01f32, 0.13, 1e30, 3e-39] {
            // The host path: *θ -= g * η, then the tensor written from the host copy.
            let mut host = Param::new(&dev, values.clone(), (n,), Kind::Bias);
            for (p, &g) in host.values_mut().iter_mut().zip(&grads) {
                *p -= g * lr;
            }
            host.sync();
            let mut device = Param::new(&dev, values.clone(), (n,), Kind::Bias);
            assert!(device.descend_on_device(grads.clone(), lr).is_ok());
            assert!(
                device.host.get().is_none(),
                "the host copy waits to be read"
            );
            assert_eq!(
                bits(&device.tensor.as_vec()),
                bits(&host.tensor.as_vec()),
                "η {lr}"
            );
            assert_eq!(
                bits(device.values()),
                bits(host.values()),
                "read back, η {lr}"
            );
            // A host update after an on-device one starts from the tensor's values.
            device.values_mut()[0] = 7.0;
            device.sync();
            assert_eq!(device.tensor.as_vec()[0], 7.0);
            assert_eq!(
                bits(&device.tensor.as_vec()[1..]),
                bits(&host.tensor.as_vec()[1..])
            );
        }
    }

    #[test]
    fn a_gradient_of_the_wrong_length_comes_back_untouched() {
        let dev = Cpu::default();
        let mut p = Param::new(&dev, vec![1.0, 2.0], (2,), Kind::Bias);
        assert_eq!(p.descend_on_device(vec![1.0], 0.1), Err(vec![1.0]));
        assert_eq!(p.values(), [1.0, 2.0]);
    }

    #[test]
    fn set_values_replaces_both_copies() {
        let dev = Cpu::default();
        let mut p = Param::new(&dev, vec![1.0, 2.0], (2,), Kind::Bias);
        assert!(p.descend_on_device(vec![1.0, 1.0], 1.0).is_ok());
        p.set_values(vec![5.0, 6.0]);
        assert_eq!(p.values(), [5.0, 6.0]);
        assert_eq!(p.tensor.as_vec(), [5.0, 6.0]);
    }
}
