//! Learning-rate schedules (TECHNIQUES.md "Learning-rate schedules"). The rate of each update is
//! computed here and passed to the optimizer. Per-step schedules see `t`, the number of updates
//! made before this one (0 for the first), as Keras schedules see `optimizer.iterations`:
//! - constant: η0;
//! - power: η0 / (1 + t/s)^c (Keras InverseTimeDecay when c = 1);
//! - exponential: η0 · r^(t/s), r = 0.1 by default (Keras ExponentialDecay);
//! - piecewise_constant: by epoch, `values[i]` while the epoch (1-based) is ≤ `boundaries[i]`;
//! - performance: Keras's ReduceLROnPlateau on the validation loss, at each epoch's end;
//! - one_cycle: the textbook's OneCycleScheduler (linear η0 → η_max → η0, then down to `final`
//!   over the last ~10% of steps), with momentum moving the opposite way when the optimizer has one.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A schedule and its parameters; omitted fields take Keras's (or the textbook's) defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    /// η0 throughout.
    Constant,
    /// η0 / (1 + t/s)^c.
    Power {
        /// s, in steps.
        decay_steps: f64,
        /// c (1).
        #[serde(default = "one")]
        power: f64,
    },
    /// η0 · r^(t/s).
    Exponential {
        /// s, in steps.
        decay_steps: f64,
        /// r (0.1).
        #[serde(default = "tenth")]
        decay_rate: f64,
    },
    /// A rate per range of epochs.
    PiecewiseConstant {
        /// Last epoch (1-based) of each value but the final one, increasing.
        boundaries: Vec<u32>,
        /// One more value than boundaries.
        values: Vec<f64>,
    },
    /// Multiply η by `factor` when the validation loss has not improved by `min_delta` for
    /// `patience` epochs (Keras ReduceLROnPlateau).
    Performance {
        /// (0.1).
        #[serde(default = "tenth")]
        factor: f64,
        /// Epochs without improvement (10).
        #[serde(default = "ten")]
        patience: u32,
        /// Smallest decrease that counts as improvement (1e-4).
        #[serde(default = "min_delta")]
        min_delta: f64,
        /// Epochs to wait after a reduction (0).
        #[serde(default)]
        cooldown: u32,
        /// Lower bound of η (0).
        #[serde(default)]
        min_lr: f64,
    },
    /// 1cycle (Smith 2018) as the textbook's OneCycleScheduler.
    OneCycle {
        /// η_max.
        max_learning_rate: f64,
        /// η0 (η_max / 10).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start_learning_rate: Option<f64>,
        /// The rate at the last step (η0 / 1000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        final_learning_rate: Option<f64>,
        /// Momentum at the ends of the cycle (0.95).
        #[serde(default = "momentum_high")]
        max_momentum: f64,
        /// Momentum at the peak of η (0.85).
        #[serde(default = "momentum_low")]
        min_momentum: f64,
    },
}

fn one() -> f64 {
    1.0
}
fn tenth() -> f64 {
    0.1
}
fn ten() -> u32 {
    10
}
fn min_delta() -> f64 {
    1e-4
}
fn momentum_high() -> f64 {
    0.95
}
fn momentum_low() -> f64 {
    0.85
}

/// The names accepted in a study file.
pub const NAMES: [&str; 6] = [
    "constant",
    "power",
    "exponential",
    "piecewise_constant",
    "performance",
    "one_cycle",
];

fn positive(what: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("schedule.{what}"),
            format!("must be > 0, got {v}"),
        ))
    }
}

