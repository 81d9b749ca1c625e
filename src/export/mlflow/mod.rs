//! `trainbench export mlflow`: a study's recorded runs logged to an MLflow tracking server. One
//! experiment per study; one parent run per study (tag `trainbench.kind = study`) holding the
//! report, its charts and the tables as artifacts; one child run per trainbench run
//! (`mlflow.parentRunId`) with the resolved config as parameters, its metrics per epoch and at
//! the end, and tags saying which cell, seed, commit, data and device made it. Every MLflow run
//! carries the tag `trainbench.run_key`, so exporting again finds what is there and adds only
//! what is missing: nothing is duplicated. A run whose earlier export stopped half-way (still
//! RUNNING) is deleted and made anew.
//!
//! What each run logs is in `run.rs`, MLflow's naming and batching rules in `params.rs`, the HTTP
//! calls in `client.rs`. Reading the Parquet tables and the command line are the caller's.

pub mod client;
pub mod params;
pub mod run;

use std::collections::HashMap;
use std::path::PathBuf;

use indicatif::ProgressBar;

pub use client::{Client, MlflowError, RunInfo};

use crate::results::{EpochRecord, RunRecord};

/// A study's recorded results, as the export reads them.
pub struct StudyExport<'a> {
    /// The study's name.
    pub study: &'a str,
    /// Its one-line description (the parent run's description in the UI).
    pub description: &'a str,
    /// Its runs (`runs.parquet`).
    pub runs: &'a [RunRecord],
    /// Their epochs (`epochs.parquet`).
    pub epochs: &'a [EpochRecord],
    /// A tuned study's tuning runs (`tuning.parquet`; empty for an untuned one), logged as runs
    /// of kind `tuning` under the same parent.
    pub tuning_runs: &'a [RunRecord],
    /// Their epochs (`tuning_epochs.parquet`).
    pub tuning_epochs: &'a [EpochRecord],
    /// Files uploaded as the study run's artifacts: (artifact name, file).
    pub artifacts: Vec<(String, PathBuf)>,
}

/// What an export did.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The experiment's name.
    pub experiment: String,
    /// Its id.
    pub experiment_id: String,
    /// Whether this export created it.
    pub experiment_created: bool,
    /// The study's parent run.
    pub study_run_id: String,
    /// Whether this export created the parent run.
    pub study_run_created: bool,
    /// Runs logged now (tuning runs included).
    pub new: usize,
    /// Of those, tuning runs.
    pub new_tuning: usize,
    /// Runs found already exported and left as they are.
    pub already: usize,
    /// Runs whose earlier export had stopped half-way: deleted and logged anew (also in `new`).
    pub redone: usize,
    /// Artifacts uploaded (each export uploads them again, so they follow the report).
    pub artifacts: usize,
}

/// The default experiment of a study: `trainbench/<study>`.
pub fn default_experiment(study: &str) -> String {
    format!("trainbench/{study}")
}

