//! The tuning protocol end to end through the binary: a study with a `[tune]` table shows its
//! budget with `--dry-run`; on real Fashion-MNIST (needs the data, as .ci/run arranges) its
//! `--quick` form tunes every arm on its own seeds into tuning.parquet, evaluates each arm's
//! chosen setting, reports the tuning with a sensitivity chart per arm and the edge flag, reuses
//! the recorded tuning when run again, and `verify --tuning` re-trains tuning runs bit for bit.

use crate::common;

use std::path::Path;

use common::{text, trainbench};
use trainbench::results::store;

/// Two arms, η tuned on a log grid of 8 values, the best 2 then on 3 tuning seeds.
const STUDY: &str = r#"description = "a tuned study for the tests"
seeds = 3
baseline = { optimizer = "sgd" }

[base]
epochs = 2
batch_size = 64
train_subset = 3000
optimizer = "sgd"

[base.model]
hidden = [64]
initializer = "he_normal"

[grid]
optimizer = ["sgd", "adam"]

[tune]
stages = [{ seeds = 1 }, { keep = 2, seeds = 3 }]

[tune.space]
"optimizer.learning_rate" = { log = [1e-4, 1.0], points = 8 }
"#;

fn write_study(dir: &Path) -> std::path::PathBuf {
    let studies = dir.join("studies");
    std::fs::create_dir_all(&studies).unwrap();
    std::fs::write(studies.join("tuned.toml"), STUDY).unwrap();
    studies
}

