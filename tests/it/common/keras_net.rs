//! Replaying a Keras `train_on_batch` reference (tests/reference/keras_batchnorm.json,
//! keras_learned_activations.json) on trainbench's model: the same initial weights, batch,
//! optimizer and number of steps, then every weight compared after every step.
#![allow(dead_code)]

use dfdx::prelude::*;
use serde_json::Value;
use trainbench::model::{Matrix, Mlp, ModelSpec};
use trainbench::train::step::StepConfig;
use trainbench::zoo::optim::OptimizerConfig;

use super::floats32;

/// A Keras weight list in our `Mlp::state()` layout: the trainable values in order, then each
/// BN layer's moving mean and variance.
pub fn keras_state(weights: &Value) -> Vec<Vec<f32>> {
    let (mut params, mut moving) = (Vec::new(), Vec::new());
    for w in weights.as_array().unwrap() {
        let values = floats32(&w["values"]);
        match w["name"].as_str().unwrap() {
            "moving_mean" | "moving_variance" => moving.push(values),
            _ => params.push(values),
        }
    }
    params.extend(moving);
    params
}

/// Our optimizer for a Keras optimizer config (class name lowercase + hyperparameters); SGD is
/// our momentum or nesterov when Keras's has momentum. Keras's Adam records here may leave out
/// β and ε, which then keep their (Keras) defaults.
pub fn keras_optimizer(c: &Value) -> OptimizerConfig {
    let momentum = c.get("momentum").and_then(Value::as_f64).unwrap_or(0.0);
    let name = match c["name"].as_str().unwrap() {
        "sgd" if c["nesterov"] == Value::Bool(true) => "nesterov",
        "sgd" if momentum > 0.0 => "momentum",
        other => other,
    };
    let (config, defaulted) = super::optimizer_from_keras(name, c);
    let may_default = ["beta_1", "beta_2", "epsilon"];
    assert!(
        name == "adam" && defaulted.iter().all(|k| may_default.contains(&k.as_str()))
            || defaulted.is_empty(),
        "{name}: Keras's config lacks {defaulted:?}: {c}"
    );
    config
}

/// A network of `spec` with `inputs` and `outputs`, holding a case's initial Keras weights.
pub fn keras_model(spec: &str, inputs: usize, outputs: usize, case: &Value) -> Mlp<Cpu> {
    let spec: ModelSpec = toml::from_str(spec).unwrap();
    let dev = Cpu::default();
    let mut rng = trainbench::seed::stream(0, trainbench::seed::Purpose::Init);
    let mut model = Mlp::new(&spec, inputs, outputs, &dev, &mut rng).unwrap();
    let state = keras_state(&case["initial"]);
    assert_eq!(
        model.state().iter().map(Vec::len).collect::<Vec<_>>(),
        state.iter().map(Vec::len).collect::<Vec<_>>(),
        "our network's state layout differs from the Keras model's"
    );
    model.restore(&state);
    model
}

/// The case's batch as tensors: x [n, inputs] and one-hot labels [n, outputs].
pub fn batch(case: &Value, inputs: usize, outputs: usize) -> (Matrix<Cpu>, Matrix<Cpu>) {
    let dev = Cpu::default();
    let x = floats32(&case["x"]);
    let labels: Vec<usize> = case["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let n = labels.len();
    let mut y = vec![0.0f32; n * outputs];
    for (i, &l) in labels.iter().enumerate() {
        y[i * outputs + l] = 1.0;
    }
    assert_eq!(x.len(), n * inputs);
    (
        dev.tensor_from_vec(x, (n, inputs)),
        dev.tensor_from_vec(y, (n, outputs)),
    )
}

/// Runs the case's steps (train_on_batch: training-mode forward, mean cross-entropy, one
/// optimizer update) and returns the largest scaled difference |ours − keras| / max(1, |keras|)
/// over every weight after every step, with where it was.
///
/// `zero_gradient` lists state tensors whose true gradient is zero (e.g. an input BN's β when a
/// bias-free dense layer and another BN follow: the second BN removes any shift). Their float32
/// gradients are rounding noise, which Adam scales up to steps of arbitrary sign on both sides;
/// for them it is checked instead that neither side moves them by more than 1e-4 (a real
/// gradient moves them by ~learning rate per step).
pub fn replay(
    model: &mut Mlp<Cpu>,
    case: &Value,
    inputs: usize,
    outputs: usize,
    zero_gradient: &[usize],
) -> (f64, String) {
    let initial = keras_state(&case["initial"]);
    let config = keras_optimizer(&case["optimizer"]);
    let mut step_rule = StepConfig::plain(config.clone()).build(model).unwrap();
    let (x, y) = batch(case, inputs, outputs);
    let mut noise = trainbench::seed::stream(0, trainbench::seed::Purpose::Noise);
    let mut worst = (0.0f64, String::new());
    for (step, expected) in case["steps"].as_array().unwrap().iter().enumerate() {
        let logits = model.forward_train(x.clone().traced(Gradients::leaky()), &mut noise);
        let loss = cross_entropy_with_logits_loss(logits, y.clone());
        let grads = loss.backward();
        step_rule.apply(model, grads, config.learning_rate());
        for (i, (ours, keras)) in model.state().iter().zip(keras_state(expected)).enumerate() {
            for (j, (&o, &k)) in ours.iter().zip(&keras).enumerate() {
                let d = if zero_gradient.contains(&i) {
                    let moved = (o - initial[i][j]).abs().max((k - initial[i][j]).abs());
                    if moved <= 1e-4 {
                        0.0
                    } else {
                        f64::INFINITY
                    }
                } else {
                    (o as f64 - k as f64).abs() / (k as f64).abs().max(1.0)
                };
                if d > worst.0 || d.is_nan() {
                    worst = (
                        d,
                        format!(
                            "step {} tensor {i} value {j}: ours {o}, keras {k}",
                            step + 1
                        ),
                    );
                }
            }
        }
    }
    worst
}
