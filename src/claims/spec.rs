//! The claims file (studies/claims.toml): each of the chapter's claims (../shared/design/CLAIMS.md)
//! as checks fixed before the runs: which study, which cells, which metric, which direction, and
//! the rule that turns the per-seed evidence into a verdict (see [`super::verdict`]).
//!
//! ```toml
//! [[claim]]
//! id = "opt-1"
//! text = "momentum is faster than plain SGD; Nesterov faster than momentum"
//! study = "optimizers"
//!
//! [[claim.check]]
//! what = "momentum's validation loss after 5 epochs is lower than SGD's"
//! a = { optimizer = "momentum" }
//! b = { optimizer = "sgd" }
//! metric = { column = "val_loss", at_epoch = 5 }
//! expect = "lower"
//! ```

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsFile {
    /// The claims, in order.
    pub claim: Vec<Claim>,
}

/// One claim of the chapter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// Its id in CLAIMS.md (`opt-1`).
    pub id: String,
    /// What the chapter says.
    pub text: String,
    /// The textbook's own figure, where it gives one.
    #[serde(default)]
    pub textbook: Option<String>,
    /// The study whose results decide it.
    pub study: String,
    /// The checks; the claim is supported when all are.
    pub check: Vec<Check>,
}

/// One comparison or bound.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The check in words.
    pub what: String,
    /// The cell measured, by axis values (`{ optimizer = "adam" }`; `{}` for a study's only
    /// cell).
    pub a: toml::Table,
    /// The cell it is compared with, paired by seed (absent for a bound on `a` alone).
    #[serde(default)]
    pub b: Option<toml::Table>,
    /// What is measured on each run.
    pub metric: Metric,
    /// The claimed direction.
    pub expect: Expect,
    /// For `expect = "equal"`: the largest difference that counts as equal; for `below` and
    /// `above`: the bound.
    #[serde(default)]
    pub margin: Option<f64>,
}

/// The claimed direction of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// a's metric is higher than b's.
    Higher,
    /// a's metric is lower than b's.
    Lower,
    /// |a − b| is within `margin`.
    Equal,
    /// a's metric is below `margin` (no b).
    Below,
    /// a's metric is above `margin` (no b).
    Above,
}

/// What is measured on one run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Metric {
    /// A column of the runs table (`test_acc`, `final_val_loss`, `metric.mc_ece`, …).
    Run(String),
    /// An epochs-table column at one epoch (`{ column = "val_loss", at_epoch = 5 }`).
    AtEpoch {
        /// The column.
        column: String,
        /// 1-based epoch.
        at_epoch: u32,
    },
    /// The first epoch at which a column reaches a target (`{ column = "val_acc", epochs_to =
    /// 0.85 }`; for a loss, reaching means falling to it). A run that never reaches it counts as
    /// its epochs + 1, and the verdict says how many did not.
    EpochsTo {
        /// The column.
        column: String,
        /// The target.
        epochs_to: f64,
    },
    /// The wall-clock seconds of training until a column reaches a target (same convention; a run
    /// that never reaches it counts its whole training time).
    SecondsTo {
        /// The column.
        column: String,
        /// The target.
        seconds_to: f64,
    },
    /// The mean over epochs of an epochs-table column (`{ mean_of = "wall_seconds" }`).
    MeanOf {
        /// The column.
        mean_of: String,
    },
    /// The difference of two runs-table columns (`{ difference = ["final_train_acc",
    /// "final_val_acc"] }`: the generalization gap).
    Difference {
        /// Minuend and subtrahend.
        difference: [String; 2],
    },
    /// log10 of the ratio of two runs-table columns (`{ log10_ratio = ["metric.init.grad_norm.001",
    /// "metric.init.grad_norm.021"] }`).
    Log10Ratio {
        /// Numerator and denominator.
        log10_ratio: [String; 2],
    },
    /// A quantity computed from definitions rather than runs (`{ computed =
    /// "max_abs_gelu_minus_gelu_sigmoid" }`); the same value for every seed.
    Computed {
        /// Its name (see `super::computed`).
        computed: String,
    },
}

impl Metric {
    /// Whether reaching a target means falling to it (losses).
    pub fn falls(column: &str) -> bool {
        column.contains("loss")
    }

    /// The metric in words, for the report.
    pub fn describe(&self) -> String {
        match self {
            Metric::Run(c) => c.clone(),
            Metric::AtEpoch { column, at_epoch } => format!("{column} at epoch {at_epoch}"),
            Metric::EpochsTo { column, epochs_to } => {
                format!("epochs to {column} {}", reach(column, *epochs_to))
            }
            Metric::SecondsTo { column, seconds_to } => {
                format!("seconds to {column} {}", reach(column, *seconds_to))
            }
            Metric::MeanOf { mean_of } => format!("mean {mean_of} per epoch"),
            Metric::Difference { difference: [a, b] } => format!("{a} − {b}"),
            Metric::Log10Ratio {
                log10_ratio: [a, b],
            } => format!("log10({a} / {b})"),
            Metric::Computed { computed } => computed.clone(),
        }
    }
}

fn reach(column: &str, target: f64) -> String {
    if Metric::falls(column) {
        format!("≤ {target}")
    } else {
        format!("≥ {target}")
    }
}

impl ClaimsFile {
    /// Reads and checks the claims file.
    pub fn load(path: &Path) -> Result<ClaimsFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
        let file: ClaimsFile = toml::from_str(&text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                (
                    line,
                    before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1,
                )
            });
            Error::StudyFile {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        for claim in &file.claim {
            for check in &claim.check {
                check.validate(&claim.id)?;
            }
        }
        Ok(file)
    }
}

impl Check {
    fn validate(&self, claim: &str) -> Result<()> {
        let bad = |why: &str| Err(Error::invalid(format!("claim {claim}: {}", self.what), why));
        let paired = matches!(self.expect, Expect::Higher | Expect::Lower | Expect::Equal);
        if paired != self.b.is_some() {
            return bad("higher/lower/equal compare a with b; below/above bound a alone");
        }
        if !paired || self.expect == Expect::Equal {
            match self.margin {
                Some(m) if m.is_finite() => {}
                _ => return bad("this expectation needs a finite `margin`"),
            }
        }
        Ok(())
    }
}
