//! Weight initializers (TECHNIQUES.md "Initializers"): the variance-scaling family under its Keras
//! names, plus the two baselines the chapter argues against. Kernels are [fan_in, fan_out]
//! row-major (Keras layout); biases start at zero and are not drawn here.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::rng::{standard_normal, uniform01};
use crate::error::{Error, Result};

/// Keras's truncated normal keeps draws within ±2 std; dividing by this constant (the std of a
/// standard normal truncated to [-2, 2]) makes the truncated variance equal the target variance.
pub const TRUNCATED_NORMAL_STD: f64 = 0.879_625_661_034_239_8;

/// Which fan the variance is divided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FanMode {
    /// Inputs of the layer.
    FanIn,
    /// Outputs of the layer.
    FanOut,
    /// (fan_in + fan_out) / 2.
    FanAvg,
}

/// The distribution a variance-scaling initializer draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Normal cut at ±2 std, rescaled so its variance is the target (Keras's "normal").
    TruncatedNormal,
    /// Plain normal with the target variance.
    UntruncatedNormal,
    /// U(−r, r) with r = sqrt(3σ²).
    Uniform,
}

/// A kernel initializer, named as in Keras.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum Initializer {
    /// Glorot & Bengio 2010, uniform: σ² = 1/fan_avg (Keras's default).
    GlorotUniform,
    /// Glorot, truncated normal: σ² = 1/fan_avg.
    GlorotNormal,
    /// He et al. 2015, uniform: σ² = 2/fan_in.
    HeUniform,
    /// He, truncated normal: σ² = 2/fan_in.
    HeNormal,
    /// LeCun 1998, uniform: σ² = 1/fan_in.
    LecunUniform,
    /// LeCun, truncated normal: σ² = 1/fan_in (for SELU).
    LecunNormal,
    /// σ² = scale/fan with any fan and distribution.
    VarianceScaling {
        /// Multiplier of the variance.
        #[serde(default = "one")]
        scale: f64,
        /// Which fan divides it.
        #[serde(default = "fan_in")]
        mode: FanMode,
        /// What to draw from.
        #[serde(default = "truncated")]
        distribution: Distribution,
    },
    /// N(0, 1) whatever the layer size (pre-2010 practice).
    StandardNormal,
    /// U(±1/sqrt(fan_in)), the default of dfdx's and PyTorch's Linear.
    FanInUniform,
}

fn one() -> f64 {
    1.0
}
fn fan_in() -> FanMode {
    FanMode::FanIn
}
fn truncated() -> Distribution {
    Distribution::TruncatedNormal
}

impl Initializer {
    /// Checks the parameters' ranges.
    pub fn check(&self) -> Result<()> {
        if let Initializer::VarianceScaling { scale, .. } = self {
            if !(scale.is_finite() && *scale > 0.0) {
                return Err(Error::invalid(
                    "initializer.scale",
                    format!("must be a finite number > 0, got {scale}"),
                ));
            }
        }
        Ok(())
    }

    /// The (scale, fan mode, distribution) of the variance-scaling form, or None for the baselines.
    fn variance_scaling(&self) -> Option<(f64, FanMode, Distribution)> {
        use Distribution::*;
        use FanMode::*;
        Some(match *self {
            Initializer::GlorotUniform => (1.0, FanAvg, Uniform),
            Initializer::GlorotNormal => (1.0, FanAvg, TruncatedNormal),
            Initializer::HeUniform => (2.0, FanIn, Uniform),
            Initializer::HeNormal => (2.0, FanIn, TruncatedNormal),
            Initializer::LecunUniform => (1.0, FanIn, Uniform),
            Initializer::LecunNormal => (1.0, FanIn, TruncatedNormal),
            Initializer::VarianceScaling {
                scale,
                mode,
                distribution,
            } => (scale, mode, distribution),
            Initializer::StandardNormal | Initializer::FanInUniform => return None,
        })
    }

