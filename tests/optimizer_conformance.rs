//! Conformance of the nine optimizers with Keras 3: 25 closed-loop steps on a fixed quadratic
//! problem, compared with the trajectories that tests/reference/keras_optimizers.py recorded from
//! Keras (its output, with the exact package versions, is tests/reference/keras_optimizers.json).

mod common;

use common::{floats32, reference};
use serde_json::Value;
use trainbench::zoo::optim::OptimizerConfig;

/// Our config for a reference case, from the hyperparameters Keras reported.
fn config(case: &Value) -> OptimizerConfig {
    let name = case["name"].as_str().unwrap().trim_end_matches("_custom");
    let c = &case["config"];
    let get = |k: &str| c[k].as_f64().unwrap_or_else(|| panic!("{name}: no {k}"));
    let lr = get("learning_rate");
    match name {
        "sgd" => OptimizerConfig::Sgd { learning_rate: lr },
        "momentum" => OptimizerConfig::Momentum {
            learning_rate: lr,
            momentum: get("momentum"),
        },
        "nesterov" => OptimizerConfig::Nesterov {
            learning_rate: lr,
            momentum: get("momentum"),
        },
        "adagrad" => OptimizerConfig::Adagrad {
            learning_rate: lr,
            initial_accumulator_value: get("initial_accumulator_value"),
            epsilon: get("epsilon"),
        },
        "rmsprop" => OptimizerConfig::Rmsprop {
            learning_rate: lr,
            rho: get("rho"),
            epsilon: get("epsilon"),
        },
        "adam" => OptimizerConfig::Adam {
            learning_rate: lr,
            beta_1: get("beta_1"),
            beta_2: get("beta_2"),
            epsilon: get("epsilon"),
        },
        "adamax" => OptimizerConfig::Adamax {
            learning_rate: lr,
            beta_1: get("beta_1"),
            beta_2: get("beta_2"),
            epsilon: get("epsilon"),
        },
        "nadam" => OptimizerConfig::Nadam {
            learning_rate: lr,
            beta_1: get("beta_1"),
            beta_2: get("beta_2"),
            epsilon: get("epsilon"),
        },
        "adamw" => OptimizerConfig::Adamw {
            learning_rate: lr,
            weight_decay: get("weight_decay"),
            beta_1: get("beta_1"),
            beta_2: get("beta_2"),
            epsilon: get("epsilon"),
        },
        other => panic!("unknown reference case {other}"),
    }
}

#[test]
fn every_optimizer_follows_the_keras_trajectory() {
    let reference = reference("keras_optimizers.json");
    let problem = &reference["problem"];
    let (a, c) = (floats32(&problem["a"]), floats32(&problem["c"]));
    let cases = reference["cases"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let config = config(case);
        seen.insert(config.name());
        let mut kernel = floats32(&problem["kernel0"]);
        let mut bias = floats32(&problem["bias0"]);
        let mut opt = config.build(&[kernel.len(), bias.len()]).unwrap();
        let mut worst = 0.0f64;
        for (step, expected) in case["trajectory"].as_array().unwrap().iter().enumerate() {
            // g = a ⊙ (θ − c), in f32 as the reference computes it.
            let theta: Vec<f32> = kernel.iter().chain(&bias).copied().collect();
            let g: Vec<f32> = theta
                .iter()
                .zip(&a)
                .zip(&c)
                .map(|((t, a), c)| a * (t - c))
                .collect();
            opt.begin_step();
            opt.update(0, config.learning_rate(), &mut kernel, &g[..6]);
            opt.update(1, config.learning_rate(), &mut bias, &g[6..]);
            let ours: Vec<f32> = kernel.iter().chain(&bias).copied().collect();
            for (i, (&o, e)) in ours.iter().zip(floats32(expected)).enumerate() {
                let rel = (o as f64 - e as f64).abs() / (e as f64).abs().max(1e-3);
                worst = worst.max(rel);
                assert!(
                    rel < 1e-5,
                    "{name}: step {} value {i}: ours {o}, Keras {e} (relative error {rel:.2e})",
                    step + 1
                );
            }
        }
        eprintln!("{name:>18}: worst relative error {worst:.2e}");
    }
    assert_eq!(seen.len(), 9, "all nine optimizers are covered: {seen:?}");
}
