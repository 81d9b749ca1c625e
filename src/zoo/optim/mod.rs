//! Optimizers with Keras 3's defaults and update rules (TECHNIQUES.md "Optimizers"), implemented
//! over a model's parameter list as plain f32 slices, in the same float32 arithmetic order as
//! Keras so the conformance tests (tests/optimizer_conformance.rs) agree to ~1e-6.
//!
//! The learning rate is passed to every step: a schedule computes it outside the optimizer, so any
//! run can be replayed from any step.

mod adam;
mod adaptive;
mod sgd;

pub use adam::decay;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An optimizer and its hyperparameters, named as in Keras; omitted fields take Keras 3's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerConfig {
    /// Plain gradient descent: θ ← θ − ηg.
    Sgd {
        /// η (Keras default 0.01).
        #[serde(default = "lr_sgd")]
        learning_rate: f64,
    },
    /// Momentum (Polyak 1964): m ← βm − ηg; θ ← θ + m.
    Momentum {
        /// η (Keras default 0.01).
        #[serde(default = "lr_sgd")]
        learning_rate: f64,
        /// β (0.9).
        #[serde(default = "beta_09")]
        momentum: f64,
    },
    /// Nesterov accelerated gradient, look-ahead form: m ← βm − ηg; θ ← θ + βm − ηg.
    Nesterov {
        /// η (Keras default 0.01).
        #[serde(default = "lr_sgd")]
        learning_rate: f64,
        /// β (0.9).
        #[serde(default = "beta_09")]
        momentum: f64,
    },
    /// AdaGrad (Duchi et al. 2011): s ← s + g²; θ ← θ − ηg ⊘ sqrt(s + ε).
    Adagrad {
        /// η (0.001).
        #[serde(default = "lr_adaptive")]
        learning_rate: f64,
        /// Starting value of s (0.1).
        #[serde(default = "initial_accumulator")]
        initial_accumulator_value: f64,
        /// ε (1e-7).
        #[serde(default = "epsilon")]
        epsilon: f64,
    },
    /// RMSProp (Tieleman & Hinton 2012): s ← ρs + (1−ρ)g²; θ ← θ − ηg ⊘ sqrt(s + ε).
    Rmsprop {
        /// η (0.001).
        #[serde(default = "lr_adaptive")]
        learning_rate: f64,
        /// ρ (0.9).
        #[serde(default = "beta_09")]
        rho: f64,
        /// ε (1e-7).
        #[serde(default = "epsilon")]
        epsilon: f64,
    },
    /// Adam (Kingma & Ba 2015) with Keras's bias correction folded into the step size.
    Adam {
        /// η (0.001).
        #[serde(default = "lr_adaptive")]
        learning_rate: f64,
        /// β1 (0.9).
        #[serde(default = "beta_09")]
        beta_1: f64,
        /// β2 (0.999).
        #[serde(default = "beta_0999")]
        beta_2: f64,
        /// ε (1e-7).
        #[serde(default = "epsilon")]
        epsilon: f64,
    },
    /// AdaMax: Adam with the infinity norm, u ← max(β2u, |g|).
    Adamax {
        /// η (0.001).
        #[serde(default = "lr_adaptive")]
        learning_rate: f64,
        /// β1 (0.9).
        #[serde(default = "beta_09")]
        beta_1: f64,
        /// β2 (0.999).
        #[serde(default = "beta_0999")]
        beta_2: f64,
        /// ε (1e-7).
        #[serde(default = "epsilon")]
        epsilon: f64,
    },
    /// Nadam (Dozat 2016) with Keras's momentum schedule u_t = β1(1 − 0.5·0.96^t).
    Nadam {
        /// η (0.001).
        #[serde(default = "lr_adaptive")]
        learning_rate: f64,
        /// β1 (0.9).
        #[serde(default = "beta_09")]
        beta_1: f64,
        /// β2 (0.999).
        #[serde(default = "beta_0999")]
        beta_2: f64,
        /// ε (1e-7).
        #[serde(default = "epsilon")]
        epsilon: f64,
    },
    /// AdamW (Loshchilov & Hutter 2019): θ ← θ − ηλθ, then the Adam step.
    Adamw {
        /// η (0.001).
        #[serde(default = "lr_adaptive")]
        learning_rate: f64,
        /// λ, decoupled weight decay (0.004).
        #[serde(default = "weight_decay")]
        weight_decay: f64,
        /// β1 (0.9).
        #[serde(default = "beta_09")]
        beta_1: f64,
        /// β2 (0.999).
        #[serde(default = "beta_0999")]
        beta_2: f64,
        /// ε (1e-7).
        #[serde(default = "epsilon")]
        epsilon: f64,
    },
}

