//! Runs a study: every (cell, seed) not yet recorded, in parallel across `jobs` worker threads,
//! each run single-threaded so its numbers do not depend on `jobs`. One writer (the calling
//! thread) records each finished run at once, atomically, so a crash or Ctrl-C loses only the
//! runs in flight; a second invocation skips what is recorded. A tuned study first trains its
//! tuning runs the same way, stage by stage, into its own tables (`tuning.parquet`), then the
//! evaluation runs of each arm's chosen setting.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use super::grid::Cell;
use super::pool::{run_parallel, Event, Task, Workers};
use super::reuse;
use super::shard::Shard;
use super::spec::{Study, Undecided};
use super::tune::choice;
use crate::data::{Datasets, FashionMnist};
use crate::device::{kind_of, Compute};
use crate::error::{Error, Result};
use crate::provenance;
use crate::results::{compare, parts, store};
use crate::results::{EpochRecord, RunRecord};
use crate::seed::{Seeds, Source};
use crate::train::{DataView, RunOutcome};

/// How to run a study.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Parallel runs (each single-threaded).
    pub jobs: usize,
    /// Results root; the study writes to `<root>/<study>/`.
    pub results: PathBuf,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Train only this shard's runs, each into its own write-once part file.
    pub shard: Option<Shard>,
    /// The device every run trains on.
    pub device: Compute,
}

/// What a study invocation did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    /// Runs trained and recorded now.
    pub ran: usize,
    /// Runs already recorded and skipped.
    pub skipped: usize,
    /// Runs that failed with an error (cell label, seed, message); diverged runs are not failures.
    pub failed: Vec<(String, u64, String)>,
    /// Whether Ctrl-C stopped the study early.
    pub interrupted: bool,
    /// Tuning runs trained and recorded now (a tuned study).
    pub tuning_ran: usize,
    /// Tuning runs found recorded (reused, not trained again).
    pub tuning_reused: usize,
    /// Runs (tuning and evaluation) taken over now from the study named by `reuse`.
    pub taken_over: usize,
}

/// The directory a study's results live in.
pub fn study_dir(results: &Path, study: &Study) -> PathBuf {
    results.join(&study.name)
}

/// Checks that recorded runs belong to this study as now defined and to these datasets; says
/// what changed otherwise.
pub fn check_compatible(
    study: &Study,
    runs: &[RunRecord],
    data: &Datasets,
    dir: &Path,
) -> Result<()> {
    check_configs(study, runs, dir)?;
    check_dataset(runs, data, dir)
}

/// Checks that each of `runs` was made on the data now loaded under its dataset's name.
fn check_dataset(runs: &[RunRecord], data: &Datasets, dir: &Path) -> Result<()> {
    for run in runs {
        let found = data.recorded(&run.dataset).map(|d| d.fingerprint.as_str());
        if found != Some(run.dataset_sha256.as_str()) {
            return Err(Error::ResultsMismatch {
                message: format!(
                    "{} holds runs made on dataset {} ({}), but the data found now has \
                     fingerprint {}; pass --results to write elsewhere.",
                    dir.display(),
                    run.dataset,
                    run.dataset_sha256,
                    found.unwrap_or("(none: that dataset is not loaded)")
                ),
            });
        }
    }
    Ok(())
}

/// Checks that the recorded runs were made on the kind of device these runs will train on: CPU
/// and GPU runs differ in their last bits, so one table holds one kind (like `--quick`).
pub fn check_device(runs: &[RunRecord], device: &Compute, dir: &Path) -> Result<()> {
    let now = device.label();
    match runs.iter().find(|r| kind_of(&r.device) != kind_of(&now)) {
        None => Ok(()),
        Some(run) => Err(Error::ResultsMismatch {
            message: format!(
                "{} holds runs made on {}, but these would train on {now}; pass the same \
                 --device as when they were made, --results to write elsewhere, or \
                 --new-results to move them aside.",
                dir.display(),
                run.device
            ),
        }),
    }
}

