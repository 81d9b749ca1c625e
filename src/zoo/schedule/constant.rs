//! The constant schedule: η0 throughout (the default).

use serde::{Deserialize, Serialize};

use super::{ScheduleRule, ScheduleRun};
use crate::zoo::technique::Technique;

/// η0 throughout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constant {}

impl Technique for Constant {
    const NAME: &'static str = "constant";
}

impl ScheduleRule for Constant {
    fn start(&self, base: f64, _total_steps: u64) -> Box<dyn ScheduleRun> {
        Box::new(Run { base })
    }
}

#[derive(Debug)]
struct Run {
    base: f64,
}

impl ScheduleRun for Run {
    fn learning_rate(&self, _t: u64, _epoch: u32) -> f64 {
        self.base
    }
}
