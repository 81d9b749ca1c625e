//! Where a result came from: the git commit of the code, the versions, the time a run started.
//! These are metadata written beside the numbers; none of them ever feeds a number.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// trainbench's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The dfdx version trainbench is built against (kept in step with Cargo.toml by a test).
pub const DFDX_VERSION: &str = "0.13.0";

/// The commit of the source tree this binary was built from, with `-dirty` when files that
/// affect results (src/, studies/, Cargo.toml, Cargo.lock) differ from it; `unknown` outside git.
pub fn git_commit() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let run = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let Some(commit) = run(&["rev-parse", "HEAD"]) else {
        return "unknown".into();
    };
    let dirty = run(&[
        "status",
        "--porcelain",
        "--",
        "src",
        "studies",
        "Cargo.toml",
        "Cargo.lock",
    ])
    .is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    }
}

/// Now, UTC, as RFC 3339 to the second.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, Howard Hinnant).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_849_200), "2026-11-28T07:00:00Z");
    }

    #[test]
    fn dfdx_version_matches_cargo_toml() {
        let manifest = include_str!("../Cargo.lock");
        assert!(manifest.contains(&format!("name = \"dfdx\"\nversion = \"{DFDX_VERSION}\"")));
    }
}
