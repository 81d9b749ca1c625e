//! Sequential designs for `trainbench study NAME --until-decided`: the looks (10, 20, … seeds up
//! to `--max-seeds`, 30 by default), each look's nominal level from Lan–DeMets O'Brien–Fleming
//! alpha spending on the paired test ([`crate::report::inference::sequential`]), the record
//! of where a study stopped (results/NAME/sequential.json), and the rule that stops it: every
//! claim of the study decided (supported or contradicted, equivalence included), invalid
//! (more seeds cannot make an untrained arm train), or without results. The training between
//! looks is the command's; this module never trains.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ClaimResult, Verdict, ALPHA};
use crate::error::{Error, Result};
use crate::report::inference::sequential::obf_boundaries;

/// The file a sequential study's design and stopping point are recorded in.
pub const SEQUENTIAL_FILE: &str = "sequential.json";

/// Seeds between looks.
pub const LOOK_EVERY: usize = 10;

/// The default cap (`--max-seeds`).
pub const DEFAULT_MAX_SEEDS: usize = 30;

/// How a study's claims are judged.
#[derive(Debug, Clone, PartialEq)]
pub enum Design {
    /// Every recorded seed, at α = 0.05.
    Fixed,
    /// The first `looks[index]` seeds, at that look's nominal level.
    Sequential {
        /// Seeds at each look.
        looks: Vec<usize>,
        /// The look judged (0-based).
        index: usize,
        /// Its nominal two-sided level.
        alpha: f64,
    },
}

impl Design {
    /// The level a claim's family is tested at.
    pub fn alpha(&self) -> f64 {
        match self {
            Design::Fixed => ALPHA,
            Design::Sequential { alpha, .. } => *alpha,
        }
    }

    /// How many seeds are judged (every one for a fixed design).
    pub fn seeds(&self) -> usize {
        match self {
            Design::Fixed => usize::MAX,
            Design::Sequential { looks, index, .. } => looks[*index],
        }
    }

    /// The design at look `index` of `looks`.
    pub fn at(looks: &[usize], index: usize) -> Result<Design> {
        let boundaries = obf_boundaries(looks, ALPHA)
            .map_err(|e| Error::invalid("sequential design", e.to_string()))?;
        let look = boundaries.get(index).ok_or_else(|| {
            Error::invalid(
                "sequential design",
                format!("no look {index} among {looks:?}"),
            )
        })?;
        Ok(Design::Sequential {
            looks: looks.to_vec(),
            index,
            alpha: look.nominal_p,
        })
    }

    /// "look 2 of 3 (n = 20 seeds, level 0.0161)", or "" for a fixed design.
    pub fn describe(&self) -> String {
        match self {
            Design::Fixed => String::new(),
            Design::Sequential {
                looks,
                index,
                alpha,
            } => format!(
                "look {} of {} (n = {} seeds of looks at {}; level {alpha:.4}, O'Brien–Fleming \
                 spending of 5%)",
                index + 1,
                looks.len(),
                looks[*index],
                looks
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The looks up to `max_seeds`: every [`LOOK_EVERY`] seeds, and the cap itself.
pub fn looks(max_seeds: usize) -> Vec<usize> {
    let mut out: Vec<usize> = (1..)
        .map(|k| k * LOOK_EVERY)
        .take_while(|&n| n < max_seeds)
        .collect();
    out.push(max_seeds);
    out
}

/// What `--until-decided` recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Seeds at each look.
    pub looks: Vec<usize>,
    /// The look it stopped at (seeds).
    pub stopped_at: usize,
    /// Whether every claim was decided there (false: it reached the cap undecided).
    pub decided: bool,
}

/// Writes the record into a study's results directory.
pub fn write(dir: &Path, record: &Record) -> Result<()> {
    let path = dir.join(SEQUENTIAL_FILE);
    let text = serde_json::to_string_pretty(record)
        .map_err(|e| Error::invalid("sequential design", e.to_string()))?;
    crate::atomic::write(&path, (text + "\n").as_bytes())
}

/// The design a study's results were recorded under: sequential when they hold a record.
pub fn design_of(dir: &Path) -> std::result::Result<Design, String> {
    let path = dir.join(SEQUENTIAL_FILE);
    if !path.exists() {
        return Ok(Design::Fixed);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let record: Record =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let index = record
        .looks
        .iter()
        .position(|&n| n == record.stopped_at)
        .ok_or_else(|| {
            format!(
                "{}: stopped_at {} is not one of the looks {:?}",
                path.display(),
                record.stopped_at,
                record.looks
            )
        })?;
    Design::at(&record.looks, index).map_err(|e| e.to_string())
}

/// Whether a look can stop: every claim decided, invalid, or without results (and at least
/// one claim judged).
pub fn settled(claims: &[ClaimResult]) -> bool {
    !claims.is_empty()
        && claims.iter().all(|c| {
            matches!(
                c.verdict,
                Verdict::Supported | Verdict::Contradicted | Verdict::Invalid | Verdict::NoVerdict
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_every_ten_seeds_up_to_the_cap() {
        assert_eq!(looks(30), [10, 20, 30]);
        assert_eq!(looks(25), [10, 20, 25]);
        assert_eq!(looks(10), [10]);
        assert_eq!(looks(7), [7]);
    }

    #[test]
    fn each_look_has_its_obrien_fleming_level() {
        let d = Design::at(&[10, 20, 30], 1).unwrap();
        assert_eq!(d.seeds(), 20);
        // The boundaries at 5% are 3.395, 2.407, 2.015 (nominal 0.00069, 0.0161, 0.0439).
        assert!((d.alpha() - 0.0161).abs() < 2e-4, "{}", d.alpha());
        assert!(d.describe().starts_with("look 2 of 3 (n = 20 seeds"));
        let last = Design::at(&[10, 20, 30], 2).unwrap();
        assert!((last.alpha() - 0.0439).abs() < 2e-4, "{}", last.alpha());
        assert!(Design::at(&[10, 20, 30], 3).is_err());
        assert_eq!(Design::Fixed.alpha(), 0.05);
    }

    #[test]
    fn the_record_round_trips_and_names_a_bad_look() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(design_of(dir.path()), Ok(Design::Fixed));
        let record = Record {
            looks: vec![10, 20, 30],
            stopped_at: 20,
            decided: true,
        };
        write(dir.path(), &record).unwrap();
        assert_eq!(
            design_of(dir.path()),
            Ok(Design::at(&[10, 20, 30], 1).unwrap())
        );
        write(
            dir.path(),
            &Record {
                stopped_at: 15,
                ..record
            },
        )
        .unwrap();
        let why = design_of(dir.path()).unwrap_err();
        assert!(
            why.contains("stopped_at 15 is not one of the looks"),
            "{why}"
        );
    }
}
