//! Variance sources end to end through the binary, on real Fashion-MNIST (needs the data, as
//! .ci/run arranges): a study with `seed_axes` runs every combination of its sources' seeds,
//! records each source's seed, trains run 0 exactly as the plain seed 0, reports the share of
//! the variance each source explains, re-trains bit for bit, and refuses to mix its runs with a
//! study whose `seed_axes` changed.

use crate::common;

use std::path::Path;

use common::{text, trainbench};
use trainbench::results::{store, RunRecord};

/// One cell, a 64-unit MLP on a random 2,000-image draw; `{axes}` is the seed_axes line.
fn write_study(studies: &Path, name: &str, axes: &str) {
    std::fs::create_dir_all(studies).unwrap();
    std::fs::write(
        studies.join(format!("{name}.toml")),
        format!(
            r#"description = "seed axes for the tests"
seeds = 2
{axes}

[base]
epochs = 2
batch_size = 64
train_subset = 2000
train_subset_draw = "random"
optimizer = "sgd"
model = {{ hidden = [64] }}
"#
        ),
    )
    .unwrap();
}

fn study(studies: &Path, results: &Path, name: &str) -> std::process::Output {
    trainbench()
        .arg("--studies")
        .arg(studies)
        .args(["study", name, "--no-progress", "--jobs", "2", "--results"])
        .arg(results)
        .output()
        .unwrap()
}

#[test]
fn real_data_seed_axes_cross_the_sources_report_their_variance_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let studies = dir.path().join("studies");
    let results = dir.path().join("results");
    write_study(&studies, "crossed", "seed_axes = [\"init\", \"subset\"]");
    write_study(&studies, "plain", "");

    let out = study(&studies, &results, "crossed");
    assert!(out.status.success(), "{}", text(&out));
    let (crossed, _) = store::load(&results.join("crossed")).unwrap();
    // 2 init seeds × 2 subset seeds, the first source slowest; the others at seed 0.
    let mut seeds: Vec<(u64, u64, u64, u64, u64)> = crossed
        .iter()
        .map(|r| {
            (
                r.seed,
                r.stream_seed("init"),
                r.stream_seed("subset"),
                r.stream_seed("order"),
                r.stream_seed("noise"),
            )
        })
        .collect();
    seeds.sort();
    assert_eq!(
        seeds,
        vec![
            (0, 0, 0, 0, 0),
            (1, 0, 1, 0, 0),
            (2, 1, 0, 0, 0),
            (3, 1, 1, 0, 0)
        ]
    );
    // Each source changes what is trained: no two runs end alike.
    let mut losses: Vec<f64> = crossed.iter().map(|r| r.final_train_loss).collect();
    losses.sort_by(f64::total_cmp);
    losses.dedup();
    assert_eq!(losses.len(), 4, "{losses:?}");

    // Run 0 is the plain run with seed 0, bit for bit, in the same cell.
    let out = study(&studies, &results, "plain");
    assert!(out.status.success(), "{}", text(&out));
    let (plain, _) = store::load(&results.join("plain")).unwrap();
    let seed0 = |runs: &[RunRecord]| runs.iter().find(|r| r.seed == 0).unwrap().clone();
    let (a, b) = (seed0(&crossed), seed0(&plain));
    assert_eq!(a.cell_id, b.cell_id);
    assert!(
        b.seed_streams.is_empty(),
        "a plain study records no seed columns"
    );
    assert_eq!(
        (a.test_acc.to_bits(), a.final_train_loss.to_bits()),
        (b.test_acc.to_bits(), b.final_train_loss.to_bits())
    );

    let report = std::fs::read_to_string(results.join("crossed/report.md")).unwrap();
    assert!(report.contains("## Variance sources"), "{report}");
    assert!(
        report.contains("| `init` | `subset` | rest |"),
        "a column per varied source: {report}"
    );
    let plain_report = std::fs::read_to_string(results.join("plain/report.md")).unwrap();
    assert!(!plain_report.contains("## Variance sources"));

    // verify re-trains with the recorded seeds of every source.
    let out = trainbench()
        .arg("--studies")
        .arg(&studies)
        .args([
            "verify",
            "crossed",
            "--sample",
            "4",
            "--jobs",
            "2",
            "--results",
        ])
        .arg(&results)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("4 runs re-trained, 4 bit-identical"),
        "{}",
        text(&out)
    );

    // The same study with its sources in another order would seed runs 1 and 2 otherwise.
    write_study(&studies, "crossed", "seed_axes = [\"subset\", \"init\"]");
    let out = study(&studies, &results, "crossed");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("its seed_axes changed"),
        "{}",
        text(&out)
    );
}
