//! Leaky ReLU (Maas et al. 2013): f(z) = max(αz, z), dfdx's scalar prelu.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{check_non_negative, leaky_scalar, ActivationFn};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// max(αz, z).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakyRelu {
    /// α (Keras's default 0.3; the chapter uses 0.2 and compares 0.01).
    #[serde(default = "alpha")]
    pub alpha: f64,
}

fn alpha() -> f64 {
    0.3
}

impl Technique for LeakyRelu {
    const NAME: &'static str = "leaky_relu";
}

impl ActivationFn for LeakyRelu {
    fn scalar(&self, z: f64) -> (f64, f64) {
        leaky_scalar(z, self.alpha)
    }

    fn check(&self) -> Result<()> {
        check_non_negative("leaky_relu.alpha", self.alpha)
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        ops.prelu(z, self.alpha as f32)
    }
}
