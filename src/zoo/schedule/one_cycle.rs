//! 1cycle (Smith 2018) as the textbook's OneCycleScheduler: η linear η0 → η_max → η0 over about
//! 90% of the steps, then down to `final` over the rest, with momentum moving the opposite way
//! when the optimizer has one.

use serde::{Deserialize, Serialize};

use super::{positive, ScheduleRule, ScheduleRun};
use crate::error::{Error, Result};
use crate::zoo::technique::Technique;

/// 1cycle (Smith 2018) as the textbook's OneCycleScheduler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneCycle {
    /// η_max.
    pub max_learning_rate: f64,
    /// η0 (η_max / 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_learning_rate: Option<f64>,
    /// The rate at the last step (η0 / 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_learning_rate: Option<f64>,
    /// Momentum at the ends of the cycle (0.95).
    #[serde(default = "momentum_high")]
    pub max_momentum: f64,
    /// Momentum at the peak of η (0.85).
    #[serde(default = "momentum_low")]
    pub min_momentum: f64,
}

fn momentum_high() -> f64 {
    0.95
}
fn momentum_low() -> f64 {
    0.85
}

impl Technique for OneCycle {
    const NAME: &'static str = "one_cycle";
}

impl ScheduleRule for OneCycle {
    fn check(&self) -> Result<()> {
        positive("one_cycle.max_learning_rate", self.max_learning_rate)?;
        if let Some(v) = self.start_learning_rate {
            positive("one_cycle.start_learning_rate", v)?;
        }
        if let Some(v) = self.final_learning_rate {
            positive("one_cycle.final_learning_rate", v)?;
        }
        if !(0.0..1.0).contains(&self.max_momentum) || !(0.0..1.0).contains(&self.min_momentum) {
            return Err(Error::invalid(
                "schedule.one_cycle",
                "momenta must be in [0, 1)",
            ));
        }
        Ok(())
    }

    fn start(&self, _base: f64, total_steps: u64) -> Box<dyn ScheduleRun> {
        Box::new(Run {
            rule: self.clone(),
            total_steps,
        })
    }
}

#[derive(Debug)]
struct Run {
    rule: OneCycle,
    /// All steps of the run: the cycle's length.
    total_steps: u64,
}

impl Run {
    /// (η, momentum) at iteration `t`, as the textbook's callback computes them.
    fn at(&self, t: u64) -> (f64, f64) {
        let OneCycle {
            max_learning_rate: max,
            start_learning_rate,
            final_learning_rate,
            max_momentum,
            min_momentum,
        } = self.rule;
        let start = start_learning_rate.unwrap_or(max / 10.0);
        let last = final_learning_rate.unwrap_or(start / 1000.0);
        let iterations = self.total_steps;
        let last_iterations = iterations / 10 + 1;
        let half = iterations.saturating_sub(last_iterations) / 2;
        let interpolate = |i1: u64, i2: u64, v1: f64, v2: f64| {
            if i2 == i1 {
                v2
            } else {
                (v2 - v1) * (t as f64 - i1 as f64) / (i2 as f64 - i1 as f64) + v1
            }
        };
        if t < half {
            (
                interpolate(0, half, start, max),
                interpolate(0, half, max_momentum, min_momentum),
            )
        } else if t < 2 * half {
            (
                interpolate(half, 2 * half, max, start),
                interpolate(half, 2 * half, min_momentum, max_momentum),
            )
        } else {
            (interpolate(2 * half, iterations, start, last), max_momentum)
        }
    }
}

impl ScheduleRun for Run {
    fn learning_rate(&self, t: u64, _epoch: u32) -> f64 {
        self.at(t).0
    }

    fn momentum(&self, t: u64) -> Option<f64> {
        Some(self.at(t).1)
    }
}
