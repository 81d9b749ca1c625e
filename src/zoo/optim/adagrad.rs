//! AdaGrad (Duchi et al. 2011; Keras `Adagrad()`), in Keras 3's float32 arithmetic order
//! (keras/src/optimizers/adagrad.py), ε inside the root: s ← s + g²; θ ← θ − η·g / sqrt(s + ε).

use serde::{Deserialize, Serialize};

use super::{check_non_negative, check_positive, OptimizerRule, OptimizerState, Step};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// AdaGrad: s ← s + g²; θ ← θ − ηg ⊘ sqrt(s + ε).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adagrad {
    /// η (0.001).
    #[serde(default = "learning_rate")]
    pub learning_rate: f64,
    /// Starting value of s (0.1).
    #[serde(default = "initial_accumulator_value")]
    pub initial_accumulator_value: f64,
    /// ε (1e-7).
    #[serde(default = "epsilon")]
    pub epsilon: f64,
}

fn learning_rate() -> f64 {
    0.001
}
fn initial_accumulator_value() -> f64 {
    0.1
}
fn epsilon() -> f64 {
    1e-7
}

impl Technique for Adagrad {
    const NAME: &'static str = "adagrad";
}

impl OptimizerRule for Adagrad {
    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<()> {
        check_non_negative(
            Self::NAME,
            "initial_accumulator_value",
            self.initial_accumulator_value,
        )?;
        check_positive(Self::NAME, "epsilon", self.epsilon)
    }

    fn build(&self, param_sizes: &[usize]) -> Box<dyn OptimizerState> {
        let fill = self.initial_accumulator_value as f32;
        Box::new(State {
            epsilon: self.epsilon as f32,
            s: param_sizes.iter().map(|&n| vec![fill; n]).collect(),
        })
    }
}

/// The accumulated squared gradients s of every parameter.
#[derive(Debug)]
struct State {
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
            *s += g * g;
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
