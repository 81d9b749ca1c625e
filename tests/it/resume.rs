//! Crash safety on real data (needs Fashion-MNIST, as .ci/run arranges): a study killed with
//! SIGKILL, or stopped with Ctrl-C, mid-way keeps every finished run readable, and resuming it
//! gives exactly the tables of an uninterrupted run (whatever the number of jobs).

use crate::common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{text, tiny_study, trainbench};
use trainbench::results::compare::table_differences;
use trainbench::results::store;

const GRID: &str = r#"optimizer = ["sgd", "adam"]"#;
const TOTAL: usize = 6;

fn start(studies: &Path, results: &Path, jobs: &str) -> Child {
    trainbench()
        .arg("--studies")
        .arg(studies)
        .args([
            "study",
            "tiny",
            "--no-progress",
            "--jobs",
            jobs,
            "--results",
        ])
        .arg(results)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until at least one run is recorded and returns how many there are then.
fn wait_for_first_run(child: &mut Child, study_dir: &Path) -> usize {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Ok((runs, _)) = store::load(study_dir) {
            if !runs.is_empty() {
                return runs.len();
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the study ended before it could be interrupted"
        );
        assert!(Instant::now() < deadline, "no run recorded in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn finish(studies: &Path, results: &Path, jobs: &str) {
    let out = start(studies, results, jobs).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn killed_and_interrupted_studies_resume_to_the_uninterrupted_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let studies = tiny_study(tmp.path(), "tiny", 20_000, GRID);

    let whole = tmp.path().join("whole");
    finish(&studies, &whole, "1");
    let expected = store::load(&whole.join("tiny")).unwrap();
    assert_eq!(expected.0.len(), TOTAL);

    // SIGKILL right after the first run is on disk: what is recorded stays readable.
    let killed = tmp.path().join("killed");
    let mut child = start(&studies, &killed, "2");
    let seen = wait_for_first_run(&mut child, &killed.join("tiny"));
    child.kill().unwrap();
    child.wait().unwrap();
    let (kept, _) = store::load(&killed.join("tiny")).unwrap();
    assert!(
        kept.len() >= seen && kept.len() < TOTAL,
        "{} runs kept",
        kept.len()
    );
    // The dead process's lock is taken over; only the missing runs are trained.
    let out = start(&studies, &killed, "2").wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{} runs trained, {} already recorded",
            TOTAL - kept.len(),
            kept.len()
        )),
        "{stderr}"
    );
    let resumed = store::load(&killed.join("tiny")).unwrap();
    let d = table_differences((&expected.0, &expected.1), (&resumed.0, &resumed.1));
    assert!(d.is_empty(), "{d:#?}");

    // Ctrl-C: stops cleanly, says what was kept, exits 130; resuming completes the tables.
    let stopped = tmp.path().join("stopped");
    let mut child = start(&studies, &stopped, "2");
    wait_for_first_run(&mut child, &stopped.join("tiny"));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        stderr.contains("Ctrl-C: stopping") && stderr.contains("interrupted:"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !stopped.join("tiny").join(".lock").exists(),
        "the lock is released"
    );
    finish(&studies, &stopped, "1");
    let resumed = store::load(&stopped.join("tiny")).unwrap();
    let d = table_differences((&expected.0, &expected.1), (&resumed.0, &resumed.1));
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn shards_merge_to_the_single_machine_tables_and_verify_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let studies = tiny_study(tmp.path(), "tiny", 3_000, GRID);
    let whole = tmp.path().join("whole");
    finish(&studies, &whole, "2");

    let sharded = tmp.path().join("sharded");
    let shard = |args: &[&str], env: &[(&str, &str)]| {
        trainbench()
            .arg("--studies")
            .arg(&studies)
            .args(["study", "tiny", "--no-progress", "--jobs", "1"])
            .args(args)
            .arg("--results")
            .arg(&sharded)
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let merge = |extra: &[&str]| {
        trainbench()
            .arg("--studies")
            .arg(&studies)
            .args(["merge", "tiny", "--results"])
            .arg(&sharded)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = shard(&["--shard", "0/3"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    // Shard 1 from Slurm's variables, twice (a requeued task): harmless.
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
    ];
    assert!(shard(&[], &slurm).status.success());
    let again = shard(&[], &slurm);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("0 runs trained, 2 already recorded"),
        "{}",
        text(&again)
    );
    // Shard 2 missing: merge lists the two missing runs and fails, keeping what it merged.
    let out = merge(&[]);
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 runs missing"), "{stderr}");
    assert_eq!(store::load(&sharded.join("tiny")).unwrap().0.len(), 4);
    assert!(merge(&["--allow-missing"]).status.success());

    // Shard 2 from Kubernetes' index, which needs the count.
    let k8s = [("JOB_COMPLETION_INDEX", "2")];
    let out = shard(&[], &k8s);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shards N"));
    let out = shard(&["--shards", "3"], &k8s);
    assert!(out.status.success(), "{}", text(&out));
    let out = merge(&[]);
    assert!(out.status.success(), "{}", text(&out));

    let cmp = trainbench()
        .arg("compare")
        .arg(whole.join("tiny"))
        .arg(sharded.join("tiny"))
        .output()
        .unwrap();
    assert!(cmp.status.success(), "{}", text(&cmp));

    // verify re-trains recorded runs and finds them bit-identical; a changed number is caught.
    let verify = |results: &Path| {
        trainbench()
            .arg("--studies")
            .arg(&studies)
            .args([
                "verify",
                "tiny",
                "--sample",
                "2",
                "--jobs",
                "2",
                "--results",
            ])
            .arg(results)
            .output()
            .unwrap()
    };
    let out = verify(&sharded);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("2 runs re-trained, 2 bit-identical, 0 differ"),
        "{}",
        text(&out)
    );
    let dir = sharded.join("tiny");
    let (mut runs, epochs) = store::load(&dir).unwrap();
    for run in &mut runs {
        run.test_acc = f64::from_bits(run.test_acc.to_bits() + 1);
    }
    store::save(&dir, &runs, &epochs).unwrap();
    let out = verify(&sharded);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("test_acc:"),
        "{}",
        text(&out)
    );
}

