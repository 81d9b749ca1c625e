//! Helpers shared by the integration tests that drive the `trainbench` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The trainbench binary, run in the repository root.
pub fn trainbench() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trainbench"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// A small study on real Fashion-MNIST: 2 optimizers × 3 seeds, a 64-unit layer, 2 epochs on
/// `subset` training images. Written as `<dir>/studies/<name>.toml`; returns the studies dir.
pub fn tiny_study(dir: &Path, name: &str, subset: usize, grid: &str) -> PathBuf {
    let studies = dir.join("studies");
    std::fs::create_dir_all(&studies).unwrap();
    std::fs::write(
        studies.join(format!("{name}.toml")),
        format!(
            r#"description = "a tiny study for the tests"
seeds = 3
baseline = {{ optimizer = "sgd" }}

[base]
epochs = 2
batch_size = 64
train_subset = {subset}
optimizer = "sgd"

[base.model]
hidden = [64]
activation = "relu"
initializer = "he_normal"

[grid]
{grid}
"#
        ),
    )
    .unwrap();
    studies
}

/// stdout and stderr of a finished command, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstderr:\n{}\nstdout:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
}
