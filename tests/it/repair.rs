//! Recovery of damaged tables on real data (needs Fashion-MNIST, as .ci/run arranges): a study
//! whose runs.parquet or epochs.parquet is truncated is refused with a message naming `trainbench
//! repair`; the repair moves the damaged file aside, rebuilds every run still whole in the other
//! table and the shards' run files (compared with the original rows through polars), names the
//! runs lost, and `study` then trains exactly those, to the tables of an uninterrupted run.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{text, tiny_study, trainbench};
use polars::prelude::*;

const GRID: &str = r#"optimizer = ["sgd", "adam"]"#;

fn command(studies: &Path, results: &Path, args: &[&str]) -> Output {
    trainbench()
        .arg("--studies")
        .arg(studies)
        .args(args)
        .arg("--results")
        .arg(results)
        .output()
        .unwrap()
}

fn succeeds(out: Output) -> Output {
    assert!(out.status.success(), "{}", text(&out));
    out
}

fn frame(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of several tables of one layout, in (cell, seed, epoch) order.
fn rows(paths: &[PathBuf], by: &[&str]) -> DataFrame {
    let mut all = frame(&paths[0]);
    for path in &paths[1..] {
        all.vstack_mut(&frame(path)).unwrap();
    }
    all.sort(by.iter().copied(), SortMultipleOptions::default())
        .unwrap()
}

/// The files in `dir` whose names start with `prefix`.
fn named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    v.sort();
    v
}

#[test]
fn a_truncated_table_is_rebuilt_from_the_run_files_and_the_study_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let studies = tiny_study(tmp.path(), "tiny", 2_000, GRID);
    let whole = tmp.path().join("whole");
    succeeds(command(
        &studies,
        &whole,
        &["study", "tiny", "--no-progress", "--jobs", "2"],
    ));

    for damaged in ["runs.parquet", "epochs.parquet"] {
        let results = tmp.path().join(damaged.replace('.', "-"));
        let dir = results.join("tiny");
        // Shard 0's three runs merged into the tables, shard 1's still in their run files.
        let shard = |i: &str| {
            succeeds(command(
                &studies,
                &results,
                &[
                    "study",
                    "tiny",
                    "--no-progress",
                    "--jobs",
                    "2",
                    "--shard",
                    i,
                ],
            ))
        };
        shard("0/2");
        succeeds(command(
            &studies,
            &results,
            &["merge", "tiny", "--allow-missing"],
        ));
        shard("1/2");
        let parts: Vec<PathBuf> = named(&dir.join("parts"), "");
        assert_eq!(parts.len(), 3, "{parts:?}");
        let part_runs: Vec<PathBuf> = parts.iter().map(|p| p.join("runs.parquet")).collect();
        let part_epochs: Vec<PathBuf> = parts.iter().map(|p| p.join("epochs.parquet")).collect();
        let expected_runs = rows(&part_runs, &["cell_id", "seed"]);
        let expected_epochs = rows(&part_epochs, &["cell_id", "seed", "epoch"]);
        let intact = if damaged == "runs.parquet" {
            "epochs.parquet"
        } else {
            "runs.parquet"
        };
        let intact_bytes = std::fs::read(dir.join(intact)).unwrap();

        // Half of the file is gone.
        let bytes = std::fs::read(dir.join(damaged)).unwrap();
        std::fs::write(dir.join(damaged), &bytes[..bytes.len() / 2]).unwrap();
        for args in [
            &["study", "tiny", "--no-progress", "--jobs", "2"][..],
            &["report", "tiny"][..],
        ] {
            let out = command(&studies, &results, args);
            assert!(!out.status.success(), "{}", text(&out));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains(&format!("{damaged}: damaged (not a readable Parquet table"))
                    && stderr.contains(&format!(
                        "run `trainbench repair tiny --results {}`",
                        results.display()
                    )),
                "{stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
        }

        let out = succeeds(command(&studies, &results, &["repair", "tiny"]));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!(
                "{damaged} is damaged (not a readable Parquet table"
            )) && stdout.contains(
                "evaluation runs recovered: 0 from the intact tables, 3 from run files; \
                     3 lost:"
            ) && stdout.contains(&format!(
                "3 runs recorded, 3 missing; `trainbench --studies {} study tiny --results {}` \
                 trains",
                studies.display(),
                results.display()
            )),
            "{stdout}"
        );
        let why = if damaged == "runs.parquet" {
            "its row was in the damaged runs.parquet"
        } else {
            "its epochs were in the damaged epochs.parquet"
        };
        assert_eq!(stdout.matches(why).count(), 3, "{stdout}");
        // The damaged file is kept as it was, and so is the intact table that lost rows.
        let aside = named(&dir, &format!("{damaged}.damaged-"));
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(std::fs::read(&aside[0]).unwrap(), &bytes[..bytes.len() / 2]);
        let kept = named(&dir, &format!("{intact}.before-repair-"));
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(std::fs::read(&kept[0]).unwrap(), intact_bytes);
        // What came back is exactly the run files' rows.
        let runs = rows(&[dir.join("runs.parquet")], &["cell_id", "seed"]);
        assert!(
            runs.equals_missing(&expected_runs),
            "{runs}\n{expected_runs}"
        );
        let epochs = rows(&[dir.join("epochs.parquet")], &["cell_id", "seed", "epoch"]);
        assert!(epochs.equals_missing(&expected_epochs), "{epochs}");

        // A second repair finds nothing to do.
        let out = succeeds(command(&studies, &results, &["repair", "tiny"]));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("nothing to repair"),
            "{}",
            text(&out)
        );
        // The study trains the three lost runs, to the uninterrupted run's tables.
        let out = succeeds(command(
            &studies,
            &results,
            &["study", "tiny", "--no-progress", "--jobs", "2"],
        ));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("3 runs trained, 3 already recorded"),
            "{}",
            text(&out)
        );
        succeeds(
            trainbench()
                .arg("compare")
                .arg(whole.join("tiny"))
                .arg(&dir)
                .output()
                .unwrap(),
        );
    }
}
