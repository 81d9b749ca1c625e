//! Clipping by norm, per tensor (Keras `clipnorm`): g ← g·c / max(‖g‖₂, c) (keeps each tensor's
//! direction).

use serde::{Deserialize, Serialize};

use super::{check_threshold, sum_squares, ClippingRule};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// Rescale each gradient tensor whose L2 norm exceeds `norm` to that norm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipNorm {
    /// The norm c > 0.
    pub norm: f64,
}

impl Technique for ClipNorm {
    const NAME: &'static str = "clip_norm";
}

impl ClippingRule for ClipNorm {
    fn check(&self) -> Result<()> {
        check_threshold("clip_norm.norm", self.norm)
    }

    fn apply(&self, grads: &mut [Vec<f32>]) {
        let c = self.norm as f32;
        for g in grads.iter_mut() {
            let l2 = sum_squares(g).sqrt();
            let denom = l2.max(c);
            for x in g.iter_mut() {
                *x = *x * c / denom;
            }
        }
    }
}
