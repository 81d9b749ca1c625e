//! A run's configuration: [`RunConfig`], everything one training run needs besides its seed (a
//! grid cell of a study, fully resolved), with the range checks of every value, and the settings
//! of the per-layer diagnostics a run can record ([`Diagnostics`]).
//!
//! It sits below the training loop and beside the model: `train` reads it, `study` builds it from
//! study files (and hashes its canonical JSON into the cell id, so the field order and the
//! skipped defaults here are part of every recorded cell id). Parsing study files, `--quick` and
//! the command-line overrides stay in `study`.
//!
//! [`Numerics`] is the version of the arithmetic a run computes under (issue 11 item 8): its rule
//! for staying out of the canonical JSON, and how to make version 2 the default later, are in its
//! doc.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::ModelSpec;
use crate::zoo::calibration::McDropout;
use crate::zoo::clip::Clipping;
use crate::zoo::optim::OptimizerConfig;
use crate::zoo::regularize::{Constraint, EarlyStopping, Regularizer};
use crate::zoo::reuse::{check_classes, Pretrain};
use crate::zoo::schedule::Schedule;

/// Everything one run needs besides its seed: the resolved config of a cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Epochs to train.
    pub epochs: u32,
    /// Minibatch size (the last minibatch of an epoch may be smaller, as in Keras).
    #[serde(default = "batch_size")]
    pub batch_size: usize,
    /// Train on only the first N training images (None: all 55,000; with `classes`, the first
    /// N images of those classes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_subset: Option<usize>,
    /// How the `train_subset` images are chosen: the first N (the default, left out of the
    /// canonical config so existing cell ids stay), or a draw seeded by the run's subset seed.
    #[serde(default, skip_serializing_if = "SubsetDraw::is_first")]
    pub train_subset_draw: SubsetDraw,
    /// The task's classes, relabelled 0, 1, … in this order (None: all ten). Validation and test
    /// sets keep only these classes too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<u8>>,
    /// Standardize every input feature with the training set's mean and standard deviation (as
    /// SELU's self-normalization assumes); pixels are in [0, 1] otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub standardize: bool,
    /// The network.
    pub model: ModelSpec,
    /// The optimizer and its hyperparameters.
    #[serde(deserialize_with = "crate::zoo::named::string_or_table")]
    pub optimizer: OptimizerConfig,
    /// Gradient clipping before each optimizer step (none by default). Absent fields stay out
    /// of the canonical config, so adding a technique does not change existing cells' ids.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::zoo::named::opt_string_or_table"
    )]
    pub clipping: Option<Clipping>,
    /// The learning-rate schedule (constant by default).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::zoo::named::opt_string_or_table"
    )]
    pub schedule: Option<Schedule>,
    /// Kernel regularizer: "l1", "l2", "l1_l2" or a table with the factors (none by default).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::zoo::named::opt_string_or_table"
    )]
    pub kernel_regularizer: Option<Regularizer>,
    /// With batch norm: also fold it into the dense layers after training and record how far the
    /// folded network's test logits are from the unfolded one's (`bn.fold_max_abs_diff`) and its
    /// inference speedup (`timing.fold_speedup`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fold_check: bool,
    /// Decoupled weight decay λ for any optimizer (Keras's `weight_decay`): every parameter
    /// shrinks by η·λ·w before each update (none by default; AdamW has its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f64>,
    /// Kernel constraint after each step: "max_norm" or { name = "max_norm", max_value = r }.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::zoo::named::opt_string_or_table"
    )]
    pub kernel_constraint: Option<Constraint>,
    /// Early stopping on the validation loss (none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<EarlyStopping>,
    /// MC dropout evaluation of the final model on the test set (needs model.dropout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mc_dropout: Option<McDropout>,
    /// Per-layer diagnostics at initialization and after every epoch (off by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Diagnostics>,
    /// A pretraining stage whose lower layers the run reuses (none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretrain: Option<Pretrain>,
    /// The numerics version the run computes under (see [`Numerics`]): absent means version 1,
    /// and version 1 is never written, so the cells recorded before versions existed keep their
    /// ids; every other version is written, so its cells have ids of their own.
    #[serde(default, skip_serializing_if = "Numerics::is_unwritten")]
    pub numerics: Numerics,
    /// The dataset the run trains on: a name in `data::catalog` ("fashion-mnist", the default,
    /// never written, so the cells recorded before workloads existed keep their ids; "mnist").
    #[serde(
        default = "default_dataset",
        skip_serializing_if = "is_default_dataset"
    )]
    pub dataset: String,
}

