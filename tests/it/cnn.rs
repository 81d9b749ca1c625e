//! The convolutional network (`model = { kind = "cnn" }`): every technique that applies to it
//! trains it (on synthetic data, one short run each, checked to change the run), the ones that
//! do not yet are clear errors, and on the real Fashion-MNIST a LeNet-5 learns (test accuracy
//! far above chance) and survives a save/load round trip bit for bit.

use crate::common;

use std::path::Path;

use common::synthetic_run;
use dfdx::prelude::*;
use trainbench::data::{self, DataOptions};
use trainbench::model::{Mlp, ModelSpec};
use trainbench::seed::{stream, Purpose};
use trainbench::train::RunOutcome;

/// A small CNN: two conv layers (4 filters 5×5 "same", pool 2; 8 filters 3×3, pool 2) and one
/// 16-unit dense layer; `model` adds fields to the model table, `run` lines to the run.
fn study(model: &str, run: &str) -> String {
    format!(
        r#"description = "cnn"
seeds = 1

[base]
epochs = 2
batch_size = 32
optimizer = "adam"
{run}

[base.model]
kind = "cnn"
conv = [{{ filters = 4, kernel = 5, padding = "same" }}, {{ filters = 8, kernel = 3 }}]
hidden = [16]
initializer = "he_normal"
{model}
"#
    )
}

fn outcome(model: &str, run: &str) -> RunOutcome {
    synthetic_run(&study(model, run), 256)
}

fn finite(o: &RunOutcome) -> bool {
    o.epochs
        .iter()
        .all(|e| e.train_loss.is_finite() && e.val_loss.is_finite())
        && o.test_loss.is_finite()
}