/// Checks that every recorded run is of a cell of the study as now defined, with the seeds its
/// streams would have now (`seed_axes`); names what changed. Seeds are compared, not how a
/// record writes them: run 0 of a study with `seed_axes` is the plain run with seed 0.
pub fn check_configs(study: &Study, runs: &[RunRecord], dir: &Path) -> Result<()> {
    let cells: Vec<&Cell> = study.cells.iter().collect();
    check_cells(study, &cells, runs, dir, "runs")?;
    let seeded_otherwise = |run: &RunRecord| {
        let now = study.run_seeds(run.seed);
        Source::ALL
            .iter()
            .any(|&s| run.stream_seed(s.name()) != now.of(s))
    };
    if let Some(run) = runs.iter().find(|r| seeded_otherwise(r)) {
        let show = |streams: &[(String, u64)]| {
            if streams.is_empty() {
                format!("every stream seeded {}", run.seed)
            } else {
                streams
                    .iter()
                    .map(|(n, s)| format!("{n} {s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        return Err(Error::ResultsMismatch {
            message: format!(
                "{} holds run {} seed {} with its streams seeded otherwise ({}) than study '{}' \
                 seeds them now ({}): its seed_axes changed. Keep them apart: pass --results to \
                 write elsewhere, or --new-results to move them aside.",
                dir.display(),
                run.cell_label,
                run.seed,
                show(&run.seed_streams),
                study.name,
                show(&study.seed_streams(run.seed))
            ),
        });
    }
    Ok(())
}

/// Checks that every recorded tuning run is of a candidate of the study's tuning as now
/// defined; names what changed.
pub fn check_tuning_configs(study: &Study, runs: &[RunRecord], dir: &Path) -> Result<()> {
    let Some(tuning) = &study.tuning else {
        return Ok(());
    };
    let cells: Vec<&Cell> = tuning.cells().collect();
    check_cells(study, &cells, runs, dir, "tuning runs")
}

/// Checks that every run of `runs` is of one of `cells`; the error names what changed.
fn check_cells(
    study: &Study,
    cells: &[&Cell],
    runs: &[RunRecord],
    dir: &Path,
    what: &str,
) -> Result<()> {
    let version = study.numerics().get();
    if let Some(run) = runs.iter().find(|r| r.numerics != version) {
        return Err(Error::ResultsMismatch {
            message: format!(
                "{} holds {what} of numerics version {} ({} seed {}), but the study resolves to \
                 version {version}: results of different versions never mix. Pass \
                 --numerics {} to work with those results, or --results to keep version \
                 {version}'s elsewhere.",
                dir.display(),
                run.numerics,
                run.cell_label,
                run.seed,
                run.numerics,
            ),
        });
    }
    let ids: HashSet<&str> = cells.iter().map(|c| c.id.as_str()).collect();
    let Some(run) = runs.iter().find(|r| !ids.contains(r.cell_id.as_str())) else {
        return Ok(());
    };
    let now = cells
        .iter()
        .find(|c| c.label == run.cell_label)
        .map(|c| describe_change(&run.config_json, &c.config_json))
        .unwrap_or_else(|| format!("cell '{}' is not in the study any more", run.cell_label));
    Err(Error::ResultsMismatch {
        message: format!(
            "{} holds {what} of study '{}' recorded under a different configuration \
             ({now}). Keep them apart: pass --results to write elsewhere (or the same \
             --quick/--seeds/--epochs as when they were made), or --new-results to move \
             them aside and start a new result set.",
            dir.display(),
            study.name,
        ),
    })
}

/// "cell X: epochs 3 → 20, train_subset 5000 → (none)" from two canonical configs.
fn describe_change(old: &str, new: &str) -> String {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or_default();
    let (old, new) = (parse(old), parse(new));
    let mut changes = Vec::new();
    diff("", &old, &new, &mut changes);
    if changes.is_empty() {
        "the cell's config differs".into()
    } else {
        changes.join(", ")
    }
}

fn diff(prefix: &str, old: &serde_json::Value, new: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                diff(
                    &path,
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (a, b) if a != b => {
            let show = |v: &Value| {
                if v.is_null() {
                    "(none)".to_string()
                } else {
                    v.to_string()
                }
            };
            out.push(format!("{prefix} {} → {}", show(a), show(b)));
        }
        _ => {}
    }
}

/// Moves a study's results directory aside to `<dir>.replaced-<UTC time>` so a new result set
/// can start; returns the new name, or `None` when there was nothing to move.
pub fn set_aside(dir: &Path) -> Result<Option<PathBuf>> {
    if !dir.exists() {
        return Ok(None);
    }
    let _lock = Lock::acquire(dir)?;
    let stamp = provenance::now_rfc3339().replace(':', "");
    let mut name = dir.as_os_str().to_owned();
    name.push(format!(".replaced-{stamp}"));
    let target = PathBuf::from(name);
    std::fs::rename(dir, &target).map_err(|e| Error::io("renaming", dir, e))?;
    // The lock went with the directory; remove it there.
    let _ = std::fs::remove_file(target.join(".lock"));
    Ok(Some(target))
}

/// The study's run list, (cell index, seed), seed-major: after k seeds' worth of runs every cell
/// has k seeds to compare. Shards split this list (run k → shard k mod N).
pub fn run_list(study: &Study) -> Vec<(usize, u64)> {
    study
        .seeds
        .iter()
        .flat_map(|&seed| (0..study.cells.len()).map(move |cell| (cell, seed)))
        .collect()
}

/// The recorded tuning runs of a tuned study under `dir` (none for an untuned one).
pub fn tuning_runs(study: &Study, dir: &Path) -> Result<Vec<RunRecord>> {
    if study.tuning.is_none() {
        return Ok(Vec::new());
    }
    Ok(store::load_tables(dir, store::TUNING)?.0)
}

/// The study as evaluated from the tuning recorded under `dir` ([`Study::evaluated`]); an
/// error saying what is left when a tuned study's tuning is not done.
pub fn evaluated_study(study: &Study, dir: &Path) -> Result<Study> {
    let runs = tuning_runs(study, dir)?;
    study
        .evaluated(&runs)
        .map_err(|u| undecided(study, dir, &u))
}

/// The error of a tuned study whose tuning under `dir` is not done.
fn undecided(study: &Study, dir: &Path, u: &Undecided) -> Error {
    Error::ResultsMismatch {
        message: format!(
            "study '{}' tunes its arms before its evaluation runs, and {} of its {} arms still \
             need tuning runs ({} for their next stage) in {}; run `trainbench study {}` (on \
             one machine: a tuning goes stage by stage) to finish the tuning",
            study.name,
            u.arms,
            study.cells.len(),
            u.runs,
            dir.display(),
            study.name
        ),
    }
}

/// Runs every run of `study` not yet recorded under `opts.results` (of `opts.shard` when set):
/// a tuned study's tuning first, stage by stage (into `tuning.parquet`), then the evaluation
/// runs of each arm's chosen setting. `stop` is set by Ctrl-C.
/// `data` is the data of every dataset the study's cells name ([`Datasets`]; a plain
/// `&FashionMnist` for a study on the default dataset).
pub fn run_study<'a>(
    study: &Study,
    data: impl Into<Datasets<'a>>,
    opts: &RunnerOptions,
    stop: &AtomicBool,
) -> Result<RunSummary> {
    let datasets = data.into();
    let data = &datasets;
    let dir = study_dir(&opts.results, study);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    // A shard writes only its own write-once part files, so shards need no lock; a whole-study
    // run first folds any parts into the tables, under the lock.
    let _lock = match opts.shard {
        Some(_) => None,
        None => {
            let lock = Lock::acquire(&dir)?;
            sweep_leftovers(&dir)?;
            Some(lock)
        }
    };
    let mut summary = RunSummary::default();
    let evaluation = match &study.tuning {
        Some(_) if opts.shard.is_some() => evaluated_study(study, &dir)?,
        Some(_) => {
            let runs = tune_arms(study, data, opts, stop, &dir, &mut summary)?;
            if summary.interrupted || !summary.failed.is_empty() {
                return Ok(summary);
            }
            study
                .evaluated(&runs)
                .map_err(|u| undecided(study, &dir, &u))?
        }
        None => study.clone(),
    };
    evaluate(&evaluation, data, opts, stop, &dir, &mut summary)?;
    Ok(summary)
}

/// Runs only a tuned study's tuning under `opts.results` (stage by stage, as [`run_study`] does
/// first), so that shards can then train the evaluation runs of the chosen settings: a tuning's
/// stages depend on each other, so it runs on one machine. An untuned study has nothing to tune.
pub fn tune_only<'a>(
    study: &Study,
    data: impl Into<Datasets<'a>>,
    opts: &RunnerOptions,
    stop: &AtomicBool,
) -> Result<RunSummary> {
    let datasets = data.into();
    let dir = study_dir(&opts.results, study);
    let mut summary = RunSummary::default();
    if study.tuning.is_none() {
        return Ok(summary);
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    let _lock = Lock::acquire(&dir)?;
    sweep_leftovers(&dir)?;
    tune_arms(study, &datasets, opts, stop, &dir, &mut summary)?;
    Ok(summary)
}

/// Trains a tuned study's missing tuning runs, stage by stage over every arm, recording each in
/// `tuning.parquet` at once; returns the recorded tuning runs (all of them, unless a run failed
/// or Ctrl-C stopped it, which `summary` says).
fn tune_arms(
    study: &Study,
    data: &Datasets,
    opts: &RunnerOptions,
    stop: &AtomicBool,
    dir: &Path,
    summary: &mut RunSummary,
) -> Result<Vec<RunRecord>> {
    let tuning = study.tuning.as_ref().expect("a tuned study");
    let (mut runs, mut epochs) = store::load_tables(dir, store::TUNING)?;
    let ids: HashSet<&str> = tuning.cells().map(|cell| cell.id.as_str()).collect();
    let taken = reuse::take(
        study,
        &opts.results,
        store::TUNING,
        &ids,
        &mut runs,
        &mut epochs,
    )?;
    if taken.runs + taken.relabelled > 0 {
        store::save_tables(dir, store::TUNING, &runs, &epochs)?;
        summary.taken_over += taken.runs;
    }
    check_tuning_configs(study, &runs, dir)?;
    check_dataset(&runs, data, dir)?;
    check_device(&runs, &opts.device, dir)?;
    summary.tuning_reused = runs.len();
    loop {
        let mut todo: Vec<Planned> = Vec::new();
        let mut stage = 0;
        for arm in &tuning.arms {
            for (c, k, seed) in choice::decide(tuning, arm, &runs).missing {
                stage = stage.max(k + 1);
                todo.push(Planned {
                    cell: &arm.candidates[c].cells[k],
                    seed,
                    seeds: Seeds::all(seed),
                    seed_streams: Vec::new(),
                });
            }
        }
        if todo.is_empty() {
            return Ok(runs);
        }
        if opts.progress {
            eprintln!(
                "tuning {}: stage {stage} of {}, {} runs",
                study.name,
                tuning.stages.len(),
                todo.len()
            );
        }
        let sink = Sink::Tables {
            dir,
            tables: store::TUNING,
            runs: &mut runs,
            epochs: &mut epochs,
        };
        let trained = train_all(&study.name, &todo, data, opts, stop, sink)?;
        summary.tuning_ran += trained.ran;
        summary.failed.extend(trained.failed);
        summary.interrupted |= trained.interrupted;
        if summary.interrupted || !summary.failed.is_empty() {
            return Ok(runs);
        }
    }
}

/// Trains the evaluation runs of `study` (its cells as evaluated) not yet recorded.
fn evaluate(
    study: &Study,
    data: &Datasets,
    opts: &RunnerOptions,
    stop: &AtomicBool,
    dir: &Path,
    summary: &mut RunSummary,
) -> Result<()> {
    let (mut runs, mut epochs) = store::load(dir)?;
    let mut recorded_runs = runs.clone();
    if opts.shard.is_some() {
        for (_, part_runs, _) in parts::load(dir)? {
            recorded_runs.extend(part_runs);
        }
    } else {
        if absorb_parts(dir, &mut runs, &mut epochs)?.0 > 0 {
            store::save(dir, &runs, &epochs)?;
            parts::remove_all(dir)?;
        }
        let ids: HashSet<&str> = study.cells.iter().map(|c| c.id.as_str()).collect();
        let taken = reuse::take(
            study,
            &opts.results,
            store::EVALUATION,
            &ids,
            &mut runs,
            &mut epochs,
        )?;
        if taken.runs + taken.relabelled > 0 {
            store::save(dir, &runs, &epochs)?;
            summary.taken_over += taken.runs;
        }
        recorded_runs = runs.clone();
    }
    check_compatible(study, &recorded_runs, data, dir)?;
    check_device(&recorded_runs, &opts.device, dir)?;

    let recorded: HashSet<(&str, u64)> = recorded_runs
        .iter()
        .map(|r| (r.cell_id.as_str(), r.seed))
        .collect();
    let mut todo = Vec::new();
    for (k, (cell, seed)) in run_list(study).into_iter().enumerate() {
        if opts.shard.is_some_and(|s| !s.owns(k)) {
            continue;
        }
        if recorded.contains(&(study.cells[cell].id.as_str(), seed)) {
            summary.skipped += 1;
        } else {
            todo.push(Planned {
                cell: &study.cells[cell],
                seed,
                seeds: study.run_seeds(seed),
                seed_streams: study.seed_streams(seed),
            });
        }
    }
    let sink = match opts.shard {
        Some(_) => Sink::Parts { dir },
        None => Sink::Tables {
            dir,
            tables: store::EVALUATION,
            runs: &mut runs,
            epochs: &mut epochs,
        },
    };
    let trained = train_all(&study.name, &todo, data, opts, stop, sink)?;
    summary.ran += trained.ran;
    summary.failed.extend(trained.failed);
    summary.interrupted |= trained.interrupted;
    Ok(())
}

/// One run to train: its cell, its seed and the seeds of its streams.
struct Planned<'a> {
    cell: &'a Cell,
    seed: u64,
    seeds: Seeds,
    /// What its record holds of `seeds` (empty: every stream follows `seed`).
    seed_streams: Vec<(String, u64)>,
}

