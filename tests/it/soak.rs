//! Repeated crashes on real data (needs Fashion-MNIST, as .ci/run arranges): a tiny study is
//! killed with SIGKILL at random moments, many times over, while it trains, while a shard writes
//! its run files, while `merge` folds them in and while `report` writes the report; after every
//! kill the tables and run files are readable, and at the end one more `study` completes it to
//! exactly the tables of an uninterrupted run (`trainbench compare`), with no temporary or
//! partial file left anywhere.
//!
//! Reproducible: the commands and the moments come from a ChaCha stream of a fixed seed
//! ([`SEED`]); the moments are drawn within each command's measured uninterrupted duration. So
//! that there is always something to train (and to write) when a command is killed, the seeds
//! grow as the soak goes on (`--seeds`, 3 more every four commands, [`FINAL_SEEDS`] at the end):
//! a study's run list only grows with its seeds.
//! Bounded: [`KILLS`] commands (`TRAINBENCH_SOAK_KILLS` to change it), about 2–3 minutes in a
//! release build on two cores.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{text, tiny_study, trainbench};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use trainbench::results::{parts, store};

const GRID: &str = r#"optimizer = ["sgd", "adam"]"#;
/// The seed of the commands and of the moments they are killed at.
const SEED: u64 = 17;
/// Commands started (and killed, unless they finish first).
const KILLS: usize = 32;
/// The seeds of the finished study (each of its 2 cells).
const FINAL_SEEDS: usize = 18;

fn command(studies: &Path, results: &Path, args: &[impl AsRef<std::ffi::OsStr>]) -> Command {
    let mut cmd = trainbench();
    cmd.arg("--studies")
        .arg(studies)
        .args(args)
        .arg("--results")
        .arg(results)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs to the end; returns how long it took.
fn timed(mut cmd: Command) -> Duration {
    let start = Instant::now();
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    start.elapsed()
}

/// Every path under `dir`.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        }
        out.push(path);
    }
}

#[test]
fn a_study_killed_again_and_again_resumes_to_the_uninterrupted_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let studies = tiny_study(tmp.path(), "tiny", 2_000, GRID);
    let study = |seeds: usize, extra: &[&str]| -> Vec<String> {
        let seeds = seeds.to_string();
        let mut args = vec![
            "study",
            "tiny",
            "--no-progress",
            "--jobs",
            "2",
            "--seeds",
            &seeds,
        ];
        args.extend(extra);
        args.into_iter().map(String::from).collect()
    };
    let whole = tmp.path().join("whole");
    // A soak command trains a few seeds' runs, not all of them.
    let study_time = timed(command(&studies, &whole, &study(FINAL_SEEDS, &[]))) / 2;
    let report_time = timed(command(&studies, &whole, &["report", "tiny"]));

    let results = tmp.path().join("soak");
    let dir = results.join("tiny");
    let kills = std::env::var("TRAINBENCH_SOAK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(KILLS);
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let (mut killed, mut finished) = (Vec::new(), 0);
    for i in 0..kills {
        // Each kind in turn: a whole-study run, a shard, a merge of the shards' files, a report.
        let shard = format!("{}/3", rng.gen_range(0..3));
        let seeds = (3 + 3 * (i / 4)).min(FINAL_SEEDS);
        let seeds_arg = seeds.to_string();
        let (args, within): (Vec<String>, Duration) = match i % 4 {
            0 => (study(seeds, &[]), study_time),
            1 => (study(seeds, &["--shard", &shard]), study_time),
            2 => (
                ["merge", "tiny", "--allow-missing", "--seeds", &seeds_arg]
                    .map(String::from)
                    .to_vec(),
                report_time,
            ),
            _ => (vec!["report".into(), "tiny".into()], report_time),
        };
        let delay = Duration::from_millis(rng.gen_range(0..=within.as_millis() as u64));
        let mut child = command(&studies, &results, &args).spawn().unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed.push(format!("{} after {delay:?}", args.join(" ")));
        } else {
            finished += 1;
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{}", text(&out));
        // Whatever the moment, everything recorded is readable.
        if dir.exists() {
            store::load(&dir).unwrap_or_else(|e| panic!("after {}: {e}", args.join(" ")));
            parts::load(&dir).unwrap_or_else(|e| panic!("after {}: {e}", args.join(" ")));
        }
    }
    eprintln!(
        "{} commands killed, {finished} finished first: {killed:#?}",
        killed.len()
    );
    // The moments are drawn within each command's duration, so most commands are killed.
    assert!(killed.len() >= kills / 2, "{killed:#?}");

    timed(command(&studies, &results, &study(FINAL_SEEDS, &[])));
    let out = trainbench()
        .arg("compare")
        .arg(whole.join("tiny"))
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let mut paths = Vec::new();
    walk(&results, &mut paths);
    let left: Vec<&PathBuf> = paths
        .iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            trainbench::atomic::is_temporary(&name)
                || name.starts_with(".tmp-")
                || name.starts_with(".parts.removing-")
                || name == "parts"
                || name == ".lock"
        })
        .collect();
    assert!(left.is_empty(), "left behind: {left:#?}");
    for path in &paths {
        if path.extension().is_some_and(|e| e == "parquet") {
            assert!(
                store::read_runs(path).is_ok() || store::read_epochs(path).is_ok(),
                "{} is not a readable table",
                path.display()
            );
        }
    }
}