/// The tags of the study's parent run.
fn study_tags(export: &StudyExport) -> Vec<(String, String)> {
    let commits: Vec<&str> = {
        let mut c: Vec<&str> = export.runs.iter().map(|r| r.git_commit.as_str()).collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let diverged = export.runs.iter().filter(|r| r.diverged).count();
    let mut tags = vec![
        (run::RUN_KEY_TAG.to_string(), run::study_key(export.study)),
        (run::KIND_TAG.into(), "study".into()),
        ("trainbench.study".into(), export.study.to_string()),
        ("trainbench.runs".into(), export.runs.len().to_string()),
        (
            "trainbench.tuning_runs".into(),
            export.tuning_runs.len().to_string(),
        ),
        ("trainbench.diverged_runs".into(), diverged.to_string()),
        ("trainbench.commits".into(), commits.join(" ")),
        ("mlflow.runName".into(), format!("study {}", export.study)),
        ("mlflow.note.content".into(), export.description.to_string()),
    ];
    if let [only] = commits.as_slice() {
        tags.push(("mlflow.source.git.commit".into(), only.to_string()));
    }
    tags
}

/// Logs `export` to the server of `client`, in the experiment `experiment`; `progress` counts
/// runs (its length is set here). Returns what was new and what was already there.
pub fn export(
    client: &Client,
    experiment: &str,
    export: &StudyExport,
    progress: &ProgressBar,
) -> Result<Summary, MlflowError> {
    client.healthy()?;
    let (experiment_id, experiment_created) = match client.experiment_by_name(experiment)? {
        Some(id) => (id, false),
        None => {
            let tags = vec![
                ("trainbench.study".to_string(), export.study.to_string()),
                // MLflow 3's kind of experiment: model training (its UI also has GenAI ones).
                (
                    "mlflow.experimentKind".to_string(),
                    "custom_model_development".to_string(),
                ),
                (
                    "mlflow.note.content".to_string(),
                    export.description.to_string(),
                ),
            ];
            (client.create_experiment(experiment, &tags)?, true)
        }
    };
    let mut found: HashMap<String, RunInfo> = HashMap::new();
    for run in client.runs_with_tag(&experiment_id, run::RUN_KEY_TAG)? {
        if let Some(key) = run.tags.get(run::RUN_KEY_TAG).cloned() {
            found.insert(key, run);
        }
    }

    // The study's parent run: found again, or made now with the runs' time span.
    let study_tags = study_tags(export);
    let start_ms = export
        .runs
        .iter()
        .map(|r| run::run_log(r, &[]).start_ms)
        .min()
        .unwrap_or(run::FIXED_TIMESTAMP_MS);
    let end_ms = export
        .runs
        .iter()
        .map(|r| run::run_log(r, &[]).end_ms)
        .max()
        .unwrap_or(start_ms);
    let (study_run, study_run_created) = match found.get(&run::study_key(export.study)) {
        Some(existing) => (existing.clone(), false),
        None => {
            let name = format!("study {}", export.study);
            let made = client.create_run(&experiment_id, &name, start_ms, &study_tags)?;
            (made, true)
        }
    };
    // Tags may change between exports (runs added): log them again, and the status.
    for batch in params::batches(Vec::new(), Vec::new(), study_tags) {
        client.log_batch(&study_run.run_id, &batch)?;
    }

    progress.set_length((export.runs.len() + export.tuning_runs.len()) as u64);
    let mut summary = Summary {
        experiment: experiment.to_string(),
        experiment_id: experiment_id.clone(),
        experiment_created,
        study_run_id: study_run.run_id.clone(),
        study_run_created,
        new: 0,
        new_tuning: 0,
        already: 0,
        redone: 0,
        artifacts: 0,
    };
    let logs = export
        .runs
        .iter()
        .map(|r| run::run_log(r, export.epochs))
        .chain(
            export
                .tuning_runs
                .iter()
                .map(|r| run::tuning_run_log(r, export.tuning_epochs)),
        );
    for log in logs {
        if let Some(existing) = found.get(&log.key) {
            if existing.status != "RUNNING" {
                summary.already += 1;
                progress.inc(1);
                continue;
            }
            // An export that stopped before the run was complete: start it again, whole.
            client.delete_run(&existing.run_id)?;
            summary.redone += 1;
        }
        let mut tags = log.tags.clone();
        tags.push((run::PARENT_TAG.into(), study_run.run_id.clone()));
        let made = client.create_run(&experiment_id, &log.name, log.start_ms, &tags)?;
        for batch in params::batches(log.params, log.metrics, Vec::new()) {
            client.log_batch(&made.run_id, &batch)?;
        }
        client.finish_run(&made.run_id, log.status.as_str(), log.end_ms)?;
        summary.new += 1;
        if log
            .tags
            .iter()
            .any(|(k, v)| k == run::KIND_TAG && v == "tuning")
        {
            summary.new_tuning += 1;
        }
        progress.inc(1);
    }

    for (name, path) in &export.artifacts {
        let bytes = std::fs::read(path).map_err(|source| MlflowError::ReadArtifact {
            path: path.clone(),
            source,
        })?;
        client.upload_artifact(&study_run, name, &bytes)?;
        summary.artifacts += 1;
    }
    client.finish_run(&study_run.run_id, "FINISHED", end_ms)?;
    Ok(summary)
}
