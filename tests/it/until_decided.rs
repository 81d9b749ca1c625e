//! `trainbench study NAME --until-decided` end to end on real Fashion-MNIST: it trains seeds in
//! looks of 10, judges the study's claims at each look's O'Brien–Fleming level, stops at the
//! first look where every claim is decided, records where, and `trainbench claims` then judges
//! that look. Bad combinations of options are refused before anything trains.

use crate::common;

use std::path::Path;

use common::{text, trainbench};

/// SGD at η = 0.1 against η = 1e-7 (which barely moves from its initial weights): a difference
/// of tens of points, decided at the first look (10 seeds) even at its level of 0.00069.
const STUDY: &str = r#"description = "a clear difference, for --until-decided"
seeds = 3
baseline = { "optimizer.learning_rate" = 0.1 }

[base]
epochs = 2
batch_size = 64
train_subset = 1000
optimizer = { name = "sgd", learning_rate = 0.1 }

[base.model]
hidden = [16]
activation = "relu"
initializer = "he_normal"

[grid]
"optimizer.learning_rate" = [0.1, 1e-7]
"#;

const CLAIMS: &str = r#"[[claim]]
id = "seq-1"
text = "a learning rate that moves the weights beats one that does not"
study = "clear"
[[claim.check]]
what = "η = 0.1 beats η = 1e-7"
a = { "optimizer.learning_rate" = 0.1 }
b = { "optimizer.learning_rate" = 1e-7 }
metric = "final_val_acc"
expect = "higher"
margin = 0.003
gates = { trained = ["a"] }
"#;

/// Writes the study and the claims file under `dir`; returns (studies dir, claims file).
fn setup(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let studies = dir.join("studies");
    std::fs::create_dir_all(&studies).unwrap();
    std::fs::write(studies.join("clear.toml"), STUDY).unwrap();
    let claims = dir.join("claims.toml");
    std::fs::write(&claims, CLAIMS).unwrap();
    (studies, claims)
}

#[test]
fn a_clear_difference_stops_at_the_first_look_and_claims_judges_that_look() {
    let tmp = tempfile::tempdir().unwrap();
    let (studies, claims) = setup(tmp.path());
    let results = tmp.path().join("results");
    let out = trainbench()
        .arg("--studies")
        .arg(&studies)
        .args([
            "study",
            "clear",
            "--until-decided",
            "--no-progress",
            "--jobs",
            "2",
        ])
        .arg("--claims")
        .arg(&claims)
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("seq-1: supported"), "{stderr}");
    assert!(stderr.contains("stopped at n = 10 seeds"), "{stderr}");
    let (runs, _) = trainbench::results::store::load(&results.join("clear")).unwrap();
    assert_eq!(
        runs.len(),
        20,
        "2 cells × the first look's 10 seeds, no more"
    );
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(results.join("clear").join("sequential.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["looks"], serde_json::json!([10, 20, 30]));
    assert_eq!(record["stopped_at"], 10);
    assert_eq!(record["decided"], true);

    let out = trainbench()
        .arg("--studies")
        .arg(&studies)
        .arg("claims")
        .arg("--claims")
        .arg(&claims)
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let table = std::fs::read_to_string(results.join("claims.md")).unwrap();
    assert!(
        table.contains("sequential design, stopped at look 1 of 3"),
        "{table}"
    );
    assert!(table.contains("| seq-1 |"), "{table}");
}

#[test]
fn until_decided_refuses_options_that_fix_the_seeds_or_a_claims_file_without_the_study() {
    let tmp = tempfile::tempdir().unwrap();
    let (studies, claims) = setup(tmp.path());
    let results = tmp.path().join("results");
    let run = |extra: &[&str], claims: &Path| {
        let out = trainbench()
            .arg("--studies")
            .arg(&studies)
            .args(["study", "clear", "--until-decided", "--no-progress"])
            .args(extra)
            .arg("--claims")
            .arg(claims)
            .arg("--results")
            .arg(&results)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let why = run(&["--seeds", "5"], &claims);
    assert!(
        why.contains("--until-decided chooses the seeds itself"),
        "{why}"
    );
    let why = run(&["--max-seeds", "3"], &claims);
    assert!(why.contains("--max-seeds 3 is below the 5 seeds"), "{why}");
    let other = tmp.path().join("other.toml");
    std::fs::write(&other, CLAIMS.replace("study = \"clear\"", "study = \"x\"")).unwrap();
    let why = run(&[], &other);
    assert!(why.contains("no claim in"), "{why}");
    assert!(why.contains("is about study clear"), "{why}");
    assert!(
        !results.join("clear").join("runs.parquet").exists(),
        "nothing was trained"
    );
}
