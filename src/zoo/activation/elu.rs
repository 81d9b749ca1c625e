//! ELU (Clevert et al. 2016): f(z) = z if z > 0 else α(e^z − 1), through dfdx's ops as
//! relu(z) + α(exp(−relu(−z)) − 1); fused on the `Cpu`.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{check_non_negative, elu, elu_scalar, ActivationFn, Fused};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// z if z > 0 else α(e^z − 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Elu {
    /// α (1).
    #[serde(default = "alpha")]
    pub alpha: f64,
}

fn alpha() -> f64 {
    1.0
}

impl Technique for Elu {
    const NAME: &'static str = "elu";
}

impl ActivationFn for Elu {
    fn scalar(&self, z: f64) -> (f64, f64) {
        elu_scalar(z, self.alpha)
    }

    fn check(&self) -> Result<()> {
        check_non_negative("elu.alpha", self.alpha)
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        elu(ops, z, self.alpha as f32)
    }

    fn fused(&self) -> Option<Fused> {
        Some(Fused::Elu {
            alpha: self.alpha as f32,
            lambda: None,
        })
    }
}