/// Where finished runs are recorded.
enum Sink<'a> {
    /// The pair of tables `tables` in `dir`, held here and rewritten after every run.
    Tables {
        dir: &'a Path,
        tables: store::Tables,
        runs: &'a mut Vec<RunRecord>,
        epochs: &'a mut Vec<EpochRecord>,
    },
    /// A shard's write-once part files under `dir`.
    Parts { dir: &'a Path },
}

/// What [`train_all`] did.
#[derive(Debug, Default)]
struct Trained {
    ran: usize,
    failed: Vec<(String, u64, String)>,
    interrupted: bool,
}

/// Trains `todo` on `opts.jobs` workers, recording each finished run in `sink` at once, so a
/// crash or Ctrl-C loses only the runs in flight.
fn train_all(
    study: &str,
    todo: &[Planned],
    data: &Datasets,
    opts: &RunnerOptions,
    stop: &AtomicBool,
    mut sink: Sink,
) -> Result<Trained> {
    let mut trained = Trained::default();
    if todo.is_empty() {
        return Ok(trained);
    }
    let total = todo.len();
    let log_lines = opts.progress && !std::io::stderr().is_terminal();
    let bar = if opts.progress && !log_lines {
        ProgressBar::new(total as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs, ETA {eta} | {msg}",
        )
        .expect("valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(250));

    let commit = provenance::git_commit();
    // Each run on its own dataset's data; every dataset was loaded once, before.
    let run_data: Vec<&FashionMnist> = todo
        .iter()
        .map(|p| data.get(&p.cell.config.dataset))
        .collect::<Result<_>>()?;
    let tasks: Vec<Task> = todo
        .iter()
        .zip(&run_data)
        .map(|(p, data)| Task {
            config: &p.cell.config,
            seeds: p.seeds,
            data: DataView {
                train: &data.train,
                val: &data.val,
                test: &data.test,
            },
        })
        .collect();
    let mut in_flight: Vec<Option<String>> = vec![None; opts.jobs.max(1)];
    let workers = Workers {
        jobs: opts.jobs,
        device: opts.device.clone(),
    };
    run_parallel(&tasks, &workers, stop, |event| {
        match event {
            Event::Epoch {
                worker,
                task,
                epoch,
            } => {
                let planned = &todo[task];
                in_flight[worker] = Some(format!(
                    "{} s{} ep {epoch}/{}",
                    planned.cell.label, planned.seed, planned.cell.config.epochs
                ));
                bar.set_message(
                    in_flight
                        .iter()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; "),
                );
            }
            Event::Done {
                worker,
                task,
                started_at,
                result,
            } => {
                in_flight[worker] = None;
                let planned = &todo[task];
                let (cell, seed) = (planned.cell, planned.seed);
                let label = &cell.label;
                match result {
                    Ok(outcome) => {
                        let meta = RunMeta {
                            study,
                            cell_id: &cell.id,
                            cell_label: label,
                            axes: &cell.axes,
                            tuned: &cell.tuned,
                            config_json: &cell.config_json,
                            seed,
                            seed_streams: &planned.seed_streams,
                            dataset: dataset_name(run_data[task]),
                            dataset_sha256: &run_data[task].fingerprint,
                            commit: &commit,
                            started_at,
                            device: opts.device.label(),
                        };
                        let (run, run_epochs) = records(&meta, &outcome);
                        // Written at once: nothing finished is ever held only in memory.
                        match &mut sink {
                            Sink::Parts { dir } => {
                                parts::save(dir, &run, &run_epochs)?;
                            }
                            Sink::Tables {
                                dir,
                                tables,
                                runs,
                                epochs,
                            } => {
                                runs.push(run);
                                epochs.extend(run_epochs);
                                store::save_tables(dir, *tables, runs, epochs)?;
                            }
                        }
                        trained.ran += 1;
                        bar.inc(1);
                        if log_lines {
                            // No terminal to draw a bar on (a CI log, nohup): one line a run.
                            let tuned: Vec<String> = cell
                                .tuned
                                .iter()
                                .map(|(k, v)| format!(" {k}={v:.4e}"))
                                .collect();
                            eprintln!(
                                "[{}/{total}] {label}{} seed {seed}: test acc {:.4}{} ({:.0} s)",
                                trained.ran + trained.failed.len(),
                                tuned.join(""),
                                outcome.test_acc,
                                outcome
                                    .diverged_step
                                    .map_or(String::new(), |s| format!(", diverged at step {s}")),
                                outcome.wall_seconds
                            );
                        }
                    }
                    Err(Error::Interrupted) => trained.interrupted = true,
                    Err(e) => {
                        bar.println(format!("run {label} seed {seed} failed: {e}"));
                        trained.failed.push((label.clone(), seed, e.to_string()));
                        bar.inc(1);
                    }
                }
            }
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    trained.interrupted |= stop.load(Ordering::Relaxed);
    Ok(trained)
}

/// Folds the parts under `dir` into `runs`/`epochs`: a part whose run is already there is an
/// exact duplicate (dropped) or a conflict (an error naming both). Returns (parts added,
/// duplicates dropped). The caller saves the tables and then removes the parts.
pub fn absorb_parts(
    dir: &Path,
    runs: &mut Vec<RunRecord>,
    epochs: &mut Vec<EpochRecord>,
) -> Result<(usize, usize)> {
    let (mut added, mut duplicates) = (0, 0);
    for (path, part_runs, part_epochs) in parts::load(dir)? {
        for run in part_runs {
            let rows: Vec<EpochRecord> = part_epochs
                .iter()
                .filter(|e| e.cell_id == run.cell_id && e.seed == run.seed)
                .cloned()
                .collect();
            match runs
                .iter()
                .find(|r| r.cell_id == run.cell_id && r.seed == run.seed)
            {
                Some(existing) => {
                    let have: Vec<EpochRecord> = epochs
                        .iter()
                        .filter(|e| e.cell_id == run.cell_id && e.seed == run.seed)
                        .cloned()
                        .collect();
                    let differences = compare::run_differences(existing, &have, &run, &rows);
                    if !differences.is_empty() {
                        return Err(Error::ResultsMismatch {
                            message: format!(
                                "{} holds run {} seed {} recorded twice with different numbers \
                                 ({}); the code or the machine changed between them. Delete the \
                                 copy you do not trust and merge again.",
                                path.display(),
                                run.cell_label,
                                run.seed,
                                differences.join("; ")
                            ),
                        });
                    }
                    duplicates += 1;
                }
                None => {
                    runs.push(run);
                    epochs.extend(rows);
                    added += 1;
                }
            }
        }
    }
    Ok((added, duplicates))
}

/// Who a finished run is: everything its records carry besides the outcome.
pub struct RunMeta<'a> {
    /// Study name.
    pub study: &'a str,
    /// Cell id.
    pub cell_id: &'a str,
    /// Cell label.
    pub cell_label: &'a str,
    /// The cell's axis values.
    pub axes: &'a [(String, String)],
    /// The cell's tuned values (empty in an untuned study).
    pub tuned: &'a [(String, f64)],
    /// The cell's canonical config.
    pub config_json: &'a str,
    /// The seed.
    pub seed: u64,
    /// The seeds of the run's sources when the study varies them apart (else empty).
    pub seed_streams: &'a [(String, u64)],
    /// Dataset name.
    pub dataset: &'a str,
    /// Dataset fingerprint.
    pub dataset_sha256: &'a str,
    /// The code's commit.
    pub commit: &'a str,
    /// When the run started.
    pub started_at: String,
    /// The device it trained on ([`Compute::label`]).
    pub device: String,
}

/// The two tables' rows for one finished run.
pub fn records(meta: &RunMeta, outcome: &RunOutcome) -> (RunRecord, Vec<EpochRecord>) {
    let last = outcome.epochs.last();
    let best = outcome
        .epochs
        .iter()
        .filter(|e| e.val_loss.is_finite())
        .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss));
    let best_val_acc = outcome
        .epochs
        .iter()
        .map(|e| e.val_acc)
        .filter(|a| a.is_finite())
        .fold(f64::NAN, f64::max);
    let seed = meta.seed;
    let run = RunRecord {
        study: meta.study.to_string(),
        cell_id: meta.cell_id.to_string(),
        cell_label: meta.cell_label.to_string(),
        axes: meta.axes.to_vec(),
        seed,
        seed_streams: meta.seed_streams.to_vec(),
        tuned: meta.tuned.to_vec(),
        config_json: meta.config_json.to_string(),
        dataset: meta.dataset.to_string(),
        dataset_sha256: meta.dataset_sha256.to_string(),
        epochs_run: outcome.epochs.len() as u32,
        best_epoch: best.map_or(0, |e| e.epoch),
        final_train_loss: last.map_or(f64::NAN, |e| e.train_loss),
        final_train_acc: last.map_or(f64::NAN, |e| e.train_acc),
        final_val_loss: last.map_or(f64::NAN, |e| e.val_loss),
        final_val_acc: last.map_or(f64::NAN, |e| e.val_acc),
        best_val_loss: best.map_or(f64::NAN, |e| e.val_loss),
        best_val_acc,
        test_loss: outcome.test_loss,
        test_acc: outcome.test_acc,
        diverged: outcome.diverged_step.is_some(),
        diverged_step: outcome.diverged_step,
        wall_seconds: outcome.wall_seconds,
        samples_per_sec: outcome.samples_per_sec,
        trainbench_version: provenance::VERSION.into(),
        git_commit: meta.commit.into(),
        dfdx_version: provenance::DFDX_VERSION.into(),
        device: meta.device.clone(),
        started_at: meta.started_at.clone(),
        numerics: outcome.numerics,
        cpu_path: outcome.cpu_path.into(),
        extra: outcome.extra.clone(),
    };
    let epochs = outcome
        .epochs
        .iter()
        .map(|e| EpochRecord {
            study: meta.study.to_string(),
            cell_id: meta.cell_id.to_string(),
            seed,
            epoch: e.epoch,
            train_loss: e.train_loss,
            train_acc: e.train_acc,
            val_loss: e.val_loss,
            val_acc: e.val_acc,
            learning_rate: e.learning_rate,
            wall_seconds: e.wall_seconds,
            extra: e.extra.clone(),
        })
        .collect();
    (run, epochs)
}

/// The dataset's name as recorded.
pub fn dataset_name(data: &FashionMnist) -> &'static str {
    data.dataset
}

/// Removes what writers killed mid-write left in the study directory `dir`: their temporary
/// files and part directories; returns them. Only under the lock (see [`parts::sweep`]).
pub(crate) fn sweep_leftovers(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut swept = crate::atomic::sweep(dir)?;
    swept.extend(parts::sweep(dir)?);
    Ok(swept)
}

/// A lock file that stops two processes writing the same study's results. It holds the owner's
/// PID; a lock whose process is gone (killed) is taken over.
pub(crate) struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Takes the lock of the results directory `dir`.
    pub(crate) fn acquire(dir: &Path) -> Result<Lock> {
        let path = dir.join(".lock");
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    writeln!(f, "{}", std::process::id())
                        .map_err(|e| Error::io("writing", &path, e))?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let owner = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid = owner.trim();
                    let alive = !pid.is_empty() && Path::new(&format!("/proc/{pid}")).exists();
                    if alive && pid != std::process::id().to_string() {
                        return Err(Error::Results {
                            path: dir.to_path_buf(),
                            message: format!(
                                "another trainbench (pid {pid}) is writing these results; wait for it or stop it"
                            ),
                        });
                    }
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => return Err(Error::io("creating", &path, e)),
            }
        }
        Err(Error::Results {
            path: dir.to_path_buf(),
            message: "could not take the results lock".into(),
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::{spec, Overrides};

    fn study(seed_axes: &str) -> Study {
        let text = format!(
            "description = \"d\"\nseeds = 2\n{seed_axes}\n[base]\nepochs = 1\n\
             optimizer = \"sgd\"\nmodel = {{ hidden = [4] }}\n"
        );
        spec::parse(Path::new("s.toml"), &text, Overrides::default()).unwrap()
    }

    #[test]
    fn recorded_runs_must_have_the_seed_streams_the_study_gives_them_now() {
        let crossed = study("seed_axes = [\"init\", \"order\"]");
        let mut runs = Vec::new();
        for seed in crossed.seeds.clone() {
            let mut run = crate::results::store::tests::run(seed, false);
            run.cell_id = crossed.cells[0].id.clone();
            run.seed_streams = crossed.seed_streams(seed);
            // The study resolves to the default numerics version; so were its runs recorded.
            run.numerics = crossed.cells[0].config.numerics.get();
            runs.push(run);
        }
        let dir = Path::new("results/s");
        check_configs(&crossed, &runs, dir).unwrap();
        let e = check_configs(&study("seed_axes = [\"order\", \"init\"]"), &runs, dir)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("seed 1 with its streams seeded otherwise"),
            "{e}"
        );
        // Plain runs in a study that now crosses its sources (and back) are refused too.
        let e = check_configs(&study(""), &runs, dir)
            .unwrap_err()
            .to_string();
        assert!(e.contains("every stream seeded 1"), "{e}");
        for run in &mut runs {
            run.seed_streams.clear();
        }
        check_configs(&study(""), &runs, dir).unwrap();
        assert!(check_configs(&crossed, &runs, dir).is_err());
        // Seeds are compared, not their spelling: the plain run 0 is run 0 of the crossed study.
        check_configs(&crossed, &runs[..1], dir).unwrap();
    }
}
