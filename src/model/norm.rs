//! Batch normalization (TECHNIQUES.md "Batch normalization", Keras's `BatchNormalization`):
//! per-feature batch statistics while training, moving statistics at inference, γ and β trained,
//! the moving mean and variance updated as v̂ ← momentum·v̂ + (1 − momentum)·v after each training
//! forward pass.
//!
//! Both modes compute z·inv + (β − μ·inv) with inv = γ/√(σ² + ε), the form Keras's
//! `ops.batch_normalization` uses; in training mode μ and σ² (the biased batch variance) come
//! from the batch and stay on the tape, so the gradient is the full batch-norm gradient. On the
//! `Cpu` the training mode runs as one op with the same arithmetic (`cpu.rs`).

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use super::param::{Kind, Param, Trainable};
use super::Matrix;
use crate::error::{Error, Result};

/// Where the batch norm layers go, as written in a study file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchNormSpec {
    /// After each hidden activation (the chapter's first example) or between each hidden dense
    /// layer and its activation (then the dense layer has no bias).
    #[serde(default)]
    pub placement: Placement,
    /// Also normalize the input pixels, before the first dense layer (the chapter does).
    #[serde(default = "yes")]
    pub input: bool,
    /// Moving-statistics momentum (Keras: 0.99).
    #[serde(default = "momentum")]
    pub momentum: f64,
    /// ε added to the variance (Keras: 0.001).
    #[serde(default = "epsilon")]
    pub epsilon: f64,
}

/// Batch norm's position relative to the activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Dense → activation → BN.
    #[default]
    AfterActivation,
    /// Dense (no bias) → BN → activation.
    BeforeActivation,
}

fn yes() -> bool {
    true
}
fn momentum() -> f64 {
    0.99
}
fn epsilon() -> f64 {
    0.001
}

impl BatchNormSpec {
    /// Checks momentum ∈ [0, 1] and ε > 0.
    pub fn check(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.momentum) {
            return Err(Error::invalid(
                "model.batch_norm.momentum",
                format!("must be in [0, 1], got {}", self.momentum),
            ));
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(Error::invalid(
                "model.batch_norm.epsilon",
                format!("must be a finite number > 0, got {}", self.epsilon),
            ));
        }
        Ok(())
    }
}

/// One batch norm layer over `units` features.
#[derive(Debug, Clone)]
pub struct BatchNorm<D: Device<f32>> {
    /// Scale γ (starts at 1).
    pub gamma: Param<(usize,), D>,
    /// Offset β (starts at 0).
    pub beta: Param<(usize,), D>,
    /// Moving mean (starts at 0; not trained).
    pub moving_mean: Vec<f32>,
    /// Moving variance (starts at 1; not trained).
    pub moving_variance: Vec<f32>,
    momentum: f32,
    epsilon: f32,
}

/// A batch's per-feature mean and biased variance, for the moving statistics.
pub type BatchStats = (Vec<f32>, Vec<f32>);

impl<D: Device<f32>> BatchNorm<D> {
    /// A fresh layer with Keras's initial values.
    pub fn new(dev: &D, units: usize, spec: &BatchNormSpec) -> Self {
        BatchNorm {
            gamma: Param::new(dev, vec![1.0; units], (units,), Kind::Gamma),
            beta: Param::new(dev, vec![0.0; units], (units,), Kind::Beta),
            moving_mean: vec![0.0; units],
            moving_variance: vec![1.0; units],
            momentum: spec.momentum as f32,
            epsilon: spec.epsilon as f32,
        }
    }

    /// ε.
    pub fn epsilon(&self) -> f32 {
        self.epsilon
    }

    /// Training mode: normalizes with the batch's statistics and returns them.
    pub fn forward_train<T: Tape<f32, D> + Merge<T> + Default + 'static>(
        &self,
        z: Matrix<D, T>,
    ) -> (Matrix<D, T>, BatchStats) {
        if super::cpu::is_cpu::<D>() {
            // The same op by op, bit for bit, as one op.
            return super::cpu::batch_norm_train(
                z,
                &self.gamma.tensor,
                &self.beta.tensor,
                self.epsilon,
            );
        }
        let shape = *z.shape();
        let mean = z.with_empty_tape().mean::<(usize,), Axis<0>>();
        let mean_values = mean.retaped::<NoneTape>();
        // d σ²/d μ is zero, so the variance may use the mean off the tape.
        let centered =
            z.with_empty_tape() - mean_values.clone().broadcast_like::<_, Axis<0>>(&shape);
        let variance = centered.square().mean::<(usize,), Axis<0>>();
        let stats = (
            mean_values.as_vec(),
            variance.retaped::<NoneTape>().as_vec(),
        );
        let inv = (variance + self.epsilon).sqrt().recip() * self.gamma.tensor.clone();
        let shift = (mean * inv.with_empty_tape()).negate() + self.beta.tensor.clone();
        let out = z * inv.broadcast_like::<_, Axis<0>>(&shape)
            + shift.broadcast_like::<_, Axis<0>>(&shape);
        (out, stats)
    }

    /// Folds a batch's statistics into the moving ones.
    pub fn update_moving(&mut self, (mean, variance): &BatchStats) {
        let m = self.momentum;
        for (moving, &v) in self.moving_mean.iter_mut().zip(mean) {
            *moving = *moving * m + v * (1.0 - m);
        }
        for (moving, &v) in self.moving_variance.iter_mut().zip(variance) {
            *moving = *moving * m + v * (1.0 - m);
        }
    }

    /// The inference-mode affine map z·scale + shift, per feature, on the host.
    pub fn affine(&self) -> (Vec<f32>, Vec<f32>) {
        let scale: Vec<f32> = self
            .moving_variance
            .iter()
            .zip(self.gamma.values())
            .map(|(&v, &g)| (v + self.epsilon).sqrt().recip() * g)
            .collect();
        let shift = self
            .moving_mean
            .iter()
            .zip(&scale)
            .zip(self.beta.values())
            .map(|((&m, &s), &b)| -m * s + b)
            .collect();
        (scale, shift)
    }

    /// Inference mode: normalizes with the moving statistics.
    pub fn forward_infer<T: Tape<f32, D> + Merge<T> + Default>(
        &self,
        z: Matrix<D, T>,
    ) -> Matrix<D, T> {
        let shape = *z.shape();
        let (scale, shift) = self.affine();
        let dev = z.device().clone();
        let units = scale.len();
        z * dev
            .tensor_from_vec(scale, (units,))
            .broadcast_like::<_, Axis<0>>(&shape)
            + dev
                .tensor_from_vec(shift, (units,))
                .broadcast_like::<_, Axis<0>>(&shape)
    }
}
