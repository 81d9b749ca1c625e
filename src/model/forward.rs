//! The forward passes of the network: inference ([`Mlp::forward`]), training with batch
//! statistics and dropout ([`Mlp::forward_train`], and [`Mlp::forward_train_params`] whose tape
//! starts at the parameters), MC dropout ([`Mlp::forward_mc`]) and a pass that also returns every
//! hidden activation ([`Mlp::forward_probe`], for diagnostics; [`Mlp::forward_probe_dropout`]
//! with dropout active).

use dfdx::prelude::*;
use rand::RngCore;

use super::{conv, cpu, BatchStats, Matrix, Mlp, Op};
use crate::zoo::activation::{Activation, Fused};
use crate::zoo::dropout::Dropout;

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
                        Op::Dropout(_) | Op::Pool(_) => false,
                    }
            })
            .unwrap_or(self.ops.len());
        let mut h = x;
        for (op, &layer) in self.ops.iter().zip(&self.layer_of).take(first) {
            h = self.apply(op, layer, h, &mut pass);
        }
        let logits = match self.ops.get(first) {
            Some(Op::Dense(dense)) => match self.dense_then_fused(first) {
                Some(f) => {
                    let z = cpu::matmul_kernel_grad(h, &dense.kernel.tensor);
                    let h = self.bias_activation(dense, z, f, &mut pass);
                    self.run_from(first + 2, h, &mut pass)
                }
                None => self.run_from(first + 1, dense.forward_start_tape(h), &mut pass),
            },
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

    /// [`Mlp::forward_probe`] with dropout active, its masks drawn from `noise` (BN stays in
    /// inference mode and nothing is updated): the activations a training step sees, for
    /// statistics measured "with dropout active".
    pub fn forward_probe_dropout(
        &self,
        x: Matrix<D>,
        noise: &mut dyn RngCore,
    ) -> (Matrix<D>, Vec<Vec<f32>>) {
        let mut pass = Pass::new(false, Some(noise));
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
        let mut i = start;
        while let Some(op) = self.ops.get(i) {
            match (op, self.dense_then_fused(i)) {
                (Op::Dense(dense), Some(f)) => {
                    let z = h.matmul(dense.kernel.tensor.clone());
                    h = self.bias_activation(dense, z, f, pass);
                    i += 2;
                }
                _ => {
                    h = self.apply(op, self.layer_of[i], h, pass);
                    i += 1;
                }
            }
        }
        h
    }

    /// The fused activation that op `i`, a dense layer with a bias, and the activation right
    /// after it run as, in one op ([`cpu::bias_activation`], the same bits as the two ops apart),
    /// when there is one for this device and the thread's numerics version.
    fn dense_then_fused(&self, i: usize) -> Option<cpu::Fast> {
        let (Some(Op::Dense(dense)), Some(Op::Activation { activation, param })) =
            (self.ops.get(i), self.ops.get(i + 1))
        else {
            return None;
        };
        let f = fused_activation::<D>(activation)?;
        // A convolution's product goes through im2col (Dense::forward), not this plain matmul.
        let fusable = dense.window.is_none() && dense.bias.is_some() && param.is_none();
        fusable.then_some(f)
    }

    /// z + b and the activation `f` of the layer after `dense`, z being `dense`'s matmul output.
    fn bias_activation<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        dense: &super::Dense<D>,
        z: Matrix<D, T>,
        f: cpu::Fast,
        pass: &mut Pass,
    ) -> Matrix<D, T> {
        let Some(b) = &dense.bias else {
            unreachable!("dense_then_fused checks for a bias")
        };
        let out = cpu::bias_activation(z, &b.tensor, f);
        if let Some(taps) = &mut pass.taps {
            taps.push(out.retaped::<NoneTape>().as_vec());
        }
        out
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
                Some(rng) => apply_dropout(h, *d, rng),
                None => h,
            },
            Op::Dense(dense) => dense.forward(h),
            Op::Pool(window) => conv::max_pool(h, window),
            Op::Norm(bn) => per_channel(h, bn.moving_mean.len(), |h| {
                if pass.train && !self.frozen[layer] {
                    let (out, stats) = bn.forward_train(h);
                    pass.stats.push(stats);
                    out
                } else {
                    bn.forward_infer(h)
                }
            }),
            Op::Activation { activation, param } => {
                // One op on an op's (contiguous) output: under version 1 the same values and
                // gradients as the composition; some exist only under version 2.
                let fast = fused_activation::<D>(activation);
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
}

