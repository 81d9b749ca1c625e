//! A technique of your own, from outside trainbench: the AdaBelief optimizer (Zhuang et al. 2020,
//! "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients") registered next
//! to the built-ins, and trainbench's own command line run with it. Nothing here is part of
//! trainbench: a crate that depends on it could hold this file as its `main.rs`.
//!
//! ```text
//! cargo run --release --example custom_optimizer -- \
//!     --studies examples/studies study custom_optimizer --quick --results /tmp/custom
//! ```
//!
//! The study file (examples/studies/custom_optimizer.toml) names the optimizer like any
//! built-in, `optimizer = ["adam", "adabelief"]`, and the report compares it with Adam seed by
//! seed. Every command works as with the `trainbench` binary (`report`, `verify`, `lr-find`, …),
//! and a misspelt name lists the built-ins and `adabelief` among the valid ones.

use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use trainbench::zoo::optim::{
    check_positive, check_unit, zeroed_slots, OptimizerRule, OptimizerState, Step,
};
use trainbench::zoo::technique::Technique;
use trainbench::Registry;

/// AdaBelief: Adam whose second moment tracks the gradient's deviation from its running mean
/// (the "belief"), s ← β2·s + (1 − β2)(g − m)² + ε, so steps are large where the gradient is
/// predictable and small where it is noisy. Its study-file parameters, with the paper's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdaBelief {
    /// η (0.001).
    #[serde(default = "learning_rate")]
    learning_rate: f64,
    /// β1 (0.9).
    #[serde(default = "beta_1")]
    beta_1: f64,
    /// β2 (0.999).
    #[serde(default = "beta_2")]
    beta_2: f64,
    /// ε (1e-16, added to s as well as to its root).
    #[serde(default = "epsilon")]
    epsilon: f64,
}

fn learning_rate() -> f64 {
    0.001
}
fn beta_1() -> f64 {
    0.9
}
fn beta_2() -> f64 {
    0.999
}
fn epsilon() -> f64 {
    1e-16
}

/// The name study files use.
impl Technique for AdaBelief {
    const NAME: &'static str = "adabelief";
}

impl OptimizerRule for AdaBelief {
    fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    /// η > 0 is checked for every optimizer; the rest is ours.
    fn check(&self) -> trainbench::Result<()> {
        check_unit(Self::NAME, "beta_1", self.beta_1)?;
        check_unit(Self::NAME, "beta_2", self.beta_2)?;
        check_positive(Self::NAME, "epsilon", self.epsilon)
    }

    fn build(&self, param_sizes: &[usize]) -> Box<dyn OptimizerState> {
        Box::new(State {
            b1: self.beta_1 as f32,
            b2: self.beta_2 as f32,
            eps: self.epsilon as f32,
            m: zeroed_slots(param_sizes),
            s: zeroed_slots(param_sizes),
        })
    }
}

/// The first moment m and the belief s of every parameter tensor.
#[derive(Debug)]
struct State {
    b1: f32,
    b2: f32,
    eps: f32,
    m: Vec<Vec<f32>>,
    s: Vec<Vec<f32>>,
}

impl OptimizerState for State {
    /// m ← β1m + (1 − β1)g; s ← β2s + (1 − β2)(g − m)² + ε;
    /// θ ← θ − η·(m/(1 − β1ᵗ)) / (sqrt(s/(1 − β2ᵗ)) + ε).
    fn update(&mut self, step: &Step, index: usize, lr: f64, values: &mut [f32], grads: &[f32]) {
        let (b1, b2, eps, lr) = (self.b1, self.b2, self.eps, lr as f32);
        let correction_1 = 1.0 - b1.powf(step.t as f32);
        let correction_2 = 1.0 - b2.powf(step.t as f32);
        let moments = self.m[index].iter_mut().zip(self.s[index].iter_mut());
        for ((p, &g), (m, s)) in values.iter_mut().zip(grads).zip(moments) {
            *m = b1 * *m + (1.0 - b1) * g;
            let surprise = g - *m;
            *s = b2 * *s + (1.0 - b2) * surprise * surprise + eps;
            *p -= lr * (*m / correction_1) / ((*s / correction_2).sqrt() + eps);
        }
    }
}

/// trainbench's command line with AdaBelief registered next to the built-ins.
fn main() -> ExitCode {
    trainbench::cli::main_with(Registry::builtin().optimizer::<AdaBelief>())
}
