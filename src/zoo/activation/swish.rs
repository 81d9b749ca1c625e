//! Swish (Ramachandran et al. 2017): z·σ(βz) with β fixed (fused on the `Cpu`) or learned per
//! unit starting at `beta`.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{check_non_negative, swish, swish_scalar, ActivationFn, Fused};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// z·σ(βz), β fixed or learned per unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Swish {
    /// β, or its initial value when learned (1: silu).
    #[serde(default = "beta")]
    pub beta: f64,
    /// Learn β per unit (written only when true, so fixed-β cell ids stay as they were).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub learned: bool,
}

fn beta() -> f64 {
    1.0
}

impl Technique for Swish {
    const NAME: &'static str = "swish";
}

impl ActivationFn for Swish {
    fn scalar(&self, z: f64) -> (f64, f64) {
        swish_scalar(z, f64::from(self.beta as f32))
    }

    fn check(&self) -> Result<()> {
        check_non_negative("swish.beta", self.beta)
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        swish(ops, z, self.beta as f32)
    }

    fn learned_init(&self) -> Option<f64> {
        self.learned.then_some(self.beta)
    }

    fn compose_learned(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        let shared = ops.share(&z);
        let scaled = ops.mul_param(shared);
        let gate = ops.sigmoid(scaled);
        ops.mul(z, gate)
    }

    fn fused(&self) -> Option<Fused> {
        (!self.learned).then_some(Fused::Swish {
            beta: self.beta as f32,
        })
    }
}