/// The fused `Cpu` op (`cpu::activation`, or `cpu::bias_activation` right after a dense
/// layer with a bias) that a forward pass on device `D` runs for `activation` under the calling
/// thread's numerics version; `None` where it runs the activation's dfdx composition instead
/// (another device, an activation without a fused op, or one whose fused op serves only a later
/// version). Learned activations (prelu, learned swish) always take the composition.
pub fn fused_activation<D: 'static>(activation: &Activation) -> Option<Fused> {
    let version = kernels::numerics::current();
    activation
        .fused()
        .filter(|f| cpu::is_cpu::<D>() && f.serves(version))
}

/// `activation` (one without a learned parameter) applied to `z` as a training step applies it
/// where it does not follow a dense layer with a bias (after batch norm, say): the fused op of
/// [`fused_activation`] when there is one, else the dfdx composition ([`Activation::apply`]).
/// Not rrelu's random slopes (a training pass draws them from its noise stream). The benches
/// time the activations through this.
pub fn apply_activation<D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default + 'static>(
    activation: &Activation,
    z: Matrix<D, T>,
) -> Matrix<D, T> {
    match fused_activation::<D>(activation) {
        Some(f) => cpu::activation(z, f),
        None => activation.apply(z),
    }
}

/// Applies `f` to `h` (batch × features) seen as one row per position and `channels` columns
/// when a row holds several positions (a conv layer's output, channels last), so that a batch
/// norm over `channels` normalizes each channel over the batch and every position; a dense
/// layer's output (features = channels) goes to `f` as it is.
fn per_channel<D: Device<f32>, T: Tape<f32, D>>(
    h: Matrix<D, T>,
    channels: usize,
    f: impl FnOnce(Matrix<D, T>) -> Matrix<D, T>,
) -> Matrix<D, T> {
    let (batch, features) = *h.shape();
    if features == channels || channels == 0 {
        return f(h);
    }
    let out = f(h.reshape_like(&(batch * features / channels, channels)));
    out.reshape_like(&(batch, features))
}

/// Applies one dropout mask to a batch of activations: h·scale (+ shift for alpha dropout).
fn apply_dropout<D: Device<f32>, T: Tape<f32, D> + Merge<T> + Default>(
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

#[cfg(test)]
mod tests {
    use dfdx::prelude::*;
    use kernels::numerics::{with, V1, V2};

    use super::*;
    use crate::zoo::activation::{LeakyRelu, Relu, Tanh};

    #[test]
    fn the_fused_activation_follows_the_numerics_version() {
        let (relu, tanh) = (Activation::new(Relu {}), Activation::new(Tanh {}));
        let leaky = Activation::new(LeakyRelu { alpha: 0.2 });
        for version in [V1, V2] {
            with(version, || {
                assert_eq!(fused_activation::<Cpu>(&relu), Some(Fused::Relu));
                assert_eq!(fused_activation::<Cpu>(&leaky), None, "no fused leaky relu");
            });
        }
        // tanh's fused op exists only under version 2.
        assert_eq!(with(V1, || fused_activation::<Cpu>(&tanh)), None);
        assert_eq!(
            with(V2, || fused_activation::<Cpu>(&tanh)),
            Some(Fused::Tanh)
        );
    }

    #[test]
    fn apply_activation_takes_the_fused_op_or_the_composition() {
        let dev = Cpu::default();
        let z = dev.tensor_from_vec(vec![-1.5f32, -0.25, 0.0, 0.5, 2.0, 3.0], (2usize, 3usize));
        // relu is fused under both versions and exact either way.
        let relu = Activation::new(Relu {});
        let out = with(V2, || apply_activation(&relu, z.clone()).as_vec());
        assert_eq!(out, vec![0.0, 0.0, 0.0, 0.5, 2.0, 3.0]);
        // tanh: the composition under version 1 is dfdx's tanh; version 2's fused one is
        // within its stated error of it but is a different op.
        let tanh = Activation::new(Tanh {});
        let v1 = with(V1, || apply_activation(&tanh, z.clone()).as_vec());
        let v2 = with(V2, || apply_activation(&tanh, z.clone()).as_vec());
        assert_eq!(v1, tanh.apply(z.clone()).as_vec());
        for (a, b) in v1.iter().zip(&v2) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
