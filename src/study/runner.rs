//! Runs a study: every (cell, seed) not yet recorded, in parallel across `jobs` worker threads,
//! each run single-threaded so its numbers do not depend on `jobs`. One writer (the calling
//! thread) records each finished run at once, atomically, so a crash or Ctrl-C loses only the
//! runs in flight; a second invocation skips what is recorded.

use std::collections::{HashSet, VecDeque};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

use dfdx::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

use super::spec::Study;
use crate::data::FashionMnist;
use crate::error::{Error, Result};
use crate::provenance;
use crate::results::store;
use crate::results::{EpochRecord, RunRecord};
use crate::train::{train_run, DataView, EpochMetrics, RunOutcome};

/// How to run a study.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Parallel runs (each single-threaded).
    pub jobs: usize,
    /// Results root; the study writes to `<root>/<study>/`.
    pub results: PathBuf,
    /// Draw a progress bar on stderr.
    pub progress: bool,
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
}

/// The directory a study's results live in.
pub fn study_dir(results: &Path, study: &Study) -> PathBuf {
    results.join(&study.name)
}

/// A message from a worker to the writer.
enum Event {
    Epoch {
        worker: usize,
        cell: usize,
        seed: u64,
        epoch: u32,
    },
    Done {
        worker: usize,
        cell: usize,
        seed: u64,
        started_at: String,
        result: Result<RunOutcome>,
    },
}

