//! The claims file (studies/claims.toml): each of the chapter's claims (../shared/design/CLAIMS.md)
//! as checks fixed before the runs: which study, which cells (the arms a and b), which metric, the
//! claimed direction with its margin or stated magnitude, whether the claim is hedged, which arms
//! must have trained or converged (the gates), and the check's role. How the evidence becomes a
//! verdict is in the module doc of [`crate::claims`]; this file only parses and checks.
//!
//! ```toml
//! [[claim]]
//! id = "opt-1"
//! text = "momentum is faster than plain SGD; Nesterov faster than momentum"
//! study = "optimizers"
//! changed = "faster = epochs to 85% validation accuracy, not the loss after 5 epochs"
//!
//! [[claim.check]]
//! what = "momentum reaches 85% validation accuracy in fewer epochs than SGD"
//! a = { optimizer = "momentum" }
//! b = { optimizer = "sgd" }
//! metric = { column = "val_acc", epochs_to = 0.85 }
//! expect = "lower"
//! margin = 1.0
//! gates = { trained = ["a", "b"] }
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
    /// One line on what changed in this rule since the verdict of the "before" column (shown
    /// beside it in results/claims.md).
    #[serde(default)]
    pub changed: Option<String>,
    /// The checks.
    pub check: Vec<Check>,
}

/// One comparison of two arms, or a bound on one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The check in words.
    pub what: String,
    /// The arm measured: the cell with these axis values (`{ optimizer = "adam" }`; `{}` for a
    /// study's only cell).
    pub a: toml::Table,
    /// The arm it is compared with, paired by seed (absent for a bound on `a` alone).
    #[serde(default)]
    pub b: Option<toml::Table>,
    /// What is measured on each run.
    pub metric: Metric,
    /// The claimed direction.
    pub expect: Expect,
    /// For a comparison: the smallest difference that matters, in the metric's units (0.003 is
    /// 0.3 accuracy points): "equal" is TOST within ±margin, and a direction check whose
    /// difference is shown to lie within ±margin is "equivalent". Required on comparisons.
    #[serde(default)]
    pub margin: Option<f64>,
    /// For `below` / `above`: the bound.
    #[serde(default)]
    pub bound: Option<f64>,
    /// A stated magnitude, as [low, high] of the difference in the claimed direction ("about
    /// 1–2%" = [0.005, 0.025]): supported when the difference is shown to lie within it,
    /// contradicted when its interval lies wholly outside.
    #[serde(default)]
    pub band: Option<[f64; 2]>,
    /// A hedged claim's direction ("may", "tends to", "usually"): contradicted only by
    /// equivalence or by the opposite sign in every hedged check of the claim.
    #[serde(default)]
    pub hedged: bool,
    /// What the check is for (default: a test that decides the claim).
    #[serde(default)]
    pub role: Role,
    /// When the arms count as trained and converged; a check whose gated arm fails is invalid.
    /// Required, so every check says which arms it gates (`gates = {}` for none).
    pub gates: Gates,
    /// Whether `a` and `b` may each match several cells (e.g. every class pair): then a seed's
    /// value is the mean over the matched cells, and every matched cell is gated.
    #[serde(default)]
    pub pool: bool,
    /// The estimator: `auto` (the paired t test, or the signed-rank test where a value is
    /// infinite) or `rank` (always the signed-rank test with the Hodges–Lehmann estimate).
    #[serde(default)]
    pub estimator: Estimator,
    /// Judge the check on each workload of a study with a workload axis (`dataset`,
    /// `model.kind`) and overall: the overall check pools the workloads (a seed's value is the
    /// mean over them) and keeps the check's role; one descriptive check per workload is shown
    /// beside it (`claims/workloads.rs`).
    #[serde(default)]
    pub per_workload: bool,
}

/// What a check is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// It decides the claim, with the claim's other tests (one Holm family).
    #[default]
    Test,
    /// A check that must hold for the study to be a valid test of the claim at all (e.g.
    /// global-norm clipping keeps the direction by construction); outside the Holm family,
    /// and the claim is invalid when it is not supported.
    Sanity,
    /// Evidence shown beside the verdict that does not decide it.
    Descriptive,
}