/// The dataset a config without `dataset` trains on (`data::catalog::DEFAULT`'s name: the
/// config sits beside the data module, not above it; `study::grid`'s tests keep the two equal).
pub const DEFAULT_DATASET: &str = "fashion-mnist";

fn default_dataset() -> String {
    DEFAULT_DATASET.to_string()
}

fn is_default_dataset(name: &String) -> bool {
    name == DEFAULT_DATASET
}

/// A numerics version: which kernels compute a run's numbers (`kernels::numerics`). Version 1
/// is the arithmetic of every result recorded before versions existed (gemm 0.15's bits, glibc's
/// scalar `expf`, dfdx's float order); version 2 is trainbench's own kernels (frozen at merge
/// 860ee50, before the fair re-run's final runs; the default for new studies since the re-run).
/// A change that alters any trained number is a new version, never a silent change; results of
/// different versions never mix (their cells have different ids, and `study` refuses to add
/// runs of one version to a result set of another).
///
/// # In a config, absent means version 1, for ever
///
/// The canonical JSON of a run config (hashed into its cell id, and recorded with every run)
/// leaves out exactly version 1 and writes every other version, whatever the default for new
/// runs is. Recorded configs without the key are version 1, now and after any flip.
///
/// # The default for new runs (flipped to version 2)
///
/// What a study file that names no version resolves to is [`Numerics::FOR_NEW_STUDIES`], a
/// separate constant from what an absent key means. Version 2 became the default by changing
/// that one line, with the fair re-run's results committed and version 1's moved to
/// `results/v1/`: study files without `numerics` resolve to `numerics = 2`, written into their
/// JSON exactly as for the version-2 cells made before the flip with `numerics = 2` in `[base]`,
/// so those cells kept their ids and results. Version 1 stays selectable with `numerics = 1` in
/// a study's `[base]` (studies/v1's files say so) or `--numerics 1`, and its cells hash as they
/// always did (no key), so `trainbench --studies studies/v1 verify NAME --results results/v1`
/// keeps checking the old results. Never make `skip_serializing_if` follow the new-runs
/// default instead: after the flip that would drop the key from version 2's JSON, changing
/// every version-2 cell id and making version-1 records read as version 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Numerics(u32);

impl Numerics {
    /// Version 1: the numbers recorded before versions existed.
    pub const V1: Numerics = Numerics(kernels::numerics::V1);
    /// Version 2: trainbench's own kernels.
    pub const V2: Numerics = Numerics(kernels::numerics::V2);
    /// What a config without the key means (never changes: see the type's doc).
    pub const ABSENT: Numerics = Numerics::V1;
    /// The version a study file that names none resolves to (the one line of a flip).
    pub const FOR_NEW_STUDIES: Numerics = Numerics::V2;

    /// The version number.
    pub fn get(self) -> u32 {
        self.0
    }

    /// Whether the canonical JSON leaves it out (version 1 only).
    pub fn is_unwritten(&self) -> bool {
        *self == Numerics::ABSENT
    }

    /// Makes the calling thread compute under this version until the scope is dropped (a run
    /// does this for its whole duration).
    #[must_use = "the version holds only while the scope lives"]
    pub fn enter(self) -> kernels::numerics::Scope {
        kernels::numerics::enter(self.0)
    }
}

impl Default for Numerics {
    fn default() -> Self {
        Numerics::ABSENT
    }
}

impl TryFrom<u32> for Numerics {
    type Error = String;