fn lr_sgd() -> f64 {
    0.01
}
fn lr_adaptive() -> f64 {
    0.001
}
fn beta_09() -> f64 {
    0.9
}
fn beta_0999() -> f64 {
    0.999
}
fn epsilon() -> f64 {
    1e-7
}
fn initial_accumulator() -> f64 {
    0.1
}
fn weight_decay() -> f64 {
    0.004
}

/// The names accepted in a study file, for error messages.
pub const NAMES: [&str; 9] = [
    "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam", "adamw",
];

impl OptimizerConfig {
    /// The optimizer with all of Keras's defaults, by name.
    pub fn default_for(name: &str) -> Option<Self> {
        let table = toml::Table::from_iter([("name".to_string(), toml::Value::from(name))]);
        toml::Value::Table(table).try_into().ok()
    }

    /// The Keras name.
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerConfig::Sgd { .. } => "sgd",
            OptimizerConfig::Momentum { .. } => "momentum",
            OptimizerConfig::Nesterov { .. } => "nesterov",
            OptimizerConfig::Adagrad { .. } => "adagrad",
            OptimizerConfig::Rmsprop { .. } => "rmsprop",
            OptimizerConfig::Adam { .. } => "adam",
            OptimizerConfig::Adamax { .. } => "adamax",
            OptimizerConfig::Nadam { .. } => "nadam",
            OptimizerConfig::Adamw { .. } => "adamw",
        }
    }

    /// The base learning rate η.
    pub fn learning_rate(&self) -> f64 {
        let mut copy = *self;
        *copy.learning_rate_mut()
    }

    /// Sets η.
    pub fn set_learning_rate(&mut self, lr: f64) {
        *self.learning_rate_mut() = lr;
    }

    /// Every optimizer has an η; this is where it lives.
    fn learning_rate_mut(&mut self) -> &mut f64 {
        match self {
            OptimizerConfig::Sgd { learning_rate }
            | OptimizerConfig::Momentum { learning_rate, .. }
            | OptimizerConfig::Nesterov { learning_rate, .. }
            | OptimizerConfig::Adagrad { learning_rate, .. }
            | OptimizerConfig::Rmsprop { learning_rate, .. }
            | OptimizerConfig::Adam { learning_rate, .. }
            | OptimizerConfig::Adamax { learning_rate, .. }
            | OptimizerConfig::Nadam { learning_rate, .. }
            | OptimizerConfig::Adamw { learning_rate, .. } => learning_rate,
        }
    }

    /// Checks every hyperparameter's range; the error names the setting and the valid range.
    pub fn check(&self) -> Result<()> {
        let name = self.name();
        let positive = |what: &str, v: f64| -> Result<()> {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(
                    format!("optimizer.{name}.{what}"),
                    format!("must be > 0, got {v}"),
                ))
            }
        };
        let unit = |what: &str, v: f64| -> Result<()> {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::invalid(
                    format!("optimizer.{name}.{what}"),
                    format!("must be in [0, 1), got {v}"),
                ))
            }
        };
        positive("learning_rate", self.learning_rate())?;
        match *self {
            OptimizerConfig::Sgd { .. } => Ok(()),
            OptimizerConfig::Momentum { momentum, .. }
            | OptimizerConfig::Nesterov { momentum, .. } => unit("momentum", momentum),
            OptimizerConfig::Adagrad {
                initial_accumulator_value,
                epsilon,
                ..
            } => {
                if !(initial_accumulator_value.is_finite() && initial_accumulator_value >= 0.0) {
                    return Err(Error::invalid(
                        format!("optimizer.{name}.initial_accumulator_value"),
                        format!("must be >= 0, got {initial_accumulator_value}"),
                    ));
                }
                positive("epsilon", epsilon)
            }
            OptimizerConfig::Rmsprop { rho, epsilon, .. } => {
                unit("rho", rho)?;
                positive("epsilon", epsilon)
            }
            OptimizerConfig::Adam {
                beta_1,
                beta_2,
                epsilon,
                ..
            }
            | OptimizerConfig::Adamax {
                beta_1,
                beta_2,
                epsilon,
                ..
            }
            | OptimizerConfig::Nadam {
                beta_1,
                beta_2,
                epsilon,
                ..
            } => {
                unit("beta_1", beta_1)?;
                unit("beta_2", beta_2)?;
                positive("epsilon", epsilon)
            }
            OptimizerConfig::Adamw {
                weight_decay,
                beta_1,
                beta_2,
                epsilon,
                ..
            } => {
                if !(weight_decay.is_finite() && weight_decay >= 0.0) {
                    return Err(Error::invalid(
                        format!("optimizer.{name}.weight_decay"),
                        format!("must be >= 0, got {weight_decay}"),
                    ));
                }
                unit("beta_1", beta_1)?;
                unit("beta_2", beta_2)?;
                positive("epsilon", epsilon)
            }
        }
    }

    /// Builds the optimizer for parameters of the given sizes, after checking the config.
    pub fn build(&self, param_sizes: &[usize]) -> Result<Optimizer> {
        self.check()?;
        let slots = match self {
            OptimizerConfig::Sgd { .. } => 0,
            OptimizerConfig::Momentum { .. }
            | OptimizerConfig::Nesterov { .. }
            | OptimizerConfig::Adagrad { .. }
            | OptimizerConfig::Rmsprop { .. } => 1,
            _ => 2,
        };
        let fill = match *self {
            OptimizerConfig::Adagrad {
                initial_accumulator_value,
                ..
            } => initial_accumulator_value as f32,
            _ => 0.0,
        };
        Ok(Optimizer {
            config: *self,
            momentum_override: None,
            step: 0,
            nadam_u_product: 1.0,
            state: param_sizes
                .iter()
                .map(|&n| (0..slots).map(|_| vec![fill; n]).collect())
                .collect(),
        })
    }
}