impl Schedule {
    /// Checks every parameter's range.
    pub fn check(&self) -> Result<()> {
        match self {
            Schedule::Constant => Ok(()),
            Schedule::Power { decay_steps, power } => {
                positive("power.decay_steps", *decay_steps)?;
                positive("power.power", *power)
            }
            Schedule::Exponential {
                decay_steps,
                decay_rate,
            } => {
                positive("exponential.decay_steps", *decay_steps)?;
                positive("exponential.decay_rate", *decay_rate)
            }
            Schedule::PiecewiseConstant { boundaries, values } => {
                if values.len() != boundaries.len() + 1 {
                    return Err(Error::invalid(
                        "schedule.piecewise_constant",
                        format!(
                            "needs one more value than boundaries, got {} values for {} boundaries",
                            values.len(),
                            boundaries.len()
                        ),
                    ));
                }
                if boundaries.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(Error::invalid(
                        "schedule.piecewise_constant.boundaries",
                        "must increase",
                    ));
                }
                values
                    .iter()
                    .try_for_each(|&v| positive("piecewise_constant.values", v))
            }
            Schedule::Performance {
                factor,
                min_delta,
                min_lr,
                ..
            } => {
                if !(*factor > 0.0 && *factor < 1.0) {
                    return Err(Error::invalid(
                        "schedule.performance.factor",
                        format!("must be in (0, 1), got {factor}"),
                    ));
                }
                if !(min_delta.is_finite() && *min_delta >= 0.0 && *min_lr >= 0.0) {
                    return Err(Error::invalid(
                        "schedule.performance",
                        "min_delta and min_lr must be >= 0",
                    ));
                }
                Ok(())
            }
            Schedule::OneCycle {
                max_learning_rate,
                start_learning_rate,
                final_learning_rate,
                max_momentum,
                min_momentum,
            } => {
                positive("one_cycle.max_learning_rate", *max_learning_rate)?;
                if let Some(v) = start_learning_rate {
                    positive("one_cycle.start_learning_rate", *v)?;
                }
                if let Some(v) = final_learning_rate {
                    positive("one_cycle.final_learning_rate", *v)?;
                }
                if !(0.0..1.0).contains(max_momentum) || !(0.0..1.0).contains(min_momentum) {
                    return Err(Error::invalid(
                        "schedule.one_cycle",
                        "momenta must be in [0, 1)",
                    ));
                }
                Ok(())
            }
        }
    }
}

/// A schedule running over one training run.
#[derive(Debug, Clone)]
pub struct ScheduleState {
    schedule: Schedule,
    /// η0, the optimizer's learning rate.
    base: f64,
    /// All steps of the run (one_cycle's length).
    total_steps: u64,
    /// performance: the rate now, the best loss, epochs waited, cooldown left.
    current: f64,
    best: f64,
    wait: u32,
    cooldown_left: u32,
}

impl ScheduleState {
    /// The schedule for a run of `total_steps` updates starting from η0 = `base`.
    pub fn new(schedule: &Schedule, base: f64, total_steps: u64) -> Self {
        ScheduleState {
            schedule: schedule.clone(),
            base,
            total_steps,
            current: base,
            best: f64::INFINITY,
            wait: 0,
            cooldown_left: 0,
        }
    }

    /// The learning rate of the update after `t` updates, in `epoch` (1-based).
    pub fn learning_rate(&self, t: u64, epoch: u32) -> f64 {
        let t = t as f64;
        match &self.schedule {
            Schedule::Constant => self.base,
            Schedule::Power { decay_steps, power } => {
                self.base / (1.0 + t / decay_steps).powf(*power)
            }
            Schedule::Exponential {
                decay_steps,
                decay_rate,
            } => self.base * decay_rate.powf(t / decay_steps),
            Schedule::PiecewiseConstant { boundaries, values } => {
                values[boundaries.iter().filter(|&&b| epoch > b).count()]
            }
            Schedule::Performance { .. } => self.current,
            Schedule::OneCycle { .. } => self.one_cycle(t as u64).0,
        }
    }

    /// The momentum (or β1) of the update after `t` updates, when the schedule sets one.
    pub fn momentum(&self, t: u64) -> Option<f64> {
        match self.schedule {
            Schedule::OneCycle { .. } => Some(self.one_cycle(t).1),
            _ => None,
        }
    }

