//! Write-once run files for sharded studies: each finished run of a shard becomes its own
//! directory `<study dir>/parts/<cell_id>-s<seed>/` holding a one-row `runs.parquet` and its
//! `epochs.parquet`. The directory is written under a temporary name and renamed into place, so
//! it appears whole or not at all; when it already exists (a retried or duplicated task finished
//! the same run first) the new copy is dropped. Shards therefore never write the same file and
//! need no lock; `trainbench merge` folds the parts into the study's two tables.

use std::path::{Path, PathBuf};

use super::record::{EpochRecord, RunRecord};
use super::store;
use crate::error::{Error, Result};

/// `<dir>/parts`.
pub fn parts_dir(dir: &Path) -> PathBuf {
    dir.join("parts")
}

/// The directory of one run's part.
fn part_dir(dir: &Path, cell_id: &str, seed: u64) -> PathBuf {
    parts_dir(dir).join(format!("{cell_id}-s{seed}"))
}

/// Whether a part's name is a finished one (temporary directories start with a dot).
fn is_finished(name: &str) -> bool {
    !name.starts_with('.')
}

/// Writes one run as a part; returns false when the part already existed (then nothing changes).
pub fn save(dir: &Path, run: &RunRecord, epochs: &[EpochRecord]) -> Result<bool> {
    let parts = parts_dir(dir);
    std::fs::create_dir_all(&parts).map_err(|e| Error::io("creating", &parts, e))?;
    let target = part_dir(dir, &run.cell_id, run.seed);
    if target.exists() {
        return Ok(false);
    }
    // Unique per process and run, so two tasks writing the same run never share a temp dir.
    let tmp = parts.join(format!(
        ".tmp-{}-s{}-{}",
        run.cell_id,
        run.seed,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    store::save(&tmp, std::slice::from_ref(run), epochs)?;
    match std::fs::rename(&tmp, &target) {
        Ok(()) => Ok(true),
        // Someone else renamed the same run into place first: theirs stands.
        Err(_) if target.exists() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(false)
        }
        Err(e) => Err(Error::io("renaming into", &target, e)),
    }
}

/// One part as read back: its directory, its run row(s) and their epoch rows.
pub type Part = (PathBuf, Vec<RunRecord>, Vec<EpochRecord>);

/// Every finished part under `dir`, in file-name order.
pub fn load(dir: &Path) -> Result<Vec<Part>> {
    let parts = parts_dir(dir);
    if !parts.exists() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&parts).map_err(|e| Error::io("listing", &parts, e))? {
        let entry = entry.map_err(|e| Error::io("listing", &parts, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_finished(&name) {
            names.push(name);
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let path = parts.join(name);
            let (runs, epochs) = store::load(&path)?;
            Ok((path, runs, epochs))
        })
        .collect()
}

/// Removes `dir/parts` once its runs are safely in the study's tables.
pub fn remove_all(dir: &Path) -> Result<()> {
    let parts = parts_dir(dir);
    match std::fs::remove_dir_all(&parts) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("removing", &parts, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::store::tests::{epoch, run};

    #[test]
    fn a_part_is_written_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let (r, e) = (run(3, false), vec![epoch("abc", 3)]);
        assert!(save(dir.path(), &r, &e).unwrap());
        let mut second = r.clone();
        second.test_acc = 0.0;
        assert!(
            !save(dir.path(), &second, &e).unwrap(),
            "a second write of the same run is dropped"
        );
        let parts = load(dir.path()).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].1, vec![r]);
        assert_eq!(parts[0].2, e);
        // A temporary directory left by a killed writer is ignored.
        std::fs::create_dir(parts_dir(dir.path()).join(".tmp-x-s1-9")).unwrap();
        assert_eq!(load(dir.path()).unwrap().len(), 1);
        remove_all(dir.path()).unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
    }
}