/// A built optimizer: its config, the step count and one set of state vectors per parameter.
#[derive(Debug, Clone)]
pub struct Optimizer {
    config: OptimizerConfig,
    /// A schedule's momentum (or β1) for this step, replacing the configured one (1cycle).
    momentum_override: Option<f64>,
    /// Steps taken so far (Keras `iterations`).
    step: u64,
    /// Nadam's running product u_1·…·u_t, kept in f32 as Keras does.
    nadam_u_product: f32,
    /// Per parameter, the optimizer's slots (momentum, accumulators), each as long as the parameter.
    state: Vec<Vec<Vec<f32>>>,
}

impl Optimizer {
    /// The config it was built from.
    pub fn config(&self) -> &OptimizerConfig {
        &self.config
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Sets the momentum (momentum, nesterov) or β1 (adam, adamax, nadam, adamw) of the next
    /// steps, as a schedule such as 1cycle does; `None` restores the configured value. Optimizers
    /// without either ignore it.
    pub fn set_momentum(&mut self, momentum: Option<f64>) {
        self.momentum_override = momentum;
    }

    /// The configured momentum or β1, or the schedule's.
    fn beta(&self, configured: f64) -> f64 {
        self.momentum_override.unwrap_or(configured)
    }

    /// Starts a step: advances the step count and any per-step scalars (Nadam's u-product).
    /// Call once per step, then [`Optimizer::update`] once per parameter.
    pub fn begin_step(&mut self) {
        self.step += 1;
        if let OptimizerConfig::Nadam { beta_1, .. } = self.config {
            let beta_1 = self.beta(beta_1);
            // Keras: u_product · β1 · (1 − 0.5·0.96^t), multiplied left to right.
            let decay = 1.0 - 0.5 * 0.96f32.powf(self.step as f32);
            self.nadam_u_product = self.nadam_u_product * beta_1 as f32 * decay;
        }
    }

    /// Updates parameter number `index` in place from its gradient, with learning rate `lr`.
    pub fn update(&mut self, index: usize, lr: f64, param: &mut [f32], grad: &[f32]) {
        debug_assert_eq!(param.len(), grad.len());
        let lr = lr as f32;
        let t = self.step;
        let mut config = self.config;
        if let Some(b) = self.momentum_override {
            match &mut config {
                OptimizerConfig::Momentum { momentum, .. }
                | OptimizerConfig::Nesterov { momentum, .. } => *momentum = b,
                OptimizerConfig::Adam { beta_1, .. }
                | OptimizerConfig::Adamax { beta_1, .. }
                | OptimizerConfig::Nadam { beta_1, .. }
                | OptimizerConfig::Adamw { beta_1, .. } => *beta_1 = b,
                _ => {}
            }
        }
        let state = &mut self.state[index];
        match config {
            OptimizerConfig::Sgd { .. } => sgd::plain(lr, param, grad),
            OptimizerConfig::Momentum { momentum, .. } => {
                sgd::momentum(lr, momentum as f32, false, param, grad, &mut state[0])
            }
            OptimizerConfig::Nesterov { momentum, .. } => {
                sgd::momentum(lr, momentum as f32, true, param, grad, &mut state[0])
            }
            OptimizerConfig::Adagrad { epsilon, .. } => {
                adaptive::adagrad(lr, epsilon as f32, param, grad, &mut state[0])
            }
            OptimizerConfig::Rmsprop { rho, epsilon, .. } => adaptive::rmsprop(
                lr,
                rho as f32,
                (1.0 - rho) as f32,
                epsilon as f32,
                param,
                grad,
                &mut state[0],
            ),
            OptimizerConfig::Adam {
                beta_1,
                beta_2,
                epsilon,
                ..
            } => {
                let h = adam::Hyper::new(beta_1, beta_2, epsilon);
                let (m, v) = split2(state);
                adam::adam(lr, h, t, param, grad, m, v)
            }
            OptimizerConfig::Adamw {
                weight_decay,
                beta_1,
                beta_2,
                epsilon,
                ..
            } => {
                adam::decay(lr, weight_decay as f32, param);
                let h = adam::Hyper::new(beta_1, beta_2, epsilon);
                let (m, v) = split2(state);
                adam::adam(lr, h, t, param, grad, m, v)
            }
            OptimizerConfig::Adamax {
                beta_1,
                beta_2,
                epsilon,
                ..
            } => {
                let h = adam::Hyper::new(beta_1, beta_2, epsilon);
                let (m, u) = split2(state);
                adam::adamax(lr, h, t, param, grad, m, u)
            }
            OptimizerConfig::Nadam {
                beta_1,
                beta_2,
                epsilon,
                ..
            } => {
                let h = adam::Hyper::new(beta_1, beta_2, epsilon);
                let (m, v) = split2(state);
                adam::nadam(lr, h, t, self.nadam_u_product, param, grad, m, v)
            }
        }
    }
}

fn split2(state: &mut [Vec<f32>]) -> (&mut [f32], &mut [f32]) {
    let (a, b) = state.split_at_mut(1);
    (&mut a[0], &mut b[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_keras_defaults() {
        assert_eq!(
            OptimizerConfig::default_for("adam"),
            Some(OptimizerConfig::Adam {
                learning_rate: 0.001,
                beta_1: 0.9,
                beta_2: 0.999,
                epsilon: 1e-7
            })
        );
        assert_eq!(
            OptimizerConfig::default_for("sgd").unwrap().learning_rate(),
            0.01
        );
        assert!(OptimizerConfig::default_for("adamm").is_none());
        for name in NAMES {
            let opt = OptimizerConfig::default_for(name).unwrap();
            assert_eq!(opt.name(), name);
            opt.check().unwrap();
        }
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let bad = OptimizerConfig::Adam {
            learning_rate: 0.0,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
        };
        assert_eq!(
            bad.check().unwrap_err().to_string(),
            "invalid optimizer.adam.learning_rate: must be > 0, got 0"
        );
        let bad = OptimizerConfig::Momentum {
            learning_rate: 0.1,
            momentum: 1.0,
        };
        assert_eq!(
            bad.check().unwrap_err().to_string(),
            "invalid optimizer.momentum.momentum: must be in [0, 1), got 1"
        );
    }
}