#[test]
fn dry_run_shows_the_tuning_budget_per_stage_and_in_all() {
    let dir = tempfile::tempdir().unwrap();
    let studies = write_study(dir.path());
    let out = trainbench()
        .arg("--studies")
        .arg(&studies)
        .args(["study", "tuned", "--dry-run", "--results"])
        .arg(dir.path().join("results"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "study tuned: 2 arms × 3 seeds = 6 evaluation runs (baseline: optimizer=sgd), each arm tuned first",
        "tuning: optimizer.learning_rate (log 1.00e-4 … 1.00, 8 values); a grid of 8 candidates per arm; metric best_val_acc (validation); tuning seeds 1000–1002",
        "  stage 1: 8 candidates × tuning seed 1000, 2 epochs: 16 new runs (8 per arm)",
        "  stage 2: the best 2 × tuning seeds 1000–1002, 2 epochs: 8 new runs (4 per arm)",
        "  budget: tuning 24 runs (12 per arm)",
        "evaluation 6 runs",
        "(estimated from no recorded runs, so the default: 1.2 s per epoch",
        "  (after tuning)    optimizer=adam",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    // --quick shrinks the tuning: 3 values on one seed, one stage.
    let out = trainbench()
        .arg("--studies")
        .arg(&studies)
        .args(["study", "tuned", "--dry-run", "--quick"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "  stage 1: 3 candidates × tuning seed 1000, 3 epochs: 6 new runs (3 per arm)"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("stage 2"), "{stdout}");
    assert!(
        stdout.contains("metric best_val_acc (validation); tuning seed 1000\n"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("recorded in"),
        "nothing is recorded yet: {stdout}"
    );
}

#[test]
fn real_data_quick_tuned_study_tunes_evaluates_reports_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let studies = write_study(dir.path());
    let results = dir.path().join("results");
    let run = || {
        trainbench()
            .arg("--studies")
            .arg(&studies)
            .args([
                "study",
                "tuned",
                "--quick",
                "--no-progress",
                "--jobs",
                "2",
                "--results",
            ])
            .arg(&results)
            .output()
            .unwrap()
    };
    let out = run();
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("6 tuning runs trained, 0 already recorded"),
        "{stderr}"
    );
    let study_dir = results.join("tuned");

    // Every tuning run is recorded: 2 arms × 3 values × tuning seed 1000, with its value.
    let (tuning, tuning_epochs) = store::load_tables(&study_dir, store::TUNING).unwrap();
    assert_eq!(tuning.len(), 6);
    assert_eq!(tuning_epochs.len(), 6 * 3, "3 quick epochs each");
    assert!(tuning.iter().all(|r| r.seed == 1000));
    let key = "optimizer.learning_rate";
    let mut values: Vec<f64> = tuning.iter().map(|r| r.tuned_value(key)).collect();
    values.sort_by(f64::total_cmp);
    values.dedup();
    assert_eq!(values.len(), 3, "{values:?}");
    assert!(
        (values[0] - 1e-4).abs() < 1e-12 && values[2] == 1.0,
        "{values:?}"
    );

    // Each arm's evaluation runs use the value with its best validation accuracy; on the
    // evaluation seeds 0..3, never a tuning seed.
    let (runs, _) = store::load(&study_dir).unwrap();
    assert_eq!(runs.len(), 6);
    assert!(runs.iter().all(|r| r.seed < 3));
    for arm in ["optimizer=sgd", "optimizer=adam"] {
        let best = tuning
            .iter()
            .filter(|r| r.cell_label == arm)
            .max_by(|a, b| {
                let score = |r: &trainbench::results::RunRecord| {
                    if r.diverged {
                        0.1
                    } else {
                        r.best_val_acc
                    }
                };
                score(a)
                    .total_cmp(&score(b))
                    .then(b.tuned_value(key).total_cmp(&a.tuned_value(key)))
            })
            .unwrap();
        for run in runs.iter().filter(|r| r.cell_label == arm) {
            assert_eq!(run.tuned_value(key), best.tuned_value(key), "{arm}");
            assert_eq!(
                run.cell_id, best.cell_id,
                "the same config, so the same cell id"
            );
            let config: trainbench::config::RunConfig =
                serde_json::from_str(&run.config_json).unwrap();
            assert_eq!(config.optimizer.learning_rate(), best.tuned_value(key));
        }
    }

    // The report: the Tuning section, a chart per arm, the edge flag where the choice is an end.
    let report = std::fs::read_to_string(study_dir.join("report.md")).unwrap();
    assert!(report.contains("## Tuning"), "{report}");
    assert!(
        report.contains("| optimizer=adam | `optimizer.learning_rate` |"),
        "{report}"
    );
    for arm in ["optimizer=sgd", "optimizer=adam"] {
        let chosen = runs
            .iter()
            .find(|r| r.cell_label == arm)
            .unwrap()
            .tuned_value(key);
        let edge = chosen == values[0] || chosen == values[2];
        let row = report
            .lines()
            .find(|l| l.starts_with(&format!("| {arm} |")))
            .unwrap();
        assert_eq!(row.ends_with("| **yes** |"), edge, "{row}");
    }
    for file in [
        "tuning_01.png",
        "tuning_01.svg",
        "tuning_02.png",
        "tuning_02.svg",
    ] {
        assert!(
            std::fs::metadata(study_dir.join(file)).unwrap().len() > 1000,
            "{file}"
        );
    }

    // Run again: the tuning and the evaluation are found recorded, nothing trains.
    let out = run();
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("0 tuning runs trained, 6 already recorded"),
        "{stderr}"
    );
    assert!(
        stderr.contains("0 runs trained, 6 already recorded"),
        "{stderr}"
    );

    // --dry-run now says what is recorded and each arm's evaluation cell with its choice.
    let out = trainbench()
        .arg("--studies")
        .arg(&studies)
        .args(["study", "tuned", "--quick", "--dry-run", "--results"])
        .arg(&results)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(": 6 tuning runs, 6 evaluation runs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("estimated from the median of 12 recorded runs of this study"),
        "{stdout}"
    );
    for run in &runs {
        let line = format!("  {}  {}  (chosen: {key} = ", run.cell_id, run.cell_label);
        assert!(stdout.contains(&line), "{line}\n{stdout}");
    }

    // Tuning runs re-train bit for bit.
    let out = trainbench()
        .arg("--studies")
        .arg(&studies)
        .args([
            "verify",
            "tuned",
            "--quick",
            "--tuning",
            "--sample",
            "2",
            "--jobs",
            "2",
            "--results",
        ])
        .arg(&results)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 tuning runs re-trained, 2 bit-identical"),
        "{}",
        text(&out)
    );
}
