//! The max-norm constraint (Keras `MaxNorm(r, axis=0)`), after every optimizer step: each unit's
//! incoming weight vector w becomes w·min(‖w‖, r)/(ε + ‖w‖), ε = 1e-7.

use serde::{Deserialize, Serialize};

use super::ConstraintRule;
use crate::error::{Error, Result};
use crate::zoo::technique::Technique;

/// Each unit's incoming weights have L2 norm at most `max_value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxNorm {
    /// r (Keras default 2).
    #[serde(default = "two")]
    pub max_value: f64,
}

fn two() -> f64 {
    2.0
}

impl Technique for MaxNorm {
    const NAME: &'static str = "max_norm";
}

impl ConstraintRule for MaxNorm {
    fn check(&self) -> Result<()> {
        if self.max_value.is_finite() && self.max_value > 0.0 {
            Ok(())
        } else {
            Err(Error::invalid(
                "kernel_constraint.max_norm.max_value",
                format!("must be > 0, got {}", self.max_value),
            ))
        }
    }

    fn apply(&self, kernel: &mut [f32], fan_out: usize) {
        let r = self.max_value as f32;
        let mut norms = vec![0.0f32; fan_out];
        for row in kernel.chunks(fan_out) {
            for (n, &w) in norms.iter_mut().zip(row) {
                *n += w * w;
            }
        }
        let scales: Vec<f32> = norms
            .iter()
            .map(|&s| {
                let norm = s.sqrt();
                norm.clamp(0.0, r) / (1e-7 + norm)
            })
            .collect();
        for row in kernel.chunks_mut(fan_out) {
            for (w, &s) in row.iter_mut().zip(&scales) {
                *w *= s;
            }
        }
    }
}
