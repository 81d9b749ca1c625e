//! Recovery of a damaged pair of tables (`trainbench repair`): what each table holds, what can be
//! rebuilt from the other one and from the shards' write-once run files, and what is lost.
//!
//! What can be rebuilt, and what cannot:
//! - A runs row holds what no epoch row has: the test loss and accuracy, the extra metrics
//!   (`metric.*`, measured after training), the step where a run diverged, and the run's
//!   provenance (start time, wall time, commit, device, kernel path). So a runs row is never
//!   rebuilt from `epochs.parquet` and the study file: it would have to invent those values.
//! - Epoch rows (per-epoch losses, learning rates, diagnostics) are in no runs row.
//! - A part (`parts/<cell>-s<seed>/`, written whole by a shard) holds both for its run.
//!
//! So a run is kept exactly when its runs row and its epoch rows are both still readable: from
//! the intact tables, or from its part. Any other run is dropped and named; training the study
//! again trains exactly the missing runs, bit for bit as they were. Nothing is deleted: a
//! damaged file is moved aside as `<name>.damaged-<stamp>`, a damaged part to
//! `parts.damaged-<stamp>/`, and an intact table that loses rows (the epochs of a run whose
//! row was lost) is kept as `<name>.before-repair-<stamp>`. The lock and the study's run list
//! are the caller's (`study::repair`); nothing here knows a study file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::record::{EpochRecord, RunRecord};
use super::store::{self, Tables, Unreadable};
use super::{compare, parts};
use crate::error::{Error, Result};

/// What a repair found and did.
#[derive(Debug, Default)]
pub struct Repaired {
    /// Damaged files and parts: (where it was, where it was moved, why it is damaged).
    pub damaged: Vec<(PathBuf, PathBuf, String)>,
    /// Intact tables rewritten with fewer rows, kept as they were: (table, the copy).
    pub kept: Vec<(PathBuf, PathBuf)>,
    /// Runs kept from the intact runs table with their epoch rows.
    pub from_tables: usize,
    /// Runs rebuilt from parts.
    pub from_parts: usize,
    /// Runs known to have been recorded that are lost: (cell id, seed, why).
    pub lost: Vec<(String, u64, String)>,
    /// Whether the runs the damaged runs table held are unknown (both tables were damaged):
    /// then only the study's run list says which runs are missing.
    pub lost_unknown: bool,
}

impl Repaired {
    /// Whether anything was damaged (else nothing was touched).
    pub fn was_damaged(&self) -> bool {
        !self.damaged.is_empty()
    }
}

/// A table file as found: absent, read, or damaged (with the cause).
enum Found<T> {
    Absent,
    Read(Vec<T>),
    Damaged(String),
}

fn found<T>(
    path: &Path,
    read: fn(&Path) -> std::result::Result<Option<Vec<T>>, Unreadable>,
) -> Result<Found<T>> {
    match read(path) {
        Ok(None) => Ok(Found::Absent),
        Ok(Some(rows)) => Ok(Found::Read(rows)),
        Err(Unreadable::Damaged(cause)) => Ok(Found::Damaged(cause)),
        Err(Unreadable::Other(e)) => Err(e),
    }
}

/// A name beside `path` that does not exist yet: `<name>.<what>-<stamp>`, then `-2`, `-3`, ...
fn aside(path: &Path, what: &str, stamp: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{what}-{stamp}"));
    let first = PathBuf::from(name);
    let mut candidate = first.clone();
    let mut n = 2;
    while candidate.exists() {
        let mut name = first.as_os_str().to_owned();
        name.push(format!("-{n}"));
        candidate = PathBuf::from(name);
        n += 1;
    }
    candidate
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| Error::io("moving aside", from, e))
}

/// A readable part: its directory, its runs and their epochs.
type Part = (PathBuf, Vec<RunRecord>, Vec<EpochRecord>);
/// A damaged part: its directory and why.
type DamagedPart = (PathBuf, String);

