//! GELU's tanh approximation (Keras `gelu(approximate=True)`):
//! 0.5z(1 + tanh(√(2/π)(z + 0.044715z³))), dfdx's `fast_gelu`.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{ActivationFn, Fused};
use crate::zoo::technique::Technique;

/// 0.5z(1 + tanh(√(2/π)(z + 0.044715z³))).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeluTanh {}

impl Technique for GeluTanh {
    const NAME: &'static str = "gelu_tanh";
}

impl ActivationFn for GeluTanh {
    fn scalar(&self, z: f64) -> (f64, f64) {
        let c = (2.0 / std::f64::consts::PI).sqrt();
        let t = (c * (z + 0.044715 * z * z * z)).tanh();
        let dt = (1.0 - t * t) * c * (1.0 + 3.0 * 0.044715 * z * z);
        (0.5 * z * (1.0 + t), 0.5 * (1.0 + t) + 0.5 * z * dt)
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        ops.fast_gelu(z)
    }

    fn fused(&self) -> Option<Fused> {
        Some(Fused::GeluTanh)
    }
}
