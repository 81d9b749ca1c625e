//! What one trainbench run becomes in MLflow: its run key (how a re-export finds it again), name,
//! times, status, tags, parameters and metrics, built from its `runs.parquet` row and its
//! `epochs.parquet` rows. Pure: the HTTP calls are in `client.rs`, the order of the export in
//! `mod.rs`.

use crate::results::{EpochRecord, RunRecord};

use super::params::{self, Metric};

/// The tag that identifies a trainbench run (or study) in an experiment; see [`run_key`].
pub const RUN_KEY_TAG: &str = "trainbench.run_key";
/// The tag saying what an MLflow run holds: `study` (the parent with the report), `run` (a
/// runs.parquet row) or `tuning` (a tuning.parquet row of a tuned study).
pub const KIND_TAG: &str = "trainbench.kind";
/// MLflow's tag naming a run's parent (the UI nests children under it).
pub const PARENT_TAG: &str = "mlflow.parentRunId";
/// The timestamp of a run whose record has no parseable start time: fixed, so a re-export logs
/// the same values (2000-01-01T00:00:00Z, in milliseconds).
pub const FIXED_TIMESTAMP_MS: i64 = 946_684_800_000;

/// The run key of a trainbench run: `<study>/<cell id>/seed=<seed>`, what identifies a row of
/// runs.parquet (a study holds one row per cell and seed).
pub fn run_key(run: &RunRecord) -> String {
    format!("{}/{}/seed={}", run.study, run.cell_id, run.seed)
}

/// The run key of a study's parent run: `<study>`.
pub fn study_key(study: &str) -> String {
    study.to_string()
}

/// The final state MLflow shows for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Trained to its end.
    Finished,
    /// Diverged (a non-finite loss stopped it).
    Failed,
}

impl Status {
    /// MLflow's name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Finished => "FINISHED",
            Status::Failed => "FAILED",
        }
    }
}

/// One trainbench run as MLflow logs it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunLog {
    /// [`run_key`].
    pub key: String,
    /// The name the UI shows: `<cell label> seed=<seed>`.
    pub name: String,
    /// Start, milliseconds since the Unix epoch (the record's `started_at`, else fixed).
    pub start_ms: i64,
    /// End: the start plus the run's recorded wall time.
    pub end_ms: i64,
    /// FAILED for a diverged run.
    pub status: Status,
    /// Tags given when the run is created (the run key among them, so a run found again is
    /// recognised even if the export stopped half-way).
    pub tags: Vec<(String, String)>,
    /// The resolved config flattened, then the tuned values (`tuned.<key>`).
    pub params: Vec<(String, String)>,
    /// Per epoch (step = epoch), then the final metrics (step = the last epoch).
    pub metrics: Vec<Metric>,
}

/// The names of the per-epoch metrics, as the `epochs.parquet` columns.
pub const EPOCH_METRICS: [&str; 6] = [
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "learning_rate",
    "epoch_seconds",
];

/// The names of the final metrics, as the `runs.parquet` columns (logged at the last epoch).
pub const FINAL_METRICS: [&str; 12] = [
    "final_train_loss",
    "final_train_acc",
    "final_val_loss",
    "final_val_acc",
    "best_val_loss",
    "best_val_acc",
    "test_loss",
    "test_acc",
    "best_epoch",
    "epochs_run",
    "wall_seconds",
    "samples_per_sec",
];

/// The final metrics of `run`, in [`FINAL_METRICS`] order.
pub fn final_values(run: &RunRecord) -> [f64; 12] {
    [
        run.final_train_loss,
        run.final_train_acc,
        run.final_val_loss,
        run.final_val_acc,
        run.best_val_loss,
        run.best_val_acc,
        run.test_loss,
        run.test_acc,
        f64::from(run.best_epoch),
        f64::from(run.epochs_run),
        run.wall_seconds,
        run.samples_per_sec,
    ]
}

/// The per-epoch metrics of `epoch`, in [`EPOCH_METRICS`] order.
fn epoch_values(epoch: &EpochRecord) -> [f64; 6] {
    [
        epoch.train_loss,
        epoch.train_acc,
        epoch.val_loss,
        epoch.val_acc,
        epoch.learning_rate,
        epoch.wall_seconds,
    ]
}