/// Every finished part under `dir`: the readable ones, and the damaged ones with their cause.
fn scan_parts(dir: &Path) -> Result<(Vec<Part>, Vec<DamagedPart>)> {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for path in parts::finished(dir)? {
        let runs = store::read_runs(&path.join(store::EVALUATION.runs));
        let epochs = store::read_epochs(&path.join(store::EVALUATION.epochs));
        match (runs, epochs) {
            (Ok(runs), Ok(epochs)) => {
                good.push((path, runs.unwrap_or_default(), epochs.unwrap_or_default()))
            }
            (Err(Unreadable::Other(e)), _) | (_, Err(Unreadable::Other(e))) => return Err(e),
            (Err(Unreadable::Damaged(cause)), _) | (_, Err(Unreadable::Damaged(cause))) => {
                bad.push((path, cause))
            }
        }
    }
    Ok((good, bad))
}

/// Repairs the pair of tables `tables` in `dir` (and, with `with_parts`, the parts there; only
/// the evaluation tables have parts): see the module doc. `stamp` names the files moved aside.
/// When nothing is damaged, nothing is touched.
pub fn repair(dir: &Path, tables: Tables, with_parts: bool, stamp: &str) -> Result<Repaired> {
    let runs_file = dir.join(tables.runs);
    let epochs_file = dir.join(tables.epochs);
    let runs = found(&runs_file, store::read_runs)?;
    let epochs = found(&epochs_file, store::read_epochs)?;
    let (parts, bad_parts) = if with_parts {
        scan_parts(dir)?
    } else {
        (Vec::new(), Vec::new())
    };
    let mut repaired = Repaired::default();
    let runs_damaged = matches!(runs, Found::Damaged(_));
    let epochs_damaged = matches!(epochs, Found::Damaged(_));
    if !runs_damaged && !epochs_damaged && bad_parts.is_empty() {
        return Ok(repaired);
    }

    // Each run kept exactly: its row and its epochs from the intact tables, else from its part.
    let table_runs = match &runs {
        Found::Read(rows) => rows.clone(),
        _ => Vec::new(),
    };
    let table_epochs: Option<&Vec<EpochRecord>> = match &epochs {
        Found::Read(rows) => Some(rows),
        Found::Absent | Found::Damaged(_) => None,
    };
    let epochs_readable = !epochs_damaged;
    let mut kept_runs: Vec<RunRecord> = Vec::new();
    let mut kept_epochs: Vec<EpochRecord> = Vec::new();
    let key = |r: &RunRecord| (r.cell_id.clone(), r.seed);
    let in_part = |cell: &str, seed: u64| {
        parts
            .iter()
            .flat_map(|(_, runs, epochs)| runs.iter().map(move |r| (r, epochs)))
            .find(|(r, _)| r.cell_id == cell && r.seed == seed)
    };
    let mut used_part: HashSet<(String, u64)> = HashSet::new();
    for run in &table_runs {
        if epochs_readable {
            kept_epochs.extend(
                table_epochs
                    .into_iter()
                    .flatten()
                    .filter(|e| e.cell_id == run.cell_id && e.seed == run.seed)
                    .cloned(),
            );
            kept_runs.push(run.clone());
            repaired.from_tables += 1;
        } else if let Some((part_run, part_epochs)) = in_part(&run.cell_id, run.seed) {
            // The part's copy stands in only when it is the same run (else the next merge
            // would refuse it anyway).
            let rows = of_run(part_epochs, part_run);
            if compare::run_differences(run, &[], part_run, &[]).is_empty() {
                kept_runs.push(part_run.clone());
                kept_epochs.extend(rows);
                used_part.insert(key(part_run));
                repaired.from_parts += 1;
            } else {
                repaired.lost.push((
                    run.cell_id.clone(),
                    run.seed,
                    format!("its epochs were in the damaged {}", tables.epochs),
                ));
            }
        } else {
            repaired.lost.push((
                run.cell_id.clone(),
                run.seed,
                format!("its epochs were in the damaged {}", tables.epochs),
            ));
        }
    }
    let recorded: HashSet<(String, u64)> = table_runs.iter().map(key).collect();
    for (_, part_runs, part_epochs) in &parts {
        for run in part_runs {
            if recorded.contains(&key(run)) || used_part.contains(&key(run)) {
                continue;
            }
            kept_epochs.extend(of_run(part_epochs, run));
            kept_runs.push(run.clone());
            used_part.insert(key(run));
            repaired.from_parts += 1;
        }
    }
    if runs_damaged {
        match table_epochs {
            // The intact epochs table names the runs the damaged runs table held.
            Some(rows) => {
                let mut seen: HashSet<(String, u64)> = HashSet::new();
                for e in rows {
                    let k = (e.cell_id.clone(), e.seed);
                    if !used_part.contains(&k) && seen.insert(k) {
                        repaired.lost.push((
                            e.cell_id.clone(),
                            e.seed,
                            format!(
                                "its row was in the damaged {} (its test metrics are in no \
                                 other file)",
                                tables.runs
                            ),
                        ));
                    }
                }
            }
            None => repaired.lost_unknown = epochs_damaged,
        }
    }

    // Nothing is deleted: damaged files and parts are moved aside, an intact table that loses
    // rows is kept as it was.
    for (path, cause) in [(&runs_file, damage(&runs)), (&epochs_file, damage(&epochs))] {
        if let Some(cause) = cause {
            let to = aside(path, "damaged", stamp);
            rename(path, &to)?;
            repaired.damaged.push((path.clone(), to, cause));
        }
    }
    if !bad_parts.is_empty() {
        let holder = aside(&parts::parts_dir(dir), "damaged", stamp);
        std::fs::create_dir_all(&holder).map_err(|e| Error::io("creating", &holder, e))?;
        for (path, cause) in bad_parts {
            let to = holder.join(path.file_name().unwrap_or_default());
            rename(&path, &to)?;
            repaired.damaged.push((path, to, cause));
        }
    }
    let table_rows = table_runs.len();
    let kept_from_runs_table = kept_runs
        .iter()
        .filter(|r| recorded.contains(&key(r)))
        .count();
    if matches!(runs, Found::Read(_)) && kept_from_runs_table < table_rows {
        let to = aside(&runs_file, "before-repair", stamp);
        std::fs::copy(&runs_file, &to).map_err(|e| Error::io("copying", &runs_file, e))?;
        repaired.kept.push((runs_file.clone(), to));
    }
    if let Found::Read(rows) = &epochs {
        let kept: HashSet<(String, u64)> = kept_runs.iter().map(key).collect();
        if rows
            .iter()
            .any(|e| !kept.contains(&(e.cell_id.clone(), e.seed)))
        {
            let to = aside(&epochs_file, "before-repair", stamp);
            std::fs::copy(&epochs_file, &to).map_err(|e| Error::io("copying", &epochs_file, e))?;
            repaired.kept.push((epochs_file.clone(), to));
        }
    }
    store::save_tables(dir, tables, &kept_runs, &kept_epochs)?;
    Ok(repaired)
}

