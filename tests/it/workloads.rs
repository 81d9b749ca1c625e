//! A four-workload study on real data (needs Fashion-MNIST and MNIST, found or fetched as the
//! other real-data tests do): `study workloads --quick` through the binary trains every cell on
//! its own dataset and network, records each run's dataset, pairs each cell with the baseline
//! arm on its own workload, and reports across workloads (IQM of normalized scores with its
//! interval, P(X > Y) with its interval, the performance-profile chart).

use crate::common;

use common::{text, trainbench};
use polars::prelude::*;

#[test]
fn quick_four_workload_study_records_datasets_and_reports_across_workloads() {
    let dir = tempfile::tempdir().unwrap();
    let out = trainbench()
        .args([
            "study",
            "workloads",
            "--quick",
            "--no-progress",
            "--results",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let study_dir = dir.path().join("workloads");
    let runs = ParquetReader::new(std::fs::File::open(study_dir.join("runs.parquet")).unwrap())
        .finish()
        .unwrap();
    assert_eq!(
        runs.height(),
        16,
        "2 datasets × 2 networks × 2 activations × 2 seeds"
    );
    let column = |name: &str| -> Vec<String> {
        let c = runs.column(name).unwrap().str().unwrap();
        c.iter().map(|v| v.unwrap().to_string()).collect()
    };
    let (datasets, shas) = (column("dataset"), column("dataset_sha256"));
    let axis = column("axis.dataset");
    for ((d, sha), a) in datasets.iter().zip(&shas).zip(&axis) {
        assert_eq!(d, a, "each run trains on the dataset its cell names");
        assert_eq!(sha.len(), 64);
    }
    let sha_of = |name: &str| {
        let i = datasets.iter().position(|d| d == name).unwrap();
        shas[i].clone()
    };
    assert_ne!(sha_of("mnist"), sha_of("fashion-mnist"));
    let kinds = column("axis.model.kind");
    let acc = runs.column("test_acc").unwrap().f64().unwrap();
    for ((d, k), a) in datasets.iter().zip(&kinds).zip(acc.iter()) {
        // 1,000 images, one epoch: every workload already beats chance (0.1) by far.
        assert!(a.unwrap() > 0.3, "{d} {k}: test accuracy {a:?}");
    }

    let report = std::fs::read_to_string(study_dir.join("report.md")).unwrap();
    assert!(report.contains("## Across workloads"), "{report}");
    assert!(
        report.contains("| model.activation=gelu | ")
            && report.contains("| model.activation=relu | "),
        "{report}"
    );
    assert!(report.contains("P(arm > baseline) [95% CI]"), "{report}");
    // Each workload's ReLU cell is its own baseline in the paired table.
    for workload in [
        "dataset=fashion-mnist, model.kind=mlp",
        "dataset=fashion-mnist, model.kind=cnn",
        "dataset=mnist, model.kind=mlp",
        "dataset=mnist, model.kind=cnn",
    ] {
        let row = format!("| {workload}, model.activation=relu | baseline |");
        assert!(report.contains(&row), "{row} missing:\n{report}");
    }
    for file in ["performance_profile.png", "performance_profile.svg"] {
        assert!(
            std::fs::metadata(study_dir.join(file)).unwrap().len() > 1000,
            "{file}"
        );
    }
}
