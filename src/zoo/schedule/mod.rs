//! Learning-rate schedules (TECHNIQUES.md "Learning-rate schedules"): a plug-in family. A
//! schedule's config ([`ScheduleRule`]) starts a run ([`ScheduleRun`]) that computes the rate of
//! each update, which is passed to the optimizer. Per-step schedules see `t`, the number of
//! updates made before this one (0 for the first), as Keras schedules see
//! `optimizer.iterations`. The built-ins, one file each, listed in its family's `builtins()`:
//! - constant: η0;
//! - power: η0 / (1 + t/s)^c (Keras InverseTimeDecay when c = 1);
//! - exponential: η0 · r^(t/s), r = 0.1 by default (Keras ExponentialDecay);
//! - piecewise_constant: by epoch, `values[i]` while the epoch (1-based) is ≤ `boundaries[i]`;
//! - performance: Keras's ReduceLROnPlateau on the validation loss, at each epoch's end;
//! - one_cycle: the textbook's OneCycleScheduler (linear η0 → η_max → η0, then down to `final`
//!   over the last ~10% of steps), with momentum moving the opposite way when the optimizer has one.

mod constant;
mod exponential;
mod one_cycle;
mod performance;
mod piecewise_constant;
mod power;

pub use constant::Constant;
pub use exponential::Exponential;
pub use one_cycle::OneCycle;
pub use performance::Performance;
pub use piecewise_constant::PiecewiseConstant;
pub use power::Power;

use std::fmt::Debug;
use std::sync::Arc;

use super::registry::Config;
use super::registry::Registry;
use super::technique::{typed, DynTechnique, Erase, Factory, Family, Technique};
use crate::error::{Error, Result};

impl Registry {
    /// Adds the learning-rate schedule `T` (a user's own, or a built-in listed again).
    pub fn schedule<T: ScheduleRule>(self) -> Self {
        self.with::<Schedules>(typed::<Schedules, T>())
    }
}

/// A learning-rate schedule: what a user's crate implements (with [`Technique`]) to add one.
pub trait ScheduleRule: Technique {
    /// Checks every parameter's range (errors name `schedule.<name>.<what>`; see [`positive`]).
    fn check(&self) -> Result<()> {
        Ok(())
    }
    /// The schedule over a run of `total_steps` updates starting from η0 = `base`.
    fn start(&self, base: f64, total_steps: u64) -> Box<dyn ScheduleRun>;
}

/// A schedule running over one training run.
pub trait ScheduleRun: Debug + Send {
    /// The learning rate of the update after `t` updates, in `epoch` (1-based).
    fn learning_rate(&self, t: u64, epoch: u32) -> f64;
    /// The momentum (or β1) of the update after `t` updates, when the schedule sets one.
    fn momentum(&self, _t: u64) -> Option<f64> {
        None
    }
    /// Tells the schedule an epoch ended with validation loss `val_loss`.
    fn end_epoch(&mut self, _val_loss: f64) {}
}

/// A schedule behind a trait object; implemented for every [`ScheduleRule`].
pub trait DynScheduleRule: DynTechnique {
    /// [`ScheduleRule::check`].
    fn check(&self) -> Result<()>;
    /// [`ScheduleRule::start`].
    fn start(&self, base: f64, total_steps: u64) -> Box<dyn ScheduleRun>;
}

impl<T: ScheduleRule> DynScheduleRule for T {
    fn check(&self) -> Result<()> {
        ScheduleRule::check(self)
    }
    fn start(&self, base: f64, total_steps: u64) -> Box<dyn ScheduleRun> {
        ScheduleRule::start(self, base, total_steps)
    }
}

/// The schedule family.
pub enum Schedules {}

impl Family for Schedules {
    type Dyn = dyn DynScheduleRule;
    const KIND: &'static str = "schedule";

    /// The built-in learning-rate schedules, in the order errors list them.
    fn builtins() -> Vec<Arc<dyn Factory<Self>>> {
        vec![
            typed::<Self, Constant>(),
            typed::<Self, Power>(),
            typed::<Self, Exponential>(),
            typed::<Self, PiecewiseConstant>(),
            typed::<Self, Performance>(),
            typed::<Self, OneCycle>(),
        ]
    }
}

impl<T: ScheduleRule> Erase<Schedules> for T {
    fn erase(self) -> Arc<dyn DynScheduleRule> {
        Arc::new(self)
    }
}

/// A schedule and its parameters, as a run config holds it; omitted fields take Keras's (or the
/// textbook's) defaults.
pub type Schedule = Config<Schedules>;

impl Schedule {
    /// Checks every parameter's range.
    pub fn check(&self) -> Result<()> {
        self.get().check()
    }
}

/// `schedule.<what>` must be a finite number > 0.
pub fn positive(what: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("schedule.{what}"),
            format!("must be > 0, got {v}"),
        ))
    }
}

/// A schedule running over one training run.
#[derive(Debug)]
pub struct ScheduleState(Box<dyn ScheduleRun>);

impl ScheduleState {
    /// The schedule for a run of `total_steps` updates starting from η0 = `base`.
    pub fn new(schedule: &Schedule, base: f64, total_steps: u64) -> Self {
        ScheduleState(schedule.get().start(base, total_steps))
    }

