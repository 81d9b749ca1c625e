//! `reuse = "STUDY"`: a study takes over the runs another study recorded for the same cells and
//! seeds (tuning and evaluation) and trains only the rest, and what it takes over is exactly
//! what it would have trained: the same study without `reuse`, trained from nothing, records
//! bit-identical numbers. On fast synthetic data.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use trainbench::data;
use trainbench::device::Compute;
use trainbench::results::{store, RunRecord};
use trainbench::study::runner::{run_study, RunSummary, RunnerOptions};
use trainbench::study::{spec, Overrides, Study};

/// The single-setting study: two activations, each arm's η tuned (2 values, 1 tuning seed).
const SINGLE: &str = r#"
description = "single"
seeds = 2
baseline = { "model.activation" = "relu" }

[base]
numerics = 2
epochs = 2
batch_size = 16
optimizer = "sgd"
model = { hidden = [16], initializer = "he_normal" }

[tune]
stages = [{ seeds = 1 }]

[tune.space]
"optimizer.learning_rate" = { log = [1e-2, 1e-1], points = 2 }

[grid]
"model.activation" = ["relu", "gelu"]
"#;

/// The same study over a second batch size (its own epoch cap by a `[[where]]`), taking over
/// the first study's runs: its batch-16 cells are the single study's cells.
fn multi(reuse: bool) -> String {
    let grid = "[grid]\nbatch_size = [16, 32]\n";
    let mut text = SINGLE
        .replace("description = \"single\"", "description = \"multi\"")
        .replace("[grid]\n", grid);
    if reuse {
        text = format!("reuse = \"single\"\n{text}");
    }
    format!("{text}\n[[where]]\nwhen = {{ batch_size = 32 }}\nepochs = 1\n")
}

