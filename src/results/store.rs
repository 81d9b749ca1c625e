//! The Parquet store of a study's results: `<dir>/runs.parquet` (one row per run) and
//! `<dir>/epochs.parquet` (one row per run and epoch), via polars. Each save rewrites both tables
//! atomically ([`crate::atomic`]: temp file, fsync, rename; epochs first), so a crash at any moment leaves the previous
//! complete pair or the new one, and a reader never sees half a file. A table damaged from
//! outside (truncated, not Parquet) is refused with a message naming `trainbench repair`
//! (`repair.rs`).

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::record::{EpochRecord, RunRecord, SCHEMA_VERSION};
use crate::error::{Error, Result};

/// Prefix of the per-axis columns of the runs table.
pub const AXIS_PREFIX: &str = "axis.";
/// Prefix of the extra-metric columns of the runs table.
pub const METRIC_PREFIX: &str = "metric.";
/// Prefix of the epochs table's per-epoch diagnostics columns.
pub const DIAG_PREFIX: &str = "diag.";
/// Prefix of the runs table's tuned-value columns.
pub const TUNED_PREFIX: &str = "tuned.";
/// Prefix of the runs table's per-source seed columns.
pub const SEED_PREFIX: &str = "seed.";

/// The file names of a pair of tables: the runs and their epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tables {
    /// The runs table's file name.
    pub runs: &'static str,
    /// The epochs table's file name.
    pub epochs: &'static str,
}

/// A study's evaluation runs: `runs.parquet` and `epochs.parquet`.
pub const EVALUATION: Tables = Tables {
    runs: "runs.parquet",
    epochs: "epochs.parquet",
};

/// A study's tuning runs (`[tune]`): `tuning.parquet` and `tuning_epochs.parquet`.
pub const TUNING: Tables = Tables {
    runs: "tuning.parquet",
    epochs: "tuning_epochs.parquet",
};

/// `<dir>/runs.parquet`.
pub fn runs_path(dir: &Path) -> PathBuf {
    dir.join(EVALUATION.runs)
}

/// `<dir>/epochs.parquet`.
pub fn epochs_path(dir: &Path) -> PathBuf {
    dir.join(EVALUATION.epochs)
}

