//! Optimizers (TECHNIQUES.md "Optimizers"): a plug-in family. An optimizer's config
//! ([`OptimizerRule`]: η and its hyperparameters, Keras 3's defaults) builds its running state
//! ([`OptimizerState`]), which updates each parameter tensor as plain f32 slices. The built-ins
//! follow Keras 3's update rules in its float32 arithmetic order, so the conformance tests
//! (tests/it/optimizer_conformance.rs) agree with Keras to ~1e-6; each is one file here, listed in
//! its family's `builtins()`. A user's crate adds its own through
//! [`Registry::optimizer`](super::registry::Registry::optimizer).
//!
//! [`Optimizer`] is what a training run steps: the step count, a schedule's momentum and the
//! state. The learning rate is passed to every step: a schedule computes it outside the
//! optimizer, so any run can be replayed from any step.

mod adagrad;
mod adam;
mod adamax;
mod adamw;
mod lion;
mod momentum;
mod nadam;
mod nesterov;
mod rmsprop;
mod sgd;

pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamax::Adamax;
pub use adamw::{decay, Adamw};
pub use lion::Lion;
pub use momentum::Momentum;
pub use nadam::Nadam;
pub use nesterov::Nesterov;
pub use rmsprop::Rmsprop;
pub use sgd::Sgd;

use std::fmt::Debug;
use std::sync::Arc;

use super::registry::Config;
use super::registry::Registry;
use super::technique::{typed, DynTechnique, Erase, Factory, Family, Technique};
use crate::error::{Error, Result};

impl Registry {
    /// Adds the optimizer `T` (a user's own, or a built-in listed again).
    pub fn optimizer<T: OptimizerRule>(self) -> Self {
        self.with::<Optimizers>(typed::<Optimizers, T>())
    }
}

/// An optimizer's config: what a user's crate implements (with [`Technique`]) to add one.
pub trait OptimizerRule: Technique {
    /// The base learning rate η (a schedule varies it from here).
    fn learning_rate(&self) -> f64;
    /// Sets η (pretraining's `unfreeze_learning_rate`, lr-find).
    fn set_learning_rate(&mut self, learning_rate: f64);
    /// Checks the hyperparameters besides η (which must be > 0 for every optimizer); the error
    /// names the setting and its valid range: see [`check_unit`] and its neighbours.
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// The running state for parameters of these sizes (one per tensor, in update order).
    fn build(&self, param_sizes: &[usize]) -> Box<dyn OptimizerState>;
}

/// An optimizer's config behind a trait object; implemented for every [`OptimizerRule`].
pub trait DynOptimizerRule: DynTechnique {
    /// η.
    fn learning_rate(&self) -> f64;
    /// The same config with η replaced.
    fn with_learning_rate(&self, learning_rate: f64) -> Arc<dyn DynOptimizerRule>;
    /// [`OptimizerRule::check`].
    fn check(&self) -> Result<()>;
    /// [`OptimizerRule::build`].
    fn build(&self, param_sizes: &[usize]) -> Box<dyn OptimizerState>;
}

impl<T: OptimizerRule> DynOptimizerRule for T {
    fn learning_rate(&self) -> f64 {
        OptimizerRule::learning_rate(self)
    }

    fn with_learning_rate(&self, learning_rate: f64) -> Arc<dyn DynOptimizerRule> {
        let mut copy = self.clone();
        copy.set_learning_rate(learning_rate);
        Arc::new(copy)
    }

    fn check(&self) -> Result<()> {
        OptimizerRule::check(self)
    }

    fn build(&self, param_sizes: &[usize]) -> Box<dyn OptimizerState> {
        OptimizerRule::build(self, param_sizes)
    }
}

/// The optimizer family.
pub enum Optimizers {}

impl Family for Optimizers {
    type Dyn = dyn DynOptimizerRule;
    const KIND: &'static str = "optimizer";

