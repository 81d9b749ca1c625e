//! SELU (Klambauer et al. 2017): λ·elu_α(z) with the self-normalizing constants, as Keras; fused
//! on the `Cpu`.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::{elu, elu_scalar, ActivationFn, Fused};
use crate::zoo::technique::Technique;

/// SELU's α (Klambauer et al. 2017), as Keras.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
/// SELU's scale λ.
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;

/// λ·elu_α(z) with the self-normalizing constants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selu {}

impl Technique for Selu {
    const NAME: &'static str = "selu";
}

impl ActivationFn for Selu {
    fn scalar(&self, z: f64) -> (f64, f64) {
        let (f, df) = elu_scalar(z, SELU_ALPHA);
        (SELU_LAMBDA * f, SELU_LAMBDA * df)
    }

    fn compose(&self, ops: &mut dyn TensorOps, z: Node) -> Node {
        let elu = elu(ops, z, SELU_ALPHA as f32);
        ops.mul_scalar(elu, SELU_LAMBDA as f32)
    }

    fn fused(&self) -> Option<Fused> {
        Some(Fused::Elu {
            alpha: SELU_ALPHA as f32,
            lambda: Some(SELU_LAMBDA as f32),
        })
    }
}
