//! Diagnostics (per-layer activation mean/std, dead-unit fraction, kernel gradient norms) are
//! recorded at initialization and after every epoch without changing the run, and measure what
//! they say: dead units made dead on purpose are counted, and the output layer's gradient norm
//! equals ‖hᵀ(softmax(z) − y)‖/n computed by hand.

use crate::common;

use common::synthetic_run;
use dfdx::prelude::*;
use trainbench::config::Diagnostics;
use trainbench::data;
use trainbench::model::{Mlp, ModelSpec};
use trainbench::seed::{stream, Purpose};
use trainbench::train::diagnostics::measure;
use trainbench::train::RunOutcome;

const STUDY: &str = r#"
description = "diagnostics"
seeds = 1

[base]
epochs = 2
batch_size = 16
optimizer = "momentum"
model = { hidden = [32, 16], activation = "relu", initializer = "he_normal" }
"#;

fn outcome(text: &str) -> RunOutcome {
    synthetic_run(text, 300)
}

#[test]
fn diagnostics_are_recorded_per_epoch_and_do_not_change_the_run() {
    let plain = outcome(STUDY);
    let measured = outcome(&format!("{STUDY}diagnostics = {{ probe = 50 }}\n"));
    for (a, b) in plain.epochs.iter().zip(&measured.epochs) {
        assert_eq!(a.val_loss.to_bits(), b.val_loss.to_bits());
        assert_eq!(a.train_loss.to_bits(), b.train_loss.to_bits());
        assert!(a.extra.is_empty());
        let names: Vec<&str> = b.extra.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "act_mean.001",
                "act_std.001",
                "dead_fraction.001",
                "act_mean.002",
                "act_std.002",
                "dead_fraction.002",
                "grad_norm.001",
                "grad_norm.002",
                "grad_norm.003"
            ]
        );
        assert!(b.extra.iter().all(|(_, v)| v.is_finite()));
    }
    assert_eq!(plain.test_loss.to_bits(), measured.test_loss.to_bits());
    // Every run also times its fastest epoch (wall-clock metadata, not a diagnostic).
    let init: Vec<&str> = measured
        .extra
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| *n != "timing.epoch_seconds")
        .collect();
    assert_eq!(init.len(), 9);
    assert!(init.iter().all(|n| n.starts_with("init.")));
    // Training moves the weights, so the per-epoch diagnostics change.
    assert_ne!(measured.epochs[0].extra, measured.epochs[1].extra);
}

#[test]
fn dead_units_and_the_output_gradient_norm_are_what_they_say() {
    let dev = Cpu::default();
    let spec: ModelSpec =
        toml::from_str("hidden = [8]\nactivation = \"relu\"\ninitializer = \"he_normal\"").unwrap();
    let inputs = 12;
    let mut model = Mlp::new(&spec, inputs, 3, &dev, &mut stream(4, Purpose::Init)).unwrap();
    // Kill units 0, 3 and 5 of the hidden layer with a large negative bias.
    let mut state = model.state();
    for u in [0, 3, 5] {
        state[1][u] = -1e6;
    }
    model.restore(&state);
    let data = data::synthetic(10, 40, 10, 2);
    let mut split = data.val.clone();
    // Synthetic images have 784 features; keep the first `inputs` of each.
    split.images = split
        .images
        .chunks(784)
        .flat_map(|img| img[..inputs].to_vec())
        .collect();
    for l in split.labels.iter_mut() {
        *l %= 3;
    }
    let n = split.labels.len();
    let diag = measure(&dev, &model, &split, &Diagnostics { probe: n }, inputs, 3);
    let get = |name: &str| diag.iter().find(|(k, _)| k == name).unwrap().1;

    // By hand: h = relu(xW₁ + b₁), z = hW₂ + b₂, dL/dW₂ = hᵀ(softmax(z) − y)/n.
    let x = &split.images;
    let (w1, b1, w2, b2) = (&state[0], &state[1], &state[2], &state[3]);
    let mut h = vec![0.0f64; n * 8];
    for i in 0..n {
        for j in 0..8 {
            let z: f64 = (0..inputs)
                .map(|k| x[i * inputs + k] as f64 * w1[k * 8 + j] as f64)
                .sum::<f64>()
                + b1[j] as f64;
            h[i * 8 + j] = z.max(0.0);
        }
    }
    // The three killed units, plus any these weights leave dead on these 40 images.
    let dead = (0..8)
        .filter(|&j| (0..n).all(|i| h[i * 8 + j] <= 0.0))
        .count();
    assert!(dead >= 3);
    assert_eq!(get("dead_fraction.001"), dead as f64 / 8.0);
    let mut grad = [0.0f64; 8 * 3];
    for i in 0..n {
        let z: Vec<f64> = (0..3)
            .map(|c| {
                (0..8)
                    .map(|j| h[i * 8 + j] * w2[j * 3 + c] as f64)
                    .sum::<f64>()
                    + b2[c] as f64
            })
            .collect();
        let max = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
        for c in 0..3 {
            let p = (z[c] - max).exp() / sum;
            let d = p - if split.labels[i] as usize == c {
                1.0
            } else {
                0.0
            };
            for j in 0..8 {
                grad[j * 3 + c] += h[i * 8 + j] * d / n as f64;
            }
        }
    }
    let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
    let mean = h.iter().sum::<f64>() / h.len() as f64;
    // float32 forward/backward against f64: 1e-5 relative.
    assert!(
        (get("grad_norm.002") - norm).abs() <= 1e-5 * norm,
        "{} vs {norm}",
        get("grad_norm.002")
    );
    assert!((get("act_mean.001") - mean).abs() <= 1e-5 * mean.max(1.0));
}