/// Why a table is damaged, if it is.
fn damage<T>(found: &Found<T>) -> Option<String> {
    match found {
        Found::Damaged(cause) => Some(cause.clone()),
        _ => None,
    }
}

/// The epoch rows of `run` among a part's rows.
fn of_run(epochs: &[EpochRecord], run: &RunRecord) -> Vec<EpochRecord> {
    epochs
        .iter()
        .filter(|e| e.cell_id == run.cell_id && e.seed == run.seed)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::store::tests::{epoch, run};
    use crate::results::store::{EVALUATION, TUNING};

    /// Runs `seeds` of cell `abc`, one epoch row each.
    fn recorded(seeds: std::ops::Range<u64>) -> (Vec<RunRecord>, Vec<EpochRecord>) {
        seeds.map(|s| (run(s, false), epoch("abc", s))).unzip()
    }

    fn truncate(path: &Path) {
        let bytes = std::fs::read(path).unwrap();
        std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn readable_tables_are_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let (runs, epochs) = recorded(0..2);
        store::save(dir.path(), &runs, &epochs).unwrap();
        let before = std::fs::read(store::runs_path(dir.path())).unwrap();
        let repaired = repair(dir.path(), EVALUATION, true, "t").unwrap();
        assert!(!repaired.was_damaged());
        assert_eq!(names(dir.path()), ["epochs.parquet", "runs.parquet"]);
        assert_eq!(std::fs::read(store::runs_path(dir.path())).unwrap(), before);
    }

    #[test]
    fn damaged_tuning_epochs_drop_their_runs_and_keep_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let (runs, epochs) = recorded(0..3);
        store::save_tables(dir.path(), TUNING, &runs, &epochs).unwrap();
        truncate(&dir.path().join(TUNING.epochs));
        let repaired = repair(dir.path(), TUNING, false, "t").unwrap();
        assert_eq!((repaired.from_tables, repaired.from_parts), (0, 0));
        let lost: Vec<u64> = repaired.lost.iter().map(|(_, s, _)| *s).collect();
        assert_eq!(lost, [0, 1, 2]);
        assert!(repaired.lost[0].2.contains("tuning_epochs.parquet"));
        assert_eq!(
            names(dir.path()),
            [
                "tuning.parquet",
                "tuning.parquet.before-repair-t",
                "tuning_epochs.parquet",
                "tuning_epochs.parquet.damaged-t"
            ]
        );
        assert_eq!(
            store::load_tables(dir.path(), TUNING).unwrap(),
            (vec![], vec![])
        );
        let kept = store::read_runs(&dir.path().join("tuning.parquet.before-repair-t"))
            .unwrap()
            .unwrap();
        assert_eq!(kept, runs, "the old table is kept whole");
    }

    #[test]
    fn both_tables_damaged_keep_the_parts_and_say_the_rest_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let (runs, epochs) = recorded(0..2);
        store::save(dir.path(), &runs, &epochs).unwrap();
        let (part_run, part_epoch) = (run(5, false), epoch("abc", 5));
        parts::save(dir.path(), &part_run, std::slice::from_ref(&part_epoch)).unwrap();
        truncate(&store::runs_path(dir.path()));
        truncate(&store::epochs_path(dir.path()));
        let repaired = repair(dir.path(), EVALUATION, true, "t").unwrap();
        assert_eq!((repaired.from_tables, repaired.from_parts), (0, 1));
        assert!(repaired.lost.is_empty() && repaired.lost_unknown);
        assert_eq!(repaired.damaged.len(), 2);
        assert_eq!(
            store::load(dir.path()).unwrap(),
            (vec![part_run], vec![part_epoch])
        );
        // A second repair on the same stamp finds nothing damaged, and a third damage gets
        // a name of its own.
        assert!(!repair(dir.path(), EVALUATION, true, "t")
            .unwrap()
            .was_damaged());
        truncate(&store::runs_path(dir.path()));
        repair(dir.path(), EVALUATION, true, "t").unwrap();
        assert!(dir.path().join("runs.parquet.damaged-t-2").exists());
    }

    #[test]
    fn a_damaged_part_is_moved_out_of_parts_and_its_run_is_lost_unless_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (runs, epochs) = recorded(0..2);
        store::save(dir.path(), &runs, &epochs).unwrap();
        for seed in [1, 7] {
            parts::save(dir.path(), &run(seed, false), &[epoch("abc", seed)]).unwrap();
        }
        let broken = parts::parts_dir(dir.path()).join("abc-s7");
        truncate(&broken.join("epochs.parquet"));
        let repaired = repair(dir.path(), EVALUATION, true, "t").unwrap();
        assert_eq!(repaired.damaged.len(), 1);
        assert_eq!(repaired.damaged[0].0, broken);
        assert!(dir
            .path()
            .join("parts.damaged-t/abc-s7/epochs.parquet")
            .exists());
        // The tables' runs stay; the readable part's run was already recorded.
        assert_eq!((repaired.from_tables, repaired.from_parts), (2, 0));
        assert_eq!(store::load(dir.path()).unwrap(), (runs, epochs));
        assert_eq!(parts::load(dir.path()).unwrap().len(), 1);
    }
}
