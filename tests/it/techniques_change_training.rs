//! Every technique a study file can name changes what is trained: a run with it differs from the
//! same run without it (fast synthetic data), and the run's recorded learning rate follows the
//! schedule.

use crate::common;

use common::synthetic_run;
use dfdx::prelude::*;
use trainbench::data;
use trainbench::train::RunOutcome;

const BASE: &str = r#"
description = "techniques"
seeds = 1

[base]
epochs = 3
batch_size = 16
optimizer = "momentum"
model = { hidden = [32], activation = "relu", initializer = "he_normal" }
"#;

/// Trains the single cell of BASE plus `extra` lines in [base], seed 0.
fn outcome(extra: &str) -> RunOutcome {
    let text = format!("{BASE}{extra}\n");
    outcome_of(&text)
}

fn outcome_of(text: &str) -> RunOutcome {
    synthetic_run(text, 400)
}

#[test]
fn clipping_and_every_schedule_change_the_run() {
    let plain = outcome("");
    assert_eq!(plain, {
        let mut again = outcome("");
        again.wall_seconds = plain.wall_seconds;
        again.samples_per_sec = plain.samples_per_sec;
        for (a, p) in again.epochs.iter_mut().zip(&plain.epochs) {
            a.wall_seconds = p.wall_seconds;
        }
        // The fastest epoch's time is wall-clock too.
        for ((name, v), (_, p)) in again.extra.iter_mut().zip(&plain.extra) {
            if name.starts_with("timing.") {
                *v = *p;
            }
        }
        again
    });
    let variants = [
        r#"clipping = { name = "clip_value", value = 0.01 }"#,
        r#"clipping = { name = "clip_norm", norm = 0.1 }"#,
        r#"clipping = { name = "global_clip_norm", norm = 0.1 }"#,
        r#"schedule = { name = "power", decay_steps = 10 }"#,
        r#"schedule = { name = "exponential", decay_steps = 20 }"#,
        r#"schedule = { name = "piecewise_constant", boundaries = [1], values = [0.01, 0.001] }"#,
        r#"schedule = { name = "performance", factor = 0.5, patience = 1, min_delta = 10.0 }"#,
        r#"schedule = { name = "one_cycle", max_learning_rate = 0.05 }"#,
        r#"kernel_regularizer = "l1""#,
        r#"kernel_regularizer = { name = "l2", l2 = 0.001 }"#,
        r#"kernel_regularizer = "l1_l2""#,
        r#"kernel_constraint = { name = "max_norm", max_value = 0.5 }"#,
    ];
    for extra in variants {
        let changed = outcome(extra);
        assert_ne!(
            changed.epochs.last().unwrap().val_loss,
            plain.epochs.last().unwrap().val_loss,
            "{extra} changed nothing"
        );
    }
    // The recorded learning rate follows the schedule: 0.01 in epoch 1, 0.001 after.
    let piecewise = outcome(variants[5]);
    let rates: Vec<f64> = piecewise.epochs.iter().map(|e| e.learning_rate).collect();
    assert_eq!(rates, [0.01, 0.001, 0.001]);
    // Performance scheduling with an unreachable min_delta: epoch 1 sets the best loss, every
    // later epoch fails to improve on it, so η halves after epoch 2 (patience 1).
    let performance = outcome(variants[6]);
    let rates: Vec<f64> = performance.epochs.iter().map(|e| e.learning_rate).collect();
    assert_eq!(rates, [0.01, 0.01, 0.005]);
}

#[test]
fn early_stopping_stops_and_keeps_the_best_epochs_weights() {
    // 12 epochs at a high learning rate on tiny data: the validation loss turns up early.
    let long = BASE.replace("epochs = 3", "epochs = 12").replace(
        r#"optimizer = "momentum""#,
        r#"optimizer = { name = "momentum", learning_rate = 0.1 }"#,
    );
    let stopped = outcome_of(&format!("{long}early_stopping = {{ patience = 2 }}\n"));
    let n = stopped.epochs.len();
    assert!(n < 12, "stopped after {n} epochs");
    let best = stopped
        .epochs
        .iter()
        .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
        .unwrap()
        .epoch;
    assert_eq!(n as u32, best + 2, "two epochs of patience after the best");
    // The restored weights are the best epoch's: the same as a run that ends there.
    let ends_at_best = outcome_of(&long.replace("epochs = 12", &format!("epochs = {best}")));
    assert_eq!(
        stopped.test_loss.to_bits(),
        ends_at_best.test_loss.to_bits()
    );
    assert_eq!(stopped.test_acc, ends_at_best.test_acc);
}

