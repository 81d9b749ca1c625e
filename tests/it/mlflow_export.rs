//! `trainbench export mlflow` against a real MLflow tracking server: a tiny real study (two
//! learning rates × two seeds on 2,000 Fashion-MNIST images, the second rate diverging) is
//! trained by the binary, a local `mlflow server --serve-artifacts` is started on a free port
//! with its own SQLite store, the study is exported, and every run is read back through MLflow's
//! REST API and compared with runs.parquet and epochs.parquet: parameters (the resolved config,
//! flattened here independently of the exporter), final and per-epoch metrics, tags, status,
//! parent run; the report is downloaded from the artifact proxy; a second export adds nothing;
//! a run left RUNNING by an interrupted export is made anew; errors name the server.
//!
//! Needs MLflow (PyPI `mlflow`, the full package: `mlflow-skinny` has no server) in a virtual
//! environment: TRAINBENCH_MLFLOW is the path of its `mlflow` executable. Without it the test
//! says so and passes, unless TRAINBENCH_REQUIRE_MLFLOW is set (.ci/run sets both).

use crate::common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trainbench::results::{store, EpochRecord, RunRecord};

/// The study: the second learning rate makes every run diverge in its first epoch.
const STUDY: &str = r#"description = "MLflow export test: two learning rates on a small MLP, the second diverges"
seeds = 2
baseline = { "optimizer.learning_rate" = 0.01 }

[base]
epochs = 2
batch_size = 64
train_subset = 2000
optimizer = { name = "sgd", learning_rate = 0.01 }

[base.model]
hidden = [32, 16]
activation = "relu"
initializer = "he_normal"

[grid]
"optimizer.learning_rate" = [0.01, 1e6]
"#;

/// A tuned study: two learning rates tried on one tuning seed, the better one evaluated.
const TUNED: &str = r#"description = "MLflow export test: a tuned learning rate"
seeds = 1
baseline = { optimizer = "sgd" }

[base]
epochs = 1
batch_size = 64
train_subset = 1000
optimizer = { name = "sgd", learning_rate = 0.01 }

[base.model]
hidden = [16]
activation = "relu"
initializer = "he_normal"

[tune]
stages = [{ seeds = 1 }]

[tune.space]
"optimizer.learning_rate" = { log = [1e-3, 1e-1], points = 2 }

[grid]
optimizer = ["sgd"]
"#;

/// `mlflow server`, killed with its workers (its process group) when dropped, also when the
/// test panics.
struct Server {
    child: Child,
    uri: String,
    log: PathBuf,
    agent: ureq::Agent,
}

