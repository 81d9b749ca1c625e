//! SiLU (Elfwing et al. 2018): z·σ(z), swish with β = 1; fused on the `Cpu`.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{swish, swish_scalar, ActivationFn, Fused};
use crate::zoo::technique::Technique;

/// z·σ(z).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Silu {}

impl Technique for Silu {
    const NAME: &'static str = "silu";
}

impl ActivationFn for Silu {
    fn scalar(&self, z: f64) -> (f64, f64) {
        swish_scalar(z, 1.0)
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        swish(ops, z, 1.0)
    }

    fn fused(&self) -> Option<Fused> {
        Some(Fused::Swish { beta: 1.0 })
    }
}
