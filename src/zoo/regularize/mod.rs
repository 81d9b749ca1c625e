//! Regularization that acts on weights or on the training loop (TECHNIQUES.md "Regularization"),
//! as Keras 3 defines it. Two plug-in families, one file per built-in, listed in
//! its family's `builtins()`:
//! - kernel regularizers ([`RegularizerRule`]) l1(λ1), l2(λ2), l1_l2(λ1, λ2): the loss gains
//!   λ1Σ|w| + λ2Σw² over every kernel (not biases), so each kernel's gradient gains
//!   λ1·sign(w) + 2λ2·w;
//! - kernel constraints ([`ConstraintRule`]) after every optimizer step: max_norm(r) (Keras
//!   `MaxNorm(r, axis=0)`): each unit's incoming weight vector w becomes w·min(‖w‖, r)/(ε + ‖w‖),
//!   ε = 1e-7.
//!
//! And early_stopping(patience, restore_best_weights) on the validation loss (Keras
//! `EarlyStopping`), a setting of the training loop rather than a family.
//!
//! Recorded losses stay the data loss (cross-entropy) so cells with and without a penalty compare.

mod l1;
mod l1_l2;
mod l2;
mod max_norm;

pub use l1::L1;
pub use l1_l2::L1L2;
pub use l2::L2;
pub use max_norm::MaxNorm;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::registry::Config;
use super::registry::Registry;
use super::technique::{typed, DynTechnique, Erase, Factory, Family, Technique};
use crate::error::{Error, Result};

impl Registry {
    /// Adds the kernel regularizer `T` (a user's own, or a built-in listed again).
    pub fn regularizer<T: RegularizerRule>(self) -> Self {
        self.with::<Regularizers>(typed::<Regularizers, T>())
    }
}

impl Registry {
    /// Adds the kernel constraint `T` (a user's own, or a built-in listed again).
    pub fn constraint<T: ConstraintRule>(self) -> Self {
        self.with::<Constraints>(typed::<Constraints, T>())
    }
}

/// A kernel regularizer: what a user's crate implements (with [`Technique`]) to add one.
pub trait RegularizerRule: Technique {
    /// Checks the parameters (errors name `kernel_regularizer`).
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// The penalty of one kernel, in f32 (recorded losses leave it out).
    fn penalty(&self, kernel: &[f32]) -> f32;
    /// Adds the penalty's gradient to a kernel's gradient.
    fn add_gradient(&self, kernel: &[f32], grad: &mut [f32]);
}

/// A regularizer behind a trait object; implemented for every [`RegularizerRule`].
pub trait DynRegularizerRule: DynTechnique {
    /// [`RegularizerRule::check`].
    fn check(&self) -> Result<()>;
    /// [`RegularizerRule::penalty`].
    fn penalty(&self, kernel: &[f32]) -> f32;
    /// [`RegularizerRule::add_gradient`].
    fn add_gradient(&self, kernel: &[f32], grad: &mut [f32]);
}

impl<T: RegularizerRule> DynRegularizerRule for T {
    fn check(&self) -> Result<()> {
        RegularizerRule::check(self)
    }
    fn penalty(&self, kernel: &[f32]) -> f32 {
        RegularizerRule::penalty(self, kernel)
    }
    fn add_gradient(&self, kernel: &[f32], grad: &mut [f32]) {
        RegularizerRule::add_gradient(self, kernel, grad)
    }
}

/// The kernel-regularizer family.
pub enum Regularizers {}

impl Family for Regularizers {
    type Dyn = dyn DynRegularizerRule;
    const KIND: &'static str = "kernel_regularizer";

    /// The built-in kernel regularizers, in the order errors list them.
    fn builtins() -> Vec<Arc<dyn Factory<Self>>> {
        vec![
            typed::<Self, L1>(),
            typed::<Self, L2>(),
            typed::<Self, L1L2>(),
        ]
    }
}

impl<T: RegularizerRule> Erase<Regularizers> for T {
    fn erase(self) -> Arc<dyn DynRegularizerRule> {
        Arc::new(self)
    }
}

/// A kernel regularizer, as a run config holds it.
pub type Regularizer = Config<Regularizers>;

impl Regularizer {
    /// Checks the factors.
    pub fn check(&self) -> Result<()> {
        self.get().check()
    }

