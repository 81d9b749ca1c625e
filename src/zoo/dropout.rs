//! Dropout and alpha dropout (TECHNIQUES.md "Regularization"), as multiplicative and additive
//! masks drawn on the host from the run's noise stream (never from dfdx's device generator, so a
//! run's masks depend on its seed alone):
//! - dropout(p): in training each unit is kept with probability 1 − p and scaled by 1/(1 − p);
//!   identity at inference;
//! - alpha_dropout(p), for SELU nets: a dropped unit is set to α′ = −λα, then x ← a·x + b with
//!   a = ((1 − p)(1 + p·α′²))^(−1/2) and b = −a·α′·p, which keeps mean 0 and variance 1.
//!
//! As in the textbook's models, the dropout layer sits before every dense layer: on the inputs
//! and after each hidden activation.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::activation::{SELU_ALPHA, SELU_LAMBDA};
use super::rng::uniform01;
use crate::error::{Error, Result};

/// A dropout layer's kind and rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dropout {
    /// Standard (inverted) dropout.
    Dropout {
        /// p, the fraction dropped, in [0, 1).
        rate: f64,
    },
    /// Alpha dropout for self-normalizing (SELU) networks.
    AlphaDropout {
        /// p, in [0, 1).
        rate: f64,
    },
}

/// A mask for one batch: y = x·scale + shift, element-wise.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    /// Multiplier per element.
    pub scale: Vec<f32>,
    /// Addend per element (all zero for standard dropout).
    pub shift: Option<Vec<f32>>,
}

impl Dropout {
    /// p.
    pub fn rate(&self) -> f64 {
        match *self {
            Dropout::Dropout { rate } | Dropout::AlphaDropout { rate } => rate,
        }
    }

    /// Checks 0 ≤ p < 1.
    pub fn check(&self) -> Result<()> {
        let p = self.rate();
        if (0.0..1.0).contains(&p) {
            Ok(())
        } else {
            Err(Error::invalid(
                "model.dropout.rate",
                format!("must be in [0, 1), got {p}"),
            ))
        }
    }

    /// A training-time mask for `n` elements drawn from `rng` (one uniform draw per element).
    pub fn mask(&self, n: usize, rng: &mut dyn RngCore) -> Mask {
        let p = self.rate();
        let keep: Vec<bool> = (0..n).map(|_| uniform01(rng) >= p).collect();
        match *self {
            Dropout::Dropout { .. } => {
                let scale = (1.0 / (1.0 - p)) as f32;
                Mask {
                    scale: keep.iter().map(|&k| if k { scale } else { 0.0 }).collect(),
                    shift: None,
                }
            }
            Dropout::AlphaDropout { .. } => {
                let alpha_p = -SELU_LAMBDA * SELU_ALPHA;
                let a = ((1.0 - p) * (1.0 + p * alpha_p * alpha_p)).powf(-0.5);
                let b = -a * alpha_p * p;
                Mask {
                    scale: keep
                        .iter()
                        .map(|&k| if k { a as f32 } else { 0.0 })
                        .collect(),
                    shift: Some(
                        keep.iter()
                            .map(|&k| {
                                if k {
                                    b as f32
                                } else {
                                    (a * alpha_p + b) as f32
                                }
                            })
                            .collect(),
                    ),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{stream, Purpose};

    fn apply(mask: &Mask, x: &[f32]) -> Vec<f32> {
        x.iter()
            .enumerate()
            .map(|(i, v)| v * mask.scale[i] + mask.shift.as_ref().map_or(0.0, |s| s[i]))
            .collect()
    }

    /// Mean and variance in f64.
    fn moments(v: &[f32]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = v
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var)
    }

    #[test]
    fn dropout_drops_about_p_and_keeps_the_expectation() {
        let n = 200_000;
        let d = Dropout::Dropout { rate: 0.2 };
        let mask = d.mask(n, &mut stream(1, Purpose::Noise));
        let dropped = mask.scale.iter().filter(|&&s| s == 0.0).count() as f64 / n as f64;
        // Binomial: std of the dropped fraction is sqrt(p(1−p)/n) ≈ 0.0009; allow 5 of them.
        assert!((dropped - 0.2).abs() < 5.0 * (0.2f64 * 0.8 / n as f64).sqrt());
        let y = apply(&mask, &vec![1.0; n]);
        let (mean, _) = moments(&y);
        assert!((mean - 1.0).abs() < 5.0 * (0.25f64 * 0.8 * 0.2 / n as f64).sqrt() * 1.25);
        // Same seed, same mask.
        assert_eq!(mask, d.mask(n, &mut stream(1, Purpose::Noise)));
    }

    #[test]
    fn alpha_dropout_keeps_standardized_selu_activations_at_mean_0_variance_1() {
        // SELU of standard-normal pre-activations has mean ≈ 0 and variance ≈ 1 (its fixed point).
        let n = 400_000;
        let mut rng = stream(2, Purpose::Init);
        let z: Vec<f32> = (0..n)
            .map(|_| {
                let g = crate::zoo::rng::standard_normal(&mut rng);
                let e = if g > 0.0 {
                    g
                } else {
                    SELU_ALPHA * (g.exp() - 1.0)
                };
                (SELU_LAMBDA * e) as f32
            })
            .collect();
        let (m0, v0) = moments(&z);
        for p in [0.05, 0.1, 0.2] {
            let mask = Dropout::AlphaDropout { rate: p }.mask(n, &mut stream(3, Purpose::Noise));
            let (m, v) = moments(&apply(&mask, &z));
            // Sampling error of a mean of n unit-variance values is 1/sqrt(n) ≈ 0.0016.
            let se = 1.0 / (n as f64).sqrt();
            assert!((m - m0).abs() < 6.0 * se, "p {p}: mean {m} vs {m0}");
            assert!((v - v0).abs() < 0.01, "p {p}: variance {v} vs {v0}");
        }
    }

    #[test]
    fn a_rate_of_one_or_more_is_refused() {
        assert!(Dropout::Dropout { rate: 1.0 }.check().is_err());
        assert!(Dropout::AlphaDropout { rate: -0.1 }.check().is_err());
        assert!(Dropout::Dropout { rate: 0.5 }.check().is_ok());
    }
}
