//! Gradient clipping (TECHNIQUES.md "Gradient clipping"): a plug-in family. A rule
//! ([`ClippingRule`]) rewrites a step's gradients (one slice per parameter tensor) before the
//! optimizer sees them. The built-ins follow Keras 3's float32 arithmetic (`clipvalue`,
//! `clipnorm`, `global_clipnorm` of keras/src/optimizers/base_optimizer.py), one file each,
//! listed in its family's `builtins()`:
//! - clip_value(v): g ← clamp(g, −v, v) per element (may change the direction);
//! - clip_norm(c), per tensor: g ← g·c / max(‖g‖₂, c);
//! - global_clip_norm(c): g ← g·c·min(1/‖G‖₂, 1/c) with ‖G‖₂ over all tensors (keeps the direction).

mod clip_norm;
mod clip_value;
mod global_clip_norm;

pub use clip_norm::ClipNorm;
pub use clip_value::ClipValue;
pub use global_clip_norm::GlobalClipNorm;

use std::sync::Arc;

use super::registry::Config;
use super::registry::Registry;
use super::technique::{typed, DynTechnique, Erase, Factory, Family, Technique};
use crate::error::{Error, Result};

impl Registry {
    /// Adds the gradient-clipping rule `T` (a user's own, or a built-in listed again).
    pub fn clipping<T: ClippingRule>(self) -> Self {
        self.with::<Clippings>(typed::<Clippings, T>())
    }
}

/// A gradient-clipping rule: what a user's crate implements (with [`Technique`]) to add one.
pub trait ClippingRule: Technique {
    /// Checks the parameters (errors name `clipping.<name>.<what>`).
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// Clips one step's gradients (one slice per parameter tensor) in place.
    fn apply(&self, grads: &mut [Vec<f32>]);
}

/// A clipping rule behind a trait object; implemented for every [`ClippingRule`].
pub trait DynClippingRule: DynTechnique {
    /// [`ClippingRule::check`].
    fn check(&self) -> Result<()>;
    /// [`ClippingRule::apply`].
    fn apply(&self, grads: &mut [Vec<f32>]);
}

impl<T: ClippingRule> DynClippingRule for T {
    fn check(&self) -> Result<()> {
        ClippingRule::check(self)
    }
    fn apply(&self, grads: &mut [Vec<f32>]) {
        ClippingRule::apply(self, grads)
    }
}

/// The clipping family.
pub enum Clippings {}

impl Family for Clippings {
    type Dyn = dyn DynClippingRule;
    const KIND: &'static str = "clipping";

    /// The built-in gradient-clipping rules, in the order errors list them.
    fn builtins() -> Vec<Arc<dyn Factory<Self>>> {
        vec![
            typed::<Self, ClipValue>(),
            typed::<Self, ClipNorm>(),
            typed::<Self, GlobalClipNorm>(),
        ]
    }
}

impl<T: ClippingRule> Erase<Clippings> for T {
    fn erase(self) -> Arc<dyn DynClippingRule> {
        Arc::new(self)
    }
}

/// A clipping rule and its threshold, as a run config holds it.
pub type Clipping = Config<Clippings>;

impl Clipping {
    /// Checks the threshold.
    pub fn check(&self) -> Result<()> {
        self.get().check()
    }

    /// Clips one step's gradients (one slice per parameter tensor) in place.
    pub fn apply(&self, grads: &mut [Vec<f32>]) {
        self.get().apply(grads)
    }
}

/// `clipping.<what>` must be a finite number > 0.
fn check_threshold(what: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("clipping.{what}"),
            format!("must be > 0, got {v}"),
        ))
    }
}

/// Σx² of a tensor in f32, as a reduction would.
fn sum_squares(g: &[f32]) -> f32 {
    g.iter().map(|x| x * x).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chapter's example: the gradient [0.9, 100.0] clipped by value 1.0 becomes [0.9, 1.0]
    /// (its direction changes), by norm 1.0 about [0.00899964, 0.9999595] (direction kept).
    #[test]
    fn the_chapters_example() {
        let mut by_value = vec![vec![0.9f32, 100.0]];
        Clipping::new(ClipValue { value: 1.0 }).apply(&mut by_value);
        assert_eq!(by_value, [[0.9f32, 1.0]]);

        let mut by_norm = vec![vec![0.9f32, 100.0]];
        Clipping::new(ClipNorm { norm: 1.0 }).apply(&mut by_norm);
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
            Clipping::new(ClipValue { value: 1.0 }),
            Clipping::new(ClipNorm { norm: 1.0 }),
            Clipping::new(GlobalClipNorm { norm: 1.0 }),
        ] {
            let mut g = small.clone();
            rule.apply(&mut g);
            assert_eq!(g, small, "{rule:?}");
        }
        // Two tensors of norms 3 and 4: global norm 5, clipped to 1 → every value × 0.2.
        let mut g = vec![vec![3.0f32, 0.0], vec![0.0, 4.0]];
        Clipping::new(GlobalClipNorm { norm: 1.0 }).apply(&mut g);
        assert_eq!(g, [[0.6f32, 0.0], [0.0, 0.8]]);
        // Per tensor, each is clipped on its own.
        let mut g = vec![vec![3.0f32, 0.0], vec![0.0, 4.0]];
        Clipping::new(ClipNorm { norm: 1.0 }).apply(&mut g);
        assert_eq!(g, [[1.0f32, 0.0], [0.0, 1.0]]);
    }

    #[test]
    fn thresholds_must_be_positive() {
        assert!(Clipping::new(ClipNorm { norm: 0.0 }).check().is_err());
        assert!(Clipping::new(ClipValue { value: -1.0 }).check().is_err());
        assert!(Clipping::new(GlobalClipNorm { norm: f64::NAN })
            .check()
            .is_err());
        assert!(Clipping::new(GlobalClipNorm { norm: 1.0 }).check().is_ok());
    }
}
