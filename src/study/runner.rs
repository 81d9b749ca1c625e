//! Runs a study: every (cell, seed) not yet recorded, in parallel across `jobs` worker threads,
//! each run single-threaded so its numbers do not depend on `jobs`. One writer (the calling
//! thread) records each finished run at once, atomically, so a crash or Ctrl-C loses only the
//! runs in flight; a second invocation skips what is recorded.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use super::pool::{run_parallel, Event, Task};
use super::shard::Shard;
use super::spec::Study;
use crate::data::FashionMnist;
use crate::error::{Error, Result};
use crate::provenance;
use crate::results::{compare, parts, store};
use crate::results::{EpochRecord, RunRecord};
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

/// Checks that recorded runs belong to this study as now defined and to this dataset; says what
/// changed otherwise.
pub fn check_compatible(
    study: &Study,
    runs: &[RunRecord],
    fingerprint: &str,
    dir: &Path,
) -> Result<()> {
    check_configs(study, runs, dir)?;
    if let Some(run) = runs.iter().find(|r| r.dataset_sha256 != fingerprint) {
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
    Ok(())
}

/// Checks that every recorded run is of a cell of the study as now defined; names what changed.
pub fn check_configs(study: &Study, runs: &[RunRecord], dir: &Path) -> Result<()> {
    let version = study.numerics().get();
    if let Some(run) = runs.iter().find(|r| r.numerics != version) {
        return Err(Error::ResultsMismatch {
            message: format!(
                "{} holds runs of numerics version {} ({} seed {}), but the study resolves to \
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
    let ids: HashSet<&str> = study.cells.iter().map(|c| c.id.as_str()).collect();
    let Some(run) = runs.iter().find(|r| !ids.contains(r.cell_id.as_str())) else {
        return Ok(());
    };
    let now = study
        .cells
        .iter()
        .find(|c| c.label == run.cell_label)
        .map(|c| describe_change(&run.config_json, &c.config_json))
        .unwrap_or_else(|| format!("cell '{}' is not in the study any more", run.cell_label));
    Err(Error::ResultsMismatch {
        message: format!(
            "{} holds runs of study '{}' recorded under a different configuration \
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

/// Runs every run of `study` not yet recorded under `opts.results` (of `opts.shard` when set).
/// `stop` is set by Ctrl-C.
pub fn run_study(
    study: &Study,
    data: &FashionMnist,
    opts: &RunnerOptions,
    stop: &AtomicBool,
) -> Result<RunSummary> {
    let dir = study_dir(&opts.results, study);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    // A shard writes only its own write-once part files, so shards need no lock; a whole-study
    // run first folds any parts into the tables, under the lock.
    let _lock = match opts.shard {
        Some(_) => None,
        None => Some(Lock::acquire(&dir)?),
    };
    let (mut runs, mut epochs) = store::load(&dir)?;
    let mut recorded_runs = runs.clone();
    if opts.shard.is_some() {
        for (_, part_runs, _) in parts::load(&dir)? {
            recorded_runs.extend(part_runs);
        }
    } else if absorb_parts(&dir, &mut runs, &mut epochs)?.0 > 0 {
        store::save(&dir, &runs, &epochs)?;
        parts::remove_all(&dir)?;
        recorded_runs = runs.clone();
    }
    check_compatible(study, &recorded_runs, &data.fingerprint, &dir)?;

    let recorded: HashSet<(&str, u64)> = recorded_runs
        .iter()
        .map(|r| (r.cell_id.as_str(), r.seed))
        .collect();
    let mut summary = RunSummary::default();
    let mut todo = Vec::new();
    for (k, (cell, seed)) in run_list(study).into_iter().enumerate() {
        if opts.shard.is_some_and(|s| !s.owns(k)) {
            continue;
        }
        if recorded.contains(&(study.cells[cell].id.as_str(), seed)) {
            summary.skipped += 1;
        } else {
            todo.push((cell, seed));
        }
    }
    if todo.is_empty() {
        return Ok(summary);
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
    let view = DataView {
        train: &data.train,
        val: &data.val,
        test: &data.test,
    };
    let tasks: Vec<Task> = todo
        .iter()
        .map(|&(cell, seed)| Task {
            config: &study.cells[cell].config,
            seed,
        })
        .collect();
    let mut in_flight: Vec<Option<String>> = vec![None; opts.jobs.max(1)];
    run_parallel(&tasks, opts.jobs, view, stop, |event| {
        match event {
            Event::Epoch {
                worker,
                task,
                epoch,
            } => {
                let (cell, seed) = todo[task];
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
                task,
                started_at,
                result,
            } => {
                in_flight[worker] = None;
                let (cell, seed) = todo[task];
                let label = &study.cells[cell].label;
                match result {
                    Ok(outcome) => {
                        let meta = RunMeta {
                            study: &study.name,
                            cell_id: &study.cells[cell].id,
                            cell_label: label,
                            axes: &study.cells[cell].axes,
                            config_json: &study.cells[cell].config_json,
                            seed,
                            dataset: dataset_name(data),
                            dataset_sha256: &data.fingerprint,
                            commit: &commit,
                            started_at,
                        };
                        let (run, run_epochs) = records(&meta, &outcome);
                        // Written at once: nothing finished is ever held only in memory.
                        if opts.shard.is_some() {
                            parts::save(&dir, &run, &run_epochs)?;
                        } else {
                            runs.push(run);
                            epochs.extend(run_epochs);
                            store::save(&dir, &runs, &epochs)?;
                        }
                        summary.ran += 1;
                        bar.inc(1);
                        if log_lines {
                            // No terminal to draw a bar on (a CI log, nohup): one line a run.
                            eprintln!(
                                "[{}/{total}] {label} seed {seed}: test acc {:.4}{} ({:.0} s)",
                                summary.ran + summary.failed.len(),
                                outcome.test_acc,
                                outcome
                                    .diverged_step
                                    .map_or(String::new(), |s| format!(", diverged at step {s}")),
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
        Ok(())
    })?;
    bar.finish_and_clear();
    summary.interrupted |= stop.load(Ordering::Relaxed);
    Ok(summary)
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
    /// The cell's canonical config.
    pub config_json: &'a str,
    /// The seed.
    pub seed: u64,
    /// Dataset name.
    pub dataset: &'a str,
    /// Dataset fingerprint.
    pub dataset_sha256: &'a str,
    /// The code's commit.
    pub commit: &'a str,
    /// When the run started.
    pub started_at: String,
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
        device: "cpu".into(),
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
    if data.fingerprint.starts_with("synthetic") {
        "synthetic"
    } else {
        "fashion-mnist"
    }
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
