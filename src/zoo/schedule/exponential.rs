//! Exponential scheduling: η0 · r^(t/s), by step (Keras `ExponentialDecay`).

use serde::{Deserialize, Serialize};

use super::{positive, ScheduleRule, ScheduleRun};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// η0 · r^(t/s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exponential {
    /// s, in steps.
    pub decay_steps: f64,
    /// r (0.1).
    #[serde(default = "tenth")]
    pub decay_rate: f64,
}

fn tenth() -> f64 {
    0.1
}

impl Technique for Exponential {
    const NAME: &'static str = "exponential";
}

impl ScheduleRule for Exponential {
    fn check(&self) -> Result<()> {
        positive("exponential.decay_steps", self.decay_steps)?;
        positive("exponential.decay_rate", self.decay_rate)
    }

    fn start(&self, base: f64, _total_steps: u64) -> Box<dyn ScheduleRun> {
        Box::new(Run {
            base,
            rule: self.clone(),
        })
    }
}

#[derive(Debug)]
struct Run {
    base: f64,
    rule: Exponential,
}

impl ScheduleRun for Run {
    fn learning_rate(&self, t: u64, _epoch: u32) -> f64 {
        self.base * self.rule.decay_rate.powf(t as f64 / self.rule.decay_steps)
    }
}