fn err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Results {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Reads both evaluation tables from `dir`; missing files read as empty tables. Epoch rows of
/// runs that are not in the runs table (a crash between the two renames) are dropped.
pub fn load(dir: &Path) -> Result<(Vec<RunRecord>, Vec<EpochRecord>)> {
    load_tables(dir, EVALUATION)
}

/// Writes both evaluation tables to `dir` atomically (creating `dir`).
pub fn save(dir: &Path, runs: &[RunRecord], epochs: &[EpochRecord]) -> Result<()> {
    save_tables(dir, EVALUATION, runs, epochs)
}

/// Reads the pair of tables `tables` from `dir`, as [`load`] does. A damaged table (not
/// Parquet, truncated, a column missing or of the wrong type) is an error that says so and names
/// `trainbench repair`, which rebuilds what it can (`repair.rs`).
pub fn load_tables(dir: &Path, tables: Tables) -> Result<(Vec<RunRecord>, Vec<EpochRecord>)> {
    let runs_file = dir.join(tables.runs);
    let runs = read_runs(&runs_file)
        .map_err(|e| e.into_error(&runs_file))?
        .unwrap_or_default();
    let epochs_file = dir.join(tables.epochs);
    let mut epochs = read_epochs(&epochs_file)
        .map_err(|e| e.into_error(&epochs_file))?
        .unwrap_or_default();
    let recorded: std::collections::HashSet<(&str, u64)> =
        runs.iter().map(|r| (r.cell_id.as_str(), r.seed)).collect();
    epochs.retain(|e| recorded.contains(&(e.cell_id.as_str(), e.seed)));
    Ok((runs, epochs))
}

/// Why a table file could not be read.
#[derive(Debug)]
pub enum Unreadable {
    /// The file is damaged: not Parquet, truncated, or a column missing or of the wrong type.
    /// What can be rebuilt is rebuilt by `trainbench repair`.
    Damaged(String),
    /// Anything else (no permission, another schema version): not a matter for repair.
    Other(Error),
}

impl Unreadable {
    /// The error a command that needs the table stops with.
    pub fn into_error(self, path: &Path) -> Error {
        match self {
            Unreadable::Damaged(cause) => {
                err(path, format!("damaged ({cause}); {}", repair_hint(path)))
            }
            Unreadable::Other(e) => e,
        }
    }
}

/// "run `trainbench repair NAME`" for a table of the study directory `NAME` (or of one of its
/// parts), with `--results` when the results root is not the default.
fn repair_hint(path: &Path) -> String {
    let mut study_dir = path.parent().unwrap_or(Path::new(""));
    if study_dir.parent().and_then(Path::file_name) == Some("parts".as_ref()) {
        study_dir = study_dir
            .parent()
            .and_then(Path::parent)
            .unwrap_or(study_dir);
    }
    let name = study_dir
        .file_name()
        .map_or("NAME".into(), |n| n.to_string_lossy());
    let root = study_dir.parent().unwrap_or(Path::new(""));
    let results = if root == Path::new("results") {
        String::new()
    } else {
        format!(" --results {}", root.display())
    };
    format!(
        "run `trainbench repair {name}{results}` to move it aside and rebuild what the other \
         table and the run files still hold"
    )
}

/// The runs table at `path`: `None` when there is no such file.
pub fn read_runs(path: &Path) -> std::result::Result<Option<Vec<RunRecord>>, Unreadable> {
    read_table(path, runs_from_frame)
}

/// The epochs table at `path`: `None` when there is no such file.
pub fn read_epochs(path: &Path) -> std::result::Result<Option<Vec<EpochRecord>>, Unreadable> {
    read_table(path, epochs_from_frame)
}

fn read_table<T>(
    path: &Path,
    rows: fn(&DataFrame) -> PolarsResult<Vec<T>>,
) -> std::result::Result<Option<Vec<T>>, Unreadable> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Unreadable::Other(Error::io("opening", path, e))),
    };
    let frame = ParquetReader::new(file)
        .finish()
        .map_err(|e| Unreadable::Damaged(format!("not a readable Parquet table: {e}")))?;
    check_version(&frame).map_err(|e| Unreadable::Other(err(path, e)))?;
    rows(&frame)
        .map(Some)
        .map_err(|e| Unreadable::Damaged(format!("not a results table: {e}")))
}

/// Writes the pair of tables `tables` to `dir` atomically (creating `dir`), as [`save`] does.
pub fn save_tables(
    dir: &Path,
    tables: Tables,
    runs: &[RunRecord],
    epochs: &[EpochRecord],
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    let epochs_file = dir.join(tables.epochs);
    write_atomic(
        &epochs_file,
        &mut epochs_frame(epochs).map_err(|e| err(&epochs_file, e))?,
    )?;
    let runs_file = dir.join(tables.runs);
    write_atomic(
        &runs_file,
        &mut runs_frame(runs).map_err(|e| err(&runs_file, e))?,
    )
}

#[cfg(test)]
fn read(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).map_err(|e| Error::io("opening", path, e))?;
    ParquetReader::new(file).finish().map_err(|e| err(path, e))
}

fn write_atomic(path: &Path, frame: &mut DataFrame) -> Result<()> {
    crate::atomic::write_with(path, |file| {
        ParquetWriter::new(file)
            .finish(frame)
            .map(|_| ())
            .map_err(|e| err(path, e))
    })
}

fn col<T, P>(name: &str, values: T) -> Column
where
    Series: NamedFrom<T, P>,
    P: ?Sized,
{
    Column::new(name.into(), values)
}

