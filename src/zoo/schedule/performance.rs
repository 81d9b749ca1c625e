//! Performance scheduling: Keras's `ReduceLROnPlateau` on the validation loss, at each epoch's
//! end: η ← max(η·factor, min_lr) after `patience` epochs without an improvement of `min_delta`.

use serde::{Deserialize, Serialize};

use super::{ScheduleRule, ScheduleRun};
use crate::error::{Error, Result};
use crate::zoo::technique::Technique;

/// Multiply η by `factor` when the validation loss has not improved by `min_delta` for
/// `patience` epochs (Keras ReduceLROnPlateau).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Performance {
    /// (0.1).
    #[serde(default = "tenth")]
    pub factor: f64,
    /// Epochs without improvement (10).
    #[serde(default = "ten")]
    pub patience: u32,
    /// Smallest decrease that counts as improvement (1e-4).
    #[serde(default = "min_delta")]
    pub min_delta: f64,
    /// Epochs to wait after a reduction (0).
    #[serde(default)]
    pub cooldown: u32,
    /// Lower bound of η (0).
    #[serde(default)]
    pub min_lr: f64,
}

fn tenth() -> f64 {
    0.1
}
fn ten() -> u32 {
    10
}
fn min_delta() -> f64 {
    1e-4
}

impl Technique for Performance {
    const NAME: &'static str = "performance";
}

impl ScheduleRule for Performance {
    fn check(&self) -> Result<()> {
        if !(self.factor > 0.0 && self.factor < 1.0) {
            return Err(Error::invalid(
                "schedule.performance.factor",
                format!("must be in (0, 1), got {}", self.factor),
            ));
        }
        if !(self.min_delta.is_finite() && self.min_delta >= 0.0 && self.min_lr >= 0.0) {
            return Err(Error::invalid(
                "schedule.performance",
                "min_delta and min_lr must be >= 0",
            ));
        }
        Ok(())
    }

    fn start(&self, base: f64, _total_steps: u64) -> Box<dyn ScheduleRun> {
        Box::new(Run {
            rule: self.clone(),
            current: base,
            best: f64::INFINITY,
            wait: 0,
            cooldown_left: 0,
        })
    }
}

/// The rate now, the best loss, epochs waited, cooldown left.
#[derive(Debug)]
struct Run {
    rule: Performance,
    current: f64,
    best: f64,
    wait: u32,
    cooldown_left: u32,
}

impl ScheduleRun for Run {
    fn learning_rate(&self, _t: u64, _epoch: u32) -> f64 {
        self.current
    }

    fn end_epoch(&mut self, val_loss: f64) {
        let Performance {
            factor,
            patience,
            min_delta,
            cooldown,
            min_lr,
        } = self.rule;
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.wait = 0;
        }
        // Keras (min mode): an improvement is `value + min_delta < best`.
        if val_loss + min_delta < self.best {
            self.best = val_loss;
            self.wait = 0;
        } else if self.cooldown_left == 0 {
            self.wait += 1;
            if self.wait >= patience && (self.current as f32) > (min_lr as f32) {
                self.current = (self.current * factor).max(min_lr);
                self.cooldown_left = cooldown;
                self.wait = 0;
            }
        }
    }
}
