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

/// The directories of every finished part under `dir`, in file-name order.
pub fn finished(dir: &Path) -> Result<Vec<PathBuf>> {
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
    Ok(names.into_iter().map(|name| parts.join(name)).collect())
}

/// Every finished part under `dir`, in file-name order.
pub fn load(dir: &Path) -> Result<Vec<Part>> {
    finished(dir)?
        .into_iter()
        .map(|path| {
            let (runs, epochs) = store::load(&path)?;
            Ok((path, runs, epochs))
        })
        .collect()
}

/// Removes the temporary part directories that writers which are no longer running left under
/// `dir/parts` (a shard killed while writing a part); returns them. Call it only under the
/// study's lock, on the machine that ran the writers: a process id says nothing of another
/// machine's processes.
pub fn sweep(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    // A parts directory that a killed merge was removing.
    remove_dead_writers(dir, &mut removed, |name| {
        name.strip_prefix(".parts.removing-")?.parse().ok()
    })?;
    // A part a killed shard was writing.
    remove_dead_writers(&parts_dir(dir), &mut removed, |name| {
        name.strip_prefix(".tmp-")?.rsplit('-').next()?.parse().ok()
    })?;
    Ok(removed)
}

/// Removes each directory in `dir` whose name `writer` reads a process id from, when that
/// process is no longer running; adds them to `removed`. A missing `dir` holds nothing.
fn remove_dead_writers(
    dir: &Path,
    removed: &mut Vec<PathBuf>,
    writer: impl Fn(&str) -> Option<u32>,
) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = writer(&name) else { continue };
        if !crate::atomic::is_running(pid) {
            let path = entry.path();
            std::fs::remove_dir_all(&path).map_err(|e| Error::io("removing", &path, e))?;
            removed.push(path);
        }
    }
    Ok(())
}

/// The name `dir/parts` is renamed to before it is removed.
fn removing_dir(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!(".parts.removing-{pid}"))
}

/// Removes `dir/parts` once its runs are safely in the study's tables. It is renamed away first,
/// in one step, so a process killed while removing it never leaves a part with its runs row
/// but without its epochs (which the next merge would take for a conflicting copy); what is
/// left under the other name is swept ([`sweep`]).
pub fn remove_all(dir: &Path) -> Result<()> {
    let parts = parts_dir(dir);
    let removing = removing_dir(dir, std::process::id());
    match std::fs::rename(&parts, &removing) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("renaming", &parts, e)),
    }
    std::fs::remove_dir_all(&removing).map_err(|e| Error::io("removing", &removing, e))
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
        // (No process has this id: Linux's pid_max is at most 2^22.)
        let dead = parts_dir(dir.path()).join(".tmp-x-s1-999999999");
        std::fs::create_dir(&dead).unwrap();
        assert_eq!(load(dir.path()).unwrap().len(), 1);
        // It is swept once its writer is gone, and a live writer's is not.
        let live = parts_dir(dir.path()).join(format!(".tmp-y-s2-{}", std::process::id()));
        std::fs::create_dir(&live).unwrap();
        std::fs::write(dead.join("runs.parquet"), b"half").unwrap();
        assert_eq!(sweep(dir.path()).unwrap(), [dead]);
        assert!(live.exists());
        // What a merge killed while removing the parts left is swept too.
        let half_removed = removing_dir(dir.path(), 999_999_999);
        std::fs::create_dir(&half_removed).unwrap();
        assert_eq!(sweep(dir.path()).unwrap(), [half_removed]);
        remove_all(dir.path()).unwrap();
        assert!(!parts_dir(dir.path()).exists());
        assert!(!removing_dir(dir.path(), std::process::id()).exists());
        assert!(load(dir.path()).unwrap().is_empty());
    }
}