fn runs_frame(runs: &[RunRecord]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&RunRecord) -> &str| runs.iter().map(f).collect::<Vec<_>>();
    let f = |f: fn(&RunRecord) -> f64| runs.iter().map(f).collect::<Vec<_>>();
    let mut columns = vec![
        col("schema_version", vec![SCHEMA_VERSION; runs.len()]),
        col("study", s(|r| &r.study)),
        col("cell_id", s(|r| &r.cell_id)),
        col("cell_label", s(|r| &r.cell_label)),
    ];
    let mut axis_names: Vec<&str> = Vec::new();
    for run in runs {
        for (name, _) in &run.axes {
            if !axis_names.contains(&name.as_str()) {
                axis_names.push(name);
            }
        }
    }
    for name in axis_names {
        let values: Vec<&str> = runs
            .iter()
            .map(|r| {
                r.axes
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or("", |(_, v)| v.as_str())
            })
            .collect();
        columns.push(col(&format!("{AXIS_PREFIX}{name}"), values));
    }
    columns.extend(named_columns(TUNED_PREFIX, runs, |r| &r.tuned));
    columns.push(col("seed", runs.iter().map(|r| r.seed).collect::<Vec<_>>()));
    columns.extend(seed_columns(runs));
    columns.extend([
        col("config_json", s(|r| &r.config_json)),
        col("dataset", s(|r| &r.dataset)),
        col("dataset_sha256", s(|r| &r.dataset_sha256)),
        col(
            "epochs_run",
            runs.iter().map(|r| r.epochs_run).collect::<Vec<_>>(),
        ),
        col(
            "best_epoch",
            runs.iter().map(|r| r.best_epoch).collect::<Vec<_>>(),
        ),
        col("final_train_loss", f(|r| r.final_train_loss)),
        col("final_train_acc", f(|r| r.final_train_acc)),
        col("final_val_loss", f(|r| r.final_val_loss)),
        col("final_val_acc", f(|r| r.final_val_acc)),
        col("best_val_loss", f(|r| r.best_val_loss)),
        col("best_val_acc", f(|r| r.best_val_acc)),
        col("test_loss", f(|r| r.test_loss)),
        col("test_acc", f(|r| r.test_acc)),
        col(
            "diverged",
            runs.iter().map(|r| r.diverged).collect::<Vec<_>>(),
        ),
        col(
            "diverged_step",
            runs.iter().map(|r| r.diverged_step).collect::<Vec<_>>(),
        ),
        col("wall_seconds", f(|r| r.wall_seconds)),
        col("samples_per_sec", f(|r| r.samples_per_sec)),
        col("trainbench_version", s(|r| &r.trainbench_version)),
        col("git_commit", s(|r| &r.git_commit)),
        col("dfdx_version", s(|r| &r.dfdx_version)),
        col("device", s(|r| &r.device)),
        col("started_at", s(|r| &r.started_at)),
        col(
            "numerics",
            runs.iter().map(|r| r.numerics).collect::<Vec<_>>(),
        ),
        col("cpu_path", s(|r| &r.cpu_path)),
    ]);
    columns.extend(named_columns(METRIC_PREFIX, runs, |r| &r.extra));
    DataFrame::new(runs.len(), columns)
}

/// One float column `<prefix><name>` per name any row has, NaN where a row has none.
fn named_columns<R>(prefix: &str, rows: &[R], extra: fn(&R) -> &[(String, f64)]) -> Vec<Column> {
    let mut names: Vec<&str> = Vec::new();
    for row in rows {
        for (name, _) in extra(row) {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let values: Vec<f64> = rows
                .iter()
                .map(|r| {
                    extra(r)
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or(f64::NAN, |(_, v)| *v)
                })
                .collect();
            col(&format!("{prefix}{name}"), values)
        })
        .collect()
}

/// One u64 column `seed.<source>` per source any run seeds apart, null where a run has none.
fn seed_columns(runs: &[RunRecord]) -> Vec<Column> {
    let mut names: Vec<&str> = Vec::new();
    for run in runs {
        for (name, _) in &run.seed_streams {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let values: Vec<Option<u64>> = runs
                .iter()
                .map(|r| {
                    r.seed_streams
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, s)| *s)
                })
                .collect();
            col(&format!("{SEED_PREFIX}{name}"), values)
        })
        .collect()
}

/// Row `i` of named float columns, without the NaNs that mark a value the row does not have.
fn named_row(columns: &[(String, Vec<f64>)], i: usize) -> Vec<(String, f64)> {
    columns
        .iter()
        .filter(|(_, values)| !values[i].is_nan())
        .map(|(name, values)| (name.clone(), values[i]))
        .collect()
}

