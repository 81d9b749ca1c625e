//! Batch normalization against Keras 3 (tests/reference/keras_batchnorm.py and its output
//! keras_batchnorm.json): one layer's training output, moving statistics, inference output and
//! gradients; and two small networks (BN after the activation with an input BN; BN before the
//! activation with bias-free dense layers) trained three `train_on_batch` steps with SGD and Adam.
//! Folding is checked on real data in tests/it/batch_norm_folding.rs.

use crate::common;

use common::keras_net::{batch, keras_model, replay};
use common::{floats32, reference};
use dfdx::prelude::*;
use trainbench::model::{BatchNorm, BatchNormSpec, Placement};

/// Largest |ours − reference| / max(1, |reference|).
fn worst(ours: &[f32], reference: &[f32]) -> f64 {
    assert_eq!(ours.len(), reference.len());
    ours.iter()
        .zip(reference)
        .map(|(&o, &r)| (o as f64 - r as f64).abs() / (r as f64).abs().max(1.0))
        .fold(0.0, f64::max)
}

#[test]
fn one_layer_matches_keras_in_training_and_inference() {
    let doc = reference("keras_batchnorm.json");
    let dev = Cpu::default();
    for case in doc["layer_cases"].as_array().unwrap() {
        let spec = BatchNormSpec {
            placement: Placement::AfterActivation,
            input: false,
            momentum: case["momentum"].as_f64().unwrap(),
            epsilon: case["epsilon"].as_f64().unwrap(),
        };
        let mut bn = BatchNorm::new(&dev, 4, &spec);
        bn.gamma.set_values(floats32(&case["gamma"]));
        bn.beta.set_values(floats32(&case["beta"]));
        bn.moving_mean = floats32(&case["moving_mean"]);
        bn.moving_variance = floats32(&case["moving_variance"]);
        let x = dev.tensor_from_vec(floats32(&case["x"]), (6, 4));
        let (y, stats) = bn.forward_train(x.clone().traced(Gradients::leaky()));
        let values = y.retaped::<NoneTape>().as_vec();
        let upstream = dev.tensor_from_vec(floats32(&case["upstream"]), (6, 4));
        let grads = (y * upstream).sum().backward();
        bn.update_moving(&stats);
        let inferred = bn.forward_infer(x.clone()).as_vec();
        let what = format!("momentum {} epsilon {}", case["momentum"], case["epsilon"]);
        // Float32 throughout; Keras's rsqrt and reduction order differ from ours by a few ulps
        // (1e-6 is ~8 ulps at 1); a wrong variance (unbiased) or ε placement is off by > 1e-2.
        let checks = [
            ("training output", values, "y_train", 2e-6),
            (
                "moving mean",
                bn.moving_mean.clone(),
                "moving_mean_after",
                1e-6,
            ),
            (
                "moving variance",
                bn.moving_variance.clone(),
                "moving_variance_after",
                1e-6,
            ),
            ("inference output", inferred, "y_infer", 2e-6),
            ("dL/dx", grads.get(&x).as_vec(), "dx", 5e-6),
            (
                "dL/dγ",
                grads.get(&bn.gamma.tensor).as_vec(),
                "dgamma",
                5e-6,
            ),
            ("dL/dβ", grads.get(&bn.beta.tensor).as_vec(), "dbeta", 5e-6),
        ];
        for (name, ours, key, tol) in checks {
            let w = worst(&ours, &floats32(&case[key]));
            assert!(w <= tol, "{what}: {name} off by {w:e} (tolerance {tol:e})");
        }
    }
}

#[test]
fn small_networks_with_batch_norm_follow_keras_train_on_batch() {
    let doc = reference("keras_batchnorm.json");
    let cases = doc["network_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let placement = case["architecture"]
            .as_str()
            .unwrap()
            .trim_start_matches("bn_");
        let spec = format!(
            "hidden = [5]\nactivation = \"relu\"\nbatch_norm = {{ placement = \"{placement}\" }}"
        );
        let mut model = keras_model(&spec, 6, 3, case);
        let what = format!("{} {}", case["architecture"], case["optimizer"]["name"]);
        let (x, _) = batch(case, 6, 3);
        // Before any step: the training-mode output (batch statistics) …
        let mut scratch = model.clone();
        let mut noise = trainbench::seed::stream(0, trainbench::seed::Purpose::Noise);
        let first = scratch.forward_train(x.clone(), &mut noise).as_vec();
        let w = worst(&first, &floats32(&case["logits_train_first"]));
        assert!(w <= 2e-6, "{what}: first training-mode logits off by {w:e}");
        // … then three steps, every weight and moving statistic compared after each. Three
        // steps of SGD or Adam on 8 samples keep float32 noise near 1e-6 (Adam divides by
        // √v̂, which turns a relative gradient error into a step error of the same order).
        // With BN before the activation, the bias-free dense layer and its BN cancel any shift
        // of the input: the input BN's β (state tensor 1) has a zero gradient.
        let zero_gradient: &[usize] = if placement == "before_activation" {
            &[1]
        } else {
            &[]
        };
        let (w, at) = replay(&mut model, case, 6, 3, zero_gradient);
        assert!(w <= 1e-5, "{what}: {at} (scaled difference {w:e})");
        // The noise-driven β above shifts inference logits by its own size; take Keras's.
        let mut state = model.state();
        let last = common::keras_net::keras_state(&case["steps"][2]);
        for &i in zero_gradient {
            state[i].clone_from(&last[i]);
        }
        model.restore(&state);
        let logits = model.forward(x).as_vec();
        let w = worst(&logits, &floats32(&case["logits_infer"]));
        assert!(
            w <= 1e-5,
            "{what}: inference logits after 3 steps off by {w:e}"
        );
    }
}
