//! The identity (Keras "linear"): f(z) = z.

use serde::{Deserialize, Serialize};

use super::graph::{Node, TensorOps};
use super::ActivationFn;
use crate::zoo::technique::Technique;

/// Identity (Keras "linear").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Linear {}

impl Technique for Linear {
    const NAME: &'static str = "linear";
}

impl ActivationFn for Linear {
    fn scalar(&self, z: f64) -> (f64, f64) {
        (z, 1.0)
    }

    fn compose(&self, _ops: &mut dyn TensorOps, z: Node) -> Node {
        z
    }
}
