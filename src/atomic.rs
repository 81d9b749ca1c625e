//! The one way trainbench writes a file: atomically. A file is written under a temporary name in
//! its own directory, synced, and only then renamed over its real name (and the directory synced),
//! so a reader, a crash or a full disk leaves the old file or the new one, never part of one. A
//! failed write removes its temporary file. Every layer may use this (it imports only `error`):
//! tables, run files, reports, charts, figures, claims, the data cache, emitted scripts.
//! What is written (Parquet, PNG, Markdown) is decided by the callers.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically (see the module doc).
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |file| {
        file.write_all(bytes)
            .map_err(|e| Error::io("writing", path, e))
    })
}

/// Creates a temporary file beside `path`, lets `fill` write it, then [`commit`]s it to `path`.
/// When `fill` or the commit fails, the temporary file is removed and `path` is untouched.
pub fn write_with(path: &Path, fill: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let tmp = temporary(path);
    let written = File::create(&tmp)
        .map_err(|e| Error::io("creating", path, e))
        .and_then(|mut file| fill(&mut file))
        .and_then(|()| commit(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A fresh temporary name beside `path`: hidden, unique to this process and call, and with the
/// same extension (plotters' PNG encoder picks the format from it).
pub fn temporary(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let ext = path
        .extension()
        .map_or(String::new(), |e| format!(".{}", e.to_string_lossy()));
    path.with_file_name(format!(
        ".{stem}.partial-{}-{}{ext}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Whether `name` is one of [`temporary`]'s names (left behind only by a killed writer).
pub fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.contains(".partial-")
}

/// Whether the process `pid` is running on this machine.
pub fn is_running(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the temporary files ([`temporary`]) in `dir` whose writer is no longer running (a
/// process killed while writing); returns them. A live writer's are left alone.
pub fn sweep(dir: &Path) -> Result<Vec<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // `.{stem}.partial-{pid}-{n}{ext}`
        let Some(pid) = name
            .split_once(".partial-")
            .filter(|_| is_temporary(&name))
            .and_then(|(_, rest)| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !is_running(pid) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| Error::io("removing", &path, e))?;
            removed.push(path);
        }
    }
    Ok(removed)
}

/// Makes the finished file `tmp` durable, renames it to `path` and syncs the directory, so the
/// new name survives a crash too. On failure `tmp` is removed and `path` is left as it was.
pub fn commit(tmp: &Path, path: &Path) -> Result<()> {
    // Durable before it becomes visible: a crash after the rename never shows an empty file.
    let committed = File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io("writing", path, e))
        .and_then(|()| std::fs::rename(tmp, path).map_err(|e| Error::io("renaming into", path, e)));
    if committed.is_err() {
        let _ = std::fs::remove_file(tmp);
        return committed;
    }
    // Best effort: some filesystems cannot sync a directory, and the file is already in place.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_write_replaces_the_file_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["report.md"]);
    }

    #[test]
    fn a_failed_fill_keeps_the_old_file_and_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        write(&path, b"old").unwrap();
        let e = write_with(&path, |f| {
            f.write_all(b"half").unwrap();
            Err(Error::invalid("table", "the writer failed"))
        })
        .unwrap_err();
        assert!(e.to_string().contains("the writer failed"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["t.parquet"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/f.md");
        let e = write(&path, b"x").unwrap_err().to_string();
        assert!(e.contains("no/such/dir/f.md"), "{e}");
    }

    #[test]
    fn temporary_names_are_hidden_unique_and_keep_the_extension() {
        let a = temporary(Path::new("/r/chart.png"));
        let b = temporary(Path::new("/r/chart.png"));
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".chart.partial-") && name.ends_with(".png"),
            "{name}"
        );
        assert!(is_temporary(&name));
        assert!(!is_temporary("chart.png"));
    }

    #[test]
    fn a_sweep_removes_only_temporaries_of_writers_that_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        // No process has this id (Linux's pid_max is at most 2^22).
        let dead = dir.path().join(".runs.partial-999999999-0.parquet");
        std::fs::write(&dead, b"half").unwrap();
        let live = temporary(&dir.path().join("report.md"));
        std::fs::write(&live, b"being written").unwrap();
        std::fs::write(dir.path().join("report.md"), b"done").unwrap();
        assert_eq!(sweep(dir.path()).unwrap(), [dead]);
        assert_eq!(names(dir.path()).len(), 2, "{:?}", names(dir.path()));
        assert!(live.exists());
    }
}