    /// The variance the initializer's weights have for this layer size.
    pub fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        match self.variance_scaling() {
            Some((scale, mode, _)) => scale / fan(mode, fan_in, fan_out),
            None => match self {
                Initializer::StandardNormal => 1.0,
                // U(±a) has variance a²/3.
                _ => 1.0 / (3.0 * fan_in as f64),
            },
        }
    }

    /// Draws a [fan_in, fan_out] kernel, row-major, from `rng`.
    pub fn kernel(&self, fan_in: usize, fan_out: usize, rng: &mut impl RngCore) -> Vec<f32> {
        let n = fan_in * fan_out;
        let draw_uniform = |limit: f64, rng: &mut dyn RngCore| -> f32 {
            ((2.0 * uniform01(rng) - 1.0) * limit) as f32
        };
        match self.variance_scaling() {
            Some((scale, mode, distribution)) => {
                let variance = scale / fan(mode, fan_in, fan_out);
                match distribution {
                    Distribution::Uniform => {
                        let limit = (3.0 * variance).sqrt();
                        (0..n).map(|_| draw_uniform(limit, rng)).collect()
                    }
                    Distribution::UntruncatedNormal => {
                        let std = variance.sqrt();
                        (0..n)
                            .map(|_| (std * standard_normal(rng)) as f32)
                            .collect()
                    }
                    Distribution::TruncatedNormal => {
                        let std = variance.sqrt() / TRUNCATED_NORMAL_STD;
                        (0..n)
                            .map(|_| (std * truncated_standard_normal(rng)) as f32)
                            .collect()
                    }
                }
            }
            None => match self {
                Initializer::StandardNormal => {
                    (0..n).map(|_| standard_normal(rng) as f32).collect()
                }
                _ => {
                    let limit = 1.0 / (fan_in as f64).sqrt();
                    (0..n).map(|_| draw_uniform(limit, rng)).collect()
                }
            },
        }
    }
}

fn fan(mode: FanMode, fan_in: usize, fan_out: usize) -> f64 {
    match mode {
        FanMode::FanIn => fan_in as f64,
        FanMode::FanOut => fan_out as f64,
        FanMode::FanAvg => (fan_in + fan_out) as f64 / 2.0,
    }
}

/// A standard normal draw rejected outside [-2, 2] (resampled, as Keras does).
fn truncated_standard_normal(rng: &mut impl RngCore) -> f64 {
    loop {
        let x = standard_normal(rng);
        if x.abs() <= 2.0 {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn moments(w: &[f32]) -> (f64, f64) {
        let n = w.len() as f64;
        let mean = w.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = w.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    /// The sample mean and variance of a large layer match the formula within 5 standard errors.
    /// For a zero-mean distribution, se(mean) = σ/sqrt(n) and se(var) = σ² sqrt((κ − 1)/n), with
    /// kurtosis κ = 1.8 (uniform), 3 (normal) and ≈ 2.37 (normal truncated at ±2).
    #[test]
    fn empirical_moments_match_the_formula() {
        let (fan_in, fan_out) = (400, 300);
        let n = (fan_in * fan_out) as f64;
        let cases = [
            (Initializer::GlorotUniform, 1.8),
            (Initializer::GlorotNormal, 2.37),
            (Initializer::HeUniform, 1.8),
            (Initializer::HeNormal, 2.37),
            (Initializer::LecunUniform, 1.8),
            (Initializer::LecunNormal, 2.37),
            (
                Initializer::VarianceScaling {
                    scale: 2.0,
                    mode: FanMode::FanAvg,
                    distribution: Distribution::UntruncatedNormal,
                },
                3.0,
            ),
            (Initializer::StandardNormal, 3.0),
            (Initializer::FanInUniform, 1.8),
        ];
        for (init, kurtosis) in cases {
            let mut rng = ChaCha8Rng::seed_from_u64(42);
            let w = init.kernel(fan_in, fan_out, &mut rng);
            let (mean, var) = moments(&w);
            let target = init.variance(fan_in, fan_out);
            let se_mean = (target / n).sqrt();
            let se_var = target * ((kurtosis - 1.0) / n).sqrt();
            assert!(mean.abs() < 5.0 * se_mean, "{init:?}: mean {mean}");
            assert!(
                (var - target).abs() < 5.0 * se_var,
                "{init:?}: variance {var}, expected {target} ± {}",
                5.0 * se_var
            );
        }
    }

    #[test]
    fn truncated_normal_stays_within_two_stds() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let w = Initializer::HeNormal.kernel(784, 300, &mut rng);
        let bound = (2.0f64 / 784.0).sqrt() / TRUNCATED_NORMAL_STD * 2.0;
        assert!(w.iter().all(|&x| (x as f64).abs() <= bound * (1.0 + 1e-6)));
        // And the bound is actually approached: truncation, not a narrower distribution.
        assert!(w.iter().any(|&x| (x as f64).abs() > 0.95 * bound));
    }

    #[test]
    fn same_seed_same_weights() {
        let a = Initializer::HeNormal.kernel(10, 10, &mut ChaCha8Rng::seed_from_u64(9));
        let b = Initializer::HeNormal.kernel(10, 10, &mut ChaCha8Rng::seed_from_u64(9));
        assert_eq!(a, b);
    }

    #[test]
    fn bad_scale_is_refused() {
        let init = Initializer::VarianceScaling {
            scale: -1.0,
            mode: FanMode::FanIn,
            distribution: Distribution::Uniform,
        };
        assert_eq!(
            init.check().unwrap_err().to_string(),
            "invalid initializer.scale: must be a finite number > 0, got -1"
        );
    }
}
