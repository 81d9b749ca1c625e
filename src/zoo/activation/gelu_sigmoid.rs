//! GELU's sigmoid approximation: z·σ(1.702z) (swish with β = 1.702); fused on the `Cpu`.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{swish, swish_scalar, ActivationFn, Fused};
use crate::zoo::technique::Technique;

/// z·σ(1.702z).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeluSigmoid {}

impl Technique for GeluSigmoid {
    const NAME: &'static str = "gelu_sigmoid";
}

impl ActivationFn for GeluSigmoid {
    fn scalar(&self, z: f64) -> (f64, f64) {
        swish_scalar(z, f64::from(1.702f32))
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        swish(ops, z, 1.702)
    }

    fn fused(&self) -> Option<Fused> {
        Some(Fused::Swish { beta: 1.702 })
    }
}
