//! Momentum (Polyak 1964; Keras `SGD(momentum=β)`), in Keras 3's float32 arithmetic order
//! (keras/src/optimizers/sgd.py): m ← −g·η + m·β; θ ← θ + m.

use serde::{Deserialize, Serialize};

use super::{check_unit, zeroed_slots, OptimizerRule, OptimizerState, Step};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// Momentum: m ← βm − ηg; θ ← θ + m.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Momentum {
    /// η (Keras default 0.01).
    #[serde(default = "learning_rate")]
    pub learning_rate: f64,
    /// β (0.9).
    #[serde(default = "momentum")]
    pub momentum: f64,
}

fn learning_rate() -> f64 {
    0.01
}
fn momentum() -> f64 {
    0.9
}

impl Technique for Momentum {
    const NAME: &'static str = "momentum";
}

impl OptimizerRule for Momentum {
    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<()> {
        check_unit(Self::NAME, "momentum", self.momentum)
    }

    fn build(&self, param_sizes: &[usize]) -> Box<dyn OptimizerState> {
        Box::new(State {
            momentum: self.momentum,
            m: zeroed_slots(param_sizes),
        })
    }
}

/// The velocity m of every parameter.
#[derive(Debug)]
struct State {
    momentum: f64,
    m: Vec<Vec<f32>>,
}

impl State {
    /// The update of parameter `index`, after decoupled weight decay of each element when
    /// `DECAY` (one pass; the same operations per element as [`super::decay`] then the update).
    #[allow(clippy::too_many_arguments)]
    fn step<const DECAY: bool>(
        &mut self,
        step: &Step,
        index: usize,
        lr: f64,
        weight_decay: f32,
        values: &mut [f32],
        grads: &[f32],
    ) {
        let (lr, beta) = (lr as f32, step.momentum_or(self.momentum) as f32);
        for ((p, &g), m) in values.iter_mut().zip(grads).zip(self.m[index].iter_mut()) {
            if DECAY {
                *p -= *p * weight_decay * lr;
            }
            *m = -g * lr + *m * beta;
            *p += *m;
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
