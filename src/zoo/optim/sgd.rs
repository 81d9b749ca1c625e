//! Plain gradient descent (Keras `SGD()`), in Keras 3's float32 arithmetic order
//! (keras/src/optimizers/sgd.py): θ ← θ − g·η.

use serde::{Deserialize, Serialize};

use super::{OptimizerRule, OptimizerState, Step};
use crate::zoo::technique::Technique;

/// Plain gradient descent: θ ← θ − ηg.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sgd {
    /// η (Keras default 0.01).
    #[serde(default = "learning_rate")]
    pub learning_rate: f64,
}

fn learning_rate() -> f64 {
    0.01
}

impl Technique for Sgd {
    const NAME: &'static str = "sgd";
}

impl OptimizerRule for Sgd {
    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    fn build(&self, _param_sizes: &[usize]) -> Box<dyn OptimizerState> {
        Box::new(Stateless)
    }
}

/// Plain gradient descent keeps nothing between steps.
#[derive(Debug)]
struct Stateless;

impl Stateless {
    /// The update of parameter `index`, after decoupled weight decay of each element when
    /// `DECAY` (one pass; the same operations per element as [`super::decay`] then the update).
    #[allow(clippy::too_many_arguments)]
    fn step<const DECAY: bool>(
        &mut self,
        _step: &Step,
        _index: usize,
        lr: f64,
        weight_decay: f32,
        values: &mut [f32],
        grads: &[f32],
    ) {
        // Per element: *p -= *p * weight_decay * lr (when DECAY); *p -= g * lr, unfused, on
        // the widest vectors this CPU has (the same bits as that scalar loop).
        kernels::descent::descend(values, grads, lr as f32, DECAY.then_some(weight_decay));
    }
}

impl OptimizerState for Stateless {
    fn is_plain_descent(&self) -> bool {
        true
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