#[test]
fn max_norm_holds_after_every_step() {
    use trainbench::model::{Mlp, ModelSpec};
    use trainbench::train::step::StepConfig;
    use trainbench::zoo::regularize::{Constraint, MaxNorm};
    let dev = Cpu::seed_from_u64(0);
    let spec: ModelSpec = toml::from_str("hidden = [16]\ninitializer = \"he_normal\"").unwrap();
    let mut rng = trainbench::seed::stream(0, trainbench::seed::Purpose::Init);
    let mut model = Mlp::new(&spec, 784, 10, &dev, &mut rng).unwrap();
    let config = trainbench::zoo::optim::OptimizerConfig::default_for("sgd").unwrap();
    let data = data::synthetic(64, 8, 8, 3);
    let r = 0.3f32;
    let constraint = Constraint::new(MaxNorm {
        max_value: f64::from(r),
    });
    let mut step_rule = StepConfig {
        constraint: Some(constraint),
        ..StepConfig::plain(config)
    }
    .build(&model)
    .unwrap();
    for step in 0..8 {
        let rows = step * 8..step * 8 + 8;
        let x: Vec<f32> = data.train.images[rows.start * 784..rows.end * 784].to_vec();
        let mut y = vec![0.0f32; 80];
        for (i, row) in rows.clone().enumerate() {
            y[i * 10 + data.train.labels[row] as usize] = 1.0;
        }
        let x = dev.tensor_from_vec(x, (8, 784));
        let y = dev.tensor_from_vec(y, (8, 10));
        let loss = cross_entropy_with_logits_loss(model.forward(x.traced(Gradients::leaky())), y);
        let grads = loss.backward();
        step_rule.apply(&mut model, grads, 1.0);
        for (layer, kernel) in model.kernels().into_iter().enumerate() {
            let fan_out = if layer == 0 { 16 } else { 10 };
            for unit in 0..fan_out {
                let norm: f32 = kernel
                    .iter()
                    .skip(unit)
                    .step_by(fan_out)
                    .map(|w| w * w)
                    .sum::<f32>()
                    .sqrt();
                assert!(
                    norm <= r * (1.0 + 1e-5),
                    "step {step} layer {layer} unit {unit}: {norm}"
                );
            }
        }
    }
}