/// Checks that recorded runs belong to this study as now defined and to this dataset; says what
/// changed otherwise.
pub fn check_compatible(
    study: &Study,
    runs: &[RunRecord],
    fingerprint: &str,
    dir: &Path,
) -> Result<()> {
    let ids: HashSet<&str> = study.cells.iter().map(|c| c.id.as_str()).collect();
    for run in runs {
        if !ids.contains(run.cell_id.as_str()) {
            let now = study
                .cells
                .iter()
                .find(|c| c.label == run.cell_label)
                .map(|c| describe_change(&run.config_json, &c.config_json))
                .unwrap_or_else(|| {
                    format!("cell '{}' is not in the study any more", run.cell_label)
                });
            return Err(Error::ResultsMismatch {
                message: format!(
                    "{} holds runs of study '{}' recorded under a different configuration \
                     ({now}). Keep them apart: pass --results to write elsewhere, or delete {} \
                     to start a new result set.",
                    dir.display(),
                    study.name,
                    dir.display()
                ),
            });
        }
        if run.dataset_sha256 != fingerprint {
            return Err(Error::ResultsMismatch {
                message: format!(
                    "{} holds runs made on dataset {} ({}), but the data found now has \
                     fingerprint {fingerprint}; pass --results to write elsewhere.",
                    dir.display(),
                    run.dataset,
                    run.dataset_sha256
                ),
            });
        }
    }
    Ok(())
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

/// Runs every run of `study` not yet recorded under `opts.results`. `stop` is set by Ctrl-C.
pub fn run_study(
    study: &Study,
    data: &FashionMnist,
    opts: &RunnerOptions,
    stop: &AtomicBool,
) -> Result<RunSummary> {
    let dir = study_dir(&opts.results, study);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    let _lock = Lock::acquire(&dir)?;
    let (mut runs, mut epochs) = store::load(&dir)?;
    check_compatible(study, &runs, &data.fingerprint, &dir)?;

    let recorded: HashSet<(String, u64)> =
        runs.iter().map(|r| (r.cell_id.clone(), r.seed)).collect();
    // Seed-major order: after k seeds' worth of runs every cell has k seeds to compare.
    let mut todo = VecDeque::new();
    let mut summary = RunSummary::default();
    for &seed in &study.seeds {
        for (i, cell) in study.cells.iter().enumerate() {
            if recorded.contains(&(cell.id.clone(), seed)) {
                summary.skipped += 1;
            } else {
                todo.push_back((i, seed));
            }
        }
    }
    if todo.is_empty() {
        return Ok(summary);
    }

    let total = todo.len();
    let log_lines = opts.progress && !std::io::stderr().is_terminal();
    let bar = if opts.progress && !log_lines {
        ProgressBar::new(todo.len() as u64)
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

    let jobs = opts.jobs.max(1).min(todo.len());
    let queue = Mutex::new(todo);
    let commit = provenance::git_commit();
    let view = DataView {
        train: &data.train,
        val: &data.val,
        test: &data.test,
    };
    let mut in_flight: Vec<Option<String>> = vec![None; jobs];

    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = mpsc::channel::<Event>();
        for worker in 0..jobs {
            let tx = tx.clone();
            let queue = &queue;
            scope.spawn(move || {
                // A one-thread pool makes dfdx's matmuls single-threaded inside this run.
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .build()
                    .expect("a one-thread pool");
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Some((cell, seed)) = queue.lock().expect("queue lock").pop_front() else {
                        break;
                    };
                    let started_at = provenance::now_rfc3339();
                    let config = &study.cells[cell].config;
                    let result = pool.install(|| {
                        let dev = Cpu::seed_from_u64(seed);
                        let mut on_epoch = |m: &EpochMetrics| {
                            let _ = tx.send(Event::Epoch {
                                worker,
                                cell,
                                seed,
                                epoch: m.epoch,
                            });
                        };
                        train_run(&dev, config, view, seed, stop, &mut on_epoch)
                    });
                    let _ = tx.send(Event::Done {
                        worker,
                        cell,
                        seed,
                        started_at,
                        result,
                    });
                }
            });
        }
        drop(tx);
        for event in rx {
            match event {
                Event::Epoch {
                    worker,
                    cell,
                    seed,
                    epoch,
                } => {
                    let total = study.cells[cell].config.epochs;
                    in_flight[worker] = Some(format!(
                        "{} s{seed} ep {epoch}/{total}",
                        study.cells[cell].label
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
                    cell,
                    seed,
                    started_at,
                    result,
                } => {
                    in_flight[worker] = None;
                    let label = &study.cells[cell].label;
                    match result {
                        Ok(outcome) => {
                            let (run, run_epochs) =
                                records(study, cell, seed, &outcome, data, &commit, started_at);
                            runs.push(run);
                            epochs.extend(run_epochs);
                            // Written at once: nothing finished is ever held only in memory.
                            store::save(&dir, &runs, &epochs)?;
                            summary.ran += 1;
                            bar.inc(1);
                            if log_lines {
                                // No terminal to draw a bar on (a CI log, nohup): one line a run.
                                eprintln!(
                                    "[{}/{total}] {label} seed {seed}: test acc {:.4}{} ({:.0} s)",
                                    summary.ran + summary.failed.len(),
                                    outcome.test_acc,
                                    outcome.diverged_step.map_or(String::new(), |s| format!(
                                        ", diverged at step {s}"
                                    )),
                                    outcome.wall_seconds
                                );
                            }
                        }
                        Err(Error::Interrupted) => summary.interrupted = true,
                        Err(e) => {
                            bar.println(format!("run {label} seed {seed} failed: {e}"));
                            summary.failed.push((label.clone(), seed, e.to_string()));
                            bar.inc(1);
                        }
                    }
                }
            }
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    summary.interrupted |= stop.load(Ordering::Relaxed);
    Ok(summary)
}

/// The two tables' rows for one finished run.
fn records(
    study: &Study,
    cell: usize,
    seed: u64,
    outcome: &RunOutcome,
    data: &FashionMnist,
    commit: &str,
    started_at: String,
) -> (RunRecord, Vec<EpochRecord>) {
    let c = &study.cells[cell];
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
    let run = RunRecord {
        study: study.name.clone(),
        cell_id: c.id.clone(),
        cell_label: c.label.clone(),
        axes: c.axes.clone(),
        seed,
        config_json: c.config_json.clone(),
        dataset: dataset_name(data).to_string(),
        dataset_sha256: data.fingerprint.clone(),
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
        git_commit: commit.into(),
        dfdx_version: provenance::DFDX_VERSION.into(),
        device: "cpu".into(),
        started_at,
    };
    let epochs = outcome
        .epochs
        .iter()
        .map(|e| EpochRecord {
            study: study.name.clone(),
            cell_id: c.id.clone(),
            seed,
            epoch: e.epoch,
            train_loss: e.train_loss,
            train_acc: e.train_acc,
            val_loss: e.val_loss,
            val_acc: e.val_acc,
            learning_rate: e.learning_rate,
            wall_seconds: e.wall_seconds,
        })
        .collect();
    (run, epochs)
}

/// The dataset's name as recorded.
fn dataset_name(data: &FashionMnist) -> &'static str {
    if data.fingerprint.starts_with("synthetic") {
        "synthetic"
    } else {
        "fashion-mnist"
    }
}

/// A lock file that stops two processes writing the same study's results. It holds the owner's
/// PID; a lock whose process is gone (killed) is taken over.
struct Lock {
    path: PathBuf,
}

impl Lock {
    fn acquire(dir: &Path) -> Result<Lock> {
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