/// The estimator of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// The paired t test; the signed-rank test where a difference is infinite.
    #[default]
    Auto,
    /// The signed-rank test and the Hodges–Lehmann estimate (robust to a few extreme seeds).
    Rank,
}

/// One arm of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// The arm measured.
    A,
    /// The arm compared with.
    B,
}

impl std::fmt::Display for Arm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Arm::A => "a",
            Arm::B => "b",
        })
    }
}

/// The arms a gate applies to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "ArmsInput")]
pub enum Arms {
    /// None.
    #[default]
    None,
    /// Each of these must pass.
    Each(Vec<Arm>),
    /// At least one of a and b must pass ("compare only when an arm trains").
    Either,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ArmsInput {
    List(Vec<Arm>),
    Word(String),
}

impl TryFrom<ArmsInput> for Arms {
    type Error = String;
    fn try_from(input: ArmsInput) -> std::result::Result<Self, String> {
        match input {
            ArmsInput::List(arms) if arms.is_empty() => Ok(Arms::None),
            ArmsInput::List(arms) => Ok(Arms::Each(arms)),
            ArmsInput::Word(w) if w == "either" => Ok(Arms::Either),
            ArmsInput::Word(w) => Err(format!(
                "unknown arms `{w}`: expected a list of \"a\" and \"b\", or \"either\""
            )),
        }
    }
}

impl Arms {
    /// The arms named (both for `Either`).
    pub fn named(&self) -> Vec<Arm> {
        match self {
            Arms::None => Vec::new(),
            Arms::Each(arms) => arms.clone(),
            Arms::Either => vec![Arm::A, Arm::B],
        }
    }
}

/// The gates of a check (see the module doc of [`crate::claims`] for their definitions).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gates {
    /// Arms whose median best validation accuracy must reach chance + 10 points.
    #[serde(default)]
    pub trained: Arms,
    /// Arms at least half of whose runs must have converged.
    #[serde(default)]
    pub converged: Arms,
}

/// The claimed direction of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// a's metric is higher than b's.
    Higher,
    /// a's metric is lower than b's.
    Lower,
    /// a and b are equivalent within ±margin (TOST).
    Equal,
    /// a's metric is below `bound` (no b).
    Below,
    /// a's metric is above `bound` (no b).
    Above,
}

impl Expect {
    /// Whether it compares a with b.
    pub fn compares(self) -> bool {
        matches!(self, Expect::Higher | Expect::Lower | Expect::Equal)
    }
}

/// The runs-table columns a metric may name besides `metric.<name>` ones, and `diverged` (a
/// run's 0/1, for comparing divergence rates).
pub const RUN_COLUMNS: &[&str] = &[
    "test_acc",
    "test_loss",
    "final_val_acc",
    "final_val_loss",
    "final_train_acc",
    "final_train_loss",
    "best_val_acc",
    "best_val_loss",
    "epochs_run",
    "best_epoch",
    "wall_seconds",
    "diverged",
];

/// The epochs-table columns besides `diag.<name>` ones.
pub const EPOCH_COLUMNS: &[&str] = &[
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "learning_rate",
    "wall_seconds",
];