fn run(name: &str, text: &str, results: &Path) -> (Study, RunSummary) {
    let study = spec::parse(
        Path::new(&format!("{name}.toml")),
        text,
        Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let data = data::synthetic(600, 200, 200, 11);
    let opts = RunnerOptions {
        jobs: 2,
        results: results.to_path_buf(),
        progress: false,
        shard: None,
        device: Compute::Cpu,
    };
    let summary = run_study(&study, &data, &opts, &AtomicBool::new(false)).unwrap();
    (study, summary)
}

/// (cell id, seed, metric bits) of every run, sorted.
fn bits(runs: &[RunRecord]) -> Vec<(String, u64, Vec<u64>)> {
    let mut out: Vec<_> = runs
        .iter()
        .map(|r| {
            let m: Vec<u64> = r.metrics().iter().map(|v| v.to_bits()).collect();
            (r.cell_id.clone(), r.seed, m)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_study_takes_over_the_same_cells_runs_and_they_are_what_it_would_train() {
    let tmp = tempfile::tempdir().unwrap();
    let results = tmp.path().join("results");
    let (_, single) = run("single", SINGLE, &results);
    assert_eq!((single.tuning_ran, single.ran), (4, 4));

    // The dry run says what would be taken over, before anything trains.
    let studies = tmp.path().join("studies");
    std::fs::create_dir_all(&studies).unwrap();
    std::fs::write(studies.join("multi.toml"), multi(true)).unwrap();
    let out = crate::common::trainbench()
        .arg("--studies")
        .arg(&studies)
        .args(["study", "multi", "--dry-run", "--results"])
        .arg(&results)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("reuse: 4 tuning runs and 4 evaluation runs recorded by study single"),
        "{stdout}"
    );

    let (study, summary) = run("multi", &multi(true), &results);
    assert_eq!(study.reuse.as_deref(), Some("single"));
    // 2 arms × 2 η tuning runs and 2 cells × 2 seeds taken over; the batch-32 half trained.
    assert_eq!(summary.taken_over, 8);
    assert_eq!((summary.tuning_ran, summary.ran), (4, 4));
    let (runs, epochs) = store::load(&results.join("multi")).unwrap();
    let (tuning, _) = store::load_tables(&results.join("multi"), store::TUNING).unwrap();
    assert_eq!((runs.len(), tuning.len()), (8, 8));
    assert!(runs.iter().chain(&tuning).all(|r| r.study == "multi"));
    // Every run has its epochs: 2 for the batch-16 cells, 1 under the rule.
    assert_eq!(epochs.len(), 4 * 2 + 4);
    let (single_runs, _) = store::load(&results.join("single")).unwrap();
    let taken: Vec<RunRecord> = runs
        .iter()
        .filter(|r| single_runs.iter().any(|s| s.cell_id == r.cell_id))
        .cloned()
        .collect();
    assert_eq!(bits(&taken), bits(&single_runs), "taken over as recorded");

    // A second invocation takes and trains nothing.
    let (_, again) = run("multi", &multi(true), &results);
    assert_eq!((again.taken_over, again.ran, again.tuning_ran), (0, 0, 0));

    // Without `reuse`, trained from nothing: bit for bit the same runs.
    let fresh = tmp.path().join("fresh");
    let (_, trained) = run("multi", &multi(false), &fresh);
    assert_eq!(
        (trained.taken_over, trained.ran, trained.tuning_ran),
        (0, 8, 8)
    );
    let (fresh_runs, _) = store::load(&fresh.join("multi")).unwrap();
    let (fresh_tuning, _) = store::load_tables(&fresh.join("multi"), store::TUNING).unwrap();
    assert_eq!(bits(&runs), bits(&fresh_runs));
    assert_eq!(bits(&tuning), bits(&fresh_tuning));
    // ... under this study's labels and axes (`batch_size=16, model.activation=relu`, not the
    // source's `model.activation=relu`): a report finds each taken run's place in the grid.
    assert_eq!(labels(&runs), labels(&fresh_runs));
    assert_eq!(labels(&tuning), labels(&fresh_tuning));
    assert!(runs
        .iter()
        .all(|r| r.axes.iter().any(|(a, _)| a == "batch_size")));

    // Tables that kept the source's labels (taken over before take() relabelled) are relabelled
    // by the next invocation, which trains nothing.
    let dir = results.join("multi");
    let mut stale = runs.clone();
    for run in &mut stale {
        if let Some(source) = single_runs.iter().find(|s| s.cell_id == run.cell_id) {
            run.cell_label.clone_from(&source.cell_label);
            run.axes.clone_from(&source.axes);
        }
    }
    assert_ne!(labels(&stale), labels(&fresh_runs));
    store::save(&dir, &stale, &epochs).unwrap();
    let (_, again) = run("multi", &multi(true), &results);
    assert_eq!((again.taken_over, again.ran, again.tuning_ran), (0, 0, 0));
    let (relabelled, _) = store::load(&dir).unwrap();
    assert_eq!(labels(&relabelled), labels(&fresh_runs));
    assert_eq!(bits(&relabelled), bits(&fresh_runs));
}

/// A run's place in its study: cell id, seed, label and axes.
type Place = (String, u64, String, Vec<(String, String)>);

/// The [`Place`] of every run, sorted.
fn labels(runs: &[RunRecord]) -> Vec<Place> {
    let mut out: Vec<_> = runs
        .iter()
        .map(|r| {
            (
                r.cell_id.clone(),
                r.seed,
                r.cell_label.clone(),
                r.axes.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn reuse_must_name_another_study() {
    let bad = |value: &str| {
        let text = format!("reuse = {value}\n{SINGLE}");
        spec::parse(Path::new("single.toml"), &text, Overrides::default())
            .unwrap_err()
            .to_string()
    };
    let e = bad("\"single\"");
    assert!(e.starts_with("single.toml:1:9:"), "{e}");
    assert!(e.contains("must name another study"), "{e}");
    assert!(bad("\"../x\"").contains("must name another study"));
    // A source with no results is no error: its runs are trained.
    let tmp = tempfile::tempdir().unwrap();
    let (_, summary) = run(
        "multi",
        &format!("reuse = \"nothing\"\n{SINGLE}"),
        tmp.path(),
    );
    assert_eq!((summary.taken_over, summary.ran), (0, 4));
}
