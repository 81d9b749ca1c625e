//! Reusing layers (TECHNIQUES.md "Reusing layers"): a run can first train a model A — a classifier
//! on other classes (transfer learning) or an autoencoder on the images without labels
//! (unsupervised pretraining) — then build its own model B from A's lower layers with a new head,
//! optionally keep the copied layers frozen for the first epochs and continue with another
//! learning rate after unfreezing (Keras users recompile at that point, so the optimizer starts
//! afresh). Written in a study file as a `pretrain` table; the stage is recorded with the run
//! (`pretrain.*` metrics).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::zoo::optim::OptimizerConfig;

/// What model A learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PretrainKind {
    /// Classify images of `classes` (by default the classes the run's own task does not use).
    #[default]
    Classifier,
    /// Reconstruct the images (mean squared error); the decoder mirrors the encoder, which has
    /// the run's hidden layers.
    Autoencoder,
}

/// The pretraining stage of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pretrain {
    /// Classifier or autoencoder.
    #[serde(default)]
    pub kind: PretrainKind,
    /// Epochs of model A.
    pub epochs: u32,
    /// A classifier's classes (default: those not in the run's `classes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<u8>>,
    /// A's optimizer (default: the run's).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::zoo::named::opt_string_or_table"
    )]
    pub optimizer: Option<OptimizerConfig>,
    /// A's minibatch size (default: the run's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// Train A on only the first N of its images (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_subset: Option<usize>,
    /// Lower layers of A copied into B (default: every hidden layer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse_layers: Option<usize>,
    /// Epochs of B with the copied layers frozen (0: never frozen).
    #[serde(default)]
    pub freeze_epochs: u32,
    /// B's learning rate after unfreezing (default: unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfreeze_learning_rate: Option<f64>,
}

impl Pretrain {
    /// Checks the values against the run's `epochs` and `hidden` layers.
    pub fn check(&self, epochs: u32, hidden: usize, has_schedule: bool) -> Result<()> {
        let bad = |field: &str, why: String| Err(Error::invalid(format!("pretrain.{field}"), why));
        if self.epochs == 0 {
            return bad("epochs", "must be at least 1".into());
        }
        if self.batch_size == Some(0) || self.train_subset == Some(0) {
            return bad(
                "batch_size",
                "batch_size and train_subset must be at least 1".into(),
            );
        }
        if let Some(o) = &self.optimizer {
            o.check()?;
        }
        let reuse = self.reuse_layers.unwrap_or(hidden);
        if reuse == 0 || reuse > hidden {
            return bad(
                "reuse_layers",
                format!("must be between 1 and the model's {hidden} hidden layers, got {reuse}"),
            );
        }
        if self.freeze_epochs >= epochs {
            return bad(
                "freeze_epochs",
                format!(
                    "must be less than the run's {epochs} epochs, got {}",
                    self.freeze_epochs
                ),
            );
        }
        if let Some(lr) = self.unfreeze_learning_rate {
            if !(lr.is_finite() && lr > 0.0) {
                return bad("unfreeze_learning_rate", format!("must be > 0, got {lr}"));
            }
            if self.freeze_epochs == 0 {
                return bad(
                    "unfreeze_learning_rate",
                    "needs freeze_epochs >= 1 (without freezing there is nothing to unfreeze)"
                        .into(),
                );
            }
            if has_schedule {
                return bad(
                    "unfreeze_learning_rate",
                    "cannot be combined with a schedule (which one would set η?)".into(),
                );
            }
        }
        if let Some(c) = &self.classes {
            if self.kind == PretrainKind::Autoencoder {
                return bad("classes", "an autoencoder uses no labels".into());
            }
            check_classes("pretrain.classes", c)?;
        }
        Ok(())
    }

    /// The layers copied into B.
    pub fn reused(&self, hidden: usize) -> usize {
        self.reuse_layers.unwrap_or(hidden)
    }

    /// A classifier's classes given the run's own (`None`: all ten).
    pub fn classes(&self, task: Option<&[u8]>) -> Vec<u8> {
        match (&self.classes, task) {
            (Some(c), _) => c.clone(),
            (None, Some(t)) => (0..10).filter(|c| !t.contains(c)).collect(),
            (None, None) => (0..10).collect(),
        }
    }
}

/// Checks a class list: at least two distinct classes among 0–9.
pub fn check_classes(field: &str, classes: &[u8]) -> Result<()> {
    let mut seen = [false; 10];
    for &c in classes {
        if c > 9 {
            return Err(Error::invalid(field, format!("class {c} is not among 0–9")));
        }
        if std::mem::replace(&mut seen[c as usize], true) {
            return Err(Error::invalid(field, format!("class {c} is listed twice")));
        }
    }
    if classes.len() < 2 {
        return Err(Error::invalid(field, "needs at least 2 classes"));
    }
    Ok(())
}