/// Milliseconds since the Unix epoch of an RFC 3339 UTC time as trainbench writes it
/// (`YYYY-MM-DDTHH:MM:SS` and `Z`, fractions of a second ignored); None for anything else.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || !text.ends_with('Z') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant), the inverse of provenance::rfc3339.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400) + hour * 3600 + minute * 60 + second) * 1000)
}

/// Seconds as whole milliseconds (non-finite or negative: 0).
fn millis(seconds: f64) -> i64 {
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * 1000.0).round() as i64
    } else {
        0
    }
}

/// The MLflow form of `run`, given its epochs (in any order; others' are ignored).
pub fn run_log(run: &RunRecord, epochs: &[EpochRecord]) -> RunLog {
    let start_ms = parse_rfc3339_ms(&run.started_at).unwrap_or(FIXED_TIMESTAMP_MS);
    let end_ms = start_ms + millis(run.wall_seconds);
    let status = if run.diverged {
        Status::Failed
    } else {
        Status::Finished
    };

    let mut tags: Vec<(String, String)> = vec![
        (RUN_KEY_TAG.into(), run_key(run)),
        (KIND_TAG.into(), "run".into()),
        ("trainbench.study".into(), run.study.clone()),
        ("trainbench.cell_id".into(), run.cell_id.clone()),
        ("trainbench.cell".into(), run.cell_label.clone()),
        ("trainbench.seed".into(), run.seed.to_string()),
        (
            "trainbench.status".into(),
            if run.diverged { "diverged" } else { "finished" }.into(),
        ),
        ("trainbench.commit".into(), run.git_commit.clone()),
        ("mlflow.source.git.commit".into(), run.git_commit.clone()),
        ("trainbench.dataset".into(), run.dataset.clone()),
        (
            "trainbench.dataset_sha256".into(),
            run.dataset_sha256.clone(),
        ),
        ("trainbench.device".into(), run.device.clone()),
        ("trainbench.numerics".into(), run.numerics.to_string()),
        ("trainbench.cpu_path".into(), run.cpu_path.clone()),
        ("trainbench.version".into(), run.trainbench_version.clone()),
        ("trainbench.dfdx_version".into(), run.dfdx_version.clone()),
        ("trainbench.started_at".into(), run.started_at.clone()),
        ("mlflow.runName".into(), run_name(run)),
    ];
    if let Some(step) = run.diverged_step {
        tags.push(("trainbench.diverged_step".into(), step.to_string()));
    }
    for (axis, value) in &run.axes {
        tags.push((
            params::key(&format!("trainbench.axis.{axis}")),
            value.clone(),
        ));
    }
    for (source, seed) in &run.seed_streams {
        tags.push((
            params::key(&format!("trainbench.seed.{source}")),
            seed.to_string(),
        ));
    }

    let config = serde_json::from_str::<serde_json::Value>(&run.config_json)
        .unwrap_or_else(|_| serde_json::Value::String(run.config_json.clone()));
    let mut params = match config {
        // A config that is not JSON (never written by trainbench) is kept whole as one value.
        serde_json::Value::String(text) => vec![("config".into(), params::param_value(&text))],
        config => params::flatten(&config),
    };
    for (name, value) in &run.tuned {
        params.push((params::key(&format!("tuned.{name}")), value.to_string()));
    }

    let mut run_epochs: Vec<&EpochRecord> = epochs
        .iter()
        .filter(|e| e.cell_id == run.cell_id && e.seed == run.seed && e.study == run.study)
        .collect();
    run_epochs.sort_by_key(|e| e.epoch);
    let mut metrics = Vec::new();
    let mut elapsed = 0.0;
    for epoch in &run_epochs {
        elapsed += epoch.wall_seconds;
        let timestamp = start_ms + millis(elapsed);
        let values = EPOCH_METRICS
            .iter()
            .map(|n| n.to_string())
            .zip(epoch_values(epoch))
            .chain(
                epoch
                    .extra
                    .iter()
                    .map(|(n, v)| (params::key(&format!("diag.{n}")), *v)),
            );
        for (key, value) in values {
            // A NaN diagnostic is one this run does not have (the table's filler), not a value.
            if key.starts_with("diag.") && value.is_nan() {
                continue;
            }
            metrics.push(Metric {
                key,
                value,
                timestamp,
                step: epoch.epoch,
            });
        }
    }
    let last_step = run_epochs.last().map_or(run.epochs_run, |e| e.epoch);
    let finals = FINAL_METRICS
        .iter()
        .map(|n| n.to_string())
        .zip(final_values(run))
        .chain(
            run.extra
                .iter()
                .filter(|(_, v)| !v.is_nan())
                .map(|(n, v)| (params::key(&format!("metric.{n}")), *v)),
        );
    for (key, value) in finals {
        metrics.push(Metric {
            key,
            value,
            timestamp: end_ms,
            step: last_step,
        });
    }
    RunLog {
        key: run_key(run),
        name: run_name(run),
        start_ms,
        end_ms,
        status,
        tags,
        params,
        metrics,
    }
}

