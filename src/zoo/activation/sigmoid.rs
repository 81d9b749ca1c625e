//! The logistic sigmoid: f(z) = 1 / (1 + e^−z) (dfdx's op).

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{ActivationFn, Fused};
use crate::zoo::technique::Technique;

/// 1 / (1 + e^−z).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sigmoid {}

impl Technique for Sigmoid {
    const NAME: &'static str = "sigmoid";
}

impl ActivationFn for Sigmoid {
    fn scalar(&self, z: f64) -> (f64, f64) {
        let s = 1.0 / (1.0 + (-z).exp());
        (s, s * (1.0 - s))
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        ops.sigmoid(z)
    }

    fn fused(&self) -> Option<Fused> {
        Some(Fused::Sigmoid)
    }
}