fn epochs_frame(epochs: &[EpochRecord]) -> PolarsResult<DataFrame> {
    let f = |f: fn(&EpochRecord) -> f64| epochs.iter().map(f).collect::<Vec<_>>();
    let mut columns = vec![
        col("schema_version", vec![SCHEMA_VERSION; epochs.len()]),
        col(
            "study",
            epochs.iter().map(|e| e.study.as_str()).collect::<Vec<_>>(),
        ),
        col(
            "cell_id",
            epochs
                .iter()
                .map(|e| e.cell_id.as_str())
                .collect::<Vec<_>>(),
        ),
        col("seed", epochs.iter().map(|e| e.seed).collect::<Vec<_>>()),
        col("epoch", epochs.iter().map(|e| e.epoch).collect::<Vec<_>>()),
        col("train_loss", f(|e| e.train_loss)),
        col("train_acc", f(|e| e.train_acc)),
        col("val_loss", f(|e| e.val_loss)),
        col("val_acc", f(|e| e.val_acc)),
        col("learning_rate", f(|e| e.learning_rate)),
        col("wall_seconds", f(|e| e.wall_seconds)),
    ];
    columns.extend(named_columns(DIAG_PREFIX, epochs, |e| &e.extra));
    DataFrame::new(epochs.len(), columns)
}

/// Checks the table's schema version; an older or newer layout gets a message saying what to do.
fn check_version(df: &DataFrame) -> PolarsResult<()> {
    if df.height() == 0 {
        // polars panics on get(0) of an empty column; an empty table has no layout to check.
        return Ok(());
    }
    let version = match df.column("schema_version") {
        Ok(c) => c.u32()?.get(0),
        Err(_) => None,
    };
    match version {
        Some(SCHEMA_VERSION) => Ok(()),
        _ if df.height() == 0 => Ok(()),
        other => Err(polars_err!(
            ComputeError:
            "written with results schema {} but this trainbench reads schema {SCHEMA_VERSION}; \
             re-run the study into a new --results directory",
            other.map_or("(none)".to_string(), |v| v.to_string())
        )),
    }
}

fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

