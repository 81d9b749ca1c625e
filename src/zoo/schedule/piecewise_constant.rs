//! Piecewise constant scheduling, by epoch: `values[i]` while the epoch (1-based) is
//! ≤ `boundaries[i]`, then the last value (Keras `PiecewiseConstantDecay`, in epochs).

use serde::{Deserialize, Serialize};

use super::{positive, ScheduleRule, ScheduleRun};
use crate::error::{Error, Result};
use crate::zoo::technique::Technique;

/// A rate per range of epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiecewiseConstant {
    /// Last epoch (1-based) of each value but the final one, increasing.
    pub boundaries: Vec<u32>,
    /// One more value than boundaries.
    pub values: Vec<f64>,
}

impl Technique for PiecewiseConstant {
    const NAME: &'static str = "piecewise_constant";
}

impl ScheduleRule for PiecewiseConstant {
    fn check(&self) -> Result<()> {
        let (boundaries, values) = (&self.boundaries, &self.values);
        if values.len() != boundaries.len() + 1 {
            return Err(Error::invalid(
                "schedule.piecewise_constant",
                format!(
                    "needs one more value than boundaries, got {} values for {} boundaries",
                    values.len(),
                    boundaries.len()
                ),
            ));
        }
        if boundaries.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::invalid(
                "schedule.piecewise_constant.boundaries",
                "must increase",
            ));
        }
        values
            .iter()
            .try_for_each(|&v| positive("piecewise_constant.values", v))
    }

    fn start(&self, _base: f64, _total_steps: u64) -> Box<dyn ScheduleRun> {
        Box::new(Run(self.clone()))
    }
}

#[derive(Debug)]
struct Run(PiecewiseConstant);

impl ScheduleRun for Run {
    fn learning_rate(&self, _t: u64, epoch: u32) -> f64 {
        let PiecewiseConstant { boundaries, values } = &self.0;
        values[boundaries.iter().filter(|&&b| epoch > b).count()]
    }
}
