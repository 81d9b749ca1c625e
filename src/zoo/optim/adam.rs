//! Adam (Kingma & Ba 2015; Keras `Adam()`) in Keras 3's float32 arithmetic order
//! (keras/src/optimizers/adam.py), with Keras's bias correction folded into the step size:
//! m ← m + (g − m)(1 − β1); s ← s + (g² − s)(1 − β2); θ ← θ − (m·α_t)/(sqrt(s) + ε),
//! α_t = η·sqrt(1 − β2^t)/(1 − β1^t). Also the hyperparameters and powers the rest of the Adam
//! family (adamax, nadam, adamw) shares.

use serde::{Deserialize, Serialize};

use super::{check_positive, check_unit, zeroed_slots, OptimizerRule, OptimizerState, Step};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// Adam with Keras's bias correction folded into the step size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adam {
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

/// Keras's defaults of the Adam family.
pub(super) fn learning_rate() -> f64 {
    0.001
}
pub(super) fn beta_1() -> f64 {
    0.9
}
pub(super) fn beta_2() -> f64 {
    0.999
}
pub(super) fn epsilon() -> f64 {
    1e-7
}

/// The Adam family's checks: β1 and β2 in [0, 1), ε > 0.
pub(super) fn check_betas(name: &str, beta_1: f64, beta_2: f64, epsilon: f64) -> Result<()> {
    check_unit(name, "beta_1", beta_1)?;
    check_unit(name, "beta_2", beta_2)?;
    check_positive(name, "epsilon", epsilon)
}

impl Technique for Adam {
    const NAME: &'static str = "adam";
}

impl OptimizerRule for Adam {
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
        Box::new(Moments::new(
            self.beta_1,
            self.beta_2,
            self.epsilon,
            param_sizes,
        ))
    }
}

/// The first and second moments m, s of every parameter, and the hyperparameters.
#[derive(Debug)]
pub(super) struct Moments {
    pub(super) beta_1: f64,
    pub(super) beta_2: f64,
    pub(super) epsilon: f64,
    pub(super) m: Vec<Vec<f32>>,
    pub(super) s: Vec<Vec<f32>>,
}

impl Moments {
    pub(super) fn new(beta_1: f64, beta_2: f64, epsilon: f64, param_sizes: &[usize]) -> Self {
        Moments {
            beta_1,
            beta_2,
            epsilon,
            m: zeroed_slots(param_sizes),
            s: zeroed_slots(param_sizes),
        }
    }

    /// The hyperparameters of this step (β1 possibly a schedule's).
    pub(super) fn coefficients(&self, step: &Step) -> MomentCoefficients {
        MomentCoefficients::new(step.momentum_or(self.beta_1), self.beta_2, self.epsilon)
    }

    /// The Adam step of parameter `index`, after decoupled weight decay of each element when
    /// `DECAY` (one pass; the same operations per element as [`super::decay`] then the step).
    pub(super) fn adam<const DECAY: bool>(
        &mut self,
        step: &Step,
        index: usize,
        lr: f32,
        weight_decay: f32,
        param: &mut [f32],
        grad: &[f32],
    ) {
        let h = self.coefficients(step);
        let alpha = lr * (1.0 - power(h.b2, step.t)).sqrt() / (1.0 - power(h.b1, step.t));
        for (((p, &g), m), s) in param
            .iter_mut()
            .zip(grad)
            .zip(self.m[index].iter_mut())
            .zip(self.s[index].iter_mut())
        {
            if DECAY {
                *p -= *p * weight_decay * lr;
            }
            *m += (g - *m) * h.one_minus_b1;
            *s += (g * g - *s) * h.one_minus_b2;
            *p -= (*m * alpha) / (s.sqrt() + h.eps);
        }
    }
}

impl OptimizerState for Moments {
    fn update(&mut self, step: &Step, index: usize, lr: f64, values: &mut [f32], grads: &[f32]) {
        self.adam::<false>(step, index, lr as f32, 0.0, values, grads);
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
        self.adam::<true>(step, index, lr as f32, weight_decay, values, grads);
    }
}

/// The f32 coefficients of one Adam-family step: β1, β2, ε, and 1 − β1, 1 − β2.
#[derive(Debug, Clone, Copy)]
pub(super) struct MomentCoefficients {
    pub(super) b1: f32,
    pub(super) b2: f32,
    pub(super) eps: f32,
    /// 1 − β1 and 1 − β2 formed in f64 and then rounded, as Keras's `1 - self.beta_1` is a Python
    /// float subtraction (1 − 0.8f32 would differ in the last bit). Nadam casts first (f32).
    pub(super) one_minus_b1: f32,
    pub(super) one_minus_b2: f32,
}

impl MomentCoefficients {
    pub(super) fn new(beta_1: f64, beta_2: f64, epsilon: f64) -> Self {
        MomentCoefficients {
            b1: beta_1 as f32,
            b2: beta_2 as f32,
            eps: epsilon as f32,
            one_minus_b1: (1.0 - beta_1) as f32,
            one_minus_b2: (1.0 - beta_2) as f32,
        }
    }
}

/// β^t in f32, as Keras's `ops.power(beta, step)`.
pub(super) fn power(beta: f32, t: u64) -> f32 {
    beta.powf(t as f32)
}
