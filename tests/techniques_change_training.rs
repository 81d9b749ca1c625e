//! Every technique a study file can name changes what is trained: a run with it differs from the
//! same run without it (fast synthetic data), and the run's recorded learning rate follows the
//! schedule.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use dfdx::prelude::*;
use trainbench::data;
use trainbench::study::{spec, Overrides};
use trainbench::train::{train_run, DataView, RunOutcome};

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
    let study = spec::parse(Path::new("t.toml"), &text, Overrides::default()).unwrap();
    let data = data::synthetic(400, 100, 100, 5);
    let view = DataView {
        train: &data.train,
        val: &data.val,
        test: &data.test,
    };
    let dev = Cpu::seed_from_u64(0);
    train_run(
        &dev,
        &study.cells[0].config,
        view,
        0,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap()
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
