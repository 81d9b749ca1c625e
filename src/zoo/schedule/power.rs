//! Power scheduling: η0 / (1 + t/s)^c, by step (Keras `InverseTimeDecay` when c = 1).

use serde::{Deserialize, Serialize};

use super::{positive, ScheduleRule, ScheduleRun};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// η0 / (1 + t/s)^c.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Power {
    /// s, in steps.
    pub decay_steps: f64,
    /// c (1).
    #[serde(default = "one")]
    pub power: f64,
}

fn one() -> f64 {
    1.0
}

impl Technique for Power {
    const NAME: &'static str = "power";
}

impl ScheduleRule for Power {
    fn check(&self) -> Result<()> {
        positive("power.decay_steps", self.decay_steps)?;
        positive("power.power", self.power)
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
    rule: Power,
}

impl ScheduleRun for Run {
    fn learning_rate(&self, t: u64, _epoch: u32) -> f64 {
        self.base / (1.0 + t as f64 / self.rule.decay_steps).powf(self.rule.power)
    }
}
