//! End to end on the real Fashion-MNIST (needs the data: `apt-get install dataset-fashion-mnist`,
//! or TRAINBENCH_DATA_DIR, as .ci/run arranges): the README's `study optimizers --quick` through
//! the binary, then the Parquet tables read back with polars and the report checked.

use crate::common;

use common::trainbench;

use polars::prelude::*;

#[test]
fn real_data_quick_optimizers_study_records_every_run_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = trainbench()
        .args([
            "study",
            "optimizers",
            "--quick",
            "--epochs",
            "1",
            "--no-progress",
            "--results",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stderr:\n{stderr}\nstdout:\n{stdout}");

    let study_dir = dir.path().join("optimizers");
    let runs = ParquetReader::new(std::fs::File::open(study_dir.join("runs.parquet")).unwrap())
        .finish()
        .unwrap();
    // The study's [quick] table: 2 seeds; each optimizer is a variant whose η is tuned first.
    assert_eq!(runs.height(), 18, "9 optimizers × 2 seeds");
    let optimizers = runs.column("axis.variant").unwrap().str().unwrap();
    let mut names: Vec<&str> = optimizers.iter().flatten().collect();
    names.sort();
    names.dedup();
    assert_eq!(
        names,
        ["adagrad", "adam", "adamax", "adamw", "momentum", "nadam", "nesterov", "rmsprop", "sgd"]
    );
    let dataset = runs.column("dataset_sha256").unwrap().str().unwrap();
    assert!(dataset.iter().all(|d| d.is_some_and(|d| d.len() == 64)));
    // One epoch on 5,000 real images already beats chance by far for every optimizer but the slow
    // adaptive ones, and never by accident reaches near-perfect accuracy.
    let acc = runs.column("test_acc").unwrap().f64().unwrap();
    for (name, a) in optimizers.iter().zip(acc.iter()) {
        let (name, a) = (name.unwrap(), a.unwrap());
        assert!(a > 0.3 && a < 0.95, "{name}: test accuracy {a}");
    }

    let epochs = ParquetReader::new(std::fs::File::open(study_dir.join("epochs.parquet")).unwrap())
        .finish()
        .unwrap();
    assert_eq!(epochs.height(), 18);
    // Every arm was tuned first, on tuning seeds, and every tuning run is recorded.
    let tuning = ParquetReader::new(std::fs::File::open(study_dir.join("tuning.parquet")).unwrap())
        .finish()
        .unwrap();
    let tuned = tuning.column("axis.variant").unwrap().str().unwrap();
    let mut tuned: Vec<&str> = tuned.iter().flatten().collect();
    tuned.sort();
    tuned.dedup();
    assert_eq!(
        tuned,
        names,
        "every optimizer tuned ({} tuning runs)",
        tuning.height()
    );
    let tuning_seeds = tuning.column("seed").unwrap().u64().unwrap();
    assert!(tuning_seeds.iter().all(|s| s.is_some_and(|s| s >= 1000)));

    let report = std::fs::read_to_string(study_dir.join("report.md")).unwrap();
    assert!(report.contains("variant=adamw"), "{report}");
    assert!(report.contains("## Tuning"), "{report}");
    for file in [
        "test_acc.png",
        "test_acc.svg",
        "val_loss_curves.png",
        "val_loss_curves.svg",
    ] {
        assert!(
            std::fs::metadata(study_dir.join(file)).unwrap().len() > 1000,
            "{file}"
        );
    }
    assert!(
        stdout.contains("variant=sgd"),
        "summary table printed: {stdout}"
    );
}

#[test]
fn unknown_study_is_a_clear_error() {
    let out = trainbench().args(["study", "optimisers"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no study named 'optimisers'") && stderr.contains("optimizers"),
        "{stderr}"
    );
}

/// studies/techniques.toml names every technique once; its --quick form trains each cell on real
/// data and records it, with the extra metrics and diagnostics where a cell asks for them.
#[test]
fn real_data_every_technique_of_the_techniques_study_trains_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = trainbench()
        .args([
            "study",
            "techniques",
            "--quick",
            "--no-progress",
            "--results",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr:\n{stderr}");
    let study_dir = dir.path().join("techniques");
    let read = |name: &str| {
        ParquetReader::new(std::fs::File::open(study_dir.join(name)).unwrap())
            .finish()
            .unwrap()
    };
    let runs = read("runs.parquet");
    let study_text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("studies/techniques.toml"),
    )
    .unwrap();
    let variants = study_text
        .lines()
        .filter(|l| l.trim() == "[[grid.variant]]")
        .count();
    assert!(variants >= 50, "{variants} variants");
    assert_eq!(runs.height(), variants, "one seed per cell with --quick");
    let labels: Vec<&str> = runs
        .column("axis.variant")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    let acc = runs.column("test_acc").unwrap().f64().unwrap();
    for (label, a) in labels.iter().zip(acc.iter()) {
        let a = a.unwrap();
        assert!(a.is_finite() && a > 0.1, "{label}: test accuracy {a}");
    }
    let metric = |name: &str, label: &str| -> f64 {
        let at = labels.iter().position(|l| *l == label).unwrap();
        runs.column(name)
            .unwrap_or_else(|_| panic!("no column {name}"))
            .f64()
            .unwrap()
            .get(at)
            .unwrap()
    };
    assert!(metric("metric.mc_accuracy", "mc_dropout") > 0.1);
    assert!(metric("metric.pretrain.val_acc", "transfer") > 0.5);
    assert!(metric("metric.pretrain.val_loss", "autoencoder_pretraining").is_finite());
    assert!(metric("metric.init.grad_norm.003", "diagnostics") > 0.0);
    assert!(
        metric("metric.mc_accuracy", "plain").is_nan(),
        "only where asked"
    );
    let epochs = read("epochs.parquet");
    let act_std = epochs.column("diag.act_std.001").unwrap().f64().unwrap();
    assert_eq!(
        act_std
            .iter()
            .filter(|v| v.is_some_and(f64::is_finite))
            .count(),
        2
    );
}