    /// The learning rate of the update after `t` updates, in `epoch` (1-based).
    pub fn learning_rate(&self, t: u64, epoch: u32) -> f64 {
        self.0.learning_rate(t, epoch)
    }

    /// The momentum (or β1) of the update after `t` updates, when the schedule sets one.
    pub fn momentum(&self, t: u64) -> Option<f64> {
        self.0.momentum(t)
    }

    /// Tells the schedule an epoch ended with validation loss `val_loss`.
    pub fn end_epoch(&mut self, val_loss: f64) {
        self.0.end_epoch(val_loss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(s: &Schedule, base: f64, steps: u64) -> Vec<f64> {
        let state = ScheduleState::new(s, base, steps);
        (0..steps).map(|t| state.learning_rate(t, 1)).collect()
    }

    #[test]
    fn power_and_exponential_follow_their_formulas() {
        let p = rates(
            &Schedule::new(Power {
                decay_steps: 2.0,
                power: 1.0,
            }),
            0.1,
            4,
        );
        assert_eq!(p, [0.1, 0.1 / 1.5, 0.1 / 2.0, 0.1 / 2.5]);
        let e = rates(
            &Schedule::new(Exponential {
                decay_steps: 10.0,
                decay_rate: 0.1,
            }),
            0.01,
            21,
        );
        assert_eq!(e[0], 0.01);
        assert!((e[10] - 0.001).abs() < 1e-15 && (e[20] - 0.0001).abs() < 1e-16);
    }

    #[test]
    fn piecewise_constant_switches_after_each_boundary_epoch() {
        let s = Schedule::new(PiecewiseConstant {
            boundaries: vec![5, 15],
            values: vec![0.01, 0.005, 0.001],
            factors: None,
        });
        let state = ScheduleState::new(&s, 0.01, 100);
        let by_epoch: Vec<f64> = (1..=17).map(|e| state.learning_rate(0, e)).collect();
        assert_eq!(by_epoch[..5], [0.01; 5]);
        assert_eq!(by_epoch[5..15], [0.005; 10]);
        assert_eq!(by_epoch[15..], [0.001; 2]);
        let bad = Schedule::new(PiecewiseConstant {
            boundaries: vec![5],
            values: vec![0.1],
            factors: None,
        });
        assert!(bad.check().is_err());
        // Factors of η0 give the same shape at any base rate; never both or neither.
        let relative = PiecewiseConstant {
            boundaries: vec![5, 15],
            values: vec![],
            factors: Some(vec![1.0, 0.5, 0.25]),
        };
        let state = ScheduleState::new(&Schedule::new(relative.clone()), 0.02, 100);
        let by_epoch: Vec<f64> = [1, 6, 16].map(|e| state.learning_rate(0, e)).to_vec();
        assert_eq!(by_epoch, [0.02, 0.01, 0.005]);
        assert!(Schedule::new(relative.clone()).check().is_ok());
        let both = PiecewiseConstant {
            values: vec![0.01, 0.005, 0.001],
            ..relative.clone()
        };
        assert!(Schedule::new(both).check().is_err());
        let neither = PiecewiseConstant {
            factors: None,
            ..relative
        };
        assert!(Schedule::new(neither).check().is_err());
    }

    #[test]
    fn performance_halves_after_patience_epochs_without_improvement() {
        let s = Schedule::new(Performance {
            factor: 0.5,
            patience: 2,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
        });
        let mut state = ScheduleState::new(&s, 0.1, 100);
        let mut seen = Vec::new();
        for loss in [1.0, 0.9, 0.95, 0.9, 0.8, 0.8, 0.80005, 0.7] {
            state.end_epoch(loss);
            seen.push(state.learning_rate(0, 1));
        }
        // Epochs 3 and 4 do not improve on 0.9 → halve after epoch 4; 6 and 7 do not improve on
        // 0.8 by min_delta → halve again after epoch 7.
        assert_eq!(seen, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]);
    }

    #[test]
    fn one_cycle_rises_falls_and_anneals_with_momentum_opposite() {
        let s = Schedule::new(OneCycle {
            max_learning_rate: 0.1,
            start_learning_rate: None,
            final_learning_rate: None,
            max_momentum: 0.95,
            min_momentum: 0.85,
        });
        // 100 steps: last 11 anneal, half = 44.
        let state = ScheduleState::new(&s, 0.01, 100);
        let lr: Vec<f64> = (0..100).map(|t| state.learning_rate(t, 1)).collect();
        assert!((lr[0] - 0.01).abs() < 1e-15);
        assert!((lr[44] - 0.1).abs() < 1e-15);
        assert!((lr[88] - 0.01).abs() < 1e-15);
        assert!(lr[99] < 0.001 && lr[99] > 0.00001);
        assert!((state.momentum(0).unwrap() - 0.95).abs() < 1e-15);
        assert!((state.momentum(44).unwrap() - 0.85).abs() < 1e-15);
        assert!((state.momentum(95).unwrap() - 0.95).abs() < 1e-15);
        let peak = lr.iter().cloned().fold(0.0, f64::max);
        assert_eq!(peak, lr[44]);
    }
}