/// What is measured on one run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "MetricInput")]
pub enum Metric {
    /// A column of the runs table (`test_acc`, `final_val_loss`, `metric.mc_ece`, …), or
    /// `diverged` (compares the arms' divergence rates).
    Run(String),
    /// An epochs-table column at one epoch (`{ column = "val_loss", at_epoch = 5 }`); a run
    /// stopped early keeps its last epoch's value.
    AtEpoch {
        /// The column.
        column: String,
        /// 1-based epoch.
        epoch: u32,
    },
    /// The first epoch at which a column reaches a target (`{ column = "val_acc", epochs_to =
    /// 0.85 }`; for a loss, reaching means falling to it). A run that never reaches it is
    /// censored: +∞, ranked worst.
    EpochsTo {
        /// The column.
        column: String,
        /// The target.
        target: f64,
    },
    /// The time to a target (`{ column = "val_acc", seconds_to = 0.85, epoch_seconds =
    /// "metric.timing.epoch_seconds" }`): the epochs to the target times the run's timed
    /// seconds per epoch, or without `epoch_seconds` the recorded wall seconds of the epochs
    /// until it is reached. Never reached: +∞.
    SecondsTo {
        /// The column.
        column: String,
        /// The target.
        target: f64,
        /// A runs-table column holding the seconds of one epoch timed in a quiet loop.
        epoch_seconds: Option<String>,
    },
    /// The mean over epochs of an epochs-table column (`{ mean_of = "val_acc", through_epoch
    /// = 5 }`: the area under the first five epochs' curve; without `through_epoch`, every
    /// recorded epoch).
    MeanOf {
        /// The column.
        column: String,
        /// The last epoch averaged.
        through_epoch: Option<u32>,
    },
    /// How much a column fell after an epoch (`{ column = "train_loss", fall_after_epoch = 10
    /// }`): its value at that epoch minus its value at the last epoch.
    FallAfter {
        /// The column.
        column: String,
        /// The epoch it is measured from.
        epoch: u32,
    },
    /// The fraction of all hidden units that a per-layer diagnostic counts, each layer weighted
    /// by its units (`{ unit_weighted = "dead_fraction" }`: dead units over all hidden units),
    /// at an epoch (`at_epoch`) or the last one.
    UnitWeighted {
        /// The diagnostic (`diag.<name>.<layer>` columns).
        diagnostic: String,
        /// 1-based epoch; `None` for the last.
        epoch: Option<u32>,
    },
    /// The difference of two runs-table columns (`{ difference = ["final_train_acc",
    /// "final_val_acc"] }`: the generalization gap).
    Difference {
        /// Minuend and subtrahend.
        columns: [String; 2],
    },
    /// |x| − |y| of two runs-table columns (`{ abs_difference = ["metric.mc_signed_ce",
    /// "metric.test_signed_ce"] }`: which is closer to 0).
    AbsDifference {
        /// x and y.
        columns: [String; 2],
    },
    /// log10 of the ratio of two runs-table columns.
    Log10Ratio {
        /// Numerator and denominator.
        columns: [String; 2],
    },
    /// |log10| of the ratio of two runs-table columns (how many decades apart, either way).
    AbsLog10Ratio {
        /// Numerator and denominator.
        columns: [String; 2],
    },
    /// A quantity computed from definitions rather than runs (`{ computed =
    /// "max_abs_gelu_minus_gelu_sigmoid" }`); the same value for every seed.
    Computed {
        /// Its name (see `super::computed`).
        name: String,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MetricInput {
    Column(String),
    Table(Box<MetricTable>),
}

/// Every key a metric table may hold; which combinations are valid is checked in
/// [`Metric::try_from`].
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MetricTable {
    column: Option<String>,
    at_epoch: Option<u32>,
    epochs_to: Option<f64>,
    seconds_to: Option<f64>,
    epoch_seconds: Option<String>,
    mean_of: Option<String>,
    through_epoch: Option<u32>,
    fall_after_epoch: Option<u32>,
    unit_weighted: Option<String>,
    difference: Option<[String; 2]>,
    abs_difference: Option<[String; 2]>,
    log10_ratio: Option<[String; 2]>,
    abs_log10_ratio: Option<[String; 2]>,
    computed: Option<String>,
}

const METRIC_FORMS: &str = "a runs column, or one of { column, at_epoch }, { column, epochs_to }, \
    { column, seconds_to [, epoch_seconds] }, { mean_of [, through_epoch] }, { column, \
    fall_after_epoch }, { unit_weighted [, at_epoch] }, { difference }, { abs_difference }, \
    { log10_ratio }, { abs_log10_ratio }, { computed }";

impl TryFrom<MetricInput> for Metric {
    type Error = String;
    fn try_from(input: MetricInput) -> std::result::Result<Self, String> {
        let t = match input {
            MetricInput::Column(c) => return Ok(Metric::Run(c)),
            MetricInput::Table(t) => *t,
        };
        let metric = match t {
            MetricTable {
                column: Some(column),
                at_epoch: Some(epoch),
                epochs_to: None,
                seconds_to: None,
                epoch_seconds: None,
                mean_of: None,
                through_epoch: None,
                fall_after_epoch: None,
                unit_weighted: None,
                difference: None,
                abs_difference: None,
                log10_ratio: None,
                abs_log10_ratio: None,
                computed: None,
            } => Metric::AtEpoch { column, epoch },
            MetricTable {
                column: Some(column),
                epochs_to: Some(target),
                at_epoch: None,
                seconds_to: None,
                epoch_seconds: None,
                mean_of: None,
                through_epoch: None,
                fall_after_epoch: None,
                unit_weighted: None,
                difference: None,
                abs_difference: None,
                log10_ratio: None,
                abs_log10_ratio: None,
                computed: None,
            } => Metric::EpochsTo { column, target },
            MetricTable {
                column: Some(column),
                seconds_to: Some(target),
                epoch_seconds,
                at_epoch: None,
                epochs_to: None,
                mean_of: None,
                through_epoch: None,
                fall_after_epoch: None,
                unit_weighted: None,
                difference: None,
                abs_difference: None,
                log10_ratio: None,
                abs_log10_ratio: None,
                computed: None,
            } => Metric::SecondsTo {
                column,
                target,
                epoch_seconds,
            },
            MetricTable {
                mean_of: Some(column),
                through_epoch,
                column: None,
                at_epoch: None,
                epochs_to: None,
                seconds_to: None,
                epoch_seconds: None,
                fall_after_epoch: None,
                unit_weighted: None,
                difference: None,
                abs_difference: None,
                log10_ratio: None,
                abs_log10_ratio: None,
                computed: None,
            } => Metric::MeanOf {
                column,
                through_epoch,
            },
            MetricTable {
                column: Some(column),
                fall_after_epoch: Some(epoch),
                at_epoch: None,
                epochs_to: None,
                seconds_to: None,
                epoch_seconds: None,
                mean_of: None,
                through_epoch: None,
                unit_weighted: None,
                difference: None,
                abs_difference: None,
                log10_ratio: None,
                abs_log10_ratio: None,
                computed: None,
            } => Metric::FallAfter { column, epoch },
            MetricTable {
                unit_weighted: Some(diagnostic),
                at_epoch: epoch,
                column: None,
                epochs_to: None,
                seconds_to: None,
                epoch_seconds: None,
                mean_of: None,
                through_epoch: None,
                fall_after_epoch: None,
                difference: None,
                abs_difference: None,
                log10_ratio: None,
                abs_log10_ratio: None,
                computed: None,
            } => Metric::UnitWeighted { diagnostic, epoch },
            t => {
                let pairs = [
                    (t.difference.is_some(), "difference"),
                    (t.abs_difference.is_some(), "abs_difference"),
                    (t.log10_ratio.is_some(), "log10_ratio"),
                    (t.abs_log10_ratio.is_some(), "abs_log10_ratio"),
                    (t.computed.is_some(), "computed"),
                ];
                let others = t.column.is_some()
                    || t.at_epoch.is_some()
                    || t.epochs_to.is_some()
                    || t.seconds_to.is_some()
                    || t.epoch_seconds.is_some()
                    || t.mean_of.is_some()
                    || t.through_epoch.is_some()
                    || t.fall_after_epoch.is_some()
                    || t.unit_weighted.is_some();
                if others || pairs.iter().filter(|(set, _)| *set).count() != 1 {
                    return Err(format!("a metric must be {METRIC_FORMS}"));
                }
                if let Some(columns) = t.difference {
                    Metric::Difference { columns }
                } else if let Some(columns) = t.abs_difference {
                    Metric::AbsDifference { columns }
                } else if let Some(columns) = t.log10_ratio {
                    Metric::Log10Ratio { columns }
                } else if let Some(columns) = t.abs_log10_ratio {
                    Metric::AbsLog10Ratio { columns }
                } else {
                    Metric::Computed {
                        name: t.computed.expect("one form is set"),
                    }
                }
            }
        };
        Ok(metric)
    }
}

impl Metric {
    /// Whether reaching a target means falling to it (losses, errors).
    pub fn falls(column: &str) -> bool {
        column.contains("loss") || column.contains("nll") || column.contains("ece")
    }

    /// Whether the check compares divergence rates rather than per-seed values.
    pub fn is_divergence(&self) -> bool {
        matches!(self, Metric::Run(c) if c == "diverged")
    }

    /// The runs-table columns the metric reads.
    fn run_columns(&self) -> Vec<&str> {
        match self {
            Metric::Run(c) => vec![c.as_str()],
            Metric::SecondsTo {
                epoch_seconds: Some(c),
                ..
            } => vec![c.as_str()],
            Metric::Difference { columns }
            | Metric::AbsDifference { columns }
            | Metric::Log10Ratio { columns }
            | Metric::AbsLog10Ratio { columns } => columns.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The epochs-table columns the metric reads.
    fn epoch_columns(&self) -> Vec<&str> {
        match self {
            Metric::AtEpoch { column, .. }
            | Metric::EpochsTo { column, .. }
            | Metric::SecondsTo { column, .. }
            | Metric::MeanOf { column, .. }
            | Metric::FallAfter { column, .. } => vec![column.as_str()],
            _ => Vec::new(),
        }
    }

    /// The metric in words, for the report.
    pub fn describe(&self) -> String {
        match self {
            Metric::Run(c) if c == "diverged" => "divergence rate".into(),
            Metric::Run(c) => c.clone(),
            Metric::AtEpoch { column, epoch } => format!("{column} at epoch {epoch}"),
            Metric::EpochsTo { column, target } => {
                format!("epochs to {column} {}", reach(column, *target))
            }
            Metric::SecondsTo {
                column,
                target,
                epoch_seconds,
            } => match epoch_seconds {
                Some(per_epoch) => format!(
                    "epochs to {column} {} × {per_epoch}",
                    reach(column, *target)
                ),
                None => format!("seconds to {column} {}", reach(column, *target)),
            },
            Metric::MeanOf {
                column,
                through_epoch: Some(e),
            } => format!("mean {column} over epochs 1–{e}"),
            Metric::MeanOf {
                column,
                through_epoch: None,
            } => format!("mean {column} per epoch"),
            Metric::FallAfter { column, epoch } => {
                format!("fall of {column} from epoch {epoch} to the last")
            }
            Metric::UnitWeighted {
                diagnostic,
                epoch: Some(e),
            } => format!("{diagnostic} over all hidden units at epoch {e}"),
            Metric::UnitWeighted {
                diagnostic,
                epoch: None,
            } => format!("{diagnostic} over all hidden units at the last epoch"),
            Metric::Difference { columns: [a, b] } => format!("{a} − {b}"),
            Metric::AbsDifference { columns: [a, b] } => format!("|{a}| − |{b}|"),
            Metric::Log10Ratio { columns: [a, b] } => format!("log10({a} / {b})"),
            Metric::AbsLog10Ratio { columns: [a, b] } => format!("|log10({a} / {b})|"),
            Metric::Computed { name } => name.clone(),
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

/// The line and column (1-based) of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

impl ClaimsFile {
    /// Reads and checks the claims file: a TOML error names its line and column, a rule that
    /// cannot be evaluated names its claim and check.
    pub fn load(path: &Path) -> Result<ClaimsFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
        Self::parse(&text, path)
    }

    /// [`Self::load`] from text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<ClaimsFile> {
        let file: ClaimsFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| line_and_column(text, s.start));
            Error::StudyFile {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        // A rule's error says where its claim and check are, as a TOML error does.
        let headers = Headers::of(text);
        let at = |claim: usize, check: Option<usize>, e: Error| -> Error {
            let (line, column) = line_and_column(text, headers.offset(claim, check));
            let message = match e {
                Error::InvalidConfig { what, message } => format!("{what}: {message}"),
                other => other.to_string(),
            };
            Error::StudyFile {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let mut ids = std::collections::BTreeSet::new();
        for (c, claim) in file.claim.iter().enumerate() {
            if !ids.insert(claim.id.as_str()) {
                return Err(at(
                    c,
                    None,
                    Error::invalid(
                        format!("claim {}", claim.id),
                        "the id is used twice".to_string(),
                    ),
                ));
            }
            for (k, check) in claim.check.iter().enumerate() {
                check.validate(&claim.id).map_err(|e| at(c, Some(k), e))?;
            }
        }
        Ok(file)
    }
}

/// Where the `[[claim]]` and `[[claim.check]]` tables of a claims file start (byte offsets),
/// to place an error of a claim's rules.
struct Headers {
    /// Each claim's header, with its checks' headers.
    claims: Vec<(usize, Vec<usize>)>,
}

impl Headers {
    fn of(text: &str) -> Headers {
        let mut claims: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset + (line.len() - line.trim_start().len());
            match line.trim() {
                "[[claim]]" => claims.push((start, Vec::new())),
                "[[claim.check]]" => {
                    if let Some((_, checks)) = claims.last_mut() {
                        checks.push(start);
                    }
                }
                _ => {}
            }
            offset += line.len();
        }
        Headers { claims }
    }

    /// The check's header, else its claim's, else the file's start.
    fn offset(&self, claim: usize, check: Option<usize>) -> usize {
        let Some((header, checks)) = self.claims.get(claim) else {
            return 0;
        };
        check
            .and_then(|k| checks.get(k))
            .copied()
            .unwrap_or(*header)
    }
}

impl Check {
    fn validate(&self, claim: &str) -> Result<()> {
        let bad = |why: String| Err(Error::invalid(format!("claim {claim}: {}", self.what), why));
        let compares = self.expect.compares();
        if compares != self.b.is_some() {
            return bad("higher/lower/equal compare a with b; below/above bound a alone".into());
        }
        if compares {
            match self.margin {
                Some(m) if m.is_finite() && m > 0.0 => {}
                _ => {
                    return bad(
                        "a comparison needs its `margin`: the smallest difference that \
                         matters, finite and positive (0.003 = 0.3 accuracy points)"
                            .into(),
                    )
                }
            }
            if self.bound.is_some() {
                return bad("`bound` is for below/above; a comparison has a `margin`".into());
            }
        } else {
            match self.bound {
                Some(b) if b.is_finite() => {}
                _ => return bad("below/above need a finite `bound`".into()),
            }
            if self.margin.is_some() {
                return bad("below/above take a `bound`, not a `margin`".into());
            }
        }
        let direction = matches!(self.expect, Expect::Higher | Expect::Lower);
        if let Some([low, high]) = self.band {
            if !direction {
                return bad("a `band` (stated magnitude) goes with higher/lower".into());
            }
            if !(low.is_finite() && high.is_finite() && low < high) {
                return bad(format!(
                    "`band` must be [low, high], finite, low < high: got [{low}, {high}]"
                ));
            }
        }
        if self.hedged && !direction {
            return bad("`hedged` is for a claimed direction (higher/lower)".into());
        }
        if self.hedged && self.role != Role::Test {
            return bad("`hedged` is for a test (role = \"test\")".into());
        }
        for (gate, arms) in [
            ("trained", &self.gates.trained),
            ("converged", &self.gates.converged),
        ] {
            if self.b.is_none() && arms.named().contains(&Arm::B) {
                return bad(format!("gate `{gate}` names arm b, but the check has no b"));
            }
        }
        if self.metric.is_divergence() {
            if !direction || self.band.is_some() || self.pool || self.per_workload {
                return bad(
                    "divergence rates are compared between a and b (higher/lower), without \
                     a band, pooling or per_workload"
                        .into(),
                );
            }
            if self.estimator == Estimator::Rank {
                return bad("divergence rates have their own test (Fisher's exact)".into());
            }
        }
        for column in self.metric.run_columns() {
            if !(RUN_COLUMNS.contains(&column) || column.starts_with("metric.")) {
                return bad(format!(
                    "unknown runs column `{column}`: one of {} or metric.<name>",
                    RUN_COLUMNS.join(", ")
                ));
            }
        }
        for column in self.metric.epoch_columns() {
            if !(EPOCH_COLUMNS.contains(&column) || column.starts_with("diag.")) {
                return bad(format!(
                    "unknown epochs column `{column}`: one of {} or diag.<name>",
                    EPOCH_COLUMNS.join(", ")
                ));
            }
        }
        if let Metric::Computed { name } = &self.metric {
            if let Err(why) = super::computed::value(name) {
                return bad(why);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ClaimsFile> {
        ClaimsFile::parse(text, Path::new("claims.toml"))
    }

    const HEAD: &str = "[[claim]]\nid = \"x-1\"\ntext = \"t\"\nstudy = \"s\"\n[[claim.check]]\n\
                        what = \"w\"\n";

    #[test]
    fn metrics_parse_in_every_form() {
        let cases = [
            ("\"test_acc\"", Metric::Run("test_acc".into())),
            (
                "{ column = \"val_loss\", at_epoch = 5 }",
                Metric::AtEpoch {
                    column: "val_loss".into(),
                    epoch: 5,
                },
            ),
            (
                "{ column = \"val_acc\", epochs_to = 0.85 }",
                Metric::EpochsTo {
                    column: "val_acc".into(),
                    target: 0.85,
                },
            ),
            (
                "{ column = \"val_acc\", seconds_to = 0.85, epoch_seconds = \"metric.timing.epoch_seconds\" }",
                Metric::SecondsTo {
                    column: "val_acc".into(),
                    target: 0.85,
                    epoch_seconds: Some("metric.timing.epoch_seconds".into()),
                },
            ),
            (
                "{ mean_of = \"val_acc\", through_epoch = 5 }",
                Metric::MeanOf {
                    column: "val_acc".into(),
                    through_epoch: Some(5),
                },
            ),
            (
                "{ column = \"train_loss\", fall_after_epoch = 10 }",
                Metric::FallAfter {
                    column: "train_loss".into(),
                    epoch: 10,
                },
            ),
            (
                "{ unit_weighted = \"dead_fraction\" }",
                Metric::UnitWeighted {
                    diagnostic: "dead_fraction".into(),
                    epoch: None,
                },
            ),
            (
                "{ abs_difference = [\"metric.x\", \"metric.y\"] }",
                Metric::AbsDifference {
                    columns: ["metric.x".into(), "metric.y".into()],
                },
            ),
        ];
        for (text, expected) in cases {
            let file = parse(&format!(
                "{HEAD}a = {{}}\nmetric = {text}\nexpect = \"above\"\nbound = 0.0\ngates = {{}}\n"
            ))
            .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(file.claim[0].check[0].metric, expected, "{text}");
        }
        // Two forms at once, or a key of none, is an error naming the forms.
        for text in [
            "{ column = \"val_acc\", epochs_to = 0.85, at_epoch = 5 }",
            "{ difference = [\"a\", \"b\"], computed = \"x\" }",
            "{ column = \"val_acc\" }",
        ] {
            let e = parse(&format!(
                "{HEAD}a = {{}}\nmetric = {text}\nexpect = \"above\"\nbound = 0.0\ngates = {{}}\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(e.contains("a metric must be"), "{text}: {e}");
        }
    }

    #[test]
    fn rules_that_cannot_be_evaluated_are_refused_with_the_reason() {
        let check = |body: &str| parse(&format!("{HEAD}{body}")).map(|_| ());
        let ok = "a = { v = 1 }\nb = { v = 2 }\nmetric = \"test_acc\"\nexpect = \"higher\"\n\
                  margin = 0.003\ngates = { trained = [\"a\", \"b\"], converged = \"either\" }\n";
        check(ok).unwrap();
        let cases = [
            (
                "a = {}\nb = {}\nmetric = \"test_acc\"\nexpect = \"higher\"\ngates = {}\n",
                "needs its `margin`",
            ),
            (
                "a = {}\nmetric = \"test_acc\"\nexpect = \"higher\"\nmargin = 0.1\ngates = {}\n",
                "compare a with b",
            ),
            (
                "a = {}\nmetric = \"test_acc\"\nexpect = \"below\"\ngates = {}\n",
                "finite `bound`",
            ),
            (
                "a = {}\nb = {}\nmetric = \"test_acc\"\nexpect = \"equal\"\nmargin = 0.003\n\
                 band = [0.1, 0.2]\ngates = {}\n",
                "goes with higher/lower",
            ),
            (
                "a = {}\nb = {}\nmetric = \"test_acc\"\nexpect = \"higher\"\nmargin = 0.003\n\
                 band = [0.2, 0.1]\ngates = {}\n",
                "low < high",
            ),
            (
                "a = {}\nmetric = \"test_acc\"\nexpect = \"above\"\nbound = 0.5\n\
                 gates = { trained = [\"b\"] }\n",
                "names arm b",
            ),
            (
                "a = {}\nb = {}\nmetric = \"test_accuracy\"\nexpect = \"higher\"\n\
                 margin = 0.003\ngates = {}\n",
                "unknown runs column `test_accuracy`",
            ),
            (
                "a = {}\nb = {}\nmetric = { column = \"val_ac\", at_epoch = 2 }\n\
                 expect = \"higher\"\nmargin = 0.003\ngates = {}\n",
                "unknown epochs column `val_ac`",
            ),
            (
                "a = {}\nb = {}\nmetric = \"diverged\"\nexpect = \"equal\"\nmargin = 0.1\n\
                 gates = {}\n",
                "divergence rates",
            ),
            (
                "a = {}\nb = {}\nmetric = \"test_acc\"\nexpect = \"equal\"\nmargin = 0.003\n\
                 hedged = true\ngates = {}\n",
                "`hedged` is for a claimed direction",
            ),
            (
                "a = {}\nmetric = { computed = \"nope\" }\nexpect = \"below\"\nbound = 1.0\n\
                 gates = {}\n",
                "unknown computed quantity",
            ),
        ];
        for (body, expected) in cases {
            let e = check(body).unwrap_err().to_string();
            assert!(e.contains(expected), "{body}\n→ {e}");
        }
        // A missing `gates` key is a TOML error with its position.
        let e = check("a = {}\nmetric = \"test_acc\"\nexpect = \"above\"\nbound = 0.5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("gates") && e.contains("claims.toml:5"), "{e}");
        let e = check(
            "a = {}\nmetric = \"test_acc\"\nexpect = \"above\"\nbound = 0.5\n\
             gates = { trained = \"both\" }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown arms `both`"), "{e}");
    }

    #[test]
    fn a_rule_error_names_the_file_line_and_column_of_its_check() {
        // Seen while writing tests/it/fuzz_parsers.rs, whose property asks every rejection for
        // its place: a check's rule error said none.
        let second = "[[claim.check]]\nwhat = \"v\"\na = {}\nmetric = \"test_acc\"\n\
                      expect = \"higher\"\ngates = {}\n";
        let text = format!(
            "{HEAD}a = {{}}\nmetric = \"test_acc\"\nexpect = \"above\"\nbound = 0.5\n\
             gates = {{}}\n  {second}"
        );
        let e = ClaimsFile::parse(&text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.toml:12:3: claim x-1: v: higher/lower/equal compare a with b"),
            "{e}"
        );
        let twice = format!(
            "{HEAD}a = {{}}\nmetric = \"test_acc\"\nexpect = \"above\"\n\
                             bound = 0.5\ngates = {{}}\n"
        );
        let e = ClaimsFile::parse(&format!("{twice}\n{twice}"), Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("c.toml:13:1: claim x-1: the id is used twice"),
            "{e}"
        );
    }
}
