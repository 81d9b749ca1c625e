//! Layer reuse: a run restricted to some classes, a classifier or autoencoder pretraining stage
//! whose lower layers the run copies, freezing and unfreezing; and at the model level, that
//! frozen layers do not move while the others do, and that copying lower layers copies exactly
//! those.

use crate::common;

use common::synthetic_run;
use dfdx::prelude::*;
use trainbench::data;
use trainbench::model::{Mlp, ModelSpec};
use trainbench::seed::{stream, Purpose};
use trainbench::train::step::StepConfig;
use trainbench::train::{select_classes, RunOutcome};
use trainbench::zoo::optim::OptimizerConfig;

const STUDY: &str = r#"
description = "reuse"
seeds = 1

[base]
epochs = 3
batch_size = 16
optimizer = "momentum"
model = { hidden = [24, 12], activation = "relu", initializer = "he_normal" }
"#;

fn outcome(extra: &str) -> RunOutcome {
    synthetic_run(
        &format!(
            "{STUDY}{extra}
"
        ),
        400,
    )
}

fn metric(o: &RunOutcome, name: &str) -> f64 {
    o.extra
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", o.extra))
        .1
}

#[test]
fn classes_pick_and_relabel_the_task() {
    let data = data::synthetic(200, 10, 10, 1);
    let picked = select_classes(&data.train, &[7, 2]);
    let expected: Vec<u8> = data
        .train
        .labels
        .iter()
        .filter_map(|&l| match l {
            7 => Some(0),
            2 => Some(1),
            _ => None,
        })
        .collect();
    assert_eq!(picked.labels, expected);
    assert_eq!(picked.images.len(), expected.len() * 784);
    let first = data
        .train
        .labels
        .iter()
        .position(|&l| l == 7 || l == 2)
        .unwrap();
    assert_eq!(
        picked.images[..784],
        data.train.images[first * 784..(first + 1) * 784]
    );

    let binary = outcome("classes = [3, 5]");
    assert!(binary.test_acc.is_finite());
    assert_ne!(binary, outcome(""));
}

#[test]
fn a_pretraining_stage_is_recorded_and_changes_the_run() {
    let scratch = outcome("classes = [3, 5]");
    let transfer = outcome(
        "classes = [3, 5]\npretrain = { epochs = 2, freeze_epochs = 1, unfreeze_learning_rate = 0.001 }",
    );
    assert!(metric(&transfer, "pretrain.val_loss").is_finite());
    let acc = metric(&transfer, "pretrain.val_acc");
    assert!((0.0..=1.0).contains(&acc));
    assert_ne!(
        scratch.epochs[0].val_loss, transfer.epochs[0].val_loss,
        "the reused layers change the first epoch"
    );
    // After unfreezing, η is the new one.
    let rates: Vec<f64> = transfer.epochs.iter().map(|e| e.learning_rate).collect();
    assert_eq!(rates, [0.01, 0.001, 0.001]);
    // The same stage twice gives the same run.
    let again = outcome(
        "classes = [3, 5]\npretrain = { epochs = 2, freeze_epochs = 1, unfreeze_learning_rate = 0.001 }",
    );
    assert_eq!(again.test_loss.to_bits(), transfer.test_loss.to_bits());
}