    /// The built-in optimizers, in the order errors list them.
    fn builtins() -> Vec<Arc<dyn Factory<Self>>> {
        vec![
            typed::<Self, Sgd>(),
            typed::<Self, Momentum>(),
            typed::<Self, Nesterov>(),
            typed::<Self, Adagrad>(),
            typed::<Self, Rmsprop>(),
            typed::<Self, Adam>(),
            typed::<Self, Adamax>(),
            typed::<Self, Nadam>(),
            typed::<Self, Adamw>(),
            typed::<Self, Lion>(),
        ]
    }
}

impl<T: OptimizerRule> Erase<Optimizers> for T {
    fn erase(self) -> Arc<dyn DynOptimizerRule> {
        Arc::new(self)
    }
}

/// What a step tells the optimizer's state besides the gradients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Steps taken so far, this one included (Keras `iterations + 1`): 1 for the first.
    pub t: u64,
    /// A schedule's momentum (or β1) for this step, replacing the configured one (1cycle);
    /// optimizers without either ignore it.
    pub momentum: Option<f64>,
}

impl Step {
    /// The schedule's momentum if it sets one, else `configured`.
    pub fn momentum_or(&self, configured: f64) -> f64 {
        self.momentum.unwrap_or(configured)
    }
}

/// A built optimizer's running state (its slots: momentum, accumulators), one set per
/// parameter tensor.
pub trait OptimizerState: Debug + Send {
    /// Starts step `step.t`, before its updates (Nadam advances its momentum product here).
    fn begin_step(&mut self, _step: &Step) {}
    /// Whether [`OptimizerState::update`] is plain gradient descent, θ ← θ − g·η with η the
    /// learning rate as f32 (and nothing kept): then a step may make it on the device tensor
    /// itself (`Trainable::descend_on_device`), with the same bits.
    fn is_plain_descent(&self) -> bool {
        false
    }
    /// Updates parameter tensor number `index` in place from its gradient, with learning rate
    /// `lr`.
    fn update(&mut self, step: &Step, index: usize, lr: f64, values: &mut [f32], grads: &[f32]);
    /// Decoupled weight decay θ ← θ − θ·λ·η ([`decay`], the `weight_decay` option of any
    /// optimizer) and then [`OptimizerState::update`], of parameter tensor number `index`. The
    /// default runs the two passes one after the other; the built-ins fuse them into one pass
    /// over the parameter with the same f32 operations per element in the same order, so the
    /// same bits (tests: `fused_weight_decay_gives_the_bits_of_two_passes`).
    fn update_decayed(
        &mut self,
        step: &Step,
        index: usize,
        lr: f64,
        weight_decay: f32,
        values: &mut [f32],
        grads: &[f32],
    ) {
        decay(lr as f32, weight_decay, values);
        self.update(step, index, lr, values, grads);
    }
}

/// An optimizer and its hyperparameters, as a run config holds it. In a study file a name
/// (Keras's defaults) or a table: `{ name = "adam", learning_rate = 0.01 }`.
pub type OptimizerConfig = Config<Optimizers>;

impl OptimizerConfig {
    /// The base learning rate η.
    pub fn learning_rate(&self) -> f64 {
        self.get().learning_rate()
    }

    /// Sets η.
    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        *self = Config::from_arc(self.get().with_learning_rate(learning_rate));
    }

    /// Checks every hyperparameter's range, η first; the error names the setting and the valid
    /// range.
    pub fn check(&self) -> Result<()> {
        check_positive(self.name(), "learning_rate", self.learning_rate())?;
        self.get().check()
    }

    /// Builds the optimizer for parameters of the given sizes, after checking the config.
    pub fn build(&self, param_sizes: &[usize]) -> Result<Optimizer> {
        self.check()?;
        Ok(Optimizer {
            config: self.clone(),
            momentum_override: None,
            step: 0,
            state: self.get().build(param_sizes),
        })
    }
}

/// `optimizer.<name>.<what>` must be a finite number > 0.
pub fn check_positive(name: &str, what: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("optimizer.{name}.{what}"),
            format!("must be > 0, got {value}"),
        ))
    }
}

/// `optimizer.<name>.<what>` must be a finite number >= 0.
pub fn check_non_negative(name: &str, what: &str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("optimizer.{name}.{what}"),
            format!("must be >= 0, got {value}"),
        ))
    }
}