    /// The penalty of one kernel, in f32.
    pub fn penalty(&self, kernel: &[f32]) -> f32 {
        self.get().penalty(kernel)
    }

    /// Adds the penalty's gradient to a kernel's gradient.
    pub fn add_gradient(&self, kernel: &[f32], grad: &mut [f32]) {
        self.get().add_gradient(kernel, grad)
    }
}

/// λ1 and λ2 must be >= 0 and not both 0.
fn check_factors((l1, l2): (f32, f32)) -> Result<()> {
    if l1.is_finite() && l2.is_finite() && l1 >= 0.0 && l2 >= 0.0 && l1 + l2 > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "kernel_regularizer",
            format!("factors must be >= 0 and not both 0, got l1 {l1}, l2 {l2}"),
        ))
    }
}

/// λ1Σ|w| + λ2Σw² in f32, each term only when its factor is > 0.
fn l1_l2_penalty((l1, l2): (f32, f32), kernel: &[f32]) -> f32 {
    let mut total = 0.0f32;
    if l1 > 0.0 {
        total += l1 * kernel.iter().map(|w| w.abs()).sum::<f32>();
    }
    if l2 > 0.0 {
        total += l2 * kernel.iter().map(|w| w * w).sum::<f32>();
    }
    total
}

/// g += λ1·sign(w) + 2λ2·w.
fn l1_l2_gradient((l1, l2): (f32, f32), kernel: &[f32], grad: &mut [f32]) {
    for (g, &w) in grad.iter_mut().zip(kernel) {
        // JAX differentiates |w| at 0 as +1, and so does Keras on its default backend.
        let sign = if w >= 0.0 { 1.0 } else { -1.0 };
        *g += l1 * sign + 2.0 * l2 * w;
    }
}

/// A constraint applied to every kernel after each optimizer step: what a user's crate
/// implements (with [`Technique`]) to add one.
pub trait ConstraintRule: Technique {
    /// Checks the parameters (errors name `kernel_constraint.<name>.<what>`).
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// Applies the constraint to a kernel stored [fan_in, fan_out] row-major.
    fn apply(&self, kernel: &mut [f32], fan_out: usize);
}

/// A constraint behind a trait object; implemented for every [`ConstraintRule`].
pub trait DynConstraintRule: DynTechnique {
    /// [`ConstraintRule::check`].
    fn check(&self) -> Result<()>;
    /// [`ConstraintRule::apply`].
    fn apply(&self, kernel: &mut [f32], fan_out: usize);
}

impl<T: ConstraintRule> DynConstraintRule for T {
    fn check(&self) -> Result<()> {
        ConstraintRule::check(self)
    }
    fn apply(&self, kernel: &mut [f32], fan_out: usize) {
        ConstraintRule::apply(self, kernel, fan_out)
    }
}

/// The kernel-constraint family.
pub enum Constraints {}

impl Family for Constraints {
    type Dyn = dyn DynConstraintRule;
    const KIND: &'static str = "kernel_constraint";

    /// The built-in kernel constraints, in the order errors list them.
    fn builtins() -> Vec<Arc<dyn Factory<Self>>> {
        vec![typed::<Self, MaxNorm>()]
    }
}

impl<T: ConstraintRule> Erase<Constraints> for T {
    fn erase(self) -> Arc<dyn DynConstraintRule> {
        Arc::new(self)
    }
}

/// A kernel constraint, as a run config holds it.
pub type Constraint = Config<Constraints>;

impl Constraint {
    /// Checks the parameters.
    pub fn check(&self) -> Result<()> {
        self.get().check()
    }

    /// Applies the constraint to a kernel stored [fan_in, fan_out] row-major.
    pub fn apply(&self, kernel: &mut [f32], fan_out: usize) {
        self.get().apply(kernel, fan_out)
    }
}

/// Early stopping on the validation loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyStopping {
    /// Epochs without improvement before stopping (10, as the textbook).
    #[serde(default = "ten")]
    pub patience: u32,
    /// Smallest decrease that counts as an improvement (0).
    #[serde(default)]
    pub min_delta: f64,
    /// Put back the weights of the best epoch at the end (true).
    #[serde(default = "yes")]
    pub restore_best_weights: bool,
}