#[test]
fn every_technique_that_applies_trains_a_cnn_and_changes_the_run() {
    let base = outcome("", "");
    assert!(finite(&base), "{base:?}");
    let model_cases = [
        r#"activation = "gelu""#,
        r#"activation = "selu""#,
        r#"activation = "prelu""#,
        r#"activation = "rrelu""#,
        r#"initializer = "glorot_uniform""#,
        r#"initializer = "lecun_normal""#,
        r#"batch_norm = { placement = "after_activation" }"#,
        r#"batch_norm = { placement = "before_activation", input = false }"#,
        r#"dropout = { name = "dropout", rate = 0.2 }"#,
        r#"dropout = { name = "alpha_dropout", rate = 0.1 }"#,
    ];
    let run_cases = [
        r#"optimizer = "sgd""#,
        r#"optimizer = "momentum""#,
        r#"optimizer = "nesterov""#,
        r#"optimizer = "adagrad""#,
        r#"optimizer = "rmsprop""#,
        r#"optimizer = "adamax""#,
        r#"optimizer = "nadam""#,
        r#"optimizer = "adamw""#,
        r#"clipping = { name = "clip_norm", norm = 0.1 }"#,
        r#"clipping = { name = "global_clip_norm", norm = 0.1 }"#,
        r#"schedule = { name = "exponential", decay_steps = 4, decay_rate = 0.1 }"#,
        r#"kernel_regularizer = { name = "l1", l1 = 0.01 }"#,
        r#"kernel_regularizer = { name = "l2", l2 = 0.01 }"#,
        r#"kernel_constraint = { name = "max_norm", max_value = 0.5 }"#,
        r#"weight_decay = 0.1"#,
    ];
    let cases = model_cases
        .iter()
        .map(|m| (*m, ""))
        .chain(run_cases.iter().map(|r| ("", *r)));
    for (model, run) in cases {
        // The base optimizer and initializer lines are replaced, not repeated.
        let text = if run.starts_with("optimizer") {
            study(model, "").replace(r#"optimizer = "adam""#, run)
        } else if model.starts_with("initializer") {
            study("", run).replace(r#"initializer = "he_normal""#, model)
        } else {
            study(model, run)
        };
        let o = synthetic_run(&text, 256);
        assert!(finite(&o), "{model}{run}: {o:?}");
        assert_ne!(
            o.epochs.last().unwrap().val_loss,
            base.epochs.last().unwrap().val_loss,
            "{model}{run} changed nothing"
        );
    }
}

#[test]
fn diagnostics_cover_conv_and_dense_layers() {
    let o = outcome("", "diagnostics = { probe = 50 }");
    let names: Vec<&str> = o.epochs[0].extra.iter().map(|(n, _)| n.as_str()).collect();
    // Two conv layers, one hidden dense layer: three activations; four kernels.
    for name in ["act_std.003", "dead_fraction.001", "grad_norm.004"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert!(!names.contains(&"act_std.004"), "{names:?}");
    assert!(!names.contains(&"grad_norm.005"), "{names:?}");
}

#[test]
fn early_stopping_and_mc_dropout_apply() {
    let o = outcome(
        r#"dropout = { name = "dropout", rate = 0.2 }"#,
        "early_stopping = { patience = 1 }\nmc_dropout = { samples = 3 }",
    );
    assert!(finite(&o));
    assert!(
        o.extra.iter().any(|(n, _)| n.starts_with("mc")),
        "{:?}",
        o.extra
    );
}

#[test]
fn what_does_not_apply_yet_is_a_clear_error() {
    use trainbench::study::{spec, Overrides};
    let parse = |text: &str| spec::parse(Path::new("t.toml"), text, Overrides::default());
    for (run, what) in [
        ("fold_check = true", "fold_check"),
        (
            r#"pretrain = { kind = "autoencoder", epochs = 1 }"#,
            "pretrain",
        ),
    ] {
        let err = parse(&study(r#"batch_norm = {}"#, run))
            .unwrap_err()
            .to_string();
        assert!(err.contains(what) && err.contains("cnn"), "{run}: {err}");
    }
    let err = parse(&study("", "").replace(r#"kind = "cnn""#, ""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("kind = \"cnn\""), "{err}");
    let err = parse(&study("", "").replace("kernel = 3", "kernel = 30"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model.conv[1]") && err.contains("does not fit"),
        "{err}"
    );
}

#[test]
fn lenet5_is_the_default_cnn_and_an_mlp_spec_serializes_as_before() {
    let lenet: ModelSpec = toml::from_str(r#"kind = "cnn""#).unwrap();
    let dev = Cpu::default();
    let model = Mlp::new(&lenet, 784, 10, &dev, &mut stream(0, Purpose::Init)).unwrap();
    // conv 5·5·1·6 + 6, conv 5·5·6·16 + 16, dense 400·120 + 120, 120·84 + 84, 84·10 + 10.
    assert_eq!(model.num_params(), 156 + 2416 + 48120 + 10164 + 850);
    assert_eq!(model.num_layers(), 5);
    let mlp: ModelSpec = toml::from_str(r#"hidden = [300, 100]"#).unwrap();
    assert_eq!(
        serde_json::to_string(&mlp).unwrap(),
        r#"{"hidden":[300,100],"activation":"relu","initializer":{"name":"glorot_uniform"}}"#
    );
    let back: ModelSpec = serde_json::from_str(&serde_json::to_string(&lenet).unwrap()).unwrap();
    assert_eq!(back, lenet);
}

/// LeNet-5 on 3,000 real Fashion-MNIST images for 2 epochs: far above chance (10%) on the test
/// set; then a trained-like network (BN moving statistics and prelu's α moved) saved and loaded
/// gives the same logits bit for bit.
#[test]
fn lenet5_learns_real_fashion_mnist_and_round_trips_through_a_file() {
    let real = data::load(&DataOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let view = trainbench::train::DataView {
        train: &real.train,
        val: &real.val,
        test: &real.test,
    };
    let text = r#"description = "lenet"
seeds = 1
[base]
epochs = 2
batch_size = 32
train_subset = 3000
optimizer = "adam"
model = { kind = "cnn", activation = "relu" }
"#;
    let parsed = trainbench::study::spec::parse(
        Path::new("t.toml"),
        text,
        trainbench::study::Overrides::default(),
    )
    .unwrap();
    let dev = Cpu::seed_from_u64(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let started = std::time::Instant::now();
    let o =
        trainbench::train::train_run(&dev, &parsed.cells[0].config, view, 0, &stop, &mut |_| {})
            .unwrap();
    eprintln!(
        "LeNet-5, 2 epochs on 3000 images: test accuracy {:.4}, {:.1} s",
        o.test_acc,
        started.elapsed().as_secs_f64()
    );
    assert!(o.test_acc > 0.6, "test accuracy {}", o.test_acc);

    let spec: ModelSpec = toml::from_str(
        r#"kind = "cnn"
activation = "prelu"
batch_norm = { placement = "before_activation" }"#,
    )
    .unwrap();
    let mut model = Mlp::new(&spec, 784, 10, &dev, &mut stream(1, Purpose::Init)).unwrap();
    let n = 64;
    let x = dev.tensor_from_vec(real.test.images[..n * 784].to_vec(), (n, 784));
    let mut noise = stream(1, Purpose::Noise);
    for _ in 0..3 {
        let _ = model.forward_train(x.clone(), &mut noise);
    }
    let mut state = model.state();
    for (i, values) in state.iter_mut().enumerate() {
        for (j, v) in values.iter_mut().enumerate() {
            *v += ((i * 31 + j * 7) % 13) as f32 * 1e-3;
        }
    }
    model.restore(&state);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lenet.safetensors");
    model.save(&spec, 784, &path).unwrap();
    let (loaded, loaded_spec) = Mlp::<Cpu>::load(&dev, &path).unwrap();
    assert_eq!(loaded_spec, spec);
    assert_eq!(loaded.state(), model.state());
    let bits = |m: &Mlp<Cpu>| -> Vec<u32> {
        m.forward(x.clone())
            .as_vec()
            .iter()
            .map(|v| v.to_bits())
            .collect()
    };
    assert_eq!(bits(&loaded), bits(&model));
}
