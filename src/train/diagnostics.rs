//! Diagnostics a study can switch on (TECHNIQUES.md "Diagnostics"): for every hidden layer the
//! mean and standard deviation of its activations and the fraction of dead units (never positive
//! over the probe images), and for every dense layer the L2 norm of the loss gradient with
//! respect to its kernel. Measured in inference mode on the first `probe` validation images, at
//! initialization and after every epoch; measuring draws no random numbers, so it does not change
//! the run.
//!
//! Values are named `<what>.<layer>` with the layer 1-based and zero-padded to three digits
//! (`act_std.001`, `grad_norm.021`), so columns sort by depth.
//!
//! With dropout in the model, [`measure_dropout_active`] gives the same activation statistics
//! with dropout active (`train_mode.act_mean.<layer>`, `train_mode.act_std.<layer>`): what a
//! training step's layers see, which is where regular dropout breaks SELU's self-normalization.
//! Its masks come from a stream of their own ([`Purpose::ProbeNoise`](crate::seed::Purpose)),
//! so the run's noise stream is untouched.
//!
//! A measurement, not a technique: it runs a forward and backward pass, so it lives beside the
//! training loop that calls it; its settings ([`Diagnostics`]) are part of the run config.

use dfdx::prelude::*;

use crate::config::Diagnostics;
use crate::data::Split;
use crate::model::Mlp;

/// The name of a per-layer value.
pub fn name(what: &str, layer: usize) -> String {
    format!("{what}.{layer:03}")
}

/// Measures the diagnostics of `model` on the first `probe` images of `split` (`inputs` features
/// each, labels among `classes`).
pub fn measure<D: Device<f32>>(
    dev: &D,
    model: &Mlp<D>,
    split: &Split,
    settings: &Diagnostics,
    inputs: usize,
    classes: usize,
) -> Vec<(String, f64)> {
    let n = settings.probe.min(split.labels.len());
    let x = dev.tensor_from_vec(split.images[..n * inputs].to_vec(), (n, inputs));
    let mut y = vec![0.0f32; n * classes];
    for (row, &label) in split.labels[..n].iter().enumerate() {
        y[row * classes + label as usize] = 1.0;
    }
    let y = dev.tensor_from_vec(y, (n, classes));
    let (logits, taps) = model.forward_probe(x.traced(Gradients::leaky()));
    let grads = cross_entropy_with_logits_loss(logits, y).backward();
    let mut out = activation_stats(&taps, n, "");
    for (i, norm) in model.kernel_grad_norms(&grads).into_iter().enumerate() {
        out.push((name("grad_norm", i + 1), norm));
    }
    out
}

/// Mean, std and dead fraction of each hidden layer's activations (`taps`, each row-major over
/// `n` images), named `<prefix><what>.<layer>`.
fn activation_stats(taps: &[Vec<f32>], n: usize, prefix: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for (i, values) in taps.iter().enumerate() {
        let layer = i + 1;
        let units = values.len() / n.max(1);
        let count = values.len() as f64;
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / count;
        let var = values
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / count;
        out.push((name(&format!("{prefix}act_mean"), layer), mean));
        out.push((name(&format!("{prefix}act_std"), layer), var.sqrt()));
        // Dead units are an inference-mode notion (a dropped unit is not a dead one).
        if prefix.is_empty() {
            let dead = (0..units)
                .filter(|&u| values.iter().skip(u).step_by(units).all(|&v| v <= 0.0))
                .count();
            out.push((name("dead_fraction", layer), dead as f64 / units as f64));
        }
    }
    out
}

/// The activation statistics of [`measure`] with dropout active (masks from `noise`, BN in
/// inference mode), named `train_mode.act_mean.<layer>` and `train_mode.act_std.<layer>`;
/// empty for a model without dropout.
pub fn measure_dropout_active<D: Device<f32>>(
    dev: &D,
    model: &Mlp<D>,
    split: &Split,
    settings: &Diagnostics,
    inputs: usize,
    noise: &mut dyn rand::RngCore,
) -> Vec<(String, f64)> {
    if !model.has_dropout() {
        return Vec::new();
    }
    let n = settings.probe.min(split.labels.len());
    let x = dev.tensor_from_vec(split.images[..n * inputs].to_vec(), (n, inputs));
    let (_, taps) = model.forward_probe_dropout(x, noise);
    activation_stats(&taps, n, "train_mode.")
}
