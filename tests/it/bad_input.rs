//! Bad input through the binary: each gets a clear error naming what to fix (or, for a diverging
//! run, a recorded outcome shown in the report); never a panic. Data-file problems (missing,
//! wrong checksum, truncated) are covered next to the code, in src/data/tests.rs.

use crate::common;

use std::path::Path;

use common::{text, tiny_study, trainbench};

/// Runs `study <name>` against `studies`; returns (success, stderr).
fn study(studies: &Path, name: &str, results: &Path) -> (bool, String) {
    let out = trainbench()
        .arg("--studies")
        .arg(studies)
        .args(["study", name, "--no-progress", "--jobs", "2", "--results"])
        .arg(results)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{}", text(&out));
    (out.status.success(), stderr)
}

/// Writes a study file with `body` and runs it; it must fail with every one of `expected` in
/// its message.
fn refused(body: &str, expected: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let studies = tmp.path().join("studies");
    std::fs::create_dir_all(&studies).unwrap();
    std::fs::write(studies.join("bad.toml"), body).unwrap();
    let (ok, stderr) = study(&studies, "bad", &tmp.path().join("results"));
    assert!(!ok, "{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "missing {e:?} in:\n{stderr}");
    }
    assert!(
        !tmp.path()
            .join("results")
            .join("bad")
            .join("runs.parquet")
            .exists(),
        "nothing was trained"
    );
}

const GOOD: &str = r#"description = "d"
seeds = 2
[base]
epochs = 1
optimizer = "sgd"
model = { hidden = [8], activation = "relu", initializer = "he_normal" }
[grid]
optimizer = ["sgd", "adam"]
"#;

#[test]
fn malformed_toml_names_file_line_and_column() {
    refused(
        &GOOD.replace("epochs = 1", "epochs = = 1"),
        &["bad.toml:4:"],
    );
}

