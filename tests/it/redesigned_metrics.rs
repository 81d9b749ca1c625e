//! The metrics the redesigned studies' claims read (issue 11), recorded by real runs on
//! Fashion-MNIST (needs the data, as .ci/run arranges) through the binary with `--quick`: the
//! signed calibration errors and reliability bins of MC dropout (reg-2), the fastest epoch's
//! time (act-3, bn-1), and activation statistics with dropout active (act-4); and, on synthetic
//! data, that measuring them changes no trained number.

use crate::common;

use common::{synthetic_run, text, trainbench};
use polars::prelude::*;

fn runs_of(dir: &std::path::Path, study: &str) -> DataFrame {
    ParquetReader::new(std::fs::File::open(dir.join(study).join("runs.parquet")).unwrap())
        .finish()
        .unwrap()
}

fn column(runs: &DataFrame, name: &str) -> Vec<f64> {
    runs.column(name)
        .unwrap_or_else(|_| panic!("no column {name}"))
        .f64()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect()
}

#[test]
fn real_data_quick_mc_dropout_records_signed_calibration_errors_and_reliability_bins() {
    let dir = tempfile::tempdir().unwrap();
    let out = trainbench()
        .args(["--studies", "studies", "study", "mc_dropout", "--quick"])
        .args([
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--no-progress",
            "--results",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let runs = runs_of(dir.path(), "mc_dropout");
    assert_eq!(runs.height(), 1);
    for (prediction, signed, ece) in [
        ("test", "metric.test_signed_ce", "metric.test_ece"),
        ("mc", "metric.mc_signed_ce", "metric.mc_ece"),
    ] {
        let signed = column(&runs, signed)[0];
        let ece = column(&runs, ece)[0];
        assert!(
            signed.is_finite() && signed.abs() <= ece + 1e-12,
            "{signed} vs ECE {ece}"
        );
        // The reliability bins hold the same numbers another way: Σ share·(confidence −
        // accuracy) over the bins is the signed error, Σ share·|…| the ECE.
        let (mut from_bins, mut ece_from_bins, mut shares) = (0.0, 0.0, 0.0);
        for bin in 1..=15 {
            let share = column(
                &runs,
                &format!("metric.reliability.{prediction}.share.{bin:02}"),
            )[0];
            shares += share;
            if share > 0.0 {
                let conf = column(
                    &runs,
                    &format!("metric.reliability.{prediction}.conf.{bin:02}"),
                )[0];
                let acc = column(
                    &runs,
                    &format!("metric.reliability.{prediction}.acc.{bin:02}"),
                )[0];
                let (low, high) = (f64::from(bin - 1) / 15.0, f64::from(bin) / 15.0);
                assert!(
                    conf >= low - 1e-12 && conf <= high + 1e-12,
                    "bin {bin}: {conf}"
                );
                from_bins += share * (conf - acc);
                ece_from_bins += share * (conf - acc).abs();
            }
        }
        assert!(
            (shares - 1.0).abs() < 1e-9,
            "{prediction}: shares sum to {shares}"
        );
        assert!(
            (from_bins - signed).abs() < 1e-9,
            "{prediction}: {from_bins} vs {signed}"
        );
        assert!(
            (ece_from_bins - ece).abs() < 1e-9,
            "{prediction}: {ece_from_bins} vs {ece}"
        );
    }
    // The report shows the calibration table and the reliability diagram.
    let report = std::fs::read_to_string(dir.path().join("mc_dropout/report.md")).unwrap();
    assert!(report.contains("## Calibration") && report.contains("reliability.png"));
    assert!(dir.path().join("mc_dropout/reliability.png").is_file());
    assert!(dir.path().join("mc_dropout/reliability.svg").is_file());
    // Every run times its fastest epoch: positive, and no longer than its whole run.
    let epoch = column(&runs, "metric.timing.epoch_seconds")[0];
    let wall = column(&runs, "wall_seconds")[0];
    assert!(epoch > 0.0 && epoch < wall, "{epoch} s of {wall} s");
}

const SELU: &str = r#"
description = "SELU with dropout, 12 layers"
seeds = 1
baseline = { variant = "plain" }

[base]
numerics = 2
epochs = 1
train_subset = 500
standardize = true
optimizer = { name = "sgd", learning_rate = 0.001 }
diagnostics = { probe = 300 }
model = { hidden = [64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64], activation = "selu", initializer = "lecun_normal" }

[[grid.variant]]
label = "plain"
[[grid.variant]]
label = "dropout"
model = { dropout = { name = "dropout", rate = 0.3 } }
[[grid.variant]]
label = "alpha_dropout"
model = { dropout = { name = "alpha_dropout", rate = 0.3 } }
"#;

#[test]
fn real_data_activation_statistics_with_dropout_active_are_recorded_for_dropout_nets_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("selu12.toml"), SELU).unwrap();
    let out = trainbench()
        .arg("--studies")
        .arg(dir.path())
        .args(["study", "selu12", "--no-progress", "--results"])
        .arg(dir.path().join("results"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let runs = runs_of(&dir.path().join("results"), "selu12");
    let labels: Vec<String> = runs
        .column("cell_label")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|l| l.unwrap().to_string())
        .collect();
    let row = |label: &str| {
        labels
            .iter()
            .position(|l| l == &format!("variant={label}"))
            .unwrap()
    };
    let train_mode = column(&runs, "metric.init.train_mode.act_std.012");
    let inference = column(&runs, "metric.init.act_std.012");
    assert!(
        train_mode[row("plain")].is_nan(),
        "no dropout, no training-mode statistic"
    );
    for label in ["dropout", "alpha_dropout"] {
        let (t, i) = (train_mode[row(label)], inference[row(label)]);
        assert!(t.is_finite() && t > 0.0, "{label}: {t}");
        // Dropout active changes what the top layer sees (inference mode has no dropout).
        assert_ne!(t, i, "{label}");
    }
    // Inference-mode statistics of the same weights are those of the net without dropout:
    // dropout is the only difference at initialization (same init stream).
    assert_eq!(inference[row("dropout")], inference[row("plain")]);
}

const SYNTHETIC: &str = r#"
description = "dropout net"
seeds = 1

[base]
epochs = 2
batch_size = 16
optimizer = "momentum"
model = { hidden = [32, 16], dropout = { name = "dropout", rate = 0.3 } }
"#;

#[test]
fn measuring_with_dropout_active_and_timing_epochs_change_no_trained_number() {
    let plain = synthetic_run(SYNTHETIC, 300);
    let measured = synthetic_run(&format!("{SYNTHETIC}diagnostics = {{ probe = 50 }}\n"), 300);
    assert_eq!(plain.epochs.len(), measured.epochs.len());
    for (a, b) in plain.epochs.iter().zip(&measured.epochs) {
        assert_eq!(a.train_loss.to_bits(), b.train_loss.to_bits());
        assert_eq!(a.val_loss.to_bits(), b.val_loss.to_bits());
    }
    assert_eq!(plain.test_loss.to_bits(), measured.test_loss.to_bits());
    let names: Vec<&str> = measured.extra.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"init.train_mode.act_std.002"), "{names:?}");
    assert!(names.contains(&"timing.epoch_seconds"), "{names:?}");
    let fastest = plain
        .extra
        .iter()
        .find(|(n, _)| n == "timing.epoch_seconds")
        .unwrap()
        .1;
    // The fastest epoch's training is part of some epoch's wall time (which adds validation).
    let shortest_wall = plain
        .epochs
        .iter()
        .map(|e| e.wall_seconds)
        .fold(f64::INFINITY, f64::min);
    assert!(
        fastest > 0.0 && fastest <= shortest_wall,
        "{fastest} vs {shortest_wall}"
    );
}
