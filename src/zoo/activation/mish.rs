//! Mish (Misra 2019): z·tanh(softplus(z)), softplus in the stable form
//! relu(z) + ln(1 + e^−|z|), finite for every finite z.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{ActivationFn, Fused};
use crate::zoo::technique::Technique;

/// z·tanh(softplus(z)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mish {}

impl Technique for Mish {
    const NAME: &'static str = "mish";
}

impl ActivationFn for Mish {
    fn scalar(&self, z: f64) -> (f64, f64) {
        let softplus = z.max(0.0) + (-z.abs()).exp().ln_1p();
        let t = softplus.tanh();
        let sigmoid = 1.0 / (1.0 + (-z).exp());
        (z * t, t + z * (1.0 - t * t) * sigmoid)
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        let x = ops.share(&z);
        let softplus = softplus(ops, x);
        let gate = ops.tanh(softplus);
        ops.mul(z, gate)
    }

    fn fused(&self) -> Option<Fused> {
        Some(Fused::Mish)
    }
}

/// ln(1 + e^x) as relu(x) + ln(1 + e^−|x|).
fn softplus(ops: &mut dyn TensorOps, x: Node) -> Node {
    let shared = ops.share(&x);
    let abs = ops.abs(shared);
    let negated = ops.negate(abs);
    let exp = ops.exp(negated);
    let one_plus = ops.add_scalar(exp, 1.0);
    let tail = ops.ln(one_plus);
    let relu = ops.relu(x);
    ops.add(relu, tail)
}
