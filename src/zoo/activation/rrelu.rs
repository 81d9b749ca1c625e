//! Randomized leaky ReLU (Xu et al. 2015, as PyTorch's `RReLU`): max(αz, z) with α ~ U(lower,
//! upper) per element while training, drawn from the run's noise stream, and the mean slope
//! (lower + upper)/2 otherwise.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{invalid, leaky_scalar, ActivationFn};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// max(αz, z) with α ~ U(lower, upper) per element while training, (lower + upper)/2 else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rrelu {
    /// Lowest slope (1/8).
    #[serde(default = "lower")]
    pub lower: f64,
    /// Highest slope (1/3).
    #[serde(default = "upper")]
    pub upper: f64,
}

fn lower() -> f64 {
    1.0 / 8.0
}
fn upper() -> f64 {
    1.0 / 3.0
}

impl Rrelu {
    fn mean_slope(&self) -> f64 {
        (self.lower + self.upper) / 2.0
    }
}

impl Technique for Rrelu {
    const NAME: &'static str = "rrelu";
}

impl ActivationFn for Rrelu {
    fn scalar(&self, z: f64) -> (f64, f64) {
        leaky_scalar(z, self.mean_slope())
    }

    fn check(&self) -> Result<()> {
        let (lower, upper) = (self.lower, self.upper);
        if lower.is_finite() && upper.is_finite() && 0.0 <= lower && lower <= upper {
            Ok(())
        } else {
            Err(invalid(
                "rrelu",
                format!("needs finite 0 <= lower <= upper, got lower {lower}, upper {upper}"),
            ))
        }
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        ops.prelu(z, self.mean_slope() as f32)
    }

    fn compose_train(&self, ops: &mut dyn TensorOps, z: Node, noise: &mut dyn RngCore) -> Node {
        let (lower, upper) = (self.lower, self.upper);
        let slopes: Vec<f32> = (0..ops.len())
            .map(|_| (lower + (upper - lower) * crate::zoo::rng::uniform01(noise)) as f32)
            .collect();
        let shared = ops.share(&z);
        let negated = ops.negate(shared);
        let relu = ops.relu(negated);
        let negative = ops.mul_host(relu, slopes);
        let positive = ops.relu(z);
        ops.sub(positive, negative)
    }
}