#[test]
fn every_activation_changes_the_run() {
    let relu = outcome("");
    for a in [
        r#""linear""#,
        r#""sigmoid""#,
        r#""tanh""#,
        r#"{ name = "leaky_relu", alpha = 0.2 }"#,
        r#""elu""#,
        r#""selu""#,
        r#""gelu_tanh""#,
        r#""gelu_sigmoid""#,
        r#"{ name = "swish", beta = 0.6 }"#,
        r#""silu""#,
        r#""mish""#,
    ] {
        let text = BASE.replace(r#"activation = "relu""#, &format!("activation = {a}"));
        assert_ne!(text, BASE);
        let changed = outcome_of(&text);
        assert!(
            changed.epochs.iter().all(|e| e.val_loss.is_finite()),
            "{a} diverged"
        );
        assert_ne!(
            changed.epochs.last().unwrap().val_loss,
            relu.epochs.last().unwrap().val_loss,
            "{a} changed nothing"
        );
    }
}

#[test]
fn dropout_and_alpha_dropout_change_the_run_but_not_its_data_order() {
    let plain = outcome("");
    let with = |activation: &str, dropout: &str| {
        outcome_of(&BASE.replace(
            r#"activation = "relu","#,
            &format!(r#"activation = "{activation}", dropout = {dropout},"#),
        ))
    };
    let dropped = with("relu", r#"{ name = "dropout", rate = 0.2 }"#);
    assert_ne!(dropped.test_loss, plain.test_loss);
    // Rate 0 draws masks but drops nothing: bit-identical to no dropout (the noise stream is
    // separate, so the data order and initial weights are untouched).
    let zero = with("relu", r#"{ name = "dropout", rate = 0.0 }"#);
    assert_eq!(zero.test_loss.to_bits(), plain.test_loss.to_bits());
    let selu = with("selu", r#"{ name = "alpha_dropout", rate = 0.0 }"#);
    let alpha = with("selu", r#"{ name = "alpha_dropout", rate = 0.1 }"#);
    assert_ne!(alpha.test_loss, selu.test_loss);
    assert!(alpha.test_loss.is_finite());
}

#[test]
fn mc_dropout_records_its_metrics_reproducibly() {
    let text = BASE.replace(
        r#"activation = "relu","#,
        r#"activation = "relu", dropout = { name = "dropout", rate = 0.2 },"#,
    );
    let text = format!("{text}mc_dropout = {{ samples = 10 }}\n");
    let a = outcome_of(&text);
    // Leaving out the wall-clock timing and the reliability diagram's 2 × 45 bins.
    let names: Vec<&str> = a
        .extra
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !n.starts_with("timing.") && !n.starts_with("reliability."))
        .collect();
    assert_eq!(
        a.extra
            .iter()
            .filter(|(n, _)| n.starts_with("reliability."))
            .count(),
        90
    );
    // With 10 passes: the metrics, then the same after the first pass (`_1`); a checkpoint at
    // 10 passes would repeat the final ones, so there is none.
    assert_eq!(
        names,
        [
            "test_ece",
            "test_signed_ce",
            "mc_signed_ce",
            "mc_accuracy",
            "mc_nll",
            "mc_ece",
            "mc_mean_std",
            "mc_accuracy_1",
            "mc_nll_1",
            "mc_ece_1",
            "mc_mean_std_1"
        ]
    );
    let metric = |name: &str| a.extra.iter().find(|(n, _)| n == name).unwrap().1;
    for name in &names {
        let v = metric(name);
        // A signed calibration error may be negative (under-confident); the rest may not.
        assert!(
            v.is_finite() && (v >= 0.0 || name.ends_with("signed_ce")),
            "{name} = {v}"
        );
    }
    let acc = metric("mc_accuracy");
    assert!(acc > 0.2 && acc <= 1.0, "MC accuracy {acc}");
    assert!(
        metric("mc_mean_std") > 0.0,
        "dropout at inference spreads the predictions"
    );
    let b = outcome_of(&text);
    // Every measured metric is reproducible bit for bit (the wall-clock timing is not one).
    let bits = |o: &RunOutcome| -> Vec<u64> {
        o.extra
            .iter()
            .filter(|(n, _)| !n.starts_with("timing."))
            .map(|(_, v)| v.to_bits())
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
}

#[test]
fn lr_find_sweeps_geometrically_and_suggests_a_rate_below_the_explosion() {
    use std::path::Path;
    use trainbench::study::{spec, Overrides};
    use trainbench::train::lr_find::{learning_rate_at, lr_find, LrFindOptions};
    use trainbench::train::DataView;
    let study = spec::parse(Path::new("t.toml"), BASE, Overrides::default()).unwrap();
    let data = data::synthetic(400, 100, 100, 5);
    let view = DataView {
        train: &data.train,
        val: &data.val,
        test: &data.test,
    };
    let o = LrFindOptions {
        steps: 200,
        ..LrFindOptions::default()
    };
    let dev = Cpu::seed_from_u64(0);
    let r = lr_find(&dev, &study.cells[0].config, view, 0, &o).unwrap();
    for (i, &lr) in r.learning_rates.iter().enumerate() {
        assert_eq!(lr, learning_rate_at(&o, i));
    }
    let eta = r.suggestion.expect("the loss fell somewhere");
    assert!(eta > o.start && eta < *r.learning_rates.last().unwrap());
    assert_eq!(
        r,
        lr_find(&dev, &study.cells[0].config, view, 0, &o).unwrap()
    );
}

#[test]
fn batch_norm_and_learned_or_random_activations_change_the_run() {
    let model = r#"model = { hidden = [32], activation = "relu", initializer = "he_normal" }"#;
    let with = |fields: &str| {
        let text = BASE.replace(
            model,
            &format!(r#"model = {{ hidden = [32], initializer = "he_normal", {fields} }}"#),
        );
        outcome_of(&text)
    };
    let last = |o: &RunOutcome| o.epochs.last().unwrap().val_loss;
    // (variant, what it must differ from): prelu starts as relu (α = 0) and rrelu's mean slope
    // is not relu's, so each is compared with plain relu; learned swish with fixed swish.
    let pairs = [
        (r#"activation = "prelu""#, r#"activation = "relu""#),
        (
            r#"activation = { name = "prelu", alpha = 0.25 }"#,
            r#"activation = { name = "leaky_relu", alpha = 0.25 }"#,
        ),
        (r#"activation = "rrelu""#, r#"activation = "relu""#),
        (r#"activation = "gelu""#, r#"activation = "gelu_tanh""#),
        (
            r#"activation = { name = "swish", learned = true }"#,
            r#"activation = "swish""#,
        ),
        (
            r#"activation = "relu", batch_norm = {}"#,
            r#"activation = "relu""#,
        ),
        (
            r#"activation = "relu", batch_norm = { placement = "before_activation" }"#,
            r#"activation = "relu", batch_norm = {}"#,
        ),
        (
            r#"activation = "relu", batch_norm = { input = false }"#,
            r#"activation = "relu", batch_norm = {}"#,
        ),
        (
            r#"activation = "relu", batch_norm = { momentum = 0.5 }"#,
            r#"activation = "relu", batch_norm = {}"#,
        ),
    ];
    for (variant, reference) in pairs {
        assert_ne!(
            last(&with(variant)),
            last(&with(reference)),
            "{variant} trains like {reference}"
        );
    }
}