    /// Tells the schedule an epoch ended with validation loss `val_loss`.
    pub fn end_epoch(&mut self, val_loss: f64) {
        let Schedule::Performance {
            factor,
            patience,
            min_delta,
            cooldown,
            min_lr,
        } = self.schedule
        else {
            return;
        };
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.wait = 0;
        }
        // Keras (min mode): an improvement is `value + min_delta < best`.
        if val_loss + min_delta < self.best {
            self.best = val_loss;
            self.wait = 0;
        } else if self.cooldown_left == 0 {
            self.wait += 1;
            if self.wait >= patience && (self.current as f32) > (min_lr as f32) {
                self.current = (self.current * factor).max(min_lr);
                self.cooldown_left = cooldown;
                self.wait = 0;
            }
        }
    }

    /// (η, momentum) of one_cycle at iteration `t`, as the textbook's callback computes them.
    fn one_cycle(&self, t: u64) -> (f64, f64) {
        let Schedule::OneCycle {
            max_learning_rate: max,
            start_learning_rate,
            final_learning_rate,
            max_momentum,
            min_momentum,
        } = self.schedule
        else {
            return (self.base, 0.0);
        };
        let start = start_learning_rate.unwrap_or(max / 10.0);
        let last = final_learning_rate.unwrap_or(start / 1000.0);
        let iterations = self.total_steps;
        let last_iterations = iterations / 10 + 1;
        let half = iterations.saturating_sub(last_iterations) / 2;
        let interpolate = |i1: u64, i2: u64, v1: f64, v2: f64| {
            if i2 == i1 {
                v2
            } else {
                (v2 - v1) * (t as f64 - i1 as f64) / (i2 as f64 - i1 as f64) + v1
            }
        };
        if t < half {
            (
                interpolate(0, half, start, max),
                interpolate(0, half, max_momentum, min_momentum),
            )
        } else if t < 2 * half {
            (
                interpolate(half, 2 * half, max, start),
                interpolate(half, 2 * half, min_momentum, max_momentum),
            )
        } else {
            (interpolate(2 * half, iterations, start, last), max_momentum)
        }
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
            &Schedule::Power {
                decay_steps: 2.0,
                power: 1.0,
            },
            0.1,
            4,
        );
        assert_eq!(p, [0.1, 0.1 / 1.5, 0.1 / 2.0, 0.1 / 2.5]);
        let e = rates(
            &Schedule::Exponential {
                decay_steps: 10.0,
                decay_rate: 0.1,
            },
            0.01,
            21,
        );
        assert_eq!(e[0], 0.01);
        assert!((e[10] - 0.001).abs() < 1e-15 && (e[20] - 0.0001).abs() < 1e-16);
    }

    #[test]
    fn piecewise_constant_switches_after_each_boundary_epoch() {
        let s = Schedule::PiecewiseConstant {
            boundaries: vec![5, 15],
            values: vec![0.01, 0.005, 0.001],
        };
        let state = ScheduleState::new(&s, 0.01, 100);
        let by_epoch: Vec<f64> = (1..=17).map(|e| state.learning_rate(0, e)).collect();
        assert_eq!(by_epoch[..5], [0.01; 5]);
        assert_eq!(by_epoch[5..15], [0.005; 10]);
        assert_eq!(by_epoch[15..], [0.001; 2]);
        let bad = Schedule::PiecewiseConstant {
            boundaries: vec![5],
            values: vec![0.1],
        };
        assert!(bad.check().is_err());
    }

    #[test]
    fn performance_halves_after_patience_epochs_without_improvement() {
        let s = Schedule::Performance {
            factor: 0.5,
            patience: 2,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
        };
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
        let s = Schedule::OneCycle {
            max_learning_rate: 0.1,
            start_learning_rate: None,
            final_learning_rate: None,
            max_momentum: 0.95,
            min_momentum: 0.85,
        };
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
