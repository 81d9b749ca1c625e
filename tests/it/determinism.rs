//! Determinism and resume on fast synthetic data: the same seed gives bit-identical numbers
//! whatever `--jobs` is, under every numerics version, and a second invocation skips what is
//! recorded; results of two numerics versions never mix.

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
    run_version(jobs, results, None)
}

/// The metrics of the study's runs with `jobs` workers under `numerics` (the study's default
/// when `None`), sorted by cell and seed; checks every run recorded its version.
fn run_version(
    jobs: usize,
    results: &Path,
    numerics: Option<u32>,
) -> Vec<(String, u64, [f64; 10])> {
    let overrides = Overrides {
        numerics,
        ..Default::default()
    };
    let study = spec::parse(Path::new("det.toml"), STUDY, overrides).unwrap();
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
    let version = study.numerics().get();
    assert!(runs.iter().all(|r| r.numerics == version));
    assert!(runs
        .iter()
        .all(|r| r.cpu_path == kernels::path::detected().name()));
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
fn under_numerics_1_jobs_1_and_jobs_2_give_bit_identical_metrics() {
    // The default is version 2 (jobs_1_and_jobs_2_give_bit_identical_metrics); version 1, the
    // arithmetic of results/v1, stays deterministic too.
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = run_version(1, one.path(), Some(1));
    let b = run_version(2, two.path(), Some(1));
    let bits = |runs: &[(String, u64, [f64; 10])]| -> Vec<(String, u64, [u64; 10])> {
        runs.iter()
            .map(|(c, s, m)| (c.clone(), *s, m.map(f64::to_bits)))
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
    assert!(a.iter().any(|r| r.2[7] > 0.5), "version 1 trains too");
    // Version 1's cells are not the default version's.
    let default = spec::parse(Path::new("det.toml"), STUDY, Overrides::default()).unwrap();
    assert_eq!(default.numerics().get(), 2);
    assert!(a
        .iter()
        .all(|(id, _, _)| default.cells.iter().all(|c| &c.id != id)));
}

#[test]
fn results_of_two_numerics_versions_never_mix() {
    let dir = tempfile::tempdir().unwrap();
    run(1, dir.path());
    let v1 = Overrides {
        numerics: Some(1),
        ..Default::default()
    };
    let study = spec::parse(Path::new("det.toml"), STUDY, v1).unwrap();
    let data = data::synthetic(600, 200, 200, 11);
    let opts = RunnerOptions {
        jobs: 1,
        results: dir.path().to_path_buf(),
        progress: false,
        shard: None,
        device: Compute::Cpu,
    };
    let e = run_study(&study, &data, &opts, &AtomicBool::new(false))
        .unwrap_err()
        .to_string();
    assert!(e.contains("holds runs of numerics version 2"), "{e}");
    assert!(e.contains("results of different versions never mix"), "{e}");
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
