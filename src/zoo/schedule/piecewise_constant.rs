//! Piecewise constant scheduling, by epoch: `values[i]` while the epoch (1-based) is
//! ≤ `boundaries[i]`, then the last value (Keras `PiecewiseConstantDecay`, in epochs). Or, with
//! `factors` instead of `values`, η0 × `factors[i]`: the same shape at any base learning rate, so
//! a study can tune η0 of a piecewise schedule as it tunes a constant one.

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
    /// One more value than boundaries (or none, with `factors`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<f64>,
    /// Instead of `values`: multiples of the optimizer's learning rate η0, one more than
    /// boundaries. Absent from a config that does not use it (so recorded cell ids stay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factors: Option<Vec<f64>>,
}

impl PiecewiseConstant {
    /// The rates or the factors, whichever the config gives.
    fn given(&self) -> &[f64] {
        self.factors.as_deref().unwrap_or(&self.values)
    }
}

impl Technique for PiecewiseConstant {
    const NAME: &'static str = "piecewise_constant";
}

impl ScheduleRule for PiecewiseConstant {
    fn check(&self) -> Result<()> {
        // Both given, or neither (exactly one is valid).
        if self.factors.is_some() != self.values.is_empty() {
            return Err(Error::invalid(
                "schedule.piecewise_constant",
                "give either `values` (rates) or `factors` (multiples of the optimizer's \
                 learning rate), not both or neither",
            ));
        }
        let (boundaries, values) = (&self.boundaries, self.given());
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

    fn start(&self, base: f64, _total_steps: u64) -> Box<dyn ScheduleRun> {
        let rates = match &self.factors {
            Some(factors) => factors.iter().map(|f| base * f).collect(),
            None => self.values.clone(),
        };
        Box::new(Run {
            boundaries: self.boundaries.clone(),
            rates,
        })
    }
}

#[derive(Debug)]
struct Run {
    boundaries: Vec<u32>,
    rates: Vec<f64>,
}

impl ScheduleRun for Run {
    fn learning_rate(&self, _t: u64, epoch: u32) -> f64 {
        self.rates[self.boundaries.iter().filter(|&&b| epoch > b).count()]
    }
}
