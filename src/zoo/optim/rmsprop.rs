//! RMSProp (Tieleman & Hinton 2012; Keras `RMSprop()`), in Keras 3's float32 arithmetic order
//! (keras/src/optimizers/rmsprop.py), ε inside the root: s ← ρs + (1 − ρ)g²;
//! θ ← θ − η·g / sqrt(s + ε), with 1 − ρ formed in f64 and rounded as Keras's Python-float
//! `1 - rho` is.

use serde::{Deserialize, Serialize};

use super::{check_positive, check_unit, zeroed_slots, OptimizerRule, OptimizerState, Step};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// RMSProp: s ← ρs + (1−ρ)g²; θ ← θ − ηg ⊘ sqrt(s + ε).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rmsprop {
    /// η (0.001).
    #[serde(default = "learning_rate")]
    pub learning_rate: f64,
    /// ρ (0.9).
    #[serde(default = "rho")]
    pub rho: f64,
    /// ε (1e-7).
    #[serde(default = "epsilon")]
    pub epsilon: f64,
}

fn learning_rate() -> f64 {
    0.001
}
fn rho() -> f64 {
    0.9
}
fn epsilon() -> f64 {
    1e-7
}

impl Technique for Rmsprop {
    const NAME: &'static str = "rmsprop";
}

impl OptimizerRule for Rmsprop {
    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<()> {
        check_unit(Self::NAME, "rho", self.rho)?;
        check_positive(Self::NAME, "epsilon", self.epsilon)
    }

    fn build(&self, param_sizes: &[usize]) -> Box<dyn OptimizerState> {
        Box::new(State {
            rho: self.rho as f32,
            one_minus_rho: (1.0 - self.rho) as f32,
            epsilon: self.epsilon as f32,
            s: zeroed_slots(param_sizes),
        })
    }
}

/// The running mean of squared gradients s of every parameter.
#[derive(Debug)]
struct State {
    rho: f32,
    one_minus_rho: f32,
    epsilon: f32,
    s: Vec<Vec<f32>>,
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
        for ((p, &g), s) in values.iter_mut().zip(grads).zip(self.s[index].iter_mut()) {
            if DECAY {
                *p -= *p * weight_decay * lr;
            }
            *s = self.rho * *s + self.one_minus_rho * (g * g);
            *p -= lr * g / (*s + self.epsilon).sqrt();
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
