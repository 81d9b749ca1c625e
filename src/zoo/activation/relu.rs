//! ReLU (Nair & Hinton 2010): f(z) = max(0, z); fused on the `Cpu`.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{ActivationFn, Fused};
use crate::zoo::technique::Technique;

/// max(0, z).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relu {}

impl Technique for Relu {
    const NAME: &'static str = "relu";
}

impl ActivationFn for Relu {
    fn scalar(&self, z: f64) -> (f64, f64) {
        if z > 0.0 {
            (z, 1.0)
        } else {
            (0.0, 0.0)
        }
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        ops.relu(z)
    }

    fn fused(&self) -> Option<Fused> {
        Some(Fused::Relu)
    }
}