#[test]
fn verify_re_trains_under_the_recorded_numerics_version() {
    let tmp = tempfile::tempdir().unwrap();
    let studies = tiny_study(tmp.path(), "tiny", 2_000, GRID);
    let results = tmp.path().join("v2");
    let command = |args: &[&str]| {
        trainbench()
            .arg("--studies")
            .arg(&studies)
            .args(args)
            .arg("--results")
            .arg(&results)
            .output()
            .unwrap()
    };
    let out = command(&[
        "study",
        "tiny",
        "--no-progress",
        "--seeds",
        "1",
        "--jobs",
        "2",
        "--numerics",
        "2",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let (runs, _) = store::load(&results.join("tiny")).unwrap();
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter().all(|r| r.numerics == 2),
        "recorded as version 2"
    );
    assert!(runs
        .iter()
        .all(|r| r.config_json.contains(r#""numerics":2"#)));
    let report = std::fs::read_to_string(results.join("tiny/report.md")).unwrap();
    assert!(report.contains("numerics version `2`"), "{report}");

    let verify = |numerics: &[&str]| {
        let mut args = vec!["verify", "tiny", "--seeds", "1", "--jobs", "2"];
        args.extend(numerics);
        command(&args)
    };
    let out = verify(&["--numerics", "2"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("2 runs re-trained, 2 bit-identical, 0 differ"),
        "{}",
        text(&out)
    );
    // Without the flag the study resolves to the default, version 2: the same runs.
    let out = verify(&[]);
    assert!(out.status.success(), "{}", text(&out));
    // Under version 1 they are another version's results, refused.
    let out = verify(&["--numerics", "1"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds runs of numerics version 2"),
        "{}",
        text(&out)
    );
}
