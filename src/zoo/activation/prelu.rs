//! PReLU (He et al. 2015): max(αz, z) with α learned per unit, as Keras's `PReLU` computes it:
//! relu(z) − α·relu(−z). Outside training (no parameter) it is leaky_relu with the initial α.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{invalid, leaky_scalar, ActivationFn};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// max(αz, z) with α learned per unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prelu {
    /// Initial α of every unit (Keras: 0).
    #[serde(default)]
    pub alpha: f64,
}

impl Technique for Prelu {
    const NAME: &'static str = "prelu";
}

impl ActivationFn for Prelu {
    fn scalar(&self, z: f64) -> (f64, f64) {
        leaky_scalar(z, self.alpha)
    }

    fn check(&self) -> Result<()> {
        if self.alpha.is_finite() {
            Ok(())
        } else {
            Err(invalid(
                "prelu.alpha",
                format!("must be a finite number, got {}", self.alpha),
            ))
        }
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        ops.prelu(z, self.alpha as f32)
    }

    fn learned_init(&self) -> Option<f64> {
        Some(self.alpha)
    }

    fn compose_learned(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        let shared = ops.share(&z);
        let negated = ops.negate(shared);
        let relu = ops.relu(negated);
        let negative = ops.mul_param(relu);
        let positive = ops.relu(z);
        ops.sub(positive, negative)
    }
}
