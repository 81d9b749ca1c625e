//! Nadam (Dozat 2016; Keras `Nadam()`) with Keras's momentum schedule u_t = β1(1 − 0.5·0.96^t),
//! in Keras 3's float32 arithmetic order (keras/src/optimizers/nadam.py): m, s as Adam;
//! m̂ = u_{t+1}·m/(1 − P_t·u_{t+1}) + (1 − u_t)·g/(1 − P_t); ŝ = s/(1 − β2^t);
//! θ ← θ − (m̂·η)/(sqrt(ŝ) + ε), with P_t = u_1·…·u_t kept in f32 as Keras does.

use serde::{Deserialize, Serialize};

use super::adam::{beta_1, beta_2, check_betas, epsilon, learning_rate, power, Moments};
use super::{OptimizerRule, OptimizerState, Step};
use crate::error::Result;
use crate::zoo::technique::Technique;

/// Nadam with Keras's momentum schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nadam {
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

impl Technique for Nadam {
    const NAME: &'static str = "nadam";
}

impl OptimizerRule for Nadam {
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
        Box::new(State {
            moments: Moments::new(self.beta_1, self.beta_2, self.epsilon, param_sizes),
            u_product: 1.0,
        })
    }
}

/// Nadam's momentum schedule u_t = β1(1 − 0.5·0.96^t).
fn nadam_u(b1: f32, t: u64) -> f32 {
    b1 * (1.0 - 0.5 * power(0.96, t))
}

/// m, s of every parameter and the running product P_t.
#[derive(Debug)]
struct State {
    moments: Moments,
    u_product: f32,
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
        let (lr, h, t) = (lr as f32, self.moments.coefficients(step), step.t);
        let u_t = nadam_u(h.b1, t);
        let u_next = nadam_u(h.b1, t + 1);
        let u_product = self.u_product;
        let u_product_next = u_product * u_next;
        let b2_power = power(h.b2, t);
        let Moments { m, s, .. } = &mut self.moments;
        for (((p, &g), m), s) in values
            .iter_mut()
            .zip(grads)
            .zip(m[index].iter_mut())
            .zip(s[index].iter_mut())
        {
            if DECAY {
                *p -= *p * weight_decay * lr;
            }
            *m += (g - *m) * (1.0 - h.b1);
            *s += (g * g - *s) * (1.0 - h.b2);
            let m_hat = u_next * *m / (1.0 - u_product_next) + (1.0 - u_t) * g / (1.0 - u_product);
            let s_hat = *s / (1.0 - b2_power);
            *p -= (m_hat * lr) / (s_hat.sqrt() + h.eps);
        }
    }
}

impl OptimizerState for State {
    fn begin_step(&mut self, step: &Step) {
        let beta_1 = step.momentum_or(self.moments.beta_1);
        // Keras: u_product · β1 · (1 − 0.5·0.96^t), multiplied left to right.
        let decay = 1.0 - 0.5 * 0.96f32.powf(step.t as f32);
        self.u_product = self.u_product * beta_1 as f32 * decay;
    }

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
