//! AdamW (Loshchilov & Hutter 2019; Keras `AdamW()`): Keras's decoupled weight decay
//! θ ← θ − θ·λ·η (keras/src/optimizers/base_optimizer.py), then the Adam step. [`decay`] is also
//! the `weight_decay` option any optimizer takes.

use serde::{Deserialize, Serialize};

use super::adam::{beta_1, beta_2, check_betas, epsilon, learning_rate, Moments};
use super::{check_non_negative, OptimizerRule, OptimizerState, Step};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// AdamW: θ ← θ − ηλθ, then the Adam step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adamw {
    /// η (0.001).
    #[serde(default = "learning_rate")]
    pub learning_rate: f64,
    /// λ, decoupled weight decay (0.004).
    #[serde(default = "weight_decay")]
    pub weight_decay: f64,
    /// β1 (0.9).
    #[serde(default = "beta_1")]
    pub beta_1: f64,
    /// β2 (0.999).
    #[serde(default = "beta_2")]
    pub beta_2: f64,
    /// ε (1e-7).
    #[serde(default = "epsilon")]
    pub epsilon: f64,
}

fn weight_decay() -> f64 {
    0.004
}

impl Technique for Adamw {
    const NAME: &'static str = "adamw";
}

impl OptimizerRule for Adamw {
    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<()> {
        check_non_negative(Self::NAME, "weight_decay", self.weight_decay)?;
        check_betas(Self::NAME, self.beta_1, self.beta_2, self.epsilon)
    }

    fn build(&self, param_sizes: &[usize]) -> Box<dyn OptimizerState> {
        Box::new(State {
            weight_decay: self.weight_decay as f32,
            moments: Moments::new(self.beta_1, self.beta_2, self.epsilon, param_sizes),
        })
    }
}

/// λ and Adam's moments.
#[derive(Debug)]
struct State {
    weight_decay: f32,
    moments: Moments,
}

impl OptimizerState for State {
    fn update(&mut self, step: &Step, index: usize, lr: f64, values: &mut [f32], grads: &[f32]) {
        // AdamW's own decay and the Adam step in one pass (the bits of the two passes).
        let lr = lr as f32;
        (self.moments).adam::<true>(step, index, lr, self.weight_decay, values, grads);
    }

    /// The `weight_decay` option's decay is a pass of its own here (then AdamW's own decay and
    /// the Adam step in one): a study rarely sets both.
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

/// Decoupled weight decay, applied before the update: θ ← θ − θ·λ·η.
pub fn decay(lr: f32, weight_decay: f32, param: &mut [f32]) {
    for p in param.iter_mut() {
        *p -= *p * weight_decay * lr;
    }
}
