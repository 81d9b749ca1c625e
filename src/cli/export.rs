//! `trainbench export mlflow`: reads a study's recorded tables and report files and hands them to
//! [`crate::export::mlflow`], with a progress bar and a summary line. How runs become MLflow runs
//! is there, not here.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::args::{Cli, MlflowArgs};
use crate::export::mlflow::{self, Client, StudyExport};
use crate::results::store;
use crate::study::{runner, spec, Overrides};

/// The study's files uploaded as artifacts, those that exist: the report (Markdown and HTML),
/// its charts (every PNG and SVG beside it), the two tables (four for a tuned study) and the
/// study file. Names are the
/// files' own, so report.md's links to its charts and tables still work among the artifacts.
fn artifacts(dir: &std::path::Path, study_file: &std::path::Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for name in [
        "report.md",
        "report.html",
        "runs.parquet",
        "epochs.parquet",
        "tuning.parquet",
        "tuning_epochs.parquet",
    ] {
        let path = dir.join(name);
        if path.is_file() {
            out.push((name.to_string(), path));
        }
    }
    let mut charts: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "png" || e == "svg"))
        .filter_map(|p| Some((p.file_name()?.to_str()?.to_string(), p.clone())))
        .collect();
    charts.sort();
    out.extend(charts);
    if study_file.is_file() {
        out.push(("study.toml".into(), study_file.to_path_buf()));
    }
    out
}

/// `export mlflow NAME --tracking-uri URI`.
pub fn mlflow_command(cli: &Cli, args: &MlflowArgs) -> anyhow::Result<ExitCode> {
    let study = spec::load(&spec::find(&cli.studies, &args.name)?, Overrides::default())?;
    let dir = runner::study_dir(&args.results, &study);
    let (runs, epochs) = store::load(&dir)?;
    anyhow::ensure!(
        !runs.is_empty(),
        "no recorded runs in {}: nothing to export; run `trainbench study {}` first (or give \
         --results the directory that holds its results)",
        dir.display(),
        study.name
    );
    // A tuned study's tuning runs go too (kind `tuning`), when recorded.
    let (tuning_runs, tuning_epochs) = if dir.join(store::TUNING.runs).is_file() {
        store::load_tables(&dir, store::TUNING)?
    } else {
        Default::default()
    };
    let client = Client::new(&args.tracking_uri)?;
    let experiment = args
        .experiment
        .clone()
        .unwrap_or_else(|| mlflow::default_experiment(&study.name));
    let input = StudyExport {
        study: &study.name,
        description: &study.description,
        runs: &runs,
        epochs: &epochs,
        tuning_runs: &tuning_runs,
        tuning_epochs: &tuning_epochs,
        artifacts: artifacts(&dir, &study.path),
    };
    let bar = if !args.no_progress && std::io::stderr().is_terminal() {
        ProgressBar::new((runs.len() + tuning_runs.len()) as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs")
            .expect("valid template"),
    );
    // The error names the server itself.
    let summary = mlflow::export(&client, &experiment, &input, &bar)
        .with_context(|| format!("exporting study '{}'", study.name))?;
    bar.finish_and_clear();
    println!(
        "{}: experiment '{}' (id {}{}) at {}: {} runs new{}, {} already there{}; study run {} \
         with {} artifacts",
        study.name,
        summary.experiment,
        summary.experiment_id,
        if summary.experiment_created {
            ", created"
        } else {
            ""
        },
        client.uri(),
        summary.new,
        if summary.new_tuning > 0 {
            format!(" ({} of them tuning runs)", summary.new_tuning)
        } else {
            String::new()
        },
        summary.already,
        if summary.redone > 0 {
            format!(
                " ({} of the new ones replace a half-finished earlier export)",
                summary.redone
            )
        } else {
            String::new()
        },
        summary.study_run_id,
        summary.artifacts
    );
    Ok(ExitCode::SUCCESS)
}