impl Drop for Server {
    fn drop(&mut self) {
        let group = self.child.id() as i32;
        // SAFETY: signalling the process group this test started (the server is its leader).
        unsafe {
            libc::kill(-group, libc::SIGTERM);
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if self.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // SAFETY: as above; whatever is left of the group is killed.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(mlflow: &Path, dir: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join("mlflow-server.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let mut command = Command::new(mlflow);
        command
            .args(["server", "--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--backend-store-uri")
            .arg(format!("sqlite:///{}", dir.join("mlflow.db").display()))
            .arg("--serve-artifacts")
            .arg("--artifacts-destination")
            .arg(dir.join("artifacts"))
            .args(["--workers", "1"])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().expect("starting mlflow server");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut server = Server {
            child,
            uri: format!("http://127.0.0.1:{port}"),
            log,
            agent,
        };
        // Its first start migrates the SQLite store: a minute or more on a busy machine.
        let start = Instant::now();
        loop {
            let healthy = server
                .agent
                .get(format!("{}/health", server.uri))
                .call()
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                println!(
                    "mlflow server ready at {} after {:.1} s",
                    server.uri,
                    start.elapsed().as_secs_f64()
                );
                break server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("mlflow server exited ({status}):\n{}", server.log_text());
            }
            assert!(
                start.elapsed() < Duration::from_secs(300),
                "mlflow server not healthy after 300 s:\n{}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn answer(
        &self,
        what: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Value {
        let mut response = response.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap();
        assert!(status.is_success(), "{what}: HTTP {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    fn get(&self, endpoint: &str, query: &[(&str, &str)]) -> Value {
        let mut request = self
            .agent
            .get(format!("{}/api/2.0/mlflow/{endpoint}", self.uri));
        for (k, v) in query {
            request = request.query(*k, *v);
        }
        self.answer(endpoint, request.call())
    }

    fn post(&self, endpoint: &str, body: Value) -> Value {
        let response = self
            .agent
            .post(format!("{}/api/2.0/mlflow/{endpoint}", self.uri))
            .header("Content-Type", "application/json")
            .send(body.to_string());
        self.answer(endpoint, response)
    }

    /// Every active run of the experiment.
    fn runs(&self, experiment_id: &str) -> Vec<Value> {
        let v = self.post(
            "runs/search",
            json!({"experiment_ids": [experiment_id], "max_results": 1000}),
        );
        v["runs"].as_array().cloned().unwrap_or_default()
    }
}

/// The resolved config flattened the way the README says MLflow gets it: one parameter per
/// leaf, its path joined with dots and list elements by index; strings bare, other leaves as
/// JSON writes them. Written here apart from the exporter's own.
fn expected_params(config: &Value, path: String, out: &mut BTreeMap<String, String>) {
    let join = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    match config {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                expected_params(v, join(k), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                expected_params(v, join(&i.to_string()), out);
            }
        }
        Value::String(s) => {
            out.insert(path, s.clone());
        }
        other => {
            out.insert(path, other.to_string());
        }
    }
}

/// A metric value of MLflow's JSON: a number, or "NaN" / "Infinity" / "-Infinity".
fn metric_value(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        other => other
            .as_f64()
            .unwrap_or_else(|| panic!("metric value {other}")),
    }
}

/// Equal as recorded: the same bits, or both NaN.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// `(key, value)` pairs of a run's `data.<field>` as a map.
fn pairs(run: &Value, field: &str) -> BTreeMap<String, Value> {
    run["data"][field]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (p["key"].as_str().unwrap().to_string(), p["value"].clone()))
        .collect()
}

fn tag<'a>(run: &'a Value, key: &str) -> Option<&'a str> {
    run["data"]["tags"]
        .as_array()?
        .iter()
        .find(|t| t["key"] == key)?["value"]
        .as_str()
}

fn export(dir: &Path, studies: &Path, uri: &str, extra: &[&str]) -> std::process::Output {
    export_study("mlflow_tiny", dir, studies, uri, extra)
}

fn export_study(
    study: &str,
    dir: &Path,
    studies: &Path,
    uri: &str,
    extra: &[&str],
) -> std::process::Output {
    common::trainbench()
        .arg("--studies")
        .arg(studies)
        .args([
            "export",
            "mlflow",
            study,
            "--no-progress",
            "--tracking-uri",
            uri,
        ])
        .arg("--results")
        .arg(dir.join("results"))
        .args(extra)
        .output()
        .unwrap()
}

/// The one MLflow run of `runs` whose run key is `key` (a duplicate or none fails).
fn the_run<'a>(runs: &'a [Value], key: &str) -> &'a Value {
    let found: Vec<&Value> = runs
        .iter()
        .filter(|r| tag(r, "trainbench.run_key") == Some(key))
        .collect();
    assert_eq!(found.len(), 1, "{key}");
    found[0]
}

/// Checks the MLflow run `run` against its records (an evaluation run's).
fn check_run(
    server: &Server,
    run: &Value,
    record: &RunRecord,
    epochs: &[EpochRecord],
    parent: &str,
) {
    check_run_of_kind(server, run, record, epochs, parent, "run");
}