/// `optimizer.<name>.<what>` must be in [0, 1) (a momentum, a decay rate).
pub fn check_unit(name: &str, what: &str, value: f64) -> Result<()> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("optimizer.{name}.{what}"),
            format!("must be in [0, 1), got {value}"),
        ))
    }
}

/// A built optimizer: its config, the step count, a schedule's momentum and the running state.
#[derive(Debug)]
pub struct Optimizer {
    config: OptimizerConfig,
    /// A schedule's momentum (or β1) for this step, replacing the configured one (1cycle).
    momentum_override: Option<f64>,
    /// Steps taken so far (Keras `iterations`).
    step: u64,
    /// The optimizer's slots.
    state: Box<dyn OptimizerState>,
}

impl Optimizer {
    /// The config it was built from.
    pub fn config(&self) -> &OptimizerConfig {
        &self.config
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Sets the momentum (momentum, nesterov) or β1 (adam, adamax, nadam, adamw) of the next
    /// steps, as a schedule such as 1cycle does; `None` restores the configured value. Optimizers
    /// without either ignore it.
    pub fn set_momentum(&mut self, momentum: Option<f64>) {
        self.momentum_override = momentum;
    }

    fn current(&self) -> Step {
        Step {
            t: self.step,
            momentum: self.momentum_override,
        }
    }

    /// Starts a step: advances the step count and any per-step scalars (Nadam's u-product).
    /// Call once per step, then [`Optimizer::update`] once per parameter.
    pub fn begin_step(&mut self) {
        self.step += 1;
        let step = self.current();
        self.state.begin_step(&step);
    }

    /// Whether its update is plain gradient descent (see [`OptimizerState::is_plain_descent`]).
    pub fn is_plain_descent(&self) -> bool {
        self.state.is_plain_descent()
    }

    /// Updates parameter number `index` in place from its gradient, with learning rate `lr`.
    pub fn update(&mut self, index: usize, lr: f64, param: &mut [f32], grad: &[f32]) {
        debug_assert_eq!(param.len(), grad.len());
        let step = self.current();
        self.state.update(&step, index, lr, param, grad);
    }

    /// [`Optimizer::update`] after decoupled weight decay λ = `weight_decay` of the same
    /// parameter (see [`OptimizerState::update_decayed`]: one pass for the built-ins).
    pub fn update_decayed(
        &mut self,
        index: usize,
        lr: f64,
        weight_decay: f32,
        param: &mut [f32],
        grad: &[f32],
    ) {
        debug_assert_eq!(param.len(), grad.len());
        let step = self.current();
        (self.state).update_decayed(&step, index, lr, weight_decay, param, grad);
    }
}

/// One zeroed slot per parameter tensor.
pub fn zeroed_slots(param_sizes: &[usize]) -> Vec<Vec<f32>> {
    param_sizes.iter().map(|&n| vec![0.0; n]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in optimizer (decay fused or not) with the `weight_decay` option: the one-pass
    /// `update_decayed` gives the bits of `decay` then `update`, over steps with a learning rate
    /// and a momentum that a schedule changes, on two tensors (clipping acts on the gradients
    /// before, so any gradients stand for clipped ones; some are exactly zero).
    #[test]
    fn fused_weight_decay_gives_the_bits_of_two_passes() {
        use rand::{Rng, SeedableRng};
        let names = Registry::builtin().names::<Optimizers>();
        assert_eq!(names.len(), 10, "{names:?}");
        let sizes = [37, 5];
        for name in names {
            let config = OptimizerConfig::default_for(name).unwrap();
            let mut fused = config.build(&sizes).unwrap();
            let mut apart = config.build(&sizes).unwrap();
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
            let mut values: Vec<Vec<f32>> = sizes
                .iter()
                .map(|&n| (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect())
                .collect();
            let mut values_apart = values.clone();
            for t in 0..6 {
                let lr = [0.1, 0.05, 0.3, 0.01, 0.2, 0.07][t];
                let momentum = (t >= 3).then_some(0.8);
                fused.set_momentum(momentum);
                apart.set_momentum(momentum);
                fused.begin_step();
                apart.begin_step();
                for (i, (v, w)) in values.iter_mut().zip(&mut values_apart).enumerate() {
                    let grads: Vec<f32> = (0..v.len())
                        .map(|k| {
                            if k % 7 == 0 {
                                0.0
                            } else {
                                rng.gen_range(-2.0..2.0)
                            }
                        })
                        .collect();
                    fused.update_decayed(i, lr, 0.004, v, &grads);
                    decay(lr as f32, 0.004, w);
                    apart.update(i, lr, w, &grads);
                    let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(v), bits(w), "{name}, step {t}, tensor {i}");
                }
            }
            // The decay acted: the same steps without it end elsewhere.
            let mut plain = config.build(&sizes).unwrap();
            plain.begin_step();
            let mut once = values_apart[1].clone();
            let mut decayed = values_apart[1].clone();
            let mut with = config.build(&sizes).unwrap();
            with.begin_step();
            plain.update(1, 0.1, &mut once, &[0.5; 5]);
            with.update_decayed(1, 0.1, 0.5, &mut decayed, &[0.5; 5]);
            assert_ne!(once, decayed, "{name}");
        }
    }

    #[test]
    fn defaults_are_keras_defaults() {
        assert_eq!(
            OptimizerConfig::default_for("adam"),
            Some(OptimizerConfig::new(Adam {
                learning_rate: 0.001,
                beta_1: 0.9,
                beta_2: 0.999,
                epsilon: 1e-7
            }))
        );
        assert_eq!(
            OptimizerConfig::default_for("sgd").unwrap().learning_rate(),
            0.01
        );
        assert!(OptimizerConfig::default_for("adamm").is_none());
        for name in Registry::builtin().names::<Optimizers>() {
            let opt = OptimizerConfig::default_for(name).unwrap();
            assert_eq!(opt.name(), name);
            opt.check().unwrap();
        }
    }

    #[test]
    fn canonical_configs_are_written_as_before() {
        let json = |name| serde_json::to_string(&OptimizerConfig::default_for(name).unwrap());
        assert_eq!(
            json("adam").unwrap(),
            r#"{"name":"adam","learning_rate":0.001,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-7}"#
        );
        assert_eq!(
            json("adamw").unwrap(),
            r#"{"name":"adamw","learning_rate":0.001,"weight_decay":0.004,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-7}"#
        );
        let mut sgd = OptimizerConfig::default_for("sgd").unwrap();
        sgd.set_learning_rate(0.05);
        assert_eq!(
            serde_json::to_string(&sgd).unwrap(),
            r#"{"name":"sgd","learning_rate":0.05}"#
        );
        let back: OptimizerConfig = serde_json::from_str(&json("adamw").unwrap()).unwrap();
        assert_eq!(back, OptimizerConfig::default_for("adamw").unwrap());
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let bad = OptimizerConfig::new(Adam {
            learning_rate: 0.0,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        });
        assert_eq!(
            bad.check().unwrap_err().to_string(),
            "invalid optimizer.adam.learning_rate: must be > 0, got 0"
        );
        let bad = OptimizerConfig::new(Momentum {
            learning_rate: 0.1,
            momentum: 1.0,
        });
        assert_eq!(
            bad.check().unwrap_err().to_string(),
            "invalid optimizer.momentum.momentum: must be in [0, 1), got 1"
        );
    }

    #[test]
    fn unknown_names_and_keys_are_refused_with_the_valid_ones() {
        let e = OptimizerConfig::from_value(toml::Value::from("adamm")).unwrap_err();
        assert!(
            e.starts_with("unknown variant `adamm`, expected one of `sgd`, `momentum`"),
            "{e}"
        );
        let table: toml::Value = toml::from_str("name = \"adam\"\nbeta1 = 0.8").unwrap();
        let e = OptimizerConfig::from_value(table).unwrap_err();
        assert!(
            e.starts_with("unknown field `beta1`, expected one of `learning_rate`, `beta_1`"),
            "{e}"
        );
    }
}
