//! Both kernel regularizers (Keras `l1_l2`): the loss gains λ1Σ|w| + λ2Σw².

use serde::{Deserialize, Serialize};

use super::{check_factors, l1_l2_gradient, l1_l2_penalty, RegularizerRule};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// Both kernel regularizers (Keras `l1_l2`): the loss gains λ1Σ|w| + λ2Σw².
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct L1L2 {
    /// λ1 (0.01, as `keras.regularizers.l1_l2()`).
    #[serde(default = "hundredth")]
    pub l1: f64,
    /// λ2 (0.01).
    #[serde(default = "hundredth")]
    pub l2: f64,
}

fn hundredth() -> f64 {
    0.01
}

impl Technique for L1L2 {
    const NAME: &'static str = "l1_l2";
}

impl L1L2 {
    /// (λ1, λ2) in f32.
    fn factors(&self) -> (f32, f32) {
        (self.l1 as f32, self.l2 as f32)
    }
}

impl RegularizerRule for L1L2 {
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