fn floats(df: &DataFrame, name: &str) -> PolarsResult<Vec<f64>> {
    Ok(df
        .column(name)?
        .f64()?
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

fn u32s(df: &DataFrame, name: &str) -> PolarsResult<Vec<u32>> {
    Ok(df
        .column(name)?
        .u32()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect())
}

fn u64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<u64>>> {
    Ok(df.column(name)?.u64()?.iter().collect())
}

/// Every column named `<prefix><name>`, as (name, values) read with `read`.
fn prefixed<T>(
    df: &DataFrame,
    prefix: &str,
    read: fn(&DataFrame, &str) -> PolarsResult<Vec<T>>,
) -> PolarsResult<Vec<(String, Vec<T>)>> {
    df.get_column_names()
        .into_iter()
        .filter_map(|n| {
            n.strip_prefix(prefix)
                .map(|name| (name.to_string(), n.to_string()))
        })
        .map(|(name, column)| Ok((name, read(df, &column)?)))
        .collect()
}

fn runs_from_frame(df: &DataFrame) -> PolarsResult<Vec<RunRecord>> {
    let axis_columns = prefixed(df, AXIS_PREFIX, strings)?;
    let metric_columns = prefixed(df, METRIC_PREFIX, floats)?;
    let tuned_columns = prefixed(df, TUNED_PREFIX, floats)?;
    let seed_columns = prefixed(df, SEED_PREFIX, u64s)?;
    let study = strings(df, "study")?;
    let cell_id = strings(df, "cell_id")?;
    let cell_label = strings(df, "cell_label")?;
    let seed = u64s(df, "seed")?;
    let config_json = strings(df, "config_json")?;
    let dataset = strings(df, "dataset")?;
    let dataset_sha256 = strings(df, "dataset_sha256")?;
    let epochs_run = u32s(df, "epochs_run")?;
    let best_epoch = u32s(df, "best_epoch")?;
    let final_train_loss = floats(df, "final_train_loss")?;
    let final_train_acc = floats(df, "final_train_acc")?;
    let final_val_loss = floats(df, "final_val_loss")?;
    let final_val_acc = floats(df, "final_val_acc")?;
    let best_val_loss = floats(df, "best_val_loss")?;
    let best_val_acc = floats(df, "best_val_acc")?;
    let test_loss = floats(df, "test_loss")?;
    let test_acc = floats(df, "test_acc")?;
    let diverged: Vec<bool> = df
        .column("diverged")?
        .bool()?
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect();
    let diverged_step = u64s(df, "diverged_step")?;
    let wall_seconds = floats(df, "wall_seconds")?;
    let samples_per_sec = floats(df, "samples_per_sec")?;
    let trainbench_version = strings(df, "trainbench_version")?;
    let git_commit = strings(df, "git_commit")?;
    let dfdx_version = strings(df, "dfdx_version")?;
    let device = strings(df, "device")?;
    let started_at = strings(df, "started_at")?;
    // Columns added after the first tables were committed: absent, they read as what those
    // runs were (numerics version 1, kernel path not recorded).
    let numerics = match df.column("numerics") {
        Ok(_) => u32s(df, "numerics")?,
        Err(_) => vec![1; df.height()],
    };
    let cpu_path = match df.column("cpu_path") {
        Ok(_) => strings(df, "cpu_path")?,
        Err(_) => vec![String::new(); df.height()],
    };
    Ok((0..df.height())
        .map(|i| RunRecord {
            study: study[i].clone(),
            cell_id: cell_id[i].clone(),
            cell_label: cell_label[i].clone(),
            axes: axis_columns
                .iter()
                .map(|(axis, values)| (axis.clone(), values[i].clone()))
                .collect(),
            seed: seed[i].unwrap_or(0),
            seed_streams: seed_columns
                .iter()
                .filter_map(|(name, values)| values[i].map(|s| (name.clone(), s)))
                .collect(),
            tuned: named_row(&tuned_columns, i),
            config_json: config_json[i].clone(),
            dataset: dataset[i].clone(),
            dataset_sha256: dataset_sha256[i].clone(),
            epochs_run: epochs_run[i],
            best_epoch: best_epoch[i],
            final_train_loss: final_train_loss[i],
            final_train_acc: final_train_acc[i],
            final_val_loss: final_val_loss[i],
            final_val_acc: final_val_acc[i],
            best_val_loss: best_val_loss[i],
            best_val_acc: best_val_acc[i],
            test_loss: test_loss[i],
            test_acc: test_acc[i],
            diverged: diverged[i],
            diverged_step: diverged_step[i],
            wall_seconds: wall_seconds[i],
            samples_per_sec: samples_per_sec[i],
            trainbench_version: trainbench_version[i].clone(),
            git_commit: git_commit[i].clone(),
            dfdx_version: dfdx_version[i].clone(),
            device: device[i].clone(),
            started_at: started_at[i].clone(),
            numerics: numerics[i],
            cpu_path: cpu_path[i].clone(),
            // NaN marks a metric this run did not record.
            extra: named_row(&metric_columns, i),
        })
        .collect())
}

fn epochs_from_frame(df: &DataFrame) -> PolarsResult<Vec<EpochRecord>> {
    let study = strings(df, "study")?;
    let cell_id = strings(df, "cell_id")?;
    let seed = u64s(df, "seed")?;
    let epoch = u32s(df, "epoch")?;
    let train_loss = floats(df, "train_loss")?;
    let train_acc = floats(df, "train_acc")?;
    let val_loss = floats(df, "val_loss")?;
    let val_acc = floats(df, "val_acc")?;
    let learning_rate = floats(df, "learning_rate")?;
    let wall_seconds = floats(df, "wall_seconds")?;
    let diag_columns = prefixed(df, DIAG_PREFIX, floats)?;
    Ok((0..df.height())
        .map(|i| EpochRecord {
            study: study[i].clone(),
            cell_id: cell_id[i].clone(),
            seed: seed[i].unwrap_or(0),
            epoch: epoch[i],
            train_loss: train_loss[i],
            train_acc: train_acc[i],
            val_loss: val_loss[i],
            val_acc: val_acc[i],
            learning_rate: learning_rate[i],
            wall_seconds: wall_seconds[i],
            extra: named_row(&diag_columns, i),
        })
        .collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An epoch row for tests.
    pub(crate) fn epoch(cell_id: &str, seed: u64) -> EpochRecord {
        EpochRecord {
            study: "s".into(),
            cell_id: cell_id.into(),
            seed,
            epoch: 1,
            train_loss: 0.5,
            train_acc: 0.8,
            val_loss: 0.6,
            val_acc: 0.7,
            learning_rate: 0.001,
            wall_seconds: 0.1,
            extra: vec![],
        }
    }

    /// A run row for tests (cell `abc`).
    pub(crate) fn run(seed: u64, diverged: bool) -> RunRecord {
        RunRecord {
            study: "s".into(),
            cell_id: "abc".into(),
            cell_label: "optimizer=adam".into(),
            axes: vec![("optimizer".into(), "adam".into())],
            seed,
            seed_streams: vec![],
            tuned: vec![],
            config_json: "{}".into(),
            dataset: "fashion-mnist".into(),
            dataset_sha256: "00".into(),
            epochs_run: 3,
            best_epoch: 2,
            final_train_loss: 0.5,
            final_train_acc: 0.8,
            final_val_loss: if diverged { f64::NAN } else { 0.6 },
            final_val_acc: 0.75,
            best_val_loss: 0.55,
            best_val_acc: 0.77,
            test_loss: 0.61,
            test_acc: 0.74,
            diverged,
            diverged_step: diverged.then_some(17),
            wall_seconds: 1.5,
            samples_per_sec: 1000.0,
            trainbench_version: "0.1.0".into(),
            git_commit: "deadbeef".into(),
            dfdx_version: "0.13.0".into(),
            device: "cpu".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            numerics: 1,
            cpu_path: "avx512".into(),
            extra: vec![],
        }
    }

    #[test]
    fn tables_round_trip_through_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let runs = vec![run(0, false), run(1, true)];
        let epochs = vec![epoch("abc", 0)];
        save(dir.path(), &runs, &epochs).unwrap();
        let (r, e) = load(dir.path()).unwrap();
        assert_eq!(e, epochs);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0], runs[0]);
        assert!(r[1].final_val_loss.is_nan());
        assert_eq!(r[1].diverged_step, Some(17));
        // No temp files are left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn tables_written_before_numerics_versions_read_as_version_1() {
        let dir = tempfile::tempdir().unwrap();
        let mut v2 = run(0, false);
        v2.numerics = 2;
        save(dir.path(), &[v2.clone()], &[]).unwrap();
        assert_eq!(load(dir.path()).unwrap().0, [v2.clone()]);
        // The same table without the two columns, as every table written before them.
        let path = runs_path(dir.path());
        let mut frame = read(&path).unwrap().drop_many(["numerics", "cpu_path"]);
        write_atomic(&path, &mut frame).unwrap();
        let (runs, _) = load(dir.path()).unwrap();
        assert_eq!((runs[0].numerics, runs[0].cpu_path.as_str()), (1, ""));
        // Version 1's committed results (written before the columns) read so too.
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/v1/optimizers");
        let (runs, _) = load(&committed).unwrap();
        assert_eq!(runs.len(), 90);
        assert!(runs.iter().all(|r| r.numerics == 1), "version 1 throughout");
    }

    #[test]
    fn extra_metrics_round_trip_and_are_absent_where_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let mut with = run(0, false);
        with.extra = vec![("mc_ece".into(), 0.031), ("test_ece".into(), 0.05)];
        let without = run(1, false);
        save(dir.path(), &[with.clone(), without.clone()], &[]).unwrap();
        let (r, _) = load(dir.path()).unwrap();
        assert_eq!(r, [with, without]);
    }

    #[test]
    fn tuned_values_and_seed_streams_round_trip_and_are_absent_where_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let mut with = run(0, false);
        with.tuned = vec![("optimizer.learning_rate".into(), 0.003)];
        with.seed_streams = vec![("init".into(), 2), ("order".into(), 0)];
        let without = run(1, false);
        save_tables(dir.path(), TUNING, &[with.clone(), without.clone()], &[]).unwrap();
        assert!(dir.path().join("tuning.parquet").exists());
        assert!(
            !runs_path(dir.path()).exists(),
            "the evaluation tables are apart"
        );
        let (r, _) = load_tables(dir.path(), TUNING).unwrap();
        assert_eq!(r, [with.clone(), without.clone()]);
        assert_eq!(r[0].tuned_value("optimizer.learning_rate"), 0.003);
        assert_eq!(
            (r[0].stream_seed("init"), r[0].stream_seed("noise")),
            (2, 0)
        );
        assert_eq!(r[1].stream_seed("init"), 1, "no columns: the run's seed");
        // A table without them has no such columns: an untuned study's tables are as before.
        save(dir.path(), &[without], &[]).unwrap();
        let frame = read(&runs_path(dir.path())).unwrap();
        let names: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert!(
            !names
                .iter()
                .any(|n| n.starts_with(TUNED_PREFIX) || n.starts_with(SEED_PREFIX)),
            "{names:?}"
        );
    }

    #[test]
    fn diagnostics_round_trip_and_are_absent_where_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let runs = [run(0, false)];
        let mut with = epoch(&runs[0].cell_id, 0);
        with.extra = vec![("act_std.001".into(), 0.9), ("grad_norm.002".into(), 1e-3)];
        let mut without = with.clone();
        without.epoch = 2;
        without.extra.clear();
        save(dir.path(), &runs, &[with.clone(), without.clone()]).unwrap();
        let (_, e) = load(dir.path()).unwrap();
        assert_eq!(e, [with, without]);
    }

    #[test]
    fn orphan_epoch_rows_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let epochs = vec![epoch("zzz", 4)];
        save(dir.path(), &[run(0, false)], &epochs).unwrap();
        let (_, e) = load(dir.path()).unwrap();
        assert!(e.is_empty());
    }

    #[test]
    fn garbage_file_gives_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(runs_path(dir.path()), b"not parquet").unwrap();
        let message = load(dir.path()).unwrap_err().to_string();
        assert!(message.contains("runs.parquet"), "{message}");
        assert!(
            message.contains("damaged (not a readable Parquet table"),
            "{message}"
        );
        let name = dir.path().file_name().unwrap().to_string_lossy();
        let root = dir.path().parent().unwrap().display();
        assert!(
            message.contains(&format!("run `trainbench repair {name} --results {root}`")),
            "{message}"
        );
    }

    #[test]
    fn the_repair_hint_names_the_study_of_a_table_or_of_its_part() {
        let hint = repair_hint(Path::new("results/optimizers/runs.parquet"));
        assert!(
            hint.starts_with("run `trainbench repair optimizers` "),
            "{hint}"
        );
        let hint = repair_hint(Path::new("/tmp/r/tiny/parts/abc-s1/epochs.parquet"));
        assert!(
            hint.starts_with("run `trainbench repair tiny --results /tmp/r` "),
            "{hint}"
        );
    }

    #[test]
    fn a_table_without_its_columns_is_damaged_and_another_schema_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = runs_path(dir.path());
        let mut frame =
            DataFrame::new(1, vec![col("schema_version", vec![SCHEMA_VERSION])]).unwrap();
        write_atomic(&path, &mut frame).unwrap();
        assert!(matches!(read_runs(&path), Err(Unreadable::Damaged(_))));
        let mut frame =
            DataFrame::new(1, vec![col("schema_version", vec![SCHEMA_VERSION + 1])]).unwrap();
        write_atomic(&path, &mut frame).unwrap();
        match read_runs(&path) {
            Err(Unreadable::Other(e)) => assert!(e.to_string().contains("schema"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read_runs(&dir.path().join("none.parquet")),
            Ok(None)
        ));
    }
}
