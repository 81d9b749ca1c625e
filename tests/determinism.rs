//! Determinism and resume on fast synthetic data: the same seed gives bit-identical numbers
//! whatever `--jobs` is, and a second invocation skips what is recorded.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use trainbench::data;
use trainbench::device::Compute;
use trainbench::results::store;
use trainbench::study::runner::{run_study, RunnerOptions};
use trainbench::study::{spec, Overrides};

const STUDY: &str = r#"
description = "determinism check"
seeds = 3
baseline = { optimizer = "sgd" }

[base]
epochs = 2
batch_size = 16
optimizer = "sgd"
model = { hidden = [32, 16], activation = "relu", initializer = "he_normal" }

[grid]
optimizer = ["sgd", "nesterov", "adam", "nadam"]
"#;

fn run(jobs: usize, results: &Path) -> Vec<(String, u64, [f64; 10])> {
    let study = spec::parse(Path::new("det.toml"), STUDY, Overrides::default()).unwrap();
    let data = data::synthetic(600, 200, 200, 11);
    let opts = RunnerOptions {
        jobs,
        results: results.to_path_buf(),
        progress: false,
        shard: None,
        device: Compute::Cpu,
    };
    let summary = run_study(&study, &data, &opts, &AtomicBool::new(false)).unwrap();
    assert_eq!(summary.ran, 12);
    let (runs, epochs) = store::load(&results.join("det")).unwrap();
    assert_eq!(epochs.len(), 24);
    let mut metrics: Vec<_> = runs
        .iter()
        .map(|r| (r.cell_id.clone(), r.seed, r.metrics()))
        .collect();
    metrics.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    metrics
}

#[test]
fn jobs_1_and_jobs_2_give_bit_identical_metrics() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = run(1, one.path());
    let b = run(2, two.path());
    assert_eq!(a.len(), 12);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((&x.0, x.1), (&y.0, y.1));
        let bits = |m: &[f64; 10]| m.map(f64::to_bits);
        assert_eq!(bits(&x.2), bits(&y.2), "cell {} seed {}", x.0, x.1);
    }
    // The synthetic task is learnable: training did something.
    assert!(
        a.iter().any(|r| r.2[7] > 0.5),
        "some run beats chance clearly"
    );
}

#[test]
fn a_second_invocation_skips_recorded_runs() {
    let dir = tempfile::tempdir().unwrap();
    run(2, dir.path());
    let study = spec::parse(Path::new("det.toml"), STUDY, Overrides::default()).unwrap();
    let data = data::synthetic(600, 200, 200, 11);
    let opts = RunnerOptions {
        jobs: 2,
        results: dir.path().to_path_buf(),
        progress: false,
        shard: None,
        device: Compute::Cpu,
    };
    let again = run_study(&study, &data, &opts, &AtomicBool::new(false)).unwrap();
    assert_eq!((again.ran, again.skipped), (0, 12));
    // More seeds add only the new runs.
    let more = spec::parse(
        Path::new("det.toml"),
        STUDY,
        Overrides {
            seeds: Some(4),
            ..Default::default()
        },
    )
    .unwrap();
    let added = run_study(&more, &data, &opts, &AtomicBool::new(false)).unwrap();
    assert_eq!((added.ran, added.skipped), (4, 12));
}

#[test]
fn results_of_a_changed_study_are_refused_with_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    run(2, dir.path());
    let changed = spec::parse(
        Path::new("det.toml"),
        STUDY,
        Overrides {
            epochs: Some(3),
            ..Default::default()
        },
    )
    .unwrap();
    let data = data::synthetic(600, 200, 200, 11);
    let opts = RunnerOptions {
        jobs: 1,
        results: dir.path().to_path_buf(),
        progress: false,
        shard: None,
        device: Compute::Cpu,
    };
    let e = run_study(&changed, &data, &opts, &AtomicBool::new(false))
        .unwrap_err()
        .to_string();
    assert!(e.contains("different configuration"), "{e}");
    assert!(e.contains("epochs 2 → 3"), "{e}");
}

#[test]
fn a_diverging_run_is_recorded_with_its_step() {
    let text = STUDY.replace(
        r#"optimizer = ["sgd", "nesterov", "adam", "nadam"]"#,
        r#"optimizer = ["sgd", { name = "sgd", learning_rate = 1e6 }]"#,
    );
    let study = spec::parse(
        Path::new("div.toml"),
        &text,
        Overrides {
            seeds: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let data = data::synthetic(600, 200, 200, 11);
    let dir = tempfile::tempdir().unwrap();
    let opts = RunnerOptions {
        jobs: 1,
        results: dir.path().to_path_buf(),
        progress: false,
        shard: None,
        device: Compute::Cpu,
    };
    let summary = run_study(&study, &data, &opts, &AtomicBool::new(false)).unwrap();
    assert_eq!(summary.ran, 2);
    assert!(summary.failed.is_empty());
    let (runs, _) = store::load(&dir.path().join("div")).unwrap();
    let diverged: Vec<_> = runs.iter().filter(|r| r.diverged).collect();
    assert_eq!(diverged.len(), 1);
    let step = diverged[0].diverged_step.unwrap();
    assert!((1..=2 * 600 / 16 + 2).contains(&step), "step {step}");
}