/// The MLflow form of a tuning run (a `tuning.parquet` row): as [`run_log`], with its own key
/// (`<study>/tuning/<cell id>/seed=<seed>`: tuning and evaluation cells never share an id, but
/// the key says which table a run came from), kind `tuning`, and a name that says so and shows
/// the tuned values (`tuning · variant=adam optimizer.learning_rate=1.000e-3 seed=1000`).
pub fn tuning_run_log(run: &RunRecord, epochs: &[EpochRecord]) -> RunLog {
    let mut log = run_log(run, epochs);
    log.key = format!("{}/tuning/{}/seed={}", run.study, run.cell_id, run.seed);
    let tuned: Vec<String> = run
        .tuned
        .iter()
        .filter(|(_, v)| v.is_finite())
        // Four significant digits, as the UI's name column has room for (the params are exact).
        .map(|(k, v)| format!("{k}={v:.3e}"))
        .collect();
    log.name = format!(
        "tuning · {} {}seed={}",
        run.cell_label,
        tuned.iter().map(|t| format!("{t} ")).collect::<String>(),
        run.seed
    );
    for (tag, value) in &mut log.tags {
        if tag == RUN_KEY_TAG {
            value.clone_from(&log.key);
        } else if tag == KIND_TAG {
            *value = "tuning".into();
        } else if tag == "mlflow.runName" {
            value.clone_from(&log.name);
        }
    }
    log
}