/// Checks the MLflow run `run` of kind `kind` (`run`, `tuning`) against its records.
fn check_run_of_kind(
    server: &Server,
    run: &Value,
    record: &RunRecord,
    epochs: &[EpochRecord],
    parent: &str,
    kind: &str,
) {
    let who = format!("{} seed {}", record.cell_label, record.seed);
    let diverged_status = if record.diverged {
        "FAILED"
    } else {
        "FINISHED"
    };
    assert_eq!(run["info"]["status"], diverged_status, "{who}");
    for (key, value) in [
        ("trainbench.cell_id", record.cell_id.clone()),
        ("trainbench.cell", record.cell_label.clone()),
        ("trainbench.seed", record.seed.to_string()),
        ("trainbench.commit", record.git_commit.clone()),
        ("trainbench.dataset_sha256", record.dataset_sha256.clone()),
        ("trainbench.device", record.device.clone()),
        ("trainbench.numerics", record.numerics.to_string()),
        (
            "trainbench.status",
            if record.diverged {
                "diverged"
            } else {
                "finished"
            }
            .to_string(),
        ),
        ("trainbench.kind", kind.to_string()),
        ("mlflow.parentRunId", parent.to_string()),
    ] {
        assert_eq!(tag(run, key), Some(value.as_str()), "{who}: tag {key}");
    }
    assert_eq!(
        tag(run, "trainbench.diverged_step").map(str::to_string),
        record.diverged_step.map(|s| s.to_string()),
        "{who}"
    );

    let mut expected = BTreeMap::new();
    expected_params(
        &serde_json::from_str(&record.config_json).unwrap(),
        String::new(),
        &mut expected,
    );
    // Then the tuned values, as `tuned.<key>` (a tuned study's runs).
    for (key, value) in &record.tuned {
        expected.insert(format!("tuned.{key}"), value.to_string());
    }
    let params: BTreeMap<String, String> = pairs(run, "params")
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        params, expected,
        "{who}: the params are the flattened config"
    );
    assert!(
        params.contains_key("model.hidden.0"),
        "{who}: a list by index"
    );
    assert_eq!(params["optimizer.name"], "sgd", "{who}");

    let metrics = pairs(run, "metrics");
    for (key, value) in [
        ("test_acc", record.test_acc),
        ("test_loss", record.test_loss),
        ("final_val_loss", record.final_val_loss),
        ("final_train_acc", record.final_train_acc),
        ("best_val_acc", record.best_val_acc),
        ("epochs_run", f64::from(record.epochs_run)),
    ] {
        let got = metric_value(&metrics[key]);
        assert!(same(got, value), "{who}: {key} is {got}, recorded {value}");
    }

    // The per-epoch history, step = epoch.
    let run_epochs = trainbench::results::epochs_of(epochs, &record.cell_id, record.seed);
    assert_eq!(run_epochs.len(), record.epochs_run as usize, "{who}");
    let run_id = run["info"]["run_id"].as_str().unwrap();
    for (key, value) in [
        (
            "val_acc",
            (|e: &EpochRecord| e.val_acc) as fn(&EpochRecord) -> f64,
        ),
        ("train_loss", |e: &EpochRecord| e.train_loss),
    ] {
        let history = server.get(
            "metrics/get-history",
            &[("run_id", run_id), ("metric_key", key)],
        );
        let mut got: Vec<(u64, f64)> = history["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["step"].as_u64().unwrap_or(0), metric_value(&m["value"])))
            .collect();
        got.sort_by_key(|(step, _)| *step);
        assert_eq!(got.len(), run_epochs.len(), "{who}: {key} history {got:?}");
        for ((step, v), e) in got.iter().zip(&run_epochs) {
            assert_eq!(*step, u64::from(e.epoch), "{who}: {key}");
            assert!(
                same(*v, value(e)),
                "{who}: {key} at epoch {step}: {v} vs {}",
                value(e)
            );
        }
    }
}

