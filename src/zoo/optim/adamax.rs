//! AdaMax (Kingma & Ba 2015; Keras `Adamax()`), Adam with the infinity norm, in Keras 3's
//! float32 arithmetic order (keras/src/optimizers/adamax.py): m as Adam; u ← max(β2u, |g|);
//! θ ← θ − (η·m)/((1 − β1^t)(u + ε)).

use serde::{Deserialize, Serialize};

use super::adam::{beta_1, beta_2, check_betas, epsilon, learning_rate, power, Moments};
use super::{OptimizerRule, OptimizerState, Step};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// AdaMax: Adam with the infinity norm, u ← max(β2u, |g|).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adamax {
    /// η (0.001).
    #[serde(default = "learning_rate")]
    pub learning_rate: f64,
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

impl Technique for Adamax {
    const NAME: &'static str = "adamax";
}

impl OptimizerRule for Adamax {
    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    fn check(&self) -> Result<()> {
        check_betas(Self::NAME, self.beta_1, self.beta_2, self.epsilon)
    }

    fn build(&self, param_sizes: &[usize]) -> Box<dyn OptimizerState> {
        Box::new(State(Moments::new(
            self.beta_1,
            self.beta_2,
            self.epsilon,
            param_sizes,
        )))
    }
}

/// m and the infinity norm u (in the second-moment slot) of every parameter.
#[derive(Debug)]
struct State(Moments);

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
        let (lr, h) = (lr as f32, self.0.coefficients(step));
        let correction = 1.0 - power(h.b1, step.t);
        let Moments { m, s: u, .. } = &mut self.0;
        for (((p, &g), m), u) in values
            .iter_mut()
            .zip(grads)
            .zip(m[index].iter_mut())
            .zip(u[index].iter_mut())
        {
            if DECAY {
                *p -= *p * weight_decay * lr;
            }
            *m += (g - *m) * h.one_minus_b1;
            *u = (h.b2 * *u).max(g.abs());
            *p -= (lr * *m) / (correction * (*u + h.eps));
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
