//! Conformance of every built-in optimizer with Keras 3: 25 closed-loop steps on a fixed quadratic
//! problem, compared with the trajectories that tests/reference/keras_optimizers.py recorded from
//! Keras (its output, with the exact package versions, is tests/reference/keras_optimizers.json).

use crate::common;

use common::{floats32, optimizer_from_keras, reference};
use serde_json::Value;
use trainbench::zoo::optim::{OptimizerConfig, Optimizers};
use trainbench::zoo::registry::Registry;

/// Our config for a reference case, from the hyperparameters Keras reported (every one of
/// ours must be among them).
fn config(case: &Value) -> OptimizerConfig {
    let name = case["name"].as_str().unwrap().trim_end_matches("_custom");
    let (config, defaulted) = optimizer_from_keras(name, &case["config"]);
    assert!(
        defaulted.is_empty(),
        "{name}: Keras's config lacks {defaulted:?}"
    );
    config
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
    let builtin = Registry::builtin().names::<Optimizers>();
    assert_eq!(
        seen,
        builtin.into_iter().collect(),
        "every built-in optimizer has reference cases"
    );
}