    fn try_from(version: u32) -> std::result::Result<Self, String> {
        if kernels::numerics::is_known(version) {
            Ok(Numerics(version))
        } else {
            Err(format!(
                "numerics version {version} is not one this trainbench computes; valid: {}",
                kernels::numerics::KNOWN
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}

impl From<Numerics> for u32 {
    fn from(n: Numerics) -> u32 {
        n.0
    }
}

impl std::fmt::Display for Numerics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fn batch_size() -> usize {
    32
}

impl RunConfig {
    /// Checks every value's range.
    pub fn check(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1"));
        }
        if self.train_subset == Some(0) {
            return Err(Error::invalid("train_subset", "must be at least 1"));
        }
        if !self.train_subset_draw.is_first() && self.train_subset.is_none() {
            return Err(Error::invalid(
                "train_subset_draw",
                "draws from the training images only with a `train_subset` size: add train_subset = N",
            ));
        }
        self.model.check()?;
        self.optimizer.check()?;
        if let Some(c) = &self.clipping {
            c.check()?;
        }
        if let Some(s) = &self.schedule {
            s.check()?;
        }
        if let Some(r) = &self.kernel_regularizer {
            r.check()?;
        }
        if let Some(c) = &self.kernel_constraint {
            c.check()?;
        }
        if let Some(e) = &self.early_stopping {
            e.check()?;
        }
        if let Some(m) = &self.mc_dropout {
            m.check()?;
            if self.model.dropout.is_none() {
                return Err(Error::invalid(
                    "mc_dropout",
                    "needs dropout in the model: add model.dropout = { name = \"dropout\", rate = 0.2 }",
                ));
            }
        }
        if let Some(d) = &self.diagnostics {
            d.check()?;
        }
        if let Some(wd) = self.weight_decay {
            if !(wd.is_finite() && wd >= 0.0) {
                return Err(Error::invalid(
                    "weight_decay",
                    format!("must be a finite number >= 0, got {wd}"),
                ));
            }
        }
        if let Some(c) = &self.classes {
            check_classes("classes", c)?;
        }
        if self.model.kind == crate::model::ModelKind::Cnn {
            // Folding assumes a BN next to a dense layer's kernel rows or columns, and the
            // autoencoder pretraining mirrors dense layers: neither is built for conv layers yet.
            for (set, what) in [
                (self.fold_check, "fold_check"),
                (self.pretrain.is_some(), "pretrain"),
            ] {
                if set {
                    return Err(Error::invalid(
                        what,
                        "does not apply to model.kind = \"cnn\" yet (only to \"mlp\")",
                    ));
                }
            }
        }
        if let Some(p) = &self.pretrain {
            p.check(
                self.epochs,
                self.model.hidden.len(),
                self.schedule.is_some(),
            )?;
        }
        Ok(())
    }
}

/// How a run's `train_subset` images are chosen from the training split (of its classes, if it
/// names them). A drawn subset keeps the images in file order; the order stream shuffles them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubsetDraw {
    /// The first N images (the textbook's choice, and the default).
    #[default]
    First,
    /// N images drawn uniformly without replacement with the run's subset seed.
    Random,
    /// N images drawn with the run's subset seed so that every class gets an equal share (N/C,
    /// the remainder to the lowest labels; a class with too few images gives all it has and the
    /// rest go to the others).
    Stratified,
}

impl SubsetDraw {
    /// Whether this is the default draw (the first N images).
    pub fn is_first(&self) -> bool {
        *self == SubsetDraw::First
    }
}

/// The diagnostics settings of a run (TECHNIQUES.md "Diagnostics"): per-layer activation
/// statistics and gradient norms, measured by the training loop at initialization and after
/// every epoch on the first `probe` validation images.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diagnostics {
    /// Validation images the diagnostics are measured on (1000).
    #[serde(default = "thousand")]
    pub probe: usize,
}

fn thousand() -> usize {
    1000
}

impl Diagnostics {
    /// Checks the probe size.
    pub fn check(&self) -> Result<()> {
        if self.probe == 0 {
            return Err(Error::invalid(
                "diagnostics.probe",
                "needs at least 1 image",
            ));
        }
        Ok(())
    }
}