fn ten() -> u32 {
    10
}
fn yes() -> bool {
    true
}

impl EarlyStopping {
    /// Checks min_delta.
    pub fn check(&self) -> Result<()> {
        if self.min_delta.is_finite() && self.min_delta >= 0.0 {
            Ok(())
        } else {
            Err(Error::invalid(
                "early_stopping.min_delta",
                format!("must be >= 0, got {}", self.min_delta),
            ))
        }
    }
}

/// What early stopping decided after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Keep training.
    Continue,
    /// Keep training; this epoch is the best so far (snapshot the weights).
    Best,
    /// Stop now.
    Stop,
}

/// Early stopping's state over one run, as Keras's callback keeps it.
#[derive(Debug, Clone)]
pub struct EarlyStoppingState {
    rule: EarlyStopping,
    best: Option<f64>,
    wait: u32,
    /// 1-based epoch of the best validation loss.
    pub best_epoch: u32,
}

impl EarlyStoppingState {
    /// A fresh state.
    pub fn new(rule: EarlyStopping) -> Self {
        EarlyStoppingState {
            rule,
            best: None,
            wait: 0,
            best_epoch: 0,
        }
    }

    /// Whether weights should be restored at the end.
    pub fn restores(&self) -> bool {
        self.rule.restore_best_weights
    }

    /// Tells the state that `epoch` (1-based) ended with `val_loss`.
    pub fn end_epoch(&mut self, epoch: u32, val_loss: f64) -> Verdict {
        self.wait += 1;
        let improved = match self.best {
            None => true,
            // Keras: an improvement is `value + min_delta < best` (min mode).
            Some(best) => val_loss + self.rule.min_delta < best,
        };
        if improved {
            self.best = Some(val_loss);
            self.best_epoch = epoch;
            self.wait = 0;
            return Verdict::Best;
        }
        if self.wait >= self.rule.patience && epoch > 1 {
            Verdict::Stop
        } else {
            Verdict::Continue
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalties_and_their_gradients() {
        let w = [0.5f32, -2.0, 0.0];
        let l1 = Regularizer::new(L1 { l1: 0.1 });
        let l2 = Regularizer::new(L2 { l2: 0.1 });
        assert!((l1.penalty(&w) - 0.25).abs() < 1e-7);
        assert!((l2.penalty(&w) - 0.425).abs() < 1e-7);
        let mut g = [0.0f32; 3];
        l1.add_gradient(&w, &mut g);
        assert_eq!(g, [0.1, -0.1, 0.1]);
        let mut g = [1.0f32; 3];
        l2.add_gradient(&w, &mut g);
        assert_eq!(g, [1.1, 0.6, 1.0]);
        assert!(Regularizer::new(L1L2 { l1: 0.0, l2: 0.0 }).check().is_err());
    }

    #[test]
    fn max_norm_caps_each_units_incoming_weights() {
        // Kernel [fan_in 2, fan_out 2]: unit 0 has incoming (3, 4) (norm 5), unit 1 (0.3, 0.4).
        let mut k = vec![3.0f32, 0.3, 4.0, 0.4];
        Constraint::new(MaxNorm { max_value: 1.0 }).apply(&mut k, 2);
        let n0 = (k[0] * k[0] + k[2] * k[2]).sqrt();
        assert!((n0 - 1.0).abs() < 1e-6, "{k:?}");
        // A unit under the cap is (almost exactly) unchanged: w·n/(1e-7 + n).
        assert!((k[1] - 0.3).abs() < 1e-6 && (k[3] - 0.4).abs() < 1e-6);
    }

    #[test]
    fn early_stopping_waits_patience_epochs_and_remembers_the_best() {
        let mut s = EarlyStoppingState::new(EarlyStopping {
            patience: 2,
            min_delta: 0.0,
            restore_best_weights: true,
        });
        let verdicts: Vec<Verdict> = [1.0, 0.8, 0.9, 0.85]
            .iter()
            .enumerate()
            .map(|(i, &l)| s.end_epoch(i as u32 + 1, l))
            .collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Best,
                Verdict::Best,
                Verdict::Continue,
                Verdict::Stop
            ]
        );
        assert_eq!(s.best_epoch, 2);
    }
}
