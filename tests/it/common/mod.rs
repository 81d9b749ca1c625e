//! Helpers shared by the integration tests that drive the `trainbench` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod keras_net;

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

/// Trains seed 0 of the first cell of the study `text` on synthetic data with `n_train`
/// training images (100 validation, 100 test), on one thread.
pub fn synthetic_run(text: &str, n_train: usize) -> trainbench::train::RunOutcome {
    use dfdx::prelude::*;
    let study = trainbench::study::spec::parse(
        Path::new("t.toml"),
        text,
        trainbench::study::Overrides::default(),
    )
    .unwrap();
    let data = trainbench::data::synthetic(n_train, 100, 100, 5);
    let view = trainbench::train::DataView {
        train: &data.train,
        val: &data.val,
        test: &data.test,
    };
    let dev = Cpu::seed_from_u64(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    trainbench::train::train_run(&dev, &study.cells[0].config, view, 0, &stop, &mut |_| {}).unwrap()
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

/// A committed reference file of tests/reference/, parsed.
pub fn reference(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// A JSON array of numbers.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// A JSON array of numbers as f32.
pub fn floats32(v: &serde_json::Value) -> Vec<f32> {
    floats(v).into_iter().map(|x| x as f32).collect()
}

/// Our optimizer `name` with the hyperparameters of a Keras optimizer's config (JSON): each of
/// our parameters takes the value Keras reports under the same name. Returns the config and the
/// parameters Keras did not report, which kept our default (Keras's default too).
pub fn optimizer_from_keras(
    name: &str,
    keras: &serde_json::Value,
) -> (trainbench::zoo::optim::OptimizerConfig, Vec<String>) {
    use trainbench::zoo::optim::OptimizerConfig;
    let ours = OptimizerConfig::default_for(name)
        .unwrap_or_else(|| panic!("trainbench has no optimizer `{name}`"));
    let mut params = ours.params();
    let mut defaulted = Vec::new();
    for (key, value) in params.iter_mut() {
        match keras.get(key).and_then(serde_json::Value::as_f64) {
            Some(v) => *value = v.into(),
            None => defaulted.push(key.clone()),
        }
    }
    let config = OptimizerConfig::parse(name, params).unwrap();
    (config, defaulted)
}
