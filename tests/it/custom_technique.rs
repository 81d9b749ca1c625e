//! A technique of a user's own, from outside the crate, on the real Fashion-MNIST (needs the
//! data, as the other `real_data` tests): examples/custom_optimizer.rs registers AdaBelief and
//! runs trainbench's command line; its study (examples/studies/custom_optimizer.toml) trains
//! AdaBelief and Adam with `--quick`, and the runs and the report must hold both arms.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::text;
use trainbench::results::store;

/// Builds the example with the profile and target directory of this test, and returns its path.
fn example_binary(name: &str) -> PathBuf {
    // This test runs as <target>/<profile>/deps/custom_technique-<hash>.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let target_dir = profile_dir.parent().unwrap();
    let mut build = Command::new(env!("CARGO"));
    build
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", target_dir)
        .args(["build", "--example", name]);
    // Without what `cargo test` set for this test (its package's variables, the library path):
    // inherited, they make the build look different from a plain `cargo build` and rebuild
    // dependencies (minutes), then the next plain build rebuild them back.
    for (key, _) in std::env::vars() {
        let set_by_cargo_test = key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_BIN_EXE_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "LD_LIBRARY_PATH",
            ]
            .contains(&key.as_str());
        if set_by_cargo_test {
            build.env_remove(key);
        }
    }
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        build.arg("--release");
    }
    let out = build.output().unwrap();
    assert!(
        out.status.success(),
        "building the example:\n{}",
        text(&out)
    );
    let path = profile_dir.join("examples").join(name);
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

#[test]
fn real_data_a_users_own_optimizer_runs_through_the_cli_against_adam() {
    let binary = example_binary("custom_optimizer");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let results = tempfile::tempdir().unwrap();
    let out = Command::new(&binary)
        .current_dir(root)
        .args(["--studies", "examples/studies", "study", "custom_optimizer"])
        .args(["--quick", "--no-progress", "--jobs", "2", "--results"])
        .arg(results.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let dir = results.path().join("custom_optimizer");
    let (runs, epochs) = store::load(&dir).unwrap();
    assert_eq!(runs.len(), 6, "2 optimizers × 3 seeds (--quick)");
    assert_eq!(epochs.len(), 18, "3 epochs each");
    for arm in ["adam", "adabelief"] {
        let arm_runs: Vec<_> = runs
            .iter()
            .filter(|r| r.cell_label == format!("optimizer={arm}"))
            .collect();
        assert_eq!(arm_runs.len(), 3, "{arm}: one run per seed");
        for r in arm_runs {
            assert!(
                r.config_json.contains(&format!(
                    r#""optimizer":{{"name":"{arm}","learning_rate":0.001"#
                )),
                "{}",
                r.config_json
            );
            // Three epochs on 5,000 real images: far above chance (0.1), far from perfect.
            assert!(
                !r.diverged && r.test_acc > 0.6 && r.test_acc < 0.95,
                "{arm}, seed {}: test accuracy {}",
                r.seed,
                r.test_acc
            );
        }
    }
    // AdaBelief's canonical config: every parameter with its default, in field order.
    let adabelief = runs.iter().find(|r| r.cell_label == "optimizer=adabelief");
    assert!(adabelief.unwrap().config_json.contains(
        r#""optimizer":{"name":"adabelief","learning_rate":0.001,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-16}"#
    ));

    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        report.contains("## Versus the baseline `optimizer=adam`, paired by seed"),
        "{report}"
    );
    assert!(report.contains("| optimizer=adam | baseline |"), "{report}");
    assert!(report.contains("| optimizer=adabelief | 3 |"), "{report}");

    // Its runs re-train bit for bit from their recorded configs, read back through the registry.
    let out = Command::new(&binary)
        .current_dir(root)
        .args([
            "--studies",
            "examples/studies",
            "verify",
            "custom_optimizer",
        ])
        .args(["--quick", "--jobs", "2", "--results"])
        .arg(results.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout.contains("6 runs re-trained, 6 bit-identical, 0 differ"),
        "{stdout}"
    );

    // The plain binary does not know it, and says which names it does know.
    let out = common::trainbench()
        .args([
            "--studies",
            "examples/studies",
            "study",
            "custom_optimizer",
            "--dry-run",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        stderr.contains("unknown variant `adabelief`, expected one of `sgd`"),
        "{stderr}"
    );
}
