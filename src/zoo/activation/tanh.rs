//! The hyperbolic tangent: f(z) = tanh z (dfdx's op).

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{ActivationFn, Fused};
use crate::zoo::technique::Technique;

/// tanh(z).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tanh {}

impl Technique for Tanh {
    const NAME: &'static str = "tanh";
}

impl ActivationFn for Tanh {
    fn scalar(&self, z: f64) -> (f64, f64) {
        let t = z.tanh();
        (t, 1.0 - t * t)
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        ops.tanh(z)
    }

    fn fused(&self) -> Option<Fused> {
        Some(Fused::Tanh)
    }
}
