//! Clipping by the global norm (Keras `global_clipnorm`): g ← g·c·min(1/‖G‖₂, 1/c) with ‖G‖₂
//! over all tensors (keeps the direction of the whole gradient).

use serde::{Deserialize, Serialize};

use super::{check_threshold, sum_squares, ClippingRule};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// Rescale all gradients together when their joint L2 norm exceeds `norm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalClipNorm {
    /// The norm c > 0.
    pub norm: f64,
}

impl Technique for GlobalClipNorm {
    const NAME: &'static str = "global_clip_norm";
}

impl ClippingRule for GlobalClipNorm {
    fn check(&self) -> Result<()> {
        check_threshold("global_clip_norm.norm", self.norm)
    }

    fn apply(&self, grads: &mut [Vec<f32>]) {
        let c = self.norm as f32;
        let total: f32 = grads.iter().map(|g| sum_squares(g)).sum();
        let global = total.sqrt();
        // Keras: scale = c · min(1/‖G‖, 1/c) + (‖G‖ − ‖G‖): a non-finite norm makes every
        // gradient NaN (f32::min would otherwise drop the NaN).
        let scale = if global.is_finite() {
            c * (1.0 / global).min(1.0 / c)
        } else {
            f32::NAN
        };
        for x in grads.iter_mut().flat_map(|g| g.iter_mut()) {
            *x *= scale;
        }
    }
}