#[test]
fn a_study_round_trips_through_a_real_mlflow_server_without_duplicates() {
    let mlflow = std::env::var_os("TRAINBENCH_MLFLOW")
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    let Some(mlflow) = mlflow else {
        assert!(
            std::env::var_os("TRAINBENCH_REQUIRE_MLFLOW").is_none(),
            "TRAINBENCH_REQUIRE_MLFLOW is set but TRAINBENCH_MLFLOW does not name an `mlflow` \
             executable"
        );
        println!(
            "SKIPPED: set TRAINBENCH_MLFLOW to the `mlflow` executable of a virtual environment \
             with PyPI's mlflow (`python3 -m venv v && v/bin/pip install mlflow`); \
             TRAINBENCH_REQUIRE_MLFLOW makes this a failure"
        );
        return;
    };
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let studies = dir.join("studies");
    std::fs::create_dir_all(&studies).unwrap();
    std::fs::write(studies.join("mlflow_tiny.toml"), STUDY).unwrap();

    // The server starts (slowly) while the study trains.
    let server_dir = dir.join("mlflow");
    std::fs::create_dir_all(&server_dir).unwrap();
    let starting = {
        let (mlflow, server_dir) = (mlflow.clone(), server_dir.clone());
        std::thread::spawn(move || Server::start(&mlflow, &server_dir))
    };
    let out = common::trainbench()
        .arg("--studies")
        .arg(&studies)
        .args([
            "study",
            "mlflow_tiny",
            "--no-progress",
            "--jobs",
            "1",
            "--results",
        ])
        .arg(dir.join("results"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let study_dir = dir.join("results/mlflow_tiny");
    let (records, epochs) = store::load(&study_dir).unwrap();
    assert_eq!(records.len(), 4);
    assert_eq!(
        records.iter().filter(|r| r.diverged).count(),
        2,
        "the second learning rate diverges"
    );
    let server = starting.join().unwrap();

    // Errors name the server: nothing listening, then MLflow's own error code.
    let closed = {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("http://127.0.0.1:{port}")
    };
    let out = export(dir, &studies, &closed, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("MLflow server at {closed} is unreachable")),
        "{stderr}"
    );
    let out = export(dir, &studies, &server.uri, &["--experiment", ""]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("HTTP 400: INVALID_PARAMETER_VALUE"),
        "{stderr}"
    );

    // The export.
    let first = Instant::now();
    let out = export(dir, &studies, &server.uri, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log_text()
    );
    println!(
        "first export: {:.1} s: {stdout}",
        first.elapsed().as_secs_f64()
    );
    assert!(stdout.contains("4 runs new, 0 already there"), "{stdout}");
    assert!(stdout.contains("created"), "{stdout}");

    let experiment = server.get(
        "experiments/get-by-name",
        &[("experiment_name", "trainbench/mlflow_tiny")],
    );
    let experiment_tags: BTreeMap<String, Value> = experiment["experiment"]["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (t["key"].as_str().unwrap().to_string(), t["value"].clone()))
        .collect();
    assert_eq!(
        experiment_tags["mlflow.experimentKind"], "custom_model_development",
        "a model-training experiment"
    );
    let experiment_id = experiment["experiment"]["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let runs = server.runs(&experiment_id);
    assert_eq!(runs.len(), 5, "one study run and 4 runs: {runs:#?}");
    let study_runs: Vec<&Value> = runs
        .iter()
        .filter(|r| tag(r, "trainbench.kind") == Some("study"))
        .collect();
    assert_eq!(study_runs.len(), 1);
    let study_run = study_runs[0];
    let study_run_id = study_run["info"]["run_id"].as_str().unwrap();
    assert_eq!(study_run["info"]["status"], "FINISHED");
    assert_eq!(tag(study_run, "trainbench.diverged_runs"), Some("2"));

    for record in &records {
        let key = format!("mlflow_tiny/{}/seed={}", record.cell_id, record.seed);
        check_run(&server, the_run(&runs, &key), record, &epochs, study_run_id);
    }

    // The report through the artifact proxy: the same bytes as the file.
    let listed = server.get("artifacts/list", &[("run_id", study_run_id)]);
    let names: Vec<&str> = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for name in [
        "report.md",
        "report.html",
        "test_acc.png",
        "runs.parquet",
        "study.toml",
    ] {
        assert!(names.contains(&name), "{name} among {names:?}");
    }
    let artifact_uri = study_run["info"]["artifact_uri"].as_str().unwrap();
    let root = artifact_uri.strip_prefix("mlflow-artifacts:/").unwrap();
    for name in ["report.md", "test_acc.png"] {
        let mut response = server
            .agent
            .get(format!(
                "{}/api/2.0/mlflow-artifacts/artifacts/{}/{name}",
                server.uri,
                root.trim_matches('/')
            ))
            .call()
            .unwrap();
        assert!(response.status().is_success(), "{name}");
        let bytes = response.body_mut().read_to_vec().unwrap();
        assert_eq!(
            bytes,
            std::fs::read(study_dir.join(name)).unwrap(),
            "{name}"
        );
    }

    // Again: nothing new, nothing duplicated.
    let out = export(dir, &studies, &server.uri, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("0 runs new, 4 already there"), "{stdout}");
    assert!(!stdout.contains("created"), "{stdout}");
    assert_eq!(server.runs(&experiment_id).len(), 5, "no duplicates");

    // A run an interrupted export left RUNNING is made anew, whole, and the old one deleted.
    let victim = runs
        .iter()
        .find(|r| tag(r, "trainbench.kind") == Some("run"))
        .unwrap();
    let victim_id = victim["info"]["run_id"].as_str().unwrap();
    server.post(
        "runs/update",
        json!({"run_id": victim_id, "status": "RUNNING"}),
    );
    let out = export(dir, &studies, &server.uri, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 runs new, 3 already there (1 of the new ones replace"),
        "{stdout}"
    );
    let after = server.runs(&experiment_id);
    assert_eq!(after.len(), 5, "no duplicates");
    assert!(after.iter().all(|r| r["info"]["run_id"] != victim_id));
    let key = tag(victim, "trainbench.run_key").unwrap();
    let redone = after
        .iter()
        .find(|r| tag(r, "trainbench.run_key") == Some(key))
        .unwrap();
    let record = records
        .iter()
        .find(|r| format!("mlflow_tiny/{}/seed={}", r.cell_id, r.seed) == key)
        .unwrap();
    check_run(&server, redone, record, &epochs, study_run_id);

    // A tuned study: its tuning runs go too, as kind `tuning` under the same parent, keyed apart.
    std::fs::write(studies.join("mlflow_tuned.toml"), TUNED).unwrap();
    let out = common::trainbench()
        .arg("--studies")
        .arg(&studies)
        .args(["study", "mlflow_tuned", "--no-progress", "--results"])
        .arg(dir.join("results"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tuned_dir = dir.join("results/mlflow_tuned");
    let (tuned_runs, tuned_epochs) = store::load(&tuned_dir).unwrap();
    let (tuning_runs, tuning_epochs) = store::load_tables(&tuned_dir, store::TUNING).unwrap();
    assert_eq!((tuned_runs.len(), tuning_runs.len()), (1, 2));
    let out = export_study("mlflow_tuned", dir, &studies, &server.uri, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("3 runs new (2 of them tuning runs), 0 already there"),
        "{stdout}"
    );
    let experiment = server.get(
        "experiments/get-by-name",
        &[("experiment_name", "trainbench/mlflow_tuned")],
    );
    let tuned_id = experiment["experiment"]["experiment_id"].as_str().unwrap();
    let runs = server.runs(tuned_id);
    assert_eq!(
        runs.len(),
        4,
        "the study run, 2 tuning runs and 1 evaluation run"
    );
    let parent = runs
        .iter()
        .find(|r| tag(r, "trainbench.kind") == Some("study"))
        .unwrap();
    assert_eq!(tag(parent, "trainbench.tuning_runs"), Some("2"));
    let parent = parent["info"]["run_id"].as_str().unwrap();
    for (records, epochs, kind, middle) in [
        (&tuned_runs, &tuned_epochs, "run", ""),
        (&tuning_runs, &tuning_epochs, "tuning", "tuning/"),
    ] {
        for record in records.iter() {
            let key = format!(
                "mlflow_tuned/{middle}{}/seed={}",
                record.cell_id, record.seed
            );
            let run = the_run(&runs, &key);
            check_run_of_kind(&server, run, record, epochs, parent, kind);
            if kind == "tuning" {
                let name = run["info"]["run_name"].as_str().unwrap();
                assert!(
                    name.starts_with("tuning · optimizer=sgd optimizer.learning_rate="),
                    "{name}"
                );
            }
        }
    }
    let out = export_study("mlflow_tuned", dir, &studies, &server.uri, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("0 runs new, 3 already there"), "{stdout}");
    assert_eq!(server.runs(tuned_id).len(), 4, "no duplicates");
    println!("the whole test: {:.1} s", started.elapsed().as_secs_f64());
}

/// Without a server or without results, the export says what is wrong (no MLflow needed).
#[test]
fn an_export_without_results_or_without_a_server_says_which() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::trainbench()
        .args(["export", "mlflow", "optimizers", "--no-progress"])
        .args(["--tracking-uri", "http://127.0.0.1:9", "--results"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "no recorded runs in {}: nothing to export",
            tmp.path().join("optimizers").display()
        )),
        "{stderr}"
    );

    // The committed optimizers results, to a port nothing listens on.
    let closed = {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("http://127.0.0.1:{port}")
    };
    let out = common::trainbench()
        .args([
            "export",
            "mlflow",
            "optimizers",
            "--no-progress",
            "--tracking-uri",
        ])
        .arg(&closed)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "exporting study 'optimizers': MLflow server at {closed} is unreachable"
        )),
        "{stderr}"
    );

    let out = common::trainbench()
        .args([
            "export",
            "mlflow",
            "optimizers",
            "--tracking-uri",
            "localhost:5000",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("tracking URI 'localhost:5000' is not an http:// or https:// URL"),
        "{stderr}"
    );
}