/// The name the UI shows for `run`.
fn run_name(run: &RunRecord) -> String {
    format!("{} seed={}", run.cell_label, run.seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of `log`'s tag `key`.
    fn tag<'a>(log: &'a RunLog, key: &str) -> Option<&'a str> {
        log.tags
            .iter()
            .find(|(n, _)| n == key)
            .map(|(_, v)| v.as_str())
    }

    fn record() -> RunRecord {
        RunRecord {
            study: "tiny".into(),
            cell_id: "00ff".into(),
            cell_label: "optimizer=adam".into(),
            axes: vec![("optimizer".into(), "adam".into())],
            seed: 3,
            seed_streams: Vec::new(),
            tuned: vec![("optimizer.learning_rate".into(), 0.01)],
            config_json: r#"{"epochs": 2, "model": {"hidden": [30, 10]}}"#.into(),
            dataset: "fashion-mnist".into(),
            dataset_sha256: "d1".into(),
            epochs_run: 2,
            best_epoch: 2,
            final_train_loss: 0.5,
            final_train_acc: 0.8,
            final_val_loss: 0.6,
            final_val_acc: 0.79,
            best_val_loss: 0.6,
            best_val_acc: 0.79,
            test_loss: 0.61,
            test_acc: 0.78,
            diverged: false,
            diverged_step: None,
            wall_seconds: 4.0,
            samples_per_sec: 100.0,
            trainbench_version: "0.1.0".into(),
            git_commit: "abc".into(),
            dfdx_version: "0.13.0".into(),
            device: "cpu".into(),
            started_at: "2026-11-29T10:00:00Z".into(),
            numerics: 1,
            cpu_path: "avx512".into(),
            extra: vec![("ece".into(), 0.02), ("absent".into(), f64::NAN)],
        }
    }

    fn epoch(n: u32) -> EpochRecord {
        EpochRecord {
            study: "tiny".into(),
            cell_id: "00ff".into(),
            seed: 3,
            epoch: n,
            train_loss: 1.0 / f64::from(n),
            train_acc: 0.5,
            val_loss: 0.7,
            val_acc: 0.6,
            learning_rate: 0.01,
            wall_seconds: 1.5,
            extra: vec![("dead_units".into(), f64::NAN)],
        }
    }

    #[test]
    fn rfc3339_parses_back_what_provenance_writes() {
        for secs in [0u64, 946_684_800, 1_764_400_000, 4_102_444_799] {
            let text = crate::provenance::rfc3339(secs);
            assert_eq!(parse_rfc3339_ms(&text), Some(secs as i64 * 1000), "{text}");
        }
        assert_eq!(parse_rfc3339_ms(""), None);
        assert_eq!(parse_rfc3339_ms("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_ms("yesterday at noon, roughly"), None);
    }

    #[test]
    fn a_tuning_run_is_keyed_named_and_kinded_apart() {
        let run = record();
        let log = tuning_run_log(&run, &[epoch(1)]);
        assert_eq!(log.key, "tiny/tuning/00ff/seed=3");
        assert_eq!(
            log.name,
            "tuning · optimizer=adam optimizer.learning_rate=1.000e-2 seed=3"
        );
        assert_eq!(tag(&log, RUN_KEY_TAG), Some("tiny/tuning/00ff/seed=3"));
        assert_eq!(tag(&log, KIND_TAG), Some("tuning"));
        assert_eq!(tag(&log, "mlflow.runName"), Some(log.name.as_str()));
        // Everything else as an evaluation run logs it.
        let plain = run_log(&run, &[epoch(1)]);
        assert_eq!((log.params, log.metrics), (plain.params, plain.metrics));
    }

    #[test]
    fn a_run_logs_its_config_epochs_finals_and_identity() {
        let run = record();
        // Epochs out of order, and another run's epoch that must be left out.
        let mut other = epoch(1);
        other.seed = 4;
        let log = run_log(&run, &[epoch(2), other, epoch(1)]);
        assert_eq!(log.key, "tiny/00ff/seed=3");
        assert_eq!(log.name, "optimizer=adam seed=3");
        assert_eq!(log.status, Status::Finished);
        let start = parse_rfc3339_ms("2026-11-29T10:00:00Z").unwrap();
        assert_eq!((log.start_ms, log.end_ms), (start, start + 4000));
        assert_eq!(
            log.params,
            vec![
                ("epochs".to_string(), "2".to_string()),
                ("model.hidden.0".into(), "30".into()),
                ("model.hidden.1".into(), "10".into()),
                ("tuned.optimizer.learning_rate".into(), "0.01".into()),
            ]
        );
        assert_eq!(tag(&log, RUN_KEY_TAG), Some("tiny/00ff/seed=3"));
        assert_eq!(tag(&log, "trainbench.seed"), Some("3"));
        assert_eq!(tag(&log, "trainbench.axis.optimizer"), Some("adam"));
        assert_eq!(tag(&log, "trainbench.status"), Some("finished"));
        assert_eq!(tag(&log, "trainbench.diverged_step"), None);
        // 2 epochs × 6 metrics (the NaN diagnostic left out), then 12 finals and one extra.
        assert_eq!(log.metrics.len(), 12 + 12 + 1);
        let first = &log.metrics[0];
        assert_eq!((first.key.as_str(), first.step), ("train_loss", 1));
        assert_eq!(first.timestamp, start + 1500);
        assert_eq!(log.metrics[6].timestamp, start + 3000);
        assert_eq!(log.metrics[6].value, 0.5, "epoch 2's train loss");
        let test_acc = log.metrics.iter().find(|m| m.key == "test_acc").unwrap();
        assert_eq!((test_acc.value, test_acc.step), (0.78, 2));
        assert!(log.metrics.iter().any(|m| m.key == "metric.ece"));
        assert!(!log.metrics.iter().any(|m| m.key.contains("absent")));
    }

    #[test]
    fn a_diverged_run_fails_and_says_where() {
        let mut run = record();
        run.diverged = true;
        run.diverged_step = Some(17);
        run.test_loss = f64::INFINITY;
        run.started_at = "unknown".into();
        let log = run_log(&run, &[]);
        assert_eq!(log.status, Status::Failed);
        assert_eq!(log.start_ms, FIXED_TIMESTAMP_MS);
        assert_eq!(tag(&log, "trainbench.status"), Some("diverged"));
        assert_eq!(tag(&log, "trainbench.diverged_step"), Some("17"));
        // No epochs: the finals are logged at the epochs the record says it ran.
        assert!(log.metrics.iter().all(|m| m.step == 2));
    }
}