#[test]
fn an_autoencoder_learns_to_reconstruct_and_its_encoder_is_reused() {
    let pretrained = outcome(r#"pretrain = { kind = "autoencoder", epochs = 6 }"#);
    let short = outcome(r#"pretrain = { kind = "autoencoder", epochs = 1 }"#);
    let (loss, early) = (
        metric(&pretrained, "pretrain.val_loss"),
        metric(&short, "pretrain.val_loss"),
    );
    // Predicting all zeros costs mean(x²); the autoencoder beats it and improves with training
    // (the synthetic images are mostly noise, so not by much).
    let data = data::synthetic(400, 100, 100, 5);
    let zeros = data
        .val
        .images
        .iter()
        .map(|&x| (x as f64).powi(2))
        .sum::<f64>()
        / data.val.images.len() as f64;
    assert!(
        loss < early && early < zeros,
        "reconstruction {loss} after 6 epochs, {early} after 1, all-zeros {zeros}"
    );
    assert_ne!(
        pretrained.epochs[0].val_loss,
        outcome("").epochs[0].val_loss
    );
}

#[test]
fn frozen_layers_stay_put_and_copied_layers_are_copies() {
    let dev = Cpu::default();
    let spec: ModelSpec = toml::from_str(
        "hidden = [6, 5]\nactivation = \"relu\"\ninitializer = \"he_normal\"\nbatch_norm = {}",
    )
    .unwrap();
    let mut a = Mlp::new(&spec, 8, 3, &dev, &mut stream(1, Purpose::Init)).unwrap();
    let mut b = Mlp::new(&spec, 8, 4, &dev, &mut stream(2, Purpose::Init)).unwrap();
    b.copy_lower_layers(&a, 2).unwrap();
    // Layer 0 (input BN, dense, BN) and layer 1 are A's; the head (layer 2) is B's own.
    let params = |m: &Mlp<Cpu>| -> Vec<(usize, Vec<f32>)> {
        m.params()
            .iter()
            .map(|(l, p)| (*l, p.values().to_vec()))
            .collect()
    };
    for ((la, pa), (lb, pb)) in params(&a).iter().zip(params(&b)) {
        assert_eq!(*la, lb);
        if lb < 2 {
            assert_eq!(*pa, pb);
        }
    }
    assert!(
        b.copy_lower_layers(&a, 3).is_err(),
        "the head is never copied"
    );
    let other: ModelSpec = toml::from_str("hidden = [7, 5]").unwrap();
    let c = Mlp::new(&other, 8, 3, &dev, &mut stream(3, Purpose::Init)).unwrap();
    assert!(a.copy_lower_layers(&c, 1).is_err(), "shapes differ");

    // One SGD step with layer 0 frozen: its tensors and moving statistics stay, the rest move.
    b.set_frozen(0, true).unwrap();
    let before = params(&b);
    let moving_before = b.state();
    let config = OptimizerConfig::default_for("sgd").unwrap();
    let mut step = StepConfig::plain(config).build(&b).unwrap();
    let x = dev.tensor_from_vec((0..32).map(|i| (i % 7) as f32 / 7.0).collect(), (4, 8));
    let y = dev.tensor_from_vec(
        (0..16)
            .map(|i| if i % 5 == 0 { 1.0 } else { 0.0 })
            .collect(),
        (4, 4),
    );
    let mut noise = stream(0, Purpose::Noise);
    let logits = b.forward_train(x.traced(Gradients::leaky()), &mut noise);
    let grads = cross_entropy_with_logits_loss(logits, y).backward();
    step.apply(&mut b, grads, 0.1);
    for ((layer, old), (_, new)) in before.iter().zip(params(&b)) {
        if *layer == 0 {
            assert_eq!(*old, new, "a frozen parameter moved");
        } else {
            assert_ne!(
                *old, new,
                "an unfrozen parameter of layer {layer} did not move"
            );
        }
    }
    // The input BN (first moving pair) is frozen: inference mode, no moving update.
    let n = b.param_sizes().len();
    assert_eq!(b.state()[n], moving_before[n]);
    assert_ne!(
        b.state()[n + 4],
        moving_before[n + 4],
        "layer 1's BN updates"
    );
}

/// Layer reuse on a CNN (issue 13): LeNet-5's two conv layers (kernels, biases and their
/// windows) are copied into a network with another head, a network whose convolutions differ is
/// refused, and a frozen conv layer stays put through a training step while the rest moves.
#[test]
fn a_cnn_reuses_and_freezes_its_conv_layers() {
    let dev = Cpu::default();
    let spec: ModelSpec = toml::from_str(r#"kind = "cnn""#).unwrap();
    let a = Mlp::new(&spec, 784, 10, &dev, &mut stream(1, Purpose::Init)).unwrap();
    let mut b = Mlp::new(&spec, 784, 4, &dev, &mut stream(2, Purpose::Init)).unwrap();
    b.copy_lower_layers(&a, 2).unwrap();
    let params = |m: &Mlp<Cpu>| -> Vec<(usize, Vec<f32>)> {
        m.params()
            .iter()
            .map(|(l, p)| (*l, p.values().to_vec()))
            .collect()
    };
    let (pa, pb) = (params(&a), params(&b));
    assert_eq!(pa.len(), pb.len());
    for ((la, va), (lb, vb)) in pa.iter().zip(&pb) {
        assert_eq!(la, lb);
        if *lb < 2 {
            assert_eq!(va, vb, "conv layer {lb} is A's");
        } else if *lb < 4 && va.iter().any(|&v| v != 0.0) {
            // (Biases start at zero in both.)
            assert_ne!(va, vb, "dense layer {lb} keeps B's own kernel");
        }
    }
    let other: ModelSpec =
        toml::from_str("kind = \"cnn\"\nconv = [{ filters = 6, kernel = 3 }, { filters = 16 }]")
            .unwrap();
    let c = Mlp::new(&other, 784, 10, &dev, &mut stream(3, Purpose::Init)).unwrap();
    assert!(b.copy_lower_layers(&c, 1).is_err(), "another kernel size");

    // One SGD step with conv layer 0 frozen.
    b.set_frozen(0, true).unwrap();
    let before = params(&b);
    let config = OptimizerConfig::default_for("sgd").unwrap();
    let mut step = StepConfig::plain(config).build(&b).unwrap();
    let x = dev.tensor_from_vec(
        (0..4 * 784).map(|i| (i % 13) as f32 / 13.0).collect(),
        (4, 784),
    );
    let y = dev.tensor_from_vec(
        (0..16)
            .map(|i| if i % 5 == 0 { 1.0 } else { 0.0 })
            .collect(),
        (4, 4),
    );
    let mut noise = stream(0, Purpose::Noise);
    let logits = b.forward_train(x.traced(Gradients::leaky()), &mut noise);
    let grads = cross_entropy_with_logits_loss(logits, y).backward();
    step.apply(&mut b, grads, 0.1);
    for ((layer, old), (_, new)) in before.iter().zip(params(&b)) {
        if *layer == 0 {
            assert_eq!(*old, new, "a frozen conv parameter moved");
        } else {
            assert_ne!(*old, new, "a parameter of layer {layer} did not move");
        }
    }
}
