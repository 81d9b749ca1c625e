//! Clipping by value (Keras `clipvalue`): g ← clamp(g, −v, v) per element (may change the
//! gradient's direction).

use serde::{Deserialize, Serialize};

use super::{check_threshold, ClippingRule};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// Clamp every gradient element to [−value, value].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipValue {
    /// The bound v > 0.
    pub value: f64,
}

impl Technique for ClipValue {
    const NAME: &'static str = "clip_value";
}

impl ClippingRule for ClipValue {
    fn check(&self) -> Result<()> {
        check_threshold("clip_value.value", self.value)
    }

    fn apply(&self, grads: &mut [Vec<f32>]) {
        let v = self.value as f32;
        for g in grads.iter_mut().flat_map(|g| g.iter_mut()) {
            *g = g.clamp(-v, v);
        }
    }
}
