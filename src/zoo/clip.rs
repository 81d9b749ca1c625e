//! Gradient clipping (TECHNIQUES.md "Gradient clipping"), applied to a step's gradients before
//! the optimizer sees them, in Keras 3's float32 arithmetic (`clipvalue`, `clipnorm`,
//! `global_clipnorm` of keras/src/optimizers/base_optimizer.py):
//! - clip_value(v): g ← clamp(g, −v, v) per element (may change the direction);
//! - clip_norm(c), per tensor: g ← g·c / max(‖g‖₂, c);
//! - global_clip_norm(c): g ← g·c·min(1/‖G‖₂, 1/c) with ‖G‖₂ over all tensors (keeps the direction).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A clipping rule and its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum Clipping {
    /// Clamp every gradient element to [−value, value].
    ClipValue {
        /// The bound v > 0.
        value: f64,
    },
    /// Rescale each gradient tensor whose L2 norm exceeds `norm` to that norm.
    ClipNorm {
        /// The norm c > 0.
        norm: f64,
    },
    /// Rescale all gradients together when their joint L2 norm exceeds `norm`.
    GlobalClipNorm {
        /// The norm c > 0.
        norm: f64,
    },
}

/// The names accepted in a study file.
pub const NAMES: [&str; 3] = ["clip_value", "clip_norm", "global_clip_norm"];

/// Σx² of a tensor in f32, as a reduction would.
fn sum_squares(g: &[f32]) -> f32 {
    g.iter().map(|x| x * x).sum()
}

impl Clipping {
    /// Checks the threshold.
    pub fn check(&self) -> Result<()> {
        let (what, v) = match *self {
            Clipping::ClipValue { value } => ("clip_value.value", value),
            Clipping::ClipNorm { norm } => ("clip_norm.norm", norm),
            Clipping::GlobalClipNorm { norm } => ("global_clip_norm.norm", norm),
        };
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(Error::invalid(
                format!("clipping.{what}"),
                format!("must be > 0, got {v}"),
            ))
        }
    }

    /// Clips one step's gradients (one slice per parameter tensor) in place.
    pub fn apply(&self, grads: &mut [Vec<f32>]) {
        match *self {
            Clipping::ClipValue { value } => {
                let v = value as f32;
                for g in grads.iter_mut().flat_map(|g| g.iter_mut()) {
                    *g = g.clamp(-v, v);
                }
            }
            Clipping::ClipNorm { norm } => {
                let c = norm as f32;
                for g in grads.iter_mut() {
                    let l2 = sum_squares(g).sqrt();
                    let denom = l2.max(c);
                    for x in g.iter_mut() {
                        *x = *x * c / denom;
                    }
                }
            }
            Clipping::GlobalClipNorm { norm } => {
                let c = norm as f32;
                let total: f32 = grads.iter().map(|g| sum_squares(g)).sum();
                let global = total.sqrt();
                // Keras: scale = c · min(1/‖G‖, 1/c) + (‖G‖ − ‖G‖): a non-finite norm makes
                // every gradient NaN (f32::min would otherwise drop the NaN).
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chapter's example: the gradient [0.9, 100.0] clipped by value 1.0 becomes [0.9, 1.0]
    /// (its direction changes), by norm 1.0 about [0.00899964, 0.9999595] (direction kept).
    #[test]
    fn the_chapters_example() {
        let mut by_value = vec![vec![0.9f32, 100.0]];
        Clipping::ClipValue { value: 1.0 }.apply(&mut by_value);
        assert_eq!(by_value, [[0.9f32, 1.0]]);

        let mut by_norm = vec![vec![0.9f32, 100.0]];
        Clipping::ClipNorm { norm: 1.0 }.apply(&mut by_norm);
        let n = (0.9f64 * 0.9 + 100.0 * 100.0).sqrt();
        assert!(
            (f64::from(by_norm[0][0]) - 0.9 / n).abs() < 1e-7,
            "{by_norm:?}"
        );
        assert!(
            (f64::from(by_norm[0][1]) - 100.0 / n).abs() < 1e-6,
            "{by_norm:?}"
        );
        assert!((f64::from(by_norm[0][0]) - 0.00899964).abs() < 1e-7);
    }

    #[test]
    fn small_gradients_pass_unchanged_and_global_keeps_the_direction() {
        let small = vec![vec![0.3f32, -0.4], vec![0.1]];
        for rule in [
            Clipping::ClipValue { value: 1.0 },
            Clipping::ClipNorm { norm: 1.0 },
            Clipping::GlobalClipNorm { norm: 1.0 },
        ] {
            let mut g = small.clone();
            rule.apply(&mut g);
            assert_eq!(g, small, "{rule:?}");
        }
        // Two tensors of norms 3 and 4: global norm 5, clipped to 1 → every value × 0.2.
        let mut g = vec![vec![3.0f32, 0.0], vec![0.0, 4.0]];
        Clipping::GlobalClipNorm { norm: 1.0 }.apply(&mut g);
        assert_eq!(g, [[0.6f32, 0.0], [0.0, 0.8]]);
        // Per tensor, each is clipped on its own.
        let mut g = vec![vec![3.0f32, 0.0], vec![0.0, 4.0]];
        Clipping::ClipNorm { norm: 1.0 }.apply(&mut g);
        assert_eq!(g, [[1.0f32, 0.0], [0.0, 1.0]]);
    }

    #[test]
    fn thresholds_must_be_positive() {
        assert!(Clipping::ClipNorm { norm: 0.0 }.check().is_err());
        assert!(Clipping::ClipValue { value: -1.0 }.check().is_err());
        assert!(Clipping::GlobalClipNorm { norm: f64::NAN }.check().is_err());
        assert!(Clipping::GlobalClipNorm { norm: 1.0 }.check().is_ok());
    }
}
