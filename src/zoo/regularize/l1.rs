//! The L1 kernel regularizer (Keras `l1`): the loss gains λ1Σ|w|.

use serde::{Deserialize, Serialize};

use super::{check_factors, l1_l2_gradient, l1_l2_penalty, RegularizerRule};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// The L1 kernel regularizer (Keras `l1`): the loss gains λ1Σ|w|.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct L1 {
    /// λ1 (Keras default 0.01).
    #[serde(default = "hundredth")]
    pub l1: f64,
}

fn hundredth() -> f64 {
    0.01
}

impl Technique for L1 {
    const NAME: &'static str = "l1";
}

impl L1 {
    /// (λ1, λ2) in f32.
    fn factors(&self) -> (f32, f32) {
        (self.l1 as f32, 0.0)
    }
}

impl RegularizerRule for L1 {
    fn check(&self) -> Result<()> {
        check_factors(self.factors())
    }

    fn penalty(&self, kernel: &[f32]) -> f32 {
        l1_l2_penalty(self.factors(), kernel)
    }

    fn add_gradient(&self, kernel: &[f32], grad: &mut [f32]) {
        l1_l2_gradient(self.factors(), kernel, grad)
    }
}
