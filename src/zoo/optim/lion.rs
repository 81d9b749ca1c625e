//! Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"; Keras `Lion()`), in
//! Keras 3's float32 arithmetic order (keras/src/optimizers/lion.py): the update is the sign of
//! an interpolation of momentum and gradient, so every weight moves by exactly ±η (or 0);
//! c ← m·β1 + g·(1 − β1); θ ← θ − η·sign(c); m ← m·β2 + g·(1 − β2), with 1 − β formed in f32
//! (Keras casts β first) and sign(0) = 0. Keras's defaults: η = 0.001, β1 = 0.9, β2 = 0.99.
//! A schedule's momentum (1cycle) does not apply: β1 is an interpolation weight, not a momentum.

use serde::{Deserialize, Serialize};

use super::{check_unit, zeroed_slots, OptimizerRule, OptimizerState, Step};
use crate::error::{Error, Result};
use crate::zoo::technique::Technique;

/// Lion: θ ← θ − η·sign(β1m + (1 − β1)g); m ← β2m + (1 − β2)g.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lion {
    /// η (Keras default 0.001; the paper suggests 3–10× smaller than AdamW's).
    #[serde(default = "learning_rate")]
    pub learning_rate: f64,
    /// β1, the weight of the momentum in the update's sign (0.9).
    #[serde(default = "beta_1")]
    pub beta_1: f64,
    /// β2, the momentum's decay (0.99).
    #[serde(default = "beta_2")]
    pub beta_2: f64,
}

fn learning_rate() -> f64 {
    0.001
}
fn beta_1() -> f64 {
    0.9
}
fn beta_2() -> f64 {
    0.99
}

impl Technique for Lion {
    const NAME: &'static str = "lion";
}

impl OptimizerRule for Lion {
    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<()> {
        // Keras refuses β1 outside (0, 1]: with β1 = 0 Lion is signSGD.
        if !(self.beta_1 > 0.0 && self.beta_1 <= 1.0) {
            return Err(Error::invalid(
                "optimizer.lion.beta_1",
                format!("must be in (0, 1], got {}", self.beta_1),
            ));
        }
        check_unit(Self::NAME, "beta_2", self.beta_2)
    }

    fn build(&self, param_sizes: &[usize]) -> Box<dyn OptimizerState> {
        let (b1, b2) = (self.beta_1 as f32, self.beta_2 as f32);
        Box::new(State {
            b1,
            b2,
            one_minus_b1: 1.0 - b1,
            one_minus_b2: 1.0 - b2,
            m: zeroed_slots(param_sizes),
        })
    }
}

/// The momentum m of every parameter.
#[derive(Debug)]
struct State {
    b1: f32,
    b2: f32,
    one_minus_b1: f32,
    one_minus_b2: f32,
    m: Vec<Vec<f32>>,
}

/// −1, 0 or 1 (NaN stays NaN), as `ops.sign`.
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x * 0.0
    }
}

impl State {
    /// The update of parameter `index`, after decoupled weight decay of each element when
    /// `DECAY` (one pass; the same operations per element as [`super::decay`] then the update).
    #[allow(clippy::too_many_arguments)]
    fn step<const DECAY: bool>(
        &mut self,
        _step: &Step,
        index: usize,
        lr: f64,
        weight_decay: f32,
        values: &mut [f32],
        grads: &[f32],
    ) {
        let lr = lr as f32;
        for ((p, &g), m) in values.iter_mut().zip(grads).zip(self.m[index].iter_mut()) {
            if DECAY {
                *p -= *p * weight_decay * lr;
            }
            let c = *m * self.b1 + g * self.one_minus_b1;
            *p -= lr * sign(c);
            *m = *m * self.b2 + g * self.one_minus_b2;
        }
    }
}

impl OptimizerState for State {
    fn update(&mut self, step: &Step, index: usize, lr: f64, values: &mut [f32], grads: &[f32]) {
        self.step::<false>(step, index, lr, 0.0, values, grads);
    }

    fn update_decayed(
        &mut self,
        step: &Step,
        index: usize,
        lr: f64,
        weight_decay: f32,
        values: &mut [f32],
        grads: &[f32],
    ) {
        self.step::<true>(step, index, lr, weight_decay, values, grads);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_moves_each_weight_by_the_learning_rate_or_not_at_all() {
        let lion = Lion {
            learning_rate: 0.5,
            beta_1: 0.9,
            beta_2: 0.99,
        };
        let mut state = OptimizerRule::build(&lion, &[3]);
        let mut w = [1.0f32, 1.0, 1.0];
        let step = Step {
            t: 1,
            momentum: None,
        };
        state.update(&step, 0, 0.5, &mut w, &[3.0, -1e-6, 0.0]);
        assert_eq!(w, [0.5, 1.5, 1.0]);
        // m now holds 0.01·g: a zero gradient still moves the weight by the momentum's sign.
        state.update(&step, 0, 0.5, &mut w, &[0.0, 0.0, 0.0]);
        assert_eq!(w, [0.0, 2.0, 1.0]);
    }

    #[test]
    fn beta_1_must_be_in_the_half_open_unit_interval() {
        let mut lion = Lion {
            learning_rate: 0.001,
            beta_1: 0.0,
            beta_2: 0.99,
        };
        assert_eq!(
            OptimizerRule::check(&lion).unwrap_err().to_string(),
            "invalid optimizer.lion.beta_1: must be in (0, 1], got 0"
        );
        lion.beta_1 = 1.0;
        assert!(OptimizerRule::check(&lion).is_ok());
        lion.beta_2 = 1.0;
        assert!(OptimizerRule::check(&lion).is_err());
    }
}