#[test]
fn unknown_technique_lists_the_valid_ones_and_the_nearest() {
    refused(
        &GOOD.replace(r#"["sgd", "adam"]"#, r#"["sgd", "adamm"]"#),
        &["bad.toml:8:", "adamax", "did you mean `adam`?"],
    );
    refused(
        &GOOD.replace("he_normal", "he_normall"),
        &["bad.toml:6:", "glorot_uniform", "did you mean `he_normal`?"],
    );
}

#[test]
fn unknown_key_names_the_line_and_the_valid_keys() {
    refused(
        &GOOD.replace("epochs = 1", "epoch = 1"),
        &["bad.toml:4:", "epochs"],
    );
}

#[test]
fn out_of_range_values_are_refused() {
    refused(
        &GOOD.replace(
            r#"optimizer = "sgd""#,
            r#"optimizer = { name = "sgd", learning_rate = 0.0 }"#,
        ),
        &["bad.toml:", "learning_rate"],
    );
    refused(
        &GOOD.replace(
            r#"optimizer = "sgd""#,
            r#"optimizer = { name = "adam", learning_rate = -0.1 }"#,
        ),
        &["learning_rate"],
    );
    refused(
        &GOOD.replace("seeds = 2", "seeds = 0"),
        &["bad.toml:2:", "seeds"],
    );
    refused(
        &GOOD.replace(r#"["sgd", "adam"]"#, "[]"),
        &["bad.toml:8:", "optimizer", "empty"],
    );
    refused(&GOOD.replace("epochs = 1", "epochs = 0"), &["epochs"]);
    refused(
        &GOOD.replace(
            r#"initializer = "he_normal" }"#,
            r#"initializer = "he_normal", dropout = { name = "dropout", rate = 1.0 } }"#,
        ),
        &["model.dropout.rate: must be in [0, 1), got 1"],
    );
    refused(
        &GOOD.replace("epochs = 1", "epochs = 1\nmc_dropout = { samples = 10 }"),
        &["mc_dropout: needs dropout in the model"],
    );
}

#[test]
fn bad_new_technique_settings_are_refused_with_their_reason() {
    let variants = |body: &str| GOOD.replace("[grid]\noptimizer = [\"sgd\", \"adam\"]\n", body);
    refused(
        &variants("[[grid.variant]]\nmodel = { activation = \"elu\" }\n"),
        &["bad.toml:7:", "variant", "needs a `label`"],
    );
    refused(
        &variants("[[grid.variant]]\nlabel = \"x\"\nmodel = { batch_norm = { placment = \"before_activation\" } }\n"),
        &["variant", "unknown field `placment`", "did you mean `placement`?"],
    );
    refused(
        &variants("[[grid.variant]]\nlabel = \"x\"\nmodel = { batch_norm = { momentum = 1.5 } }\n"),
        &["model.batch_norm.momentum: must be in [0, 1], got 1.5"],
    );
    refused(
        &variants("[[grid.variant]]\nlabel = \"x\"\nmodel = { activation = { name = \"rrelu\", lower = 0.5, upper = 0.1 } }\n"),
        &["model.activation.rrelu", "lower <= upper"],
    );
    refused(
        &variants("[[grid.variant]]\nlabel = \"x\"\nclasses = [3, 3]\n"),
        &["classes: class 3 is listed twice"],
    );
    refused(
        &variants(
            "[[grid.variant]]\nlabel = \"x\"\npretrain = { epochs = 1, freeze_epochs = 1 }\n",
        ),
        &["pretrain.freeze_epochs: must be less than the run's 1 epochs"],
    );
    refused(
        &variants("[[grid.variant]]\nlabel = \"x\"\ndiagnostics = { probe = 0 }\n"),
        &["diagnostics.probe"],
    );
    refused(
        &variants("[grid]\noptimizer = [\"adam\", { name = \"adam\", beta_1 = 0.9 }]\n"),
        &["trains exactly what cell optimizer=adam does"],
    );
}

#[test]
fn a_study_too_large_for_memory_is_refused_before_training_naming_the_layer() {
    // Once "memory allocation of 313600000000 bytes failed" and an abort (exit 134).
    let wide = GOOD.replace("hidden = [8]", "hidden = [100000000]");
    refused(
        &wide,
        &[
            "not enough memory: study bad, cell optimizer=adam: layer 1 (hidden = 100000000) \
             needs ~1.3 TB (weights, gradients, 2 optimizer slots of 78500000000 parameters); \
             the run needs ~2.4 TB with the data, more than",
            "MemAvailable",
        ],
    );
    // --dry-run shows each run's estimate and the total at --jobs.
    let tmp = tempfile::tempdir().unwrap();
    let studies = tmp.path().join("studies");
    std::fs::create_dir_all(&studies).unwrap();
    std::fs::write(studies.join("wide.toml"), &wide).unwrap();
    let out = trainbench()
        .arg("--studies")
        .arg(&studies)
        .args([
            "study",
            "wide",
            "--dry-run",
            "--jobs",
            "2",
            "--max-memory",
            "64G",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "memory, estimated from the configs (per run; largest term):",
        "~   1.8 TB  optimizer=sgd  (layer 1 (hidden = 100000000): ~800.0 GB)",
        "~   2.4 TB  optimizer=adam  (layer 1 (hidden = 100000000): ~1.3 TB)",
        "in all at --jobs 2: ~4.9 TB",
        "MORE than the 64.0 GB of --max-memory",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
}

#[test]
fn an_unwritable_results_directory_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let studies = tiny_study(tmp.path(), "tiny", 500, r#"optimizer = ["sgd"]"#);
    // A regular file where the results directory should be: no one, not even root, can write.
    let blocker = tmp.path().join("blocker");
    std::fs::write(&blocker, b"a file").unwrap();
    let (ok, stderr) = study(&studies, "tiny", &blocker.join("results"));
    assert!(!ok);
    assert!(stderr.contains("blocker"), "{stderr}");
    // Each cause is said once (it once read "Not a directory (os error 20): Not a directory
    // (os error 20)").
    assert_eq!(
        stderr.matches("Not a directory").count(),
        1,
        "the cause is said once: {stderr}"
    );
}

#[test]
fn a_diverging_run_is_recorded_with_its_step_and_shown_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let studies = tiny_study(
        tmp.path(),
        "tiny",
        2_000,
        r#"optimizer = ["sgd", { name = "sgd", learning_rate = 1e12 }]"#,
    );
    let results = tmp.path().join("results");
    let (ok, stderr) = study(&studies, "tiny", &results);
    assert!(ok, "a diverged run is an outcome, not a failure: {stderr}");
    let (runs, _) = trainbench::results::store::load(&results.join("tiny")).unwrap();
    assert_eq!(runs.len(), 6);
    let diverged: Vec<_> = runs.iter().filter(|r| r.diverged).collect();
    assert_eq!(diverged.len(), 3, "every seed of the huge learning rate");
    assert!(
        diverged
            .iter()
            .all(|r| r.diverged_step.is_some_and(|s| s >= 1)
                && r.cell_label.contains("learning_rate"))
    );
    let report = std::fs::read_to_string(results.join("tiny").join("report.md")).unwrap();
    assert!(report.contains("diverged@step"), "{report}");
}

#[test]
fn results_of_an_older_schema_are_refused_with_what_to_do() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().unwrap();
    let studies = tiny_study(tmp.path(), "tiny", 500, r#"optimizer = ["sgd"]"#);
    let dir = tmp.path().join("results").join("tiny");
    std::fs::create_dir_all(&dir).unwrap();
    let mut old = df!("schema_version" => [0u32], "study" => ["tiny"]).unwrap();
    ParquetWriter::new(std::fs::File::create(dir.join("runs.parquet")).unwrap())
        .finish(&mut old)
        .unwrap();
    let (ok, stderr) = study(&studies, "tiny", &tmp.path().join("results"));
    assert!(!ok);
    assert!(
        stderr.contains("runs.parquet") && stderr.contains("schema 0"),
        "{stderr}"
    );
    assert!(stderr.contains("new --results directory"), "{stderr}");
}

#[test]
fn a_changed_study_is_refused_until_a_new_result_set_is_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let studies = tiny_study(tmp.path(), "tiny", 500, r#"optimizer = ["sgd"]"#);
    let results = tmp.path().join("results");
    assert!(study(&studies, "tiny", &results).0);
    let file = studies.join("tiny.toml");
    let body = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, body.replace("epochs = 2", "epochs = 1")).unwrap();
    let (ok, stderr) = study(&studies, "tiny", &results);
    assert!(!ok);
    assert!(stderr.contains("epochs 2 → 1"), "{stderr}");

    let out = trainbench()
        .arg("--studies")
        .arg(&studies)
        .args([
            "study",
            "tiny",
            "--no-progress",
            "--new-results",
            "--results",
        ])
        .arg(&results)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let moved: Vec<String> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("tiny.replaced-"))
        .collect();
    assert_eq!(moved.len(), 1, "the old result set is kept, renamed");
    let (old, _) = trainbench::results::store::load(&results.join(&moved[0])).unwrap();
    let (new, _) = trainbench::results::store::load(&results.join("tiny")).unwrap();
    assert_eq!((old.len(), new.len()), (3, 3));
    assert!(old.iter().all(|r| r.epochs_run == 2) && new.iter().all(|r| r.epochs_run == 1));
}

#[test]
fn devices_are_named_checked_and_never_mixed_in_one_result_set() {
    let tmp = tempfile::tempdir().unwrap();
    let studies = tiny_study(tmp.path(), "tiny", 500, r#"optimizer = ["sgd"]"#);
    let results = tmp.path().join("results");
    let run = |args: &[&str]| {
        let out = trainbench()
            .arg("--studies")
            .arg(&studies)
            .args(args)
            .arg("--results")
            .arg(&results)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{}", text(&out));
        (out.status.success(), stderr)
    };
    let (ok, stderr) = run(&["study", "tiny", "--no-progress", "--device", "tpu"]);
    assert!(!ok && stderr.contains("unknown device 'tpu'") && stderr.contains("cuda:N"));
    #[cfg(not(feature = "cuda"))]
    {
        let (ok, stderr) = run(&["study", "tiny", "--no-progress", "--device", "cuda"]);
        assert!(!ok && stderr.contains("built without CUDA"), "{stderr}");
        let (ok, stderr) = run(&["study", "tiny", "--no-progress", "--device", "auto"]);
        assert!(ok && stderr.contains("device auto: cpu"), "{stderr}");
    }
    #[cfg(feature = "cuda")]
    assert!(run(&["study", "tiny", "--no-progress", "--device", "cpu"]).0);

    // Every run says where it trained; a table of another device's runs is refused.
    let dir = results.join("tiny");
    let (mut runs, epochs) = trainbench::results::store::load(&dir).unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|r| r.device == "cpu"));
    for r in &mut runs {
        r.device = "cuda:0".into();
    }
    trainbench::results::store::save(&dir, &runs, &epochs).unwrap();
    let (ok, stderr) = run(&["study", "tiny", "--no-progress", "--device", "cpu"]);
    assert!(
        !ok && stderr.contains("holds runs made on cuda:0"),
        "{stderr}"
    );
    let (ok, stderr) = run(&["verify", "tiny", "--device", "cpu"]);
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("3 runs made on another device (cuda:0) are left out")
            && stderr.contains("--device cuda"),
        "{stderr}"
    );
}
